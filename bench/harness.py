"""The one harness every bench uses: corpus and cache paths, one percentile, machine info, emit.

Every bench prints exactly one JSON object on stdout and logs on stderr, so a run can be
captured with `python -m bench.measure.x > out.json 2> x.log` and compared later. `emit` adds
the command that ran and the machine (load average, git commit) to every object, and every
p50/p95 comes from `percentile`, so figures from different scripts are comparable.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
LABELS = BENCH / "labels"
BASELINES = BENCH / "baselines"
CORPORA = Path(os.environ.get("NVAULT_CORPORA", REPO.parent / "shared" / "corpora"))
CACHE = Path(os.environ.get("NVAULT_BENCH_CACHE", "/tmp/nvault-bench-cache"))
READY = ".bench-ready"
SEED = 20240601


def log(*parts: object) -> None:
    print(*parts, file=sys.stderr, flush=True)


def command() -> str:
    """How this bench was run, as `python -m bench.<area>.<name> ARGS` (re-run it to compare)."""
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    name = spec.name if spec is not None else sys.argv[0]
    return " ".join(["python -m", name, *sys.argv[1:]])


def emit(result: dict[str, Any]) -> None:
    """The one JSON object a bench prints, with the command and the machine it ran on."""
    result.setdefault("command", command())
    result.setdefault("machine", machine())
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


def percentile(values: list[float], p: float) -> float:
    """The one percentile every bench reports: numpy's linear interpolation, p in 0..100."""
    return float(np.percentile(np.asarray(values, dtype=np.float64), p))


def summary(values: list[float], unit: str = "ms", digits: int = 2) -> dict[str, float]:
    """n, p50/p95/mean/max of values already in `unit` (keys `p50_<unit>`, ...)."""
    arr = np.asarray(values, dtype=np.float64)
    return {
        "n": len(arr),
        f"p50_{unit}": round(percentile(values, 50), digits),
        f"p95_{unit}": round(percentile(values, 95), digits),
        f"mean_{unit}": round(float(arr.mean()), digits),
        f"max_{unit}": round(float(arr.max()), digits),
    }


def summary_ms(seconds: list[float], digits: int = 2) -> dict[str, float]:
    """`summary` of durations given in seconds, reported in milliseconds."""
    return summary([s * 1000.0 for s in seconds], "ms", digits)


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


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
    ).stdout.strip()


def git_commit() -> str:
    """The commit the bench ran at (with `+dirty` when the work tree has changes), or "unknown"."""
    try:
        head = _git("rev-parse", "--short=12", "HEAD")
        return head + ("+dirty" if _git("status", "--porcelain", "--untracked-files=no") else "")
    except (OSError, subprocess.SubprocessError):
        return "unknown"


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
        "git_commit": git_commit(),
        **versions,
    }


def is_ready(path: Path) -> bool:
    return (path / READY).is_file()


# Markers other bench scripts leave in the shared cache (bench.measure.linking, bench.measure.lsp).
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


def publish_ready(build_dir: Path, target: Path, info: dict[str, Any]) -> bool:
    """`publish`, then mark the published cache ready with `info`; False if it was not moved."""
    if not publish(build_dir, target):
        return False
    mark_ready(target, info)
    return True


def build_dir_for(target: Path) -> Path:
    """A fresh scratch dir beside `target`, so `publish` can rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    path = target.parent / f".{target.name}.build-{os.getpid()}"
    if path.exists():
        shutil.rmtree(path)
    path.mkdir()
    return path
