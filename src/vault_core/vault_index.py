"""`VaultIndex`: the index handle (open, writer/reader roles, sync, read, search).

The features built on it (related, graph health, study) and live watching are added by the
`Vault` facade in vault.py, which is what the front ends call.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from vault_core.config import VaultConfig
from vault_core.embedding_phase import EmbeddingPhase
from vault_core.errors import (
    IndexDamaged,
    IndexNotBuilt,
    NoteNotFound,
    PathOutsideVault,
    VaultError,
    VaultFolderMissing,
    echo,
)
from vault_core.healing import SelfHealing, folder_identity, read_only_mount
from vault_core.index.catalog import NoteRecord, reload_catalog
from vault_core.index.embed import Embedder, make_embedder
from vault_core.index.indexer import Indexer, Progress, SyncReport
from vault_core.index.link_graph import LinkGraph, Resolution
from vault_core.index.scan import load_hidden_skipped, load_scan_issues
from vault_core.location import ObjectFiles
from vault_core.query.names import NameMatch, close_names, match_name
from vault_core.query.reading import cut_text, indexed_text
from vault_core.query.search import Mode, Searcher, SearchFilters, SearchHit
from vault_core.results import FileIssue, IndexProgress, NoteContent, VaultStatus
from vault_core.store.integrity import check_index
from vault_core.store.locks import LeaseLost, lease_sentence, writer_lock_for
from vault_core.store.polling import PollBackoff, reader_lag
from vault_core.store.repair import Recovery, recover
from vault_core.store.store import Store

log = logging.getLogger("nvault.index")
ChangeListener = Callable[[list[str]], None]
REFRESH_INTERVAL_S = 0.5
PROMOTE_INTERVAL_S = 5.0


class VaultIndex(SelfHealing, EmbeddingPhase):
    """Open with `Vault.open(root)`. The first process on a vault becomes the writer."""

    def __init__(self, config: VaultConfig, *, writer: bool = True, create: bool = True) -> None:
        """`create=False` (read commands): a folder never indexed is an error, not a first index."""
        self.config = config
        self.root = config.root
        if not self.root.is_dir():
            raise VaultFolderMissing(self.root)
        index_path = config.index_path
        self.location = config.index_location
        self.remote = self.location.remote
        files = self.location.files()
        if isinstance(files, ObjectFiles):
            files.check()  # no credentials, no bucket, no endpoint: one sentence, right here
            index_path.mkdir(parents=True, exist_ok=True, mode=0o700)  # the socket, the caches
        never_indexed = files.read_text("index.json") is None and not files.has_tables()
        if not create and never_indexed:
            raise IndexNotBuilt(self.root, self.location.uri if self.remote else None)
        self.embedder: Embedder = make_embedder(config.embedder, config.llm)
        self.notice: str | None = None  # one sentence about a repair, said once by each front end
        self.recovery: Recovery | None = None
        self._salvaged: dict[str, Any] = {}
        self._lock = writer_lock_for(config, files)
        self._poll = PollBackoff()
        self.read_only = False
        self.may_write = writer  # False (--read-only): never takes the writer role, not even later
        self.is_writer = writer and self._try_lock()
        self._health_checked = time.monotonic()
        if self.is_writer and not self.remote:
            self._recover(recover(index_path, self.embedder.name, self.embedder.dim))
        self.store = self._open_store()
        self.searcher = Searcher(self.store, self.embedder)
        self.progress = IndexProgress(phase="starting")
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
        self._priority: dict[str, None] = {}  # insertion-ordered set, newest last
        self._embed_started: tuple[float, int] | None = None  # (time, embedded) when phase 2 began
        self._embedding_counts: tuple[tuple[int, int], int, int] | None = None
        self.vectors_generation = 0  # goes up with every phase-2 commit (related() caches on it)
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S
        self.indexer: Indexer | None = None
        self._load_catalog()
        if self.is_writer:
            self._become_writer()
        self.progress.phase = "idle"

    @classmethod
    def open(
        cls, root: str | Path | None = None, *, config: VaultConfig | None = None, **kw: Any
    ) -> Self:
        return cls(config or VaultConfig.load(root), **kw)

    # -- roles ----------------------------------------------------------------------------
    def _try_lock(self) -> bool:
        """Writer only with both locks and a writable index folder (read-only: a reader)."""
        if self.remote:
            return self._lock.acquire()  # the lease: a conditional put decides (lease.py)
        index_path = self.config.index_path
        existing = index_path if index_path.is_dir() else index_path.parent
        if not os.access(existing, os.W_OK) or read_only_mount(existing):
            self.read_only = True
            return False
        return self._lock.acquire()

    @property
    def reader_reason(self) -> str:
        """Why this process does not write the index, as one sentence."""
        if self.read_only:
            return (
                f"The index folder {self.config.index_path} is read-only: nvault can search it "
                "but not update it (make it writable, or set `index` for this vault in the user config, see trust.py)."
            )
        if self.remote:
            return lease_sentence(self.location.uri, self._lock)
        return "Another nvault process is indexing this vault; it keeps the index current."

    def _open_store(self) -> Store:
        store = Store(self.location, self.embedder.name, self.embedder.dim, writer=self.is_writer)
        self._folder_id = None if self.remote else folder_identity(self.config.index_path)
        return store

    def _become_writer(self) -> None:
        self.indexer = Indexer(self.config, self.store, self.embedder)
        self.indexer.seed_vectors(self._salvaged)
        self._salvaged = {}
        self.progress.phase = "repairing"
        repaired = self.indexer.repair(self._catalog)
        if repaired:
            self._graph = None
        self.progress.phase = "idle"

    def _maybe_promote(self) -> None:
        """A reader takes over when the writer has gone (its OS lock died with it)."""
        if self.is_writer or not self.may_write or time.monotonic() < self._promote_at:
            return
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S
        if self._try_lock():
            self.is_writer = True
            if not self.remote:
                self._recover(
                    recover(self.config.index_path, self.embedder.name, self.embedder.dim)
                )
            self.store = self._open_store()
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
        interval = self._poll.interval if self.remote else REFRESH_INTERVAL_S
        if not force and now - self._checked_at < interval:
            return False
        self._checked_at = now
        self._maybe_promote()
        if self.remote and not self.is_writer:
            self.store.checkout_latest()
            self._poll.saw(self.store.version() != self._seen_version)
        if self._folder_id is None and self.store.ready():  # the writer created it meanwhile
            self._folder_id = folder_identity(self.config.index_path)
        if not self.is_writer and self.index_folder_changed() and self.config.index_path.is_dir():
            self.store = self._open_store()  # the folder was replaced: follow the new one
            self.searcher = Searcher(self.store, self.embedder)
            self._seen_version = (-2, -2)
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
        self,
        paths: Iterable[str] | None = None,
        progress: Progress | None = None,
        embed: bool = True,
    ) -> SyncReport:
        """Index what changed on disk (all of it, or just `paths`); readers may not call this.

        A whole-vault sync runs phase 1 (every file's row, links and keywords; vectors only where
        the text was embedded before) and then, with `embed`, phase 2 to the end. A sync of a few
        `paths` (a saved file) embeds inline, so the note is searchable by meaning at once.
        """
        if not self.is_writer or self.indexer is None:
            raise VaultError(self.reader_reason)
        self._check_lease()
        if self.index_folder_changed():
            self.rebuild_vanished_folder()
            paths = None
        elif paths is None:
            self.repair()  # a whole-vault sync also probes the keyword and vector indexes
        indexer = self.indexer
        assert indexer is not None

        def track(done: int, total: int, path: str) -> None:
            self.progress.done, self.progress.total = done, total
            self.progress.phase = "indexing" if total else "scanning"
            if progress:
                progress(done, total, path)

        work: dict[str, NoteRecord] = {}

        def committed(paths: list[str]) -> None:
            self._check_lease()  # a writer whose lease lapsed stops before its next commit
            self._catalog = dict(work)
            self._graph = None
            self._notify(paths)

        with self._write_mutex:
            # Copy-on-write: readers in other threads iterate the published catalog while we
            # sync. Copied under the mutex, so a sync that waited (the watcher, after an
            # agent's write was indexed) sees that write's rows and does not index it again.
            work.update(self._catalog)
            whole = paths is None
            if whole:
                self.progress = IndexProgress(active=True, phase="scanning")
            try:
                report = indexer.sync(work, paths, track, committed, embed=embed and not whole)
                self._catalog = work
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                self.progress.active = False
                self._settle_phase()
                raise
            self._graph = None
            self.last_report, self.last_sync, self.last_error = report, datetime.now(UTC), None
            self._count_embedding()  # before phase 1 is declared over: counts are never 0 then
            self.progress.active = False
            self._settle_phase()
        if whole:
            self._notify([])  # phase 1 is over: names that did not resolve are really missing
        if whole and embed:
            while (step := self.embed_step(max_chunks=512)).written:
                report.embedded += step.embedded
                report.reused += step.reused
                if progress:
                    progress(self.progress.done, self.progress.total, "")
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
                f"{echo(str(path))} is outside the vault; pass a path relative to the "
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
        return close_names(name, self.catalog, n)

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
        elif not full.is_file() and self.remote:  # a reader elsewhere: the index has the text
            return indexed_text(note, self.chunks(note.path), section, start_line, end_line)
        else:
            text = full.read_text(encoding="utf-8", errors="replace")
        return cut_text(note, text, section, start_line, end_line)

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
        try:
            hits = self.searcher.search(query, self.catalog, mode, limit, filters, per_note)
        except VaultError:
            raise
        except Exception as exc:
            log.debug("search failed; probing the index", exc_info=True)
            if self.remote:
                raise  # the probes and repairs work on a folder (store/integrity.py, store/repair.py)
            health = check_index(self.config.index_path, self.embedder.dim)
            if health.ok:
                raise
            if not self.is_writer:
                raise IndexDamaged(
                    f"The index is damaged ({health.summary()}): the process indexing this vault "
                    "repairs it on its next rescan, or run `nvault doctor --repair`."
                ) from exc
            if self.repair(health) and self.recovery and self.recovery.action != "fts":
                self.sync(embed=False)
            hits = self.searcher.search(query, self.catalog, mode, limit, filters, per_note)
        if hits and self.progress.embedding_pending:
            self.prioritize(h.path for h in hits)  # what users look for is embedded first
        return hits

    # -- status ---------------------------------------------------------------------------
    @property
    def catching_up(self) -> bool:
        """Phase 1 is running, or phase 2 has chunks left: answers may miss some matches."""
        return self.embedding_state().catching_up

    def status(self) -> VaultStatus:
        catalog = self.catalog
        state = self.embedding_state()
        if not state.chunks_total:  # not counted in this process yet (phase 1 still running)
            state.chunks_total = self.store.count_chunks()
            state.chunks_embedded = self.store.count_embedded()
        skipped = [FileIssue(path=n.path, reason=n.error) for n in catalog.values() if n.error]
        scan_issues = load_scan_issues(self.store.files)
        skipped += [FileIssue(path=p, reason=r) for p, r in scan_issues.items()]
        warnings = [FileIssue(path=n.path, reason=w) for n in catalog.values() for w in n.warnings]
        return VaultStatus(
            root=str(self.root),
            index_dir=self.location.uri,
            role="writer" if self.is_writer else "reader",
            notes=sum(1 for n in catalog.values() if n.kind == "note"),
            attachments=sum(1 for n in catalog.values() if n.kind == "attachment"),
            chunks=state.chunks_total,
            chunks_embedded=state.chunks_embedded,
            model=self.embedder.name,
            dim=self.embedder.dim,
            indexing=state,
            catching_up=state.catching_up,
            last_sync=self.last_sync,
            last_sync_seconds=self.last_report.seconds if self.last_report else None,
            last_error=self.last_error,
            notice=self.notice,
            watcher=self.watcher.describe() if self.watcher is not None else "off",
            lag=reader_lag(self.store, self._lock, self._poll)
            if self.remote and not self.is_writer
            else None,
            skipped=sorted(skipped, key=lambda i: i.path),
            warnings=sorted(warnings, key=lambda i: i.path),
            hidden_skipped=load_hidden_skipped(self.store.files),
            config_warnings=self.config.ignored_settings,
        )

    def _check_lease(self) -> None:
        """On object storage, a writer whose lease lapsed steps down to reading."""
        if not self.remote or not self.is_writer or self._lock.held:
            return
        self.is_writer, self.indexer = False, None
        self.store = self._open_store()
        self.searcher = Searcher(self.store, self.embedder)
        self.notice = lease_sentence(self.location.uri, self._lock, lost=True)
        log.warning("%s", self.notice)
        raise LeaseLost(self.notice)

    def close(self) -> None:
        if self.watcher is not None:
            self.watcher.stop()
            self.watcher = None
        self.searcher.matrix.close()
        if self.is_writer:
            self._lock.release()
            self.is_writer = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
