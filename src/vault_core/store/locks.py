"""Who may write an index: the OS lock for a folder, the write lease for a bucket.

A folder keeps its OS lock (writer_lock.py); an index on object storage uses the write lease
(lease.py), because a bucket has no file locks. How readers of a bucket follow the writer is in
polling.py.
"""

from __future__ import annotations

from vault_core.config import VaultConfig
from vault_core.errors import VaultError
from vault_core.location import IndexFiles, ObjectFiles
from vault_core.store.lease import WriteLease
from vault_core.store.writer_lock import WriterLock


class LeaseLost(VaultError):
    """The writer's lease expired or was taken over: it stops writing and only reads."""


def writer_lock_for(config: VaultConfig, files: IndexFiles) -> WriterLock | WriteLease:
    """The lease for an index on object storage, the OS lock file for a folder."""
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
