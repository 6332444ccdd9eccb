"""Who writes the index: the writer (OS lock or lease), a reader, and the moves between them.

The first process on a vault becomes the writer; a reader takes over when the writer has gone
(its OS lock died with it, or its lease expired), and a writer whose lease lapsed steps down.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

from vault_core.config import VaultConfig
from vault_core.index.embed import Embedder
from vault_core.index.indexer import Indexer
from vault_core.live.opened import Opened
from vault_core.location import IndexFiles, IndexLocation
from vault_core.results import IndexLag, IndexProgress
from vault_core.store.locks import lease_sentence, writer_lock_for
from vault_core.store.polling import PollBackoff, reader_lag

log = logging.getLogger("nvault.index")
PROMOTE_INTERVAL_S = 5.0


class Roles:
    """The writer lock or lease, this process's role, and the writer's indexer."""

    def __init__(
        self,
        config: VaultConfig,
        location: IndexLocation,
        files: IndexFiles,
        *,
        may_write: bool,
    ) -> None:
        self.config = config
        self.location = location
        self.remote = location.remote
        self.lock = writer_lock_for(config, files)
        self.poll = PollBackoff()
        self.read_only = False
        self.may_write = (
            may_write  # False (--read-only): never takes the writer role, not even later
        )
        self.is_writer = may_write and self.try_lock()
        self.indexer: Indexer | None = None
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S

    def try_lock(self) -> bool:
        """Writer only with both locks and a writable index folder (read-only: a reader)."""
        if self.remote:
            return self.lock.acquire()  # the lease: a conditional put decides (lease.py)
        index_path = self.config.index_path
        existing = index_path if index_path.is_dir() else index_path.parent
        if not os.access(existing, os.W_OK) or read_only_mount(existing):
            self.read_only = True
            return False
        return self.lock.acquire()

    @property
    def reader_reason(self) -> str:
        """Why this process does not write the index, as one sentence."""
        if self.read_only:
            return (
                f"The index folder {self.config.index_path} is read-only: nvault can search it "
                "but not update it (make it writable, or set `index` for this vault in the user config, see trust.py)."
            )
        if self.remote:
            return lease_sentence(self.location.uri, self.lock)
        return "Another nvault process is indexing this vault; it keeps the index current."

    def become_writer(
        self,
        opened: Opened,
        embedder: Embedder,
        salvaged: dict[str, Any],
        progress: IndexProgress,
        *,
        repair: bool = True,
    ) -> None:
        """The writer's indexer over the open store, seeded with salvaged vectors; it repairs
        what a killed writer left half done before anything else (`repair=False`: the caller
        runs `repair` once the catalog is read)."""
        self.indexer = Indexer(self.config, opened.store, embedder)
        self.indexer.seed_vectors(salvaged)
        if repair:
            progress.phase = "repairing"
            self.repair(opened)
            progress.phase = "idle"

    def repair(self, opened: Opened) -> None:
        """Drop what a killed writer left half done (the next sync writes it again)."""
        if self.is_writer and self.indexer is not None and self.indexer.repair(opened.catalog):
            opened.forget_graph()

    def promotion_due(self) -> bool:
        """A reader may take over now: the writer has gone and this process got the lock."""
        if self.is_writer or not self.may_write or time.monotonic() < self._promote_at:
            return False
        self._promote_at = time.monotonic() + PROMOTE_INTERVAL_S
        if not self.try_lock():
            return False
        self.is_writer = True
        return True

    def step_down_if_lapsed(self, opened: Opened) -> str | None:
        """On object storage, a writer whose lease lapsed reads from now on; the sentence why."""
        if not self.remote or not self.is_writer or self.lock.held:
            return None
        self.is_writer, self.indexer = False, None
        opened.reopen(writer=False)
        notice = lease_sentence(self.location.uri, self.lock, lost=True)
        log.warning("%s", notice)
        return notice

    def follow_bucket(self, opened: Opened) -> None:
        """A reader of an index in a bucket looks for new table versions, backing off."""
        if self.remote and not self.is_writer:
            opened.store.checkout_latest()
            self.poll.saw(opened.new_commits())

    def poll_interval(self, local_s: float) -> float:
        """How long a reader waits between looks for the writer's commits."""
        return self.poll.interval if self.remote else local_s

    def lag(self, opened: Opened) -> IndexLag | None:
        """How far a reader of an index in a bucket is behind (None elsewhere)."""
        if not self.remote or self.is_writer:
            return None
        return reader_lag(opened.store, self.lock, self.poll)

    def release(self) -> None:
        if self.is_writer:
            self.lock.release()
            self.is_writer = False


def read_only_mount(path: Path) -> bool:
    """os.access says yes to root even on a read-only mount's files; statvfs knows better."""
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):
        return False
