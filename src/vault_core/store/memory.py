"""Keep freed memory from piling up in allocators during a long index run.

Measured on vaultofknowledge (docs/benchmarks.md, "Where the memory goes"): after phase 1 the
Python heap held ~22 MB, yet RSS had grown ~175 MB. The rest was freed memory kept by allocators:
pyarrow's default mimalloc pool keeps the buffers of every batch it built, and glibc gives each
LanceDB/onnxruntime worker thread its own arena that it rarely returns. pyarrow's jemalloc pool
gave pages back, two glibc arenas are enough for two cores' worth of work, and `malloc_trim`
after a commit hands the free pages to the OS. Each step is skipped where the platform lacks it.

A fixed mmap threshold: glibc raises its threshold after each large free (up to 32 MB), so
LanceDB's scan buffers then land in the heap and stay there as fragments `malloc_trim` cannot
return. Measured on a server on the indexed vaultofknowledge (docs/benchmarks.md, "A server on
the indexed vault"): one full-table scan kept +34 MB, building the vector matrix +60 MB; with the
threshold fixed at 1 MiB, +0 and +31 MB (the matrix and rows themselves).

With glibc tuned so, pyarrow uses the system pool: its large buffers are then mappings returned
on free, where jemalloc kept ~10 MB of freed pages after each `related()` index build (fourth
session in docs/benchmarks.md; `nvault index` peaked at 452.5 MB either way). Without glibc
(macOS, Windows, musl) pyarrow keeps jemalloc with decay 0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import sys
from pathlib import Path

log = logging.getLogger("nvault.memory")
M_ARENA_MAX = -8  # glibc mallopt parameters
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20  # larger blocks get their own mapping, returned when freed
DISABLE_ENV = "NVAULT_DEFAULT_ALLOCATORS"  # set to compare against the allocators' defaults

_libc: ctypes.CDLL | None = None
_tuned = False


def tune_allocators() -> None:
    """Once per process, before LanceDB starts its threads."""
    global _libc, _tuned
    if _tuned or os.environ.get(DISABLE_ENV):
        return
    _tuned = True
    import pyarrow as pa  # here, not at the top: the language server's import path avoids it

    _libc = _tuned_glibc()
    if _libc is not None:  # glibc with a fixed mmap threshold returns arrow's large buffers
        pa.set_memory_pool(pa.system_memory_pool())
        return
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        pa.jemalloc_set_decay_ms(0)
    except (NotImplementedError, pa.ArrowNotImplementedError):
        log.debug("pyarrow was built without jemalloc; keeping its default pool")


def _tuned_glibc() -> ctypes.CDLL | None:
    """glibc with two arenas and a fixed mmap threshold, or None where it is not glibc."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        if libc.mallopt(M_ARENA_MAX, max(2, os.cpu_count() or 1)) == 1:
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            return libc
    except (OSError, AttributeError):  # not glibc (musl has neither call)
        pass
    return None


def release_free_memory() -> None:
    """Give freed heap pages back to the OS (after a commit: cheap, a few ms)."""
    if _libc is not None:
        _libc.malloc_trim(0)


MADV_DONTNEED = 4
MIN_MAPPING_BYTES = 1 << 20  # smaller mappings are not worth a system call per use


class MappedFile:
    """The clean read-only pages a library mapped from `path`, handed back between uses.

    onnxruntime maps the model's weights file. A query reads one 1.5 KB row of the 47 MB
    word-embedding table per token, but the kernel maps 64 KB of the file around every page
    fault (fault-around, not affected by MADV_RANDOM), so a few hundred distinct tokens leave
    the whole table counted in the process's RSS: 37 MB after the editor's 200 `[[`
    completions (docs/benchmarks.md). MADV_DONTNEED on a file mapping that holds no private
    (copied-on-write) page drops only page-table entries: the contents stay valid and the next
    read maps them again from the page cache (a minor fault). onnxruntime maps the file
    private and writable but never writes to its weights; a mapping that holds a private page
    when it is looked up (just after the session loads) is left alone, since dropping would
    lose what was written there. Linux only; a no-op elsewhere.
    """

    def __init__(self, path: Path) -> None:
        self.ranges: list[tuple[int, int]] = []
        if not sys.platform.startswith("linux"):
            return
        try:
            self.ranges = _clean_mappings(str(path.resolve()))
            self._madvise = ctypes.CDLL(None, use_errno=True).madvise
        except (OSError, AttributeError, ValueError) as exc:
            log.debug("not handing back pages of %s: %s", path, exc)
            self.ranges = []
            return
        self._madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
        self._madvise.restype = ctypes.c_int

    def drop(self) -> None:
        """Hand the pages back. Only while the mapping's owner is alive (a freed range could
        be mapped again by something else)."""
        for start, length in self.ranges:
            self._madvise(start, length, MADV_DONTNEED)


def _clean_mappings(path: str) -> list[tuple[int, int]]:
    """(start, length) of this process's mappings of `path` that hold no private pages."""
    found: list[tuple[int, int]] = []
    start = length = 0
    mine = False
    with open("/proc/self/smaps", encoding="utf-8", errors="replace") as smaps:
        for line in smaps:
            head, _, rest = line.partition(" ")
            if "-" in head and ":" not in head:  # a mapping's first line
                fields = rest.split(None, 4)
                mine = len(fields) == 5 and fields[4].strip() == path
                low, high = (int(x, 16) for x in head.split("-"))
                start, length = low, high - low
            elif mine and head == "Anonymous:" and int(rest.split()[0]) == 0:
                found += [(start, length)] if length >= MIN_MAPPING_BYTES else []
    return found
