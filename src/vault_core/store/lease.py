"""The writer role on object storage, where there is no OS lock: one lease object.

`<prefix>/writer.lease` holds who writes and until when. It is taken with a conditional put
(`If-None-Match: *` when there is none, `If-Match: <etag>` to take over one that expired) and
renewed the same way by a background thread every third of its time to live, so of two
processes that race for it exactly one put succeeds; the other stays a reader and tries again
later. A writer killed with -9 stops renewing: its lease expires after `ttl_s` and the next
writer takes it over and repairs what the dead one left half-done (the notes-row-last contract).

A writer that fails to renew (a partition longer than the TTL) loses the role: `held` turns
False and the index handle steps down to reading before its next commit. LanceDB's own commit
protocol (a conditional put of each manifest version) keeps the tables consistent even if a
stale writer got one more commit in: nothing is lost or corrupted, and the next repair pass
redoes any note whose rows disagree. Expiry is judged by wall clocks, so the machines' clocks
must agree to well within the TTL (NTP does).
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid

from pydantic import BaseModel, ValidationError

from vault_core.errors import IndexUnreachable
from vault_core.location import ObjectFiles

LEASE = "writer.lease"
DEFAULT_TTL_S = 30.0


class LeaseRecord(BaseModel):
    owner: str
    host: str
    pid: int
    renewed_at: float
    expires_at: float
    released: bool = False

    def describe(self) -> str:
        age = max(0.0, time.time() - self.renewed_at)
        return f"{self.host} pid {self.pid} (renewed {age:.0f} s ago)"


class WriteLease:
    """Same interface as WriterLock (held / acquire / release) for an index in a bucket."""

    def __init__(self, files: ObjectFiles, ttl_s: float = DEFAULT_TTL_S) -> None:
        self.files, self.ttl_s = files, ttl_s
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.holder: LeaseRecord | None = None  # who had it when we last failed to take it
        self._etag: str | None = None
        self._expires = 0.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._mutex = threading.Lock()

    @property
    def held(self) -> bool:
        return self._etag is not None and time.time() < self._expires

    def acquire(self) -> bool:
        """Take the lease if nobody holds a live one; exactly one of two racers succeeds."""
        with self._mutex:
            found = self.files.read_versioned(LEASE)
            if found is None:
                etag = self.files.put_if(LEASE, self._record().model_dump_json())
            else:
                text, current = found
                record = _parse(text)
                if record and not record.released and record.expires_at > time.time():
                    self.holder = record
                    return False
                etag = self.files.put_if(LEASE, self._record().model_dump_json(), etag=current)
            if etag is None:  # lost the race: somebody else's put landed first
                again = self.files.read_versioned(LEASE)
                self.holder = _parse(again[0]) if again else None
                return False
            self._took(etag)
        self._start_renewing()
        return True

    def renew(self) -> bool:
        """Extend the lease; False (and no longer held) when another process took it over."""
        with self._mutex:
            if self._etag is None:
                return False
            try:
                etag = self.files.put_if(LEASE, self._record().model_dump_json(), etag=self._etag)
            except IndexUnreachable:
                return self.held  # a blip: the lease may still be ours until it expires
            if etag is None:
                self._etag = None
                found = self.files.read_versioned(LEASE)
                self.holder = _parse(found[0]) if found else None
                return False
            self._took(etag)
            return True

    def release(self) -> None:
        """Mark the lease released (one conditional put), so the next writer need not wait."""
        self._stop.set()
        with self._mutex:
            if self._etag is None:
                return
            record = self._record().model_copy(update={"released": True, "expires_at": 0.0})
            with contextlib.suppress(IndexUnreachable):
                self.files.put_if(LEASE, record.model_dump_json(), etag=self._etag)
            self._etag = None

    def current(self) -> LeaseRecord | None:
        """The lease as stored now (a reader's status shows who writes)."""
        found = self.files.read_versioned(LEASE)
        return _parse(found[0]) if found else None

    def retake_inner(self) -> bool:
        return self.held  # no inner lock file on object storage

    def _record(self) -> LeaseRecord:
        now = time.time()
        host, pid = socket.gethostname(), os.getpid()
        return LeaseRecord(
            owner=self.owner, host=host, pid=pid, renewed_at=now, expires_at=now + self.ttl_s
        )

    def _took(self, etag: str) -> None:
        self._etag, self._expires, self.holder = etag, time.time() + self.ttl_s, None

    def _start_renewing(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._renew_loop, name="nvault-lease", daemon=True)
        self._thread.start()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl_s / 3):
            if not self.renew():
                return


def _parse(text: str) -> LeaseRecord | None:
    try:
        return LeaseRecord.model_validate_json(text)
    except ValidationError:
        return None  # a garbage lease object: treated as expired, taken over by If-Match
