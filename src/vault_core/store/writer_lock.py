"""The single-writer lock, which must survive the index folder vanishing under the writer.

Two OS locks (`flock`, released when the process dies): the anchor lives outside the index
folder, in a per-user runtime folder keyed by the index path, so `rm -rf .nvault` or `git clean
-xfd` cannot free it while the writer runs; `writer.lock` inside the folder is kept for tools that
wait on it and is re-taken when the writer re-creates the folder. A process becomes the writer
only when it holds both.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path

import filelock

LOCK_DIR_ENV = "NVAULT_LOCK_DIR"
INNER = "writer.lock"


def anchor_dir() -> Path:
    override = os.environ.get(LOCK_DIR_ENV)
    if override:
        return Path(override)
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.access(runtime, os.W_OK):
        return Path(runtime) / "nvault-locks"
    uid = os.getuid() if hasattr(os, "getuid") else 0
    return Path(tempfile.gettempdir()) / f"nvault-locks-{uid}"


def anchor_path(index_dir: Path) -> Path:
    key = hashlib.sha256(str(index_dir.resolve()).encode()).hexdigest()[:24]
    return anchor_dir() / f"{key}.lock"


class WriterLock:
    def __init__(self, index_dir: Path) -> None:
        self.index_dir = index_dir
        self._anchor = filelock.FileLock(str(anchor_path(index_dir)))
        self._inner: filelock.FileLock | None = None

    @property
    def held(self) -> bool:
        return self._anchor.is_locked

    def acquire(self) -> bool:
        """Both locks, without waiting; False (holding neither) when another process has one."""
        try:
            Path(self._anchor.lock_file).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._anchor.acquire(timeout=0)
        except (filelock.Timeout, OSError):
            return False
        try:
            self.index_dir.mkdir(parents=True, exist_ok=True)  # only a writer creates it
        except OSError:
            self._anchor.release()
            return False
        if self.retake_inner():
            return True
        self._anchor.release()
        return False

    def retake_inner(self) -> bool:
        """(Re)take `writer.lock` in the folder, e.g. after the writer re-created the folder."""
        if self._inner is not None:
            with contextlib.suppress(OSError):
                self._inner.release(force=True)
        self._inner = filelock.FileLock(str(self.index_dir / INNER))
        try:
            self._inner.acquire(timeout=0)
            return True
        except (filelock.Timeout, OSError):
            self._inner = None
            return False

    def release(self) -> None:
        if self._inner is not None:
            with contextlib.suppress(OSError):
                self._inner.release(force=True)
            self._inner = None
        if self._anchor.is_locked:
            self._anchor.release(force=True)
