"""The roles on an index that may live on object storage: which writer lock, how readers poll.

A folder keeps its OS lock (writer_lock.py) and LanceDB's own re-check every 0.5 s. An index in
a bucket uses the write lease (lease.py), and its readers poll the table versions themselves,
backing off while nothing changes (each poll is a LIST request per table), back to the fastest
rate the moment a commit shows up.
"""

from __future__ import annotations

import time

from vault_core.config import VaultConfig
from vault_core.errors import VaultError
from vault_core.index.lease import WriteLease
from vault_core.index.store import Store
from vault_core.index.writer_lock import WriterLock
from vault_core.location import IndexFiles, ObjectFiles
from vault_core.results import IndexLag

POLL_MIN_S = 0.5
POLL_MAX_S = 8.0


class LeaseLost(VaultError):
    """The writer's lease expired or was taken over: it stops writing and only reads."""


def writer_lock_for(config: VaultConfig, files: IndexFiles) -> WriterLock | WriteLease:
    if isinstance(files, ObjectFiles):
        return WriteLease(files, config.lease_ttl_s)
    return WriterLock(config.index_path)


def lease_sentence(uri: str, lock: WriterLock | WriteLease, *, lost: bool = False) -> str:
    """Why a process on an index in a bucket only reads: another holds the lease, or this one
    lost it (`lost`)."""
    holder = lock.holder.describe() if isinstance(lock, WriteLease) and lock.holder else None
    if lost:
        by = f" to {holder}" if holder else ""
        return (
            f"This process lost the write lease on {uri}{by} (it could not renew it in time); "
            "it stopped writing and now only reads."
        )
    who = f" ({holder})" if holder else ""
    return (
        f"Another nvault process{who} holds the write lease on {uri}; this one only reads and "
        "takes over if that lease expires."
    )


class PollBackoff:
    """How long a reader on object storage waits before it looks for new commits again."""

    def __init__(self, fastest: float = POLL_MIN_S, slowest: float = POLL_MAX_S) -> None:
        self.fastest, self.slowest = fastest, slowest
        self.interval = fastest

    def saw(self, changed: bool) -> None:
        self.interval = self.fastest if changed else min(self.slowest, self.interval * 2)


def reader_lag(store: Store, lock: WriterLock | WriteLease, poll: PollBackoff) -> IndexLag:
    """What `status` says about a reader of an index in a bucket: how far behind, and who writes."""
    holder = lock.current() if isinstance(lock, WriteLease) else None
    alive = holder is not None and not holder.released and holder.expires_at > time.time()
    return store.lag().model_copy(
        update={
            "writer": holder.describe() if alive and holder else None,
            "poll_interval_s": poll.interval,
        }
    )
