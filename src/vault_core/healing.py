"""How a writer heals its index: a damaged table, a deleted or replaced index folder.

`VaultIndex` inherits these; they are apart because healing is rare and long, while the rest of
the handle is the everyday path. Detection lives in store/integrity.py, the repairs in
store/repair.py; this is where a running process swaps in the repaired store.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vault_core.config import VaultConfig
from vault_core.index.embed import Embedder
from vault_core.index.indexer import Indexer
from vault_core.query.search import Searcher
from vault_core.store.lease import WriteLease
from vault_core.store.repair import Recovery, recover
from vault_core.store.store import Store
from vault_core.store.writer_lock import WriterLock

log = logging.getLogger("nvault.index")
HEALTH_RECHECK_S = 60.0  # a whole-vault sync re-probes the index at most this often


class SelfHealing:
    """The healing half of `VaultIndex` (see vault_index.py for the attributes' meaning)."""

    config: VaultConfig
    root: Path
    embedder: Embedder
    store: Store
    searcher: Searcher
    indexer: Indexer | None
    is_writer: bool
    remote: bool
    notice: str | None
    recovery: Recovery | None
    generation: int
    _salvaged: dict[str, Any]
    _lock: WriterLock | WriteLease
    _write_mutex: threading.RLock
    _health_checked: float
    _folder_id: tuple[int, ...] | None
    _catalog: dict[str, Any]

    if TYPE_CHECKING:  # provided by VaultIndex

        def _open_store(self) -> Store: ...
        def _load_catalog(self) -> None: ...
        def _become_writer(self) -> None: ...
        def _count_embedding(self) -> None: ...

    def _recover(self, recovery: Recovery | None) -> None:
        if recovery is None:
            return
        self.recovery = recovery
        self._salvaged = recovery.vectors
        recovery.vectors = {}
        self.notice = f"nvault repaired the index of {self.root}: {recovery.message}."
        log.info("%s", self.notice)

    def repair(self, health: Any = None) -> bool:
        """Writer: check the index and recover it in place or by a rebuild; True if it did."""
        if not self.is_writer or self.remote:
            return False  # the probes and repairs work on a folder; LanceDB guards a bucket
        if health is None and time.monotonic() - self._health_checked < HEALTH_RECHECK_S:
            return False  # checked moments ago (on open): a second full probe would add nothing
        self._health_checked = time.monotonic()
        with self._write_mutex:
            recovery = recover(
                self.config.index_path, self.embedder.name, self.embedder.dim, health
            )
            if recovery is None:
                return False
            self._recover(recovery)
            self._reopen_as_writer()
            return True

    def index_folder_changed(self) -> bool:
        """The index folder was deleted, moved or replaced since this process opened it."""
        if self.remote:
            return False  # an object-store prefix cannot vanish under an open handle
        return self._folder_id is not None and folder_identity(self.config.index_path) != (
            self._folder_id
        )

    def keep_vector_matrix(self) -> None:
        """A long-running writer keeps the search's vector matrix built: search needs it, and an
        index folder deleted under the process is rebuilt from it without embedding again.
        (It used to read a second copy of every vector for that: +15 MB on vaultofknowledge.)"""
        if self.is_writer and not self.remote:
            self.searcher.matrix.refresh_async()

    def rebuild_vanished_folder(self) -> None:
        """Writer: the folder went away (rm -rf, git clean) or was swapped (a backup restore).

        The writer keeps its anchor lock throughout, so no other process became a writer; the
        folder is re-created (or the restored copy checked) and the next sync rebuilds it.
        """
        with self._write_mutex:
            replaced = self.config.index_path.is_dir()
            self.config.index_path.mkdir(parents=True, exist_ok=True)
            self._lock.retake_inner()
            cached = self.searcher.matrix.vectors_by_text_hash()
            cached.update(self.indexer.cached_vectors() if self.indexer else {})
            self._recover(recover(self.config.index_path, self.embedder.name, self.embedder.dim))
            self._salvaged = {**cached, **self._salvaged}
            what = "replaced" if replaced else "deleted"
            self.notice = (
                f"The index folder {self.config.index_path} was {what} while nvault was "
                "running; nvault is bringing it back in line with your notes."
            )
            log.info("%s", self.notice)
            self._reopen_as_writer()

    def _reopen_as_writer(self) -> None:
        self.store = self._open_store()
        self.searcher = Searcher(self.store, self.embedder)
        self._catalog = {}
        self._load_catalog()
        self._become_writer()
        self._count_embedding()
        self.generation += 1


def folder_identity(index_path: Path) -> tuple[int, ...] | None:
    """(device, inode) of the index folder and its tables: changes when either is replaced."""
    try:
        folder, tables = os.stat(index_path), os.stat(index_path / "lance")
    except OSError:
        return None
    return (folder.st_dev, folder.st_ino, tables.st_dev, tables.st_ino)


def read_only_mount(path: Path) -> bool:
    """os.access says yes to root even on a read-only mount's files; statvfs knows better."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False
