"""What this process has open: the store, its searcher, and the catalog version it has read.

The one place a Store and a Searcher are (re)opened: on start, when a reader becomes the
writer, when a writer steps down, after a repair, and when the index folder was replaced.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path

from vault_core.config import VaultConfig
from vault_core.index.columnar import Catalog
from vault_core.index.embed import Embedder
from vault_core.index.link_graph import LinkGraph
from vault_core.location import IndexLocation
from vault_core.query.search import Searcher
from vault_core.store.store import Store

UNREAD = (-1, -1)  # no catalog read yet
REPLACED = (-2, -2)  # the folder was replaced: whatever was read is stale


class Opened:
    """The store + searcher of one opening of the index, and the catalog read from it."""

    def __init__(
        self, config: VaultConfig, location: IndexLocation, embedder: Embedder, *, writer: bool
    ) -> None:
        self.config = config
        self.location = location
        self.embedder = embedder
        self.remote = location.remote
        self._catalog = Catalog()
        self._loaded = threading.Event()  # the catalog has been read (or its read failed)
        self._load_error: BaseException | None = None
        self._graph: LinkGraph | None = None  # of this catalog, or of an earlier one
        self._graph_lock = threading.Lock()
        self.seen_version: tuple[int, int] = UNREAD
        self.generation = 0  # goes up on every index commit this process sees: a cache key
        self.reopen(writer=writer)

    def reopen(self, *, writer: bool) -> None:
        """Open the store (as its writer or a reader) and a searcher over it."""
        self.store = Store(self.location, self.embedder.name, self.embedder.dim, writer=writer)
        self.searcher = Searcher(self.store, self.embedder)
        if not self.config.embedder.token_vectors:  # none stored: no re-rank (query/rerank.py)
            self.searcher.rerank_weight = 0.0
        self.folder_id = None if self.remote else folder_identity(self.config.index_path)

    # -- the catalog ------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog:
        """Every note's record; waits while a background load (`load_in_background`) runs."""
        self._loaded.wait()
        if self._load_error is not None:
            raise self._load_error
        return self._catalog

    @catalog.setter
    def catalog(self, value: Catalog) -> None:
        self._catalog = value

    @property
    def catalog_ready(self) -> bool:
        """False while the catalog is read in the background: answers come from the store."""
        return self._loaded.is_set() and self._load_error is None

    def load_catalog(self, *, fresh: bool = False) -> None:
        """Read the `notes` table as columns; records are decoded when asked for, so a reader
        following a writer pays for the table read, not for decoding every row (`fresh` is
        kept for callers that rebuilt the index: every read is fresh now)."""
        self.seen_version = self.store.version()
        self._catalog = Catalog(self.store.notes_table())
        if fresh:
            self._graph = None
        self._load_error = None
        self._loaded.set()

    def load_in_background(self, then: Callable[[], None], lock: threading.RLock) -> None:
        """Read the catalog (and run `then`, e.g. the writer's repair) on a thread, holding
        `lock`: at 100k notes decoding it takes 5-10 s, which a server spends answering
        keyword and name queries from the store instead (query/on_disk.py).

        Returns once the thread holds `lock`: a sync that took it first would wait for the
        catalog under it while the loader waited for it (a deadlock)."""
        self._loaded.clear()
        holding = threading.Event()

        def load() -> None:
            try:
                with lock:
                    holding.set()
                    self.load_catalog()
                    then()
            except BaseException as exc:  # every waiter hears it instead of waiting forever
                self._load_error = exc
                self._loaded.set()
            finally:
                holding.set()

        threading.Thread(target=load, name="nvault-catalog", daemon=True).start()
        holding.wait()

    def publish(self, catalog: Catalog) -> None:
        """A sync's catalog becomes the one readers in other threads see (its changes folded
        into columns once there are many)."""
        self.catalog = catalog.compacted()

    def forget_graph(self) -> None:
        """The catalog was changed in place (a repair): the next graph is built afresh."""
        self._graph = None

    @property
    def graph(self) -> LinkGraph:
        """The link graph of the current catalog: derived from the last one built when the
        catalog moved on (a save patches it, `LinkGraph.following`), built once otherwise."""
        catalog = self.catalog
        with self._graph_lock:
            graph = self._graph
            if graph is None:
                graph = LinkGraph(catalog)
            elif graph.notes is not catalog:
                graph = LinkGraph.following(graph, catalog)
            self._graph = graph
        return graph

    def new_commits(self) -> bool:
        """The store has commits this process has not read into its catalog."""
        return self.store.version() != self.seen_version

    # -- the folder -------------------------------------------------------------------------
    def folder_changed(self) -> bool:
        """The index folder was deleted, moved or replaced since this process opened it."""
        if self.remote:
            return False  # an object-store prefix cannot vanish under an open handle
        return self.folder_id is not None and (
            folder_identity(self.config.index_path) != self.folder_id
        )

    def follow_folder(self, *, reader: bool) -> None:
        """Note a folder the writer created meanwhile; a reader follows one that was replaced."""
        if self.folder_id is None and self.store.ready():
            self.folder_id = folder_identity(self.config.index_path)
        if reader and self.folder_changed() and self.config.index_path.is_dir():
            self.reopen(writer=False)
            self.seen_version = REPLACED

    def close(self) -> None:
        self.searcher.matrix.close()


def folder_identity(index_path: Path) -> tuple[int, ...] | None:
    """(device, inode) of the index folder and its tables: changes when either is replaced."""
    try:
        folder, tables = os.stat(index_path), os.stat(index_path / "lance")
    except OSError:
        return None
    return (folder.st_dev, folder.st_ino, tables.st_dev, tables.st_ino)
