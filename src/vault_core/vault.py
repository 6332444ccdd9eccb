"""`Vault`: the one facade the CLI, the MCP server and the language server call."""

from __future__ import annotations

import difflib
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import filelock

from vault_core.catalog import NoteRecord, reload_catalog
from vault_core.config import VaultConfig
from vault_core.embed import Embedder, make_embedder
from vault_core.errors import NoSuchHeading, NoteNotFound, PathOutsideVault, VaultError
from vault_core.indexer import Indexer, Progress, SyncReport
from vault_core.links import LinkGraph, Resolution
from vault_core.names import NameMatch, match_name
from vault_core.results import FileIssue, IndexProgress, NoteContent, VaultStatus
from vault_core.search import Mode, Searcher, SearchFilters, SearchHit
from vault_core.store import Store

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

ChangeListener = Callable[[list[str]], None]
REFRESH_INTERVAL_S = 0.5
PROMOTE_INTERVAL_S = 5.0


class Vault:
    """Open with `Vault.open(root)`. The first process on a vault becomes the writer."""

    def __init__(self, config: VaultConfig, *, writer: bool = True, watch: bool = False) -> None:
        self.config = config
        self.root = config.root
        self.embedder: Embedder = make_embedder(config.embedder, config.llm)
        config.index_path.mkdir(parents=True, exist_ok=True)
        self._lock = filelock.FileLock(str(config.index_path / "writer.lock"))
        self.is_writer = writer and self._try_lock()
        self.store = Store(
            config.index_path, self.embedder.name, self.embedder.dim, writer=self.is_writer
        )
        self.searcher = Searcher(self.store, self.embedder)
        self.progress = IndexProgress()
        self.listeners: list[ChangeListener] = []
        self.last_report: SyncReport | None = None
        self.last_sync: datetime | None = None
        self.last_error: str | None = None
        self.watcher: Any = None
        self._write_mutex = threading.RLock()
        self._catalog: dict[str, NoteRecord] = {}
        self._graph: LinkGraph | None = None
        self.generation = 0  # goes up on every index commit this process sees: a cache key
        self._seen_version: tuple[int, int] = (-1, -1)
        self._checked_at = 0.0
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S
        self.indexer: Indexer | None = None
        self._load_catalog()
        if self.is_writer:
            self._become_writer()
        if watch:
            self.start_watching()

    def start_watching(self) -> None:
        """Catch up in the background, then follow the folder (writer) or the writer (reader)."""
        from vault_core.watcher import Watcher

        if self.watcher is None:
            self.watcher = Watcher(self)
            self.watcher.start()

    @classmethod
    def open(
        cls, root: str | Path | None = None, *, config: VaultConfig | None = None, **kw: Any
    ) -> Vault:
        return cls(config or VaultConfig.load(root), **kw)

    # -- roles ----------------------------------------------------------------------------
    def _try_lock(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
            return True
        except filelock.Timeout:
            return False

    def _become_writer(self) -> None:
        self.indexer = Indexer(self.config, self.store, self.embedder)
        self.progress.phase = "repairing"
        repaired = self.indexer.repair(self._catalog)
        if repaired:
            self._graph = None
        self.progress.phase = "idle"

    def _maybe_promote(self) -> None:
        """A reader takes over when the writer has gone (its OS lock died with it)."""
        if self.is_writer or time.monotonic() < self._promote_at:
            return
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S
        if self._try_lock():
            self.is_writer = True
            self.store = Store(
                self.config.index_path, self.embedder.name, self.embedder.dim, writer=True
            )
            self.searcher = Searcher(self.store, self.embedder)
            self._load_catalog()
            self._become_writer()
            if self.watcher is not None:
                self.watcher.promote()

    # -- catalog --------------------------------------------------------------------------
    def _load_catalog(self) -> None:
        self._seen_version = self.store.version()
        self._catalog = reload_catalog(self.store.notes_table(), self._catalog)
        self._graph = None

    def refresh(self, force: bool = False) -> bool:
        """Readers follow the writer's commits; returns True when something changed."""
        if self.is_writer:
            return False
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_INTERVAL_S:
            return False
        self._checked_at = now
        self._maybe_promote()
        if self.store.version() != self._seen_version:
            before = {p: n.sha256 for p, n in self._catalog.items()}
            self._load_catalog()
            after = {p: n.sha256 for p, n in self._catalog.items()}
            changed = [p for p in before.keys() | after.keys() if before.get(p) != after.get(p)]
            if changed:
                self._notify(sorted(changed))
            return True
        return False

    @property
    def catalog(self) -> dict[str, NoteRecord]:
        self.refresh()
        return self._catalog

    @property
    def graph(self) -> LinkGraph:
        catalog = self.catalog
        if self._graph is None:
            self._graph = LinkGraph(catalog.values())
        return self._graph

    # -- writing --------------------------------------------------------------------------
    def sync(
        self, paths: Iterable[str] | None = None, progress: Progress | None = None
    ) -> SyncReport:
        """Index what changed on disk (all of it, or just `paths`); readers may not call this."""
        if not self.is_writer or self.indexer is None:
            raise VaultError(
                "this process is a reader: another nvault process is indexing this vault"
            )

        def track(done: int, total: int, path: str) -> None:
            self.progress.done, self.progress.total = done, total
            if progress:
                progress(done, total, path)

        # Copy-on-write: readers in other threads iterate the published catalog while we sync.
        work = dict(self._catalog)

        def committed(paths: list[str]) -> None:
            self._catalog = dict(work)
            self._graph = None
            self._notify(paths)

        with self._write_mutex:
            self.progress = IndexProgress(active=True, phase="indexing")
            try:
                report = self.indexer.sync(work, paths, track, committed)
                self._catalog = work
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                raise
            finally:
                self.progress.active = False
                self.progress.phase = "watching" if self.watcher is not None else "idle"
            self._graph = None
            self.last_report, self.last_sync, self.last_error = report, datetime.now(UTC), None
            return report

    def on_change(self, listener: ChangeListener) -> None:
        self.listeners.append(listener)

    def _notify(self, paths: list[str]) -> None:
        self.generation += 1
        for listener in list(self.listeners):
            try:
                listener(paths)
            except Exception:  # a listener's bug must not break indexing
                continue

    # -- lookups --------------------------------------------------------------------------
    def relpath(self, path: str | Path) -> str:
        """Vault-relative POSIX path for `path`; refuses anything that escapes the root."""
        raw = Path(str(path).strip())
        if not str(raw) or str(raw) == ".":
            raise PathOutsideVault("empty path: pass a note path relative to the vault root")
        full = (raw if raw.is_absolute() else self.root / raw).resolve()
        if not full.is_relative_to(self.root.resolve()):
            raise PathOutsideVault(
                f"{str(path)!r} is outside the vault ({self.root}); pass a path relative to the "
                "vault root, e.g. 'folder/note.md'"
            )
        return full.relative_to(self.root.resolve()).as_posix()

    def note(self, path: str) -> NoteRecord:
        note = self.catalog.get(path)
        if note is None:
            raise NoteNotFound(path, self.suggest(path))
        return note

    def notes(self) -> list[NoteRecord]:
        return sorted(self.catalog.values(), key=lambda n: n.path)

    def resolve(self, name: str) -> NoteRecord:
        """A note by path, path without `.md`, file name, alias or title (like a wikilink);
        AmbiguousNote when several notes match equally well (see names.py)."""
        return self.lookup(name).note

    def lookup(self, name: str) -> NameMatch:
        """Like `resolve`, with the notes the name also matches less strongly (`ambiguous`)."""
        name = name.strip()
        if not name:
            raise VaultError("empty note name: pass a path like 'folder/note.md' or a title")
        found = match_name(name, self.catalog, self.graph, self.relpath)
        if found is None:
            raise NoteNotFound(name, self.suggest(name))
        return found

    def suggest(self, name: str, n: int = 5) -> list[str]:
        names: dict[str, str] = {}
        for note in self.catalog.values():
            names[note.title.casefold()] = note.path
            names[note.stem.casefold()] = note.path
            names[note.path.casefold()] = note.path
        close = difflib.get_close_matches(name.casefold(), list(names), n=n * 2, cutoff=0.5)
        return list(dict.fromkeys(names[c] for c in close))[:n]

    def read_note(
        self,
        name: str,
        section: str | None = None,
        start_line: int | None = None,
        end_line: int | None = None,
    ) -> NoteContent:
        """A note's text (whole, one heading's section, or a line range), for quoting with lines."""
        note = self.resolve(name)
        full = self.root / self.relpath(note.path)  # refuses a symlink that leads outside
        if note.kind == "attachment":
            text = "\n\n".join(c["text"] for c in self.chunks(note.path))
        else:
            text = full.read_text(encoding="utf-8", errors="replace")
        lines = text.split("\n")
        first, last = 1, len(lines)
        if section:
            first, last = self._section_range(note, section, len(lines))
        if start_line is not None:
            first = max(first, start_line)
        if end_line is not None:
            last = min(last, end_line)
        if first > last:
            raise VaultError(f"line range {first}-{last} is empty; the note has {len(lines)} lines")
        body = "\n".join(lines[first - 1 : last])
        return NoteContent(
            path=note.path,
            title=note.title,
            start_line=first,
            end_line=last,
            total_lines=len(lines),
            text=body,
        )

    def _section_range(self, note: NoteRecord, section: str, total: int) -> tuple[int, int]:
        wanted = section.lstrip("#").strip().casefold()
        for i, heading in enumerate(note.headings):
            if heading.text.casefold() == wanted:
                end = next(
                    (h.line - 1 for h in note.headings[i + 1 :] if h.level <= heading.level), total
                )
                return heading.line, end
        raise NoSuchHeading(note.path, section, [h.text for h in note.headings])

    def chunks(self, path: str) -> list[dict[str, Any]]:
        rows = self.store.chunk_rows([path])
        return sorted(rows, key=lambda r: r["ordinal"])

    def links(self, path: str) -> list[Resolution]:
        return self.graph.outgoing(path)

    def backlinks(self, path: str) -> list[Resolution]:
        return self.graph.backlinks(path)

    def search(
        self,
        query: str,
        mode: Mode = "hybrid",
        limit: int = 10,
        filters: SearchFilters | None = None,
        per_note: int | None = None,
    ) -> list[SearchHit]:
        return self.searcher.search(query, self.catalog, mode, limit, filters, per_note)

    # -- features built on the engine (thin: the logic lives in their modules) ------------
    def related(self, note: str, limit: int = 10, **kw: Any) -> Any:
        """Notes that should be linked from `note` and are not, with reasons."""
        from vault_core.related import related

        return related(self, self.resolve(note).path, limit, **kw)

    def unlinked_mentions(self, note: str, **kw: Any) -> Any:
        """Plain-text mentions of other notes' titles or aliases inside `note`."""
        from vault_core.graph import unlinked_mentions

        return unlinked_mentions(self, self.resolve(note).path, **kw)

    def graph_health(self, **kw: Any) -> Any:
        """Orphans, broken and ambiguous links, hubs and likely duplicates, for review."""
        from vault_core.graph import graph_health

        return graph_health(self, **kw)

    def analyze(self, note: str, engine: Any = None, **kw: Any) -> Any:
        from vault_core.analyze import analyze

        return analyze(self, note, engine, **kw)

    def compare(
        self, note_a: str, note_b: str, question: str | None = None, engine: Any = None, **kw: Any
    ) -> Any:
        from vault_core.compare import compare

        return compare(self, note_a, note_b, question, engine, **kw)

    def quiz(self, scope: str, n: int = 5, types: Any = None, engine: Any = None, **kw: Any) -> Any:
        from vault_core.quiz import quiz

        return quiz(self, scope, n, types, engine, **kw)

    # -- status ---------------------------------------------------------------------------
    @property
    def catching_up(self) -> bool:
        return self.progress.active and self.progress.total > 0

    def status(self) -> VaultStatus:
        catalog = self.catalog
        skipped = [FileIssue(path=n.path, reason=n.error) for n in catalog.values() if n.error]
        warnings = [FileIssue(path=n.path, reason=w) for n in catalog.values() for w in n.warnings]
        return VaultStatus(
            root=str(self.root),
            index_dir=str(self.config.index_path),
            role="writer" if self.is_writer else "reader",
            notes=sum(1 for n in catalog.values() if n.kind == "note"),
            attachments=sum(1 for n in catalog.values() if n.kind == "attachment"),
            chunks=self.store.count_chunks(),
            model=self.embedder.name,
            dim=self.embedder.dim,
            indexing=self.progress.model_copy(),
            catching_up=self.catching_up,
            last_sync=self.last_sync,
            last_sync_seconds=self.last_report.seconds if self.last_report else None,
            last_error=self.last_error,
            watcher=self.watcher.describe() if self.watcher is not None else "off",
            skipped=sorted(skipped, key=lambda i: i.path),
            warnings=sorted(warnings, key=lambda i: i.path),
        )

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        if self.is_writer:
            self._lock.release()
            self.is_writer = False

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
