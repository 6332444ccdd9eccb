"""`VaultIndex`: the index handle (lookups, read, search, status) over its parts in live/.

What it holds are objects, not base classes: what is open (live/opened.py), the roles
(live/roles.py), the healer (live/healer.py), phase 2 (live/phase2.py) and related()'s parts
files (live/note_parts_files.py); the status report is live/status.py's. This class only wires
them. The features built on it (related, graph health, study) and live watching are added by
the `Vault` facade in vault.py, which is what the front ends call.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Self

from pyarrow import RecordBatch, Table

from vault_core.config import VaultConfig
from vault_core.errors import (
    IndexDamaged,
    IndexNotBuilt,
    NoteNotFound,
    PathOutsideVault,
    VaultError,
    VaultFolderMissing,
    echo,
)
from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.embed import Embedder, make_embedder
from vault_core.index.indexer import Indexer, SyncReport
from vault_core.index.link_graph import LinkGraph, Resolution
from vault_core.index.term_counts import chunk_terms
from vault_core.live.note_parts_files import NotePartsFiles
from vault_core.live.status import vault_status
from vault_core.live.upkeep import ChangeListener, Upkeep
from vault_core.live.upkeep_method import UpkeepMethod
from vault_core.location import ObjectFiles
from vault_core.query.chunk_vectors import ChunkVectors, DiskVectors, SnapshotVectors
from vault_core.query.names import NameMatch, close_names, match_name
from vault_core.query.on_disk import NotesOnDisk, match_name_on_disk
from vault_core.query.reading import cut_text, indexed_text
from vault_core.query.search import Mode, Searcher, SearchFilters, SearchHit
from vault_core.results import IndexProgress, NoteContent, VaultStatus
from vault_core.store.integrity import check_index
from vault_core.store.note_parts import NoteParts
from vault_core.store.queries import rows_of_paths
from vault_core.store.repair import Recovery
from vault_core.store.store import Store

log = logging.getLogger("nvault.index")


class VaultIndex:
    """Open with `Vault.open(root)`. The first process on a vault becomes the writer."""

    def __init__(
        self, config: VaultConfig, *, writer: bool = True, create: bool = True, lazy: bool = False
    ) -> None:
        """`create=False` (read commands): a folder never indexed is an error, not a first index.
        `lazy`: the catalog is read in the background (live/opened.py), answers meanwhile come
        from the store (query/on_disk.py)."""
        self.config = config
        self.root = config.root
        if not self.root.is_dir():
            raise VaultFolderMissing(self.root)
        self.location = config.index_location
        self.remote = self.location.remote
        files = self.location.files()
        if isinstance(files, ObjectFiles):
            files.check()  # no credentials, no bucket, no endpoint: one sentence, right here
            config.index_path.mkdir(parents=True, exist_ok=True, mode=0o700)  # socket, caches
        never_indexed = files.read_text("index.json") is None and not files.has_tables()
        if not create and never_indexed:
            raise IndexNotBuilt(self.root, self.location.uri if self.remote else None)
        self.embedder: Embedder = make_embedder(config.embedder, config.llm)
        self.upkeep = Upkeep(config, self.location, files, self.embedder, writer=writer, lazy=lazy)
        self.opened = self.upkeep.opened  # the parts (live/): read here, moved by the upkeep
        self.roles = self.upkeep.roles
        self.phase2 = self.upkeep.phase2
        self.parts_files = NotePartsFiles(self.location, self.opened, self.roles)

    @classmethod
    def open(
        cls, root: str | Path | None = None, *, config: VaultConfig | None = None, **kw: Any
    ) -> Self:
        return cls(config or VaultConfig.load(root), **kw)

    # -- the parts, as the front ends read them -------------------------------------------
    @property
    def store(self) -> Store:
        return self.opened.store

    @property
    def searcher(self) -> Searcher:
        return self.opened.searcher

    @property
    def is_writer(self) -> bool:
        return self.roles.is_writer

    @property
    def indexer(self) -> Indexer | None:
        return self.roles.indexer

    @property
    def reader_reason(self) -> str:
        return self.roles.reader_reason

    @property
    def recovery(self) -> Recovery | None:
        return self.upkeep.healer.recovery

    @property
    def notice(self) -> str | None:
        """One sentence about a repair nvault did on its own, said once by each front end."""
        return self.upkeep.notice

    @notice.setter
    def notice(self, value: str | None) -> None:
        self.upkeep.notice = value

    @property
    def last_error(self) -> str | None:
        return self.upkeep.last_error

    @last_error.setter
    def last_error(self, value: str | None) -> None:
        self.upkeep.last_error = value

    @property
    def last_report(self) -> SyncReport | None:
        return self.upkeep.last_report

    @property
    def generation(self) -> int:
        """Goes up on every index commit this process sees: a cache key."""
        return self.opened.generation

    @property
    def vectors_generation(self) -> int:
        return self.phase2.vectors_generation

    @property
    def progress(self) -> IndexProgress:
        return self.phase2.progress

    @progress.setter
    def progress(self, value: IndexProgress) -> None:
        self.phase2.progress = value

    @property
    def catalog(self) -> Catalog:
        self.refresh()
        return self.opened.catalog

    @property
    def graph(self) -> LinkGraph:
        self.refresh()
        return self.opened.graph

    def chunk_vectors(self, paths: list[str]) -> ChunkVectors | None:
        """Every chunk's vector for note-level work (query/chunk_vectors.py): the searcher's
        matrix, or past the ANN switch point LanceDB itself (note sums over `paths`)."""
        if self.store.vector_index.state() is not None:
            return DiskVectors(self.store) if self.store.ready() else None
        snapshot = self.searcher.matrix.current()
        return SnapshotVectors(snapshot) if snapshot is not None else None

    def chunk_table(self, paths: list[str], columns: list[str]) -> Table:
        """`columns` of the chunks of `paths` (through the `path` BTree)."""
        return rows_of_paths(self.store.chunks, paths, columns)

    def note_parts(self) -> NoteParts | None:
        """`related()`'s persisted per-note parts, mapped (store/note_parts.py); None if none."""
        return self.parts_files.load()

    def build_note_parts(self) -> NoteParts | None:
        """A writer's full scan for `related()`, in a child process (its memory is not the
        server's), saved as the new base; None for a reader or on object storage."""
        return self.parts_files.build()

    def save_note_parts(self, parts: NoteParts) -> bool:
        """Write them as the new base; only the writer of a local index does (False otherwise)."""
        return self.parts_files.save(parts)

    def chunk_terms(self, columns: tuple[str, ...] = ("path", "terms")) -> Iterator[RecordBatch]:
        """Every chunk's stemmed terms, a batch at a time (index/term_counts.py)."""
        return chunk_terms(self.store, columns)

    def index_version(self) -> tuple[int, int]:
        """The tables' versions: changes with every commit (a cache key for term statistics)."""
        return self.store.version()

    # -- keeping it current (live/upkeep.py) ---------------------------------------------
    refresh = UpkeepMethod(Upkeep.refresh)
    sync = UpkeepMethod(Upkeep.sync)
    embed_step = UpkeepMethod(Upkeep.embed_step)
    finish_embedding = UpkeepMethod(Upkeep.finish_embedding)
    compact = UpkeepMethod(Upkeep.compact)
    repair = UpkeepMethod(Upkeep.repair)
    rebuild_vanished_folder = UpkeepMethod(Upkeep.rebuild_vanished_folder)

    @property
    def compaction_due(self) -> bool:
        return self.upkeep.compaction_due

    def prioritize(self, paths: Iterable[str]) -> None:
        """Notes a user is looking at (open, edited, in results): embedded before the rest."""
        self.phase2.prioritize(paths)

    def changed_on_disk(self) -> list[str]:
        """Files that differ from the index (writer): the periodic rescan's walk, which runs
        without the write lock so saves go on meanwhile."""
        indexer = self.indexer
        return indexer.changed(self.opened.catalog) if indexer is not None else []

    def on_change(self, listener: ChangeListener) -> None:
        self.upkeep.listeners.append(listener)

    def index_folder_changed(self) -> bool:
        """The index folder was deleted, moved or replaced since this process opened it."""
        return self.opened.folder_changed()

    def keep_vector_matrix(self) -> None:
        """A long-running writer keeps the search's vector matrix built: search needs it, and an
        index folder deleted under the process is rebuilt from it without embedding again."""
        if self.is_writer and not self.remote:
            self.searcher.matrix.refresh_async()

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
        found = None
        if not self.opened.catalog_ready:  # still being read: the store answers (on_disk.py)
            found = match_name_on_disk(name, self.store, self.relpath)
        if found is None:  # "not found" is only ever said by the whole catalog
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
        searcher = self.searcher
        try:
            hits = searcher.search(query, self._notes(filters), mode, limit, filters, per_note)
        except VaultError:
            raise
        except Exception as exc:
            log.debug("search failed; probing the index", exc_info=True)
            if self.remote:
                raise  # the probes and repairs work on a folder (store/integrity.py, store/repair.py)
            health = check_index(self.config.index_path, self.embedder.dim)
            if health.ok and self.searcher is searcher:  # an index replaced mid-query (a
                # repair's keyword-index rebuild): the next query reads the new one
                return searcher.search(query, self._notes(filters), mode, limit, filters, per_note)
            if health.ok:  # a repair meanwhile (a lazy open's catch-up) reopened the store
                return self.searcher.search(
                    query, self._notes(filters), mode, limit, filters, per_note
                )
            if not self.is_writer:
                raise IndexDamaged(
                    f"The index is damaged ({health.summary()}): the process indexing this vault "
                    "repairs it on its next rescan, or run `nvault doctor --repair`."
                ) from exc
            if self.repair(health) and self.recovery and self.recovery.action != "fts":
                self.sync(embed=False)
            hits = self.searcher.search(query, self._notes(filters), mode, limit, filters, per_note)
        if hits and self.progress.embedding_pending:
            self.prioritize(h.path for h in hits)  # what users look for is embedded first
        return hits

    def _notes(self, filters: SearchFilters | None) -> Mapping[str, NoteRecord]:
        """The catalog, or while it is still being read (a lazy open) the hits' notes read
        from the store; a filter needs every note's metadata, so it waits for the catalog."""
        if not self.opened.catalog_ready and not (filters and filters.active()):
            return NotesOnDisk(self.store)
        return self.catalog

    # -- status ---------------------------------------------------------------------------
    @property
    def names_complete(self) -> bool:
        """Phase 1 is over: a name that does not resolve is really missing (not unread yet)."""
        return self.phase2.names_complete

    def embedding_state(self) -> IndexProgress:
        """The progress as this process knows it; a reader counts the writer's commits."""
        return self.phase2.state(self.is_writer)

    @property
    def catching_up(self) -> bool:
        """Phase 1 is running, or phase 2 has chunks left: answers may miss some matches."""
        return self.embedding_state().catching_up

    def status(self) -> VaultStatus:
        catalog = self.catalog  # refreshed first, as every read is
        return vault_status(self.upkeep, catalog, self.embedding_state(), self.watch_state())

    def watch_state(self) -> str:
        """What keeps this index live, in a few words ("off" here; `Vault` adds watching)."""
        return "off"

    def close(self) -> None:
        self.upkeep.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
