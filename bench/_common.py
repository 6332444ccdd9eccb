"""Shared helpers for the bench scripts: corpus and cache paths, timing summaries, JSON output.

Every bench prints exactly one JSON object on stdout and logs on stderr, so a run can be
captured with `python bench/x.py > out.json 2> x.log` and compared later.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
CORPORA = Path(os.environ.get("NVAULT_CORPORA", REPO.parent / "shared" / "corpora"))
CACHE = Path(os.environ.get("NVAULT_BENCH_CACHE", "/tmp/nvault-bench-cache"))
READY = ".bench-ready"
SEED = 20240601


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def emit(result: dict[str, Any]) -> None:
    """The one JSON object a bench prints."""
    print(json.dumps(result, indent=2, default=str))


def corpus(name: str) -> Path:
    """A folder under ../shared/corpora; exits with a clear message when it is absent."""
    path = CORPORA / name
    if not path.exists():
        log(f"corpus {path} not found: set NVAULT_CORPORA to the folder holding {name}/")
        sys.exit(2)
    return path


def rng(seed: int = SEED) -> random.Random:
    return random.Random(seed)


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50/p95/mean/max of a list of durations, in milliseconds (numpy's linear percentiles)."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "n": len(ms),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "mean_ms": round(float(ms.mean()), 2),
        "max_ms": round(float(ms.max()), 2),
    }


@contextmanager
def timer() -> Iterator[list[float]]:
    """`with timer() as t: ...` then `t[0]` is the wall-clock seconds, `t[1]` this process's CPU
    seconds (all threads). On a loaded machine CPU time is the better guess at an idle one."""
    box: list[float] = []
    start, cpu = time.perf_counter(), time.process_time()
    try:
        yield box
    finally:
        box.extend([time.perf_counter() - start, time.process_time() - cpu])


def peak_rss_mb() -> float:
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def dir_size_mb(path: Path) -> float:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return round(total / 2**20, 2)


def load_average() -> list[float]:
    """1/5/15-minute load: other processes on a 2-core box change every throughput figure."""
    return [round(x, 2) for x in os.getloadavg()]


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions: dict[str, str] = {}
    for mod in ("lancedb", "onnxruntime", "numpy", "pyarrow"):
        try:
            versions[mod] = __import__(mod).__version__
        except Exception:
            continue
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average_at_end": load_average(),
        **versions,
    }


def is_ready(path: Path) -> bool:
    return (path / READY).is_file()


# Markers other bench scripts leave in the shared cache (bench/linking.py, bench/lsp.py).
OTHER_MARKERS = (".nvault/bench-synced.json", ".nvault/lsp-bench-synced")


def ready_marker(path: Path) -> str | None:
    """Which finished-build marker `path` carries, ours or another bench's; None if none."""
    for name in (READY, *OTHER_MARKERS):
        if (path / name).exists():
            return name
    return None


def mark_ready(path: Path, info: dict[str, Any]) -> None:
    (path / READY).write_text(json.dumps(info, default=str) + "\n")


def publish(build_dir: Path, target: Path) -> bool:
    """Move a finished build into the cache unless a ready one is already there (never clobber).

    The build lives next to the target (same filesystem), so the move is one rename; readers
    look for the `.bench-ready` marker, written only after the move.
    """
    if target.exists():
        state = "a ready cache" if is_ready(target) else f"there without {READY} (someone's build?)"
        log(f"{target} is {state}; leaving it alone, the build is discarded")
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    build_dir.rename(target)
    return True


def build_dir_for(target: Path) -> Path:
    """A fresh scratch dir beside `target`, so `publish` can rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.build-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path
