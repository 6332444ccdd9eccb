"""`Vault`: the one facade the CLI, the MCP server and the language server call.

`VaultIndex` (vault_index.py) is the index handle; this adds live watching and the features built
on the index. Each method is thin: the logic lives in the feature's module.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from vault_core.config import VaultConfig
from vault_core.edit.atomic import read_or_none
from vault_core.edit.editor import Editor
from vault_core.edit.journal import Journal
from vault_core.edit.models import Receipt
from vault_core.edit.paths import WritePolicy
from vault_core.edit.splice import sha256
from vault_core.errors import NoteNotFound, PathOutsideVault, VaultError
from vault_core.linking.graph_report import GraphReport, graph_health
from vault_core.linking.lint_models import FixPlan
from vault_core.linking.mention_rank import RankedMention, ranked_mentions
from vault_core.linking.mentions import Mention, unlinked_mentions
from vault_core.linking.related import RelatedNote, related
from vault_core.query.answer import SearchAnswer, SearchRequest, build_answer
from vault_core.query.render import render_search
from vault_core.query.socket_server import QueryService
from vault_core.results import FileIssue, IndexProgress, NoteContent, VaultStatus
from vault_core.study.analyze import analyze
from vault_core.study.compare import compare
from vault_core.study.models import AnalyzeResult, CompareResult, QuizResult
from vault_core.study.quiz import quiz
from vault_core.vault_index import VaultIndex
from vault_core.watcher import Watcher

INLINE_EMBED_FILES = 10

__all__ = [
    "FileIssue",
    "IndexProgress",
    "NoteContent",
    "NoteNotFound",
    "PathOutsideVault",
    "Vault",
    "VaultError",
    "VaultStatus",
]


class Vault(VaultIndex):
    """Open with `Vault.open(root)`. The first process on a vault becomes the writer."""

    def __init__(
        self,
        config: VaultConfig,
        *,
        writer: bool = True,
        watch: bool = False,
        create: bool = True,
        lazy: bool | None = None,
    ) -> None:
        # a server (watch, or `lazy`: vault-lsp, which starts watching once its listeners are
        # in) reads the catalog in the background and answers from the store first
        super().__init__(config, writer=writer, create=create, lazy=watch if lazy is None else lazy)
        self.watcher: Watcher | None = None  # the index never holds it: it reports back to us
        self.service = QueryService(config.index_path, self.answer)
        self.upkeep.rebuilt.append(self._serve_again)
        if self.is_writer:  # a write a kill interrupted is rolled back before anything reads
            rolled = Journal(self.root).recover()
            if rolled:
                self.notice = " ".join([*([self.notice] if self.notice else []), *rolled])
        if watch:
            self.start_watching()

    def embedding_expected(self) -> bool:
        """Before a sync: an empty index, or chunks already waiting for their vectors."""
        total = self.store.count_chunks()
        return total == 0 or self.store.count_embedded() < total

    def load_model_in_background(self) -> None:
        """The model loads while phase 1 runs, not on the first query or phase 2's first step;
        loading it before phase 1's allocations also keeps its load-time peak lower."""
        threading.Thread(target=self.embedder.load, name="nvault-model", daemon=True).start()

    def start_watching(self) -> None:
        """Catch up in the background, then follow the folder (writer) or the writer (reader)."""
        if self.watcher is None:
            if self.is_writer:  # a reader never reads the files itself: its phase stays idle
                self.progress = IndexProgress(phase="starting", active=True)
            self.watcher = Watcher(self, on_error=self._watch_failed)
            self.phase2.watching = True
            self.upkeep.promoted.append(self.watcher.promote)
            self.watcher.start()
            self.load_model_in_background()
            self.service.start()  # one-shot `nvault search` asks this process (query/socket_server.py)

    def _watch_failed(self, failure: str) -> None:
        self.last_error = failure

    def watch_state(self) -> str:
        return self.watcher.describe() if self.watcher is not None else "off"

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        """A search asked over the query socket: the same pipeline as `search`, as JSON."""
        if request.get("ping"):
            return {"ok": True}
        if request.get("status"):  # `nvault status` without importing LanceDB (seconds)
            return {"status": self.status().model_dump(mode="json")}
        if "render" in request:  # `nvault search`, printed here for the asking terminal
            return {"rendered": render_search(request["render"], self.find, self.root).model_dump()}
        found = self.find(SearchRequest.model_validate(request))
        return {"answer": found.model_dump(mode="json")}

    def find(
        self, request: SearchRequest, admit: Callable[[str], bool] | None = None
    ) -> SearchAnswer:
        """A search in the query language (query/syntax.py), answered the way every front end
        shows it: only hits that matched, or the sentence saying nothing did."""
        return build_answer(
            request,
            lambda text, filters: self.search(
                text, request.mode, request.limit, filters, request.per_note
            ),
            self.embedder.name,
            self.embedding_state,
            admit,
        )

    def editor(self, allow: list[str] | None = None) -> Editor:
        """The write path, allowed in `allow` (default: the user's `allow_writes`) only."""
        policy = WritePolicy(self.root, self.config.allow_writes if allow is None else allow)
        return Editor(self.root, policy, lambda: self.graph, self.reindex_written)

    def carry_out(self, fix: FixPlan, allow: list[str]) -> Receipt:
        """A lint finding's planned write, for real, through the same write path (and the same
        preconditions) as the MCP write tools; `allow` is where the caller lets it write."""
        write = getattr(self.editor(allow=allow), fix.tool)
        return write(**{**fix.arguments, "dry_run": False})

    def version_of(self, path: str) -> str | None:
        """sha256 of the file's bytes (what edits take as `version`); None without a file."""
        data = read_or_none(self.root / self.relpath(path))
        return None if data is None else sha256(data)

    def reindex_written(self, paths: list[str]) -> bool:
        """The files a write touched, indexed before the write returns (writer only; a reader
        leaves them to the writer's watcher). The watcher's own event then finds them current."""
        if not self.is_writer:
            return False
        # A few files are embedded inline (searchable by meaning at once); a move touching
        # many notes indexes names and keywords now and leaves their vectors to phase 2.
        self.sync(paths, embed=len(paths) <= INLINE_EMBED_FILES)
        return True

    def _serve_again(self) -> None:
        """The index folder was re-created: the query socket went with it, serve in the new one."""
        if self.service.serving:
            self.service.stop()
            self.service.start()

    def close(self) -> None:
        self.service.stop()
        if self.watcher is not None:
            watcher, self.watcher = self.watcher, None
            self.upkeep.promoted.remove(watcher.promote)
            self.phase2.watching = False
            watcher.stop()
        super().close()

    def related(self, note: str, limit: int = 10, **kw: Any) -> list[RelatedNote]:
        """Notes that should be linked from `note` and are not, with reasons."""
        return related(self, self.resolve(note).path, limit, **kw)

    def unlinked_mentions(self, note: str, **kw: Any) -> list[Mention]:
        """Plain-text mentions of other notes' titles or aliases inside `note`."""
        return unlinked_mentions(self, self.resolve(note).path, **kw)

    def ranked_mentions(self, note: str, **kw: Any) -> list[RankedMention]:
        """Unlinked mentions worth linking: one per target note, scored, best few by default."""
        return ranked_mentions(self, self.resolve(note).path, **kw)

    def graph_health(self, **kw: Any) -> GraphReport:
        """Orphans, broken and ambiguous links, hubs and likely duplicates, for review."""
        return graph_health(self, **kw)

    def analyze(self, note: str, engine: Any = None, **kw: Any) -> AnalyzeResult:
        return analyze(self, note, engine, **kw)

    def compare(
        self, note_a: str, note_b: str, question: str | None = None, engine: Any = None, **kw: Any
    ) -> CompareResult:
        return compare(self, note_a, note_b, question, engine, **kw)

    def quiz(
        self, scope: str, n: int = 5, types: Any = None, engine: Any = None, **kw: Any
    ) -> QuizResult:
        return quiz(self, scope, n, types, engine, **kw)
