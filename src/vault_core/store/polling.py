"""How a reader of an index on object storage follows the writer.

A folder's readers rely on LanceDB's own re-check every 0.5 s. In a bucket each poll is a LIST
request per table, so readers poll the table versions themselves, backing off while nothing
changes, back to the fastest rate the moment a commit shows up.
"""

from __future__ import annotations

import time

from vault_core.results import IndexLag
from vault_core.store.lease import WriteLease
from vault_core.store.store import Store
from vault_core.store.writer_lock import WriterLock

POLL_MIN_S = 0.5
POLL_MAX_S = 8.0


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
