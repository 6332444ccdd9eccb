"""Keep the index live: an OS watcher feeds a debounced, coalesced queue that calls `vault.sync`.

Writer: one worker thread does the initial catch-up sync (phase 1: files, names, links,
keywords), then embeds the chunks that have no vector yet in small steps (phase 2) whenever no
change is waiting, then blocks on a condition until the watchdog observer reports changes (no
polling, so idle CPU is ~0). Events are reduced to
vault-relative paths; many events for one path become one entry, and a burst becomes one
`vault.sync(paths)` call, so a move's old and new paths land in the same sync (the indexer reuses
vectors only when it sees both). Files that just closed, were renamed into place or deleted are
settled after a short pause; files still being written wait the full debounce. A light periodic
full sync (mtime/size based) catches anything the OS missed (queue overflow, network drives).

Reader: no observer; a light thread polls `vault.refresh()` so listeners hear about the writer's
commits and the vault can promote itself when the writer exits.

The watcher drives the index through the narrow `Watched` protocol below and reports failures
through its `on_error` callback; the index never holds the watcher (`Vault` owns both).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from vault_core.errors import SyncCancelled, describe_failure
from vault_core.fs_events import FALLBACK_RESCAN_S, FolderObserver

if TYPE_CHECKING:
    from pathlib import Path

    from vault_core.config import VaultConfig
    from vault_core.index.embed import Embedder
    from vault_core.index.indexer import EmbedStep, Indexer, Progress, SyncReport
    from vault_core.results import IndexProgress

log = logging.getLogger("nvault.watcher")

READER_POLL_S = 0.5
MAX_BATCH_DELAY_S = 1.0  # a steady stream of writes is still synced about once a second
SETTLE_FRACTION = 0.2  # closed/renamed/deleted paths settle after 20% of the debounce
FULL_SYNC_OVER = 2_000  # more pending paths than this: one full (scan-based) sync is cheaper
MAX_BACKOFF_S = 60.0
STOP_JOIN_S = 60.0
HISTORY = 50
FOLDER_CHECK_S = 2.0  # how often an idle writer checks that its index folder is still there
# Saves leave compaction (5-20 s at 308k chunks, and a save waits for it) to a quiet spell
COMPACT_QUIET_S = 10.0


class Watched(Protocol):
    """What the watcher drives: the index handle, seen from the watcher's side only."""

    config: VaultConfig
    root: Path
    embedder: Embedder

    @property
    def is_writer(self) -> bool: ...
    @property
    def indexer(self) -> Indexer | None: ...
    @property
    def progress(self) -> IndexProgress: ...
    def sync(
        self, paths: list[str] | None = None, progress: Progress | None = None, embed: bool = True
    ) -> SyncReport: ...
    def embed_step(self) -> EmbedStep: ...
    def changed_on_disk(self) -> list[str]: ...
    @property
    def compaction_due(self) -> bool: ...
    def compact(self) -> None: ...
    def refresh(self, force: bool = False) -> bool: ...
    def index_folder_changed(self) -> bool: ...
    def keep_vector_matrix(self) -> None: ...


ErrorSink = Callable[[str], None]


class _Stopped(SyncCancelled):
    """Raised from the progress callback to abandon a sync when the watcher stops."""


class Watcher:
    """Started by `Vault.start_watching()`; `describe()` feeds `vault.status().watcher`."""

    def __init__(self, vault: Watched, on_error: ErrorSink) -> None:
        """`on_error` hears each failure as one sentence (the index's `last_error`)."""
        self.vault = vault
        self.on_error = on_error
        self.root = os.path.realpath(vault.root)
        self._cond = threading.Condition()
        self._pending: dict[str, bool] = {}  # rel path -> last event said "write complete"
        self._first_at = 0.0
        self._last_at = 0.0
        self._next_full: float | None = None
        self._next_light: float | None = None  # the periodic rescan: a scan off the worker
        self._scanning = False
        self._failures = 0
        self._embedding = False  # phase 2 has work: embed a step whenever nothing else waits
        self._compact_at: float | None = None  # saves left a compaction due: run it then
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._observer = FolderObserver(self, self.root, self._stopping)
        self._state = "stopped"
        self.syncs = 0  # completed sync calls, for tests and benchmarks
        self.history: deque[SyncReport] = deque(maxlen=HISTORY)  # the last few sync reports

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        """Return at once; the catch-up sync and the watching happen on background threads."""
        if self._thread is not None:
            return
        self._stopping.clear()
        if self.vault.is_writer:
            self._start_writer()
        else:
            self._state = "following writer"
            self._thread = threading.Thread(target=self._follow, name="nvault-follow", daemon=True)
            self._thread.start()

    def promote(self) -> None:
        """This reader became the writer: watch the folder and catch up."""
        if self._stopping.is_set():
            return
        self._thread = None  # the follow loop sees is_writer and exits on its own
        self._start_writer()

    def stop(self) -> None:
        """Stop watching; an in-flight sync is abandoned between files (crash-safe by design)."""
        self._stopping.set()
        with self._cond:
            self._cond.notify_all()
        self._observer.stop()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=STOP_JOIN_S)
            if thread.is_alive():
                log.error("the sync thread did not stop within %.0f s", STOP_JOIN_S)
        self._observer.stop()  # one the worker started while we were stopping
        self._state = "stopped"

    def describe(self) -> str:
        if self._state == "watching":
            if self._observer.error:
                return f"polling every {FALLBACK_RESCAN_S:.0f} s ({self._observer.error})"
            return f"watching ({self._observer.backend})"
        return self._state

    # -- writer: events in ----------------------------------------------------------------
    def _start_writer(self) -> None:
        self._state = "catching up"
        self._next_full = time.monotonic()  # the initial catch-up sync
        self._thread = threading.Thread(target=self._work, name="nvault-watch", daemon=True)
        self._thread.start()

    def notice(self, path: bytes | str, is_dir: bool, complete: bool) -> None:
        """Queue one changed path (absolute, from the observer) unless it can never matter."""
        rel = self._relative(os.fsdecode(path))
        if rel is None:
            return
        indexer = self.vault.indexer
        if indexer is None or indexer.is_ignored(rel):
            return  # the index folder is ignored here, so our own writes never trigger us
        if not is_dir and not indexer.wants(rel):
            return  # temp files, swap files, unsupported types
        now = time.monotonic()
        with self._cond:
            if not self._pending:
                self._first_at = now
            self._pending.pop(rel, None)  # keep insertion order = order of last event
            self._pending[rel] = complete
            self._last_at = now
            self._cond.notify()

    def _relative(self, full: str) -> str | None:
        try:
            rel = os.path.relpath(full, self.root)
        except ValueError:  # another drive on Windows
            return None
        if rel == "." or rel.startswith(".."):
            return None
        return rel.replace(os.sep, "/")

    def request_full_sync(self, reason: str) -> None:
        log.info("full rescan requested: %s", reason)
        with self._cond:
            self._next_full = time.monotonic()
            self._cond.notify()

    # -- writer: the worker ---------------------------------------------------------------
    def _work(self) -> None:
        # Watches first, then the catch-up scan, so nothing falls between them. On this thread:
        # a recursive inotify watch walks every folder (seconds at 100k notes), and the index
        # is open and answering meanwhile.
        self._observer.start()
        while not self._stopping.is_set():
            job = self._next_job()
            if job is None:
                return
            full, paths = job
            if full or paths:
                self._run(None if full else paths, full)
            elif self._embedding:
                self._embed_step()
            else:
                self._compact()

    def _embed_step(self) -> None:
        try:
            step = self.vault.embed_step()
        except Exception as exc:
            self._embedding = False
            self._back_off(exc, "embedding")
            return
        self._failures = 0
        self._embedding = step.written > 0
        if step.written:
            log.debug("embedded %d chunks in %.2f s", step.written, step.seconds)
        else:
            log.info("all chunks embedded")

    def _compact(self) -> None:
        """The rows saves wrote folded into the indexes, after a quiet spell."""
        started = time.perf_counter()
        try:
            self.vault.compact()
        except Exception as exc:
            self._back_off(exc, "compaction")
            return
        log.debug("compacted in %.2f s", time.perf_counter() - started)

    def _back_off(self, exc: Exception, what: str) -> None:
        """A failed sync or embedding step: say it once, retry with a full sync, backing off."""
        self._failures += 1
        delay = min(2.0**self._failures, MAX_BACKOFF_S)
        failure = describe_failure(exc)
        self.on_error(failure)
        log.warning("%s failed (%s); full resync in %.0f s", what, failure, delay)
        log.debug("%s failure", what, exc_info=True)
        with self._cond:
            self._next_full = time.monotonic() + delay

    def _next_job(self) -> tuple[bool, list[str]] | None:
        """Block until there is something to sync and it has settled; None when stopping.

        (False, []) means: nothing waits, embed one phase-2 step (or, with none left and the
        vault quiet for COMPACT_QUIET_S, compact what saves wrote).
        """
        debounce = self.vault.config.debounce_ms / 1000
        with self._cond:
            while True:
                if self._stopping.is_set():
                    return None
                now = time.monotonic()
                full_due = self._next_full is not None and now >= self._next_full
                if full_due:
                    self._pending.clear()  # a full sync covers them
                    self._next_full = None
                    return True, []
                if self._pending:
                    quiet = debounce * (SETTLE_FRACTION if all(self._pending.values()) else 1)
                    ready_at = min(self._last_at + quiet, self._first_at + MAX_BATCH_DELAY_S)
                    if now >= ready_at:
                        paths = list(self._pending)
                        self._pending.clear()
                        if len(paths) > FULL_SYNC_OVER:
                            return True, []
                        return False, paths
                    self._cond.wait(ready_at - now)
                    continue
                if self.vault.index_folder_changed():
                    return True, []  # deleted or replaced under us: the full sync rebuilds it
                if self._embedding:
                    return False, []
                if self._next_light is not None and now >= self._next_light:
                    self._next_light = None
                    self._start_light_rescan()
                if self._compact_at is not None and now >= self._compact_at:
                    self._compact_at = None
                    return False, []
                self._free_idle_model()
                timeout = FOLDER_CHECK_S
                for due in (self._next_full, self._next_light, self._compact_at):
                    if due is not None:
                        timeout = min(max(due - now, 0), timeout)
                self._cond.wait(timeout)

    def _schedule_rescan(self) -> None:
        interval = self.vault.config.rescan_interval_s
        if not self._observer.running and self._observer.error:
            interval = FALLBACK_RESCAN_S
        with self._cond:
            if interval > 0 and self._next_full is None and self._next_light is None:
                self._next_light = time.monotonic() + interval

    def _start_light_rescan(self) -> None:
        """The periodic rescan walks the folder on its own thread and queues what differs from
        the index, like events: a whole sync there held every save for its walk (30-60 s at
        100k notes on a loaded 2-core box; docs/benchmarks.md "Saves at 100k")."""
        if self._scanning or self._stopping.is_set():
            return
        self._scanning = True
        threading.Thread(target=self._light_rescan, name="nvault-rescan", daemon=True).start()

    def _light_rescan(self) -> None:
        try:
            changed = self.vault.changed_on_disk()
        except Exception as exc:
            self._back_off(exc, "rescan")
            changed = []
        finally:
            self._scanning = False
        now = time.monotonic()
        with self._cond:
            for rel in changed:
                if not self._pending:
                    self._first_at = now
                self._pending[rel] = True
            if changed:
                self._last_at = now
            self._cond.notify()
        if changed:
            log.info("rescan found %d changed file(s) the OS did not report", len(changed))
        self._schedule_rescan()

    def _run(self, paths: list[str] | None, full: bool) -> None:
        vault = self.vault
        if not vault.is_writer:
            return
        started = time.perf_counter()

        def progress(done: int, total: int, path: str) -> None:
            if self._stopping.is_set():
                raise _Stopped

        try:
            report = vault.sync(paths, progress=progress, embed=not full)
        except _Stopped:  # not a failure: the index keeps its last_error (errors.SyncCancelled)
            return
        except Exception as exc:
            self._back_off(exc, "sync of " + ("the vault" if full else f"{len(paths or [])} paths"))
            self._state = "watching"
            return
        self._failures = 0
        self._embedding = vault.progress.embedding_pending > 0
        self._compact_at = time.monotonic() + COMPACT_QUIET_S if vault.compaction_due else None
        self.history.append(report)
        if full:
            self._schedule_rescan()
            self._keep_vector_matrix()
        self._state = "watching"
        self.syncs += 1  # last: whoever waits on it sees the state the sync left
        files = len(report.added) + len(report.updated) + len(report.deleted) + len(report.moved)
        level = logging.INFO if files or report.errors else logging.DEBUG
        log.log(
            level,
            "synced %d file%s in %.2f s (%d chunks embedded, %d reused%s%s)",
            files,
            "" if files == 1 else "s",
            time.perf_counter() - started,
            report.embedded,
            report.reused,
            f", {len(report.moved)} moved" if report.moved else "",
            f", {len(report.errors)} skipped" if report.errors else "",
        )
        for path, reason in sorted(report.errors.items()):
            log.warning("skipped %s: %s", path, reason)

    def _keep_vector_matrix(self) -> None:
        """After a full sync, not beside it: the catch-up's commits would make a matrix built
        during it stale, and both scans at once raised a server's start-up peak."""
        try:
            self.vault.keep_vector_matrix()
        except Exception as exc:  # search falls back to LanceDB; a rebuild would re-embed
            log.warning("could not build the vector matrix: %s", describe_failure(exc))

    def _free_idle_model(self) -> None:
        """Between jobs: the model's ~60 MB go back once nothing has embedded for a while."""
        self.vault.embedder.release_if_idle(self.vault.config.embedder.idle_release_s)

    # -- reader ---------------------------------------------------------------------------
    def _follow(self) -> None:
        vault = self.vault
        while not self._stopping.wait(READER_POLL_S):
            if vault.is_writer:
                return  # promote() took over
            self._free_idle_model()
            try:
                vault.refresh(force=True)
            except Exception as exc:
                failure = describe_failure(exc)
                self.on_error(failure)
                log.warning("following the writer failed (%s); retrying", failure)
                log.debug("follow failure", exc_info=True)
