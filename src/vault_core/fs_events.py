"""The OS side of watching: which watchdog events matter, and how they reach the watcher.

Kept apart from watcher.py (the queue, the worker, the reader's follow loop): this is the only
module that knows watchdog's event classes.
"""

from __future__ import annotations

import logging
from typing import Protocol

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
