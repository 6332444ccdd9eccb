"""The OS side of watching: which watchdog events matter, and how they reach the watcher.

Kept apart from watcher.py (the queue, the worker, the reader's follow loop): this is the only
module that knows watchdog's event classes.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)

EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]
FALLBACK_RESCAN_S = 5.0  # when no OS watcher can start: the watcher rescans this often
log = logging.getLogger("nvault.watcher")
BACKENDS = {
    "InotifyObserver": "inotify",
    "FSEventsObserver": "fsevents",
    "KqueueObserver": "kqueue",
    "WindowsApiObserver": "windows",
    "PollingObserver": "polling",
}


class PathSink(Protocol):
    """Where changed paths go (the watcher)."""

    def notice(self, path: bytes | str, is_dir: bool, complete: bool) -> None: ...
    def request_full_sync(self, reason: str) -> None: ...


class EventHandler(FileSystemEventHandler):
    """Each event becomes one or two changed paths; a move's destination is complete at once."""

    def __init__(self, sink: PathSink) -> None:
        self.sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        complete = not isinstance(event, FileModifiedEvent | FileCreatedEvent)
        self.sink.notice(event.src_path, event.is_directory, complete)
        if event.dest_path:
            self.sink.notice(event.dest_path, event.is_directory, True)


class OverflowHandler(logging.Handler):
    """watchdog only logs a lost-events overflow; turn that log line into a full sync."""

    def __init__(self, sink: PathSink) -> None:
        super().__init__(level=logging.WARNING)
        self.sink = sink

    def emit(self, record: logging.LogRecord) -> None:
        if "overflow" in record.getMessage().lower():
            self.sink.request_full_sync("OS event queue overflowed")


class FolderObserver:
    """watchdog's observer over the vault folder: started by the watcher's worker, stopped
    from any thread; when the OS watcher cannot start, `error` says why and the watcher
    falls back to rescanning every FALLBACK_RESCAN_S."""

    def __init__(self, sink: PathSink, root: str, stopping: threading.Event) -> None:
        self.sink = sink
        self.root = root
        self.stopping = stopping
        self.backend = ""
        self.error = ""
        self._lock = threading.Lock()
        self._observer: Any = None
        self._overflow: OverflowHandler | None = None

    @property
    def running(self) -> bool:
        return self._observer is not None

    def start(self) -> None:
        from watchdog.observers import Observer  # picks the OS backend: only when watching

        try:
            observer = Observer()
            observer.schedule(
                EventHandler(self.sink), self.root, recursive=True, event_filter=EVENT_TYPES
            )
            observer.start()
        except Exception as exc:  # e.g. the inotify watch limit: keep working by rescanning
            self.error = f"OS watcher unavailable: {type(exc).__name__}: {exc}"
            log.warning(
                "%s; falling back to a full rescan every %.0f s", self.error, FALLBACK_RESCAN_S
            )
            return
        overflow = OverflowHandler(self.sink)
        with self._lock:
            self._observer, self._overflow = observer, overflow
            self.backend = BACKENDS.get(type(observer).__name__, type(observer).__name__)
            logging.getLogger("watchdog").addHandler(overflow)
        if self.stopping.is_set():  # the watcher was stopped while the watches were set up
            self.stop()

    def stop(self) -> None:
        with self._lock:
            observer, self._observer = self._observer, None
            overflow, self._overflow = self._overflow, None
        if observer is not None:
            try:
                observer.stop()
                observer.join(timeout=5)
            except Exception:
                log.exception("stopping the file observer failed")
        if overflow is not None:
            logging.getLogger("watchdog").removeHandler(overflow)
