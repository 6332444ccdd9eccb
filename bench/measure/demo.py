"""`nvault demo` end to end, as a newcomer runs it: wall clock, CPU and peak memory.

    python -m bench.measure.demo [--runs 2]

Each run is a fresh `nvault demo --dir TMP` process (copy the sample vault, index it, search,
related, mentions, hover summary) with the model cache warm (the first run warms it if needed
and is reported apart). CPU seconds (user + sys of the child) estimate an idle machine on a
loaded one. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import emit, load_average, log, machine

BIN = Path(sys.executable).parent


def one_run(folder: Path) -> dict[str, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [str(BIN / "nvault"), "demo", "--dir", str(folder)], capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        log(done.stderr)
        raise SystemExit(f"nvault demo failed with exit code {done.returncode}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu, 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="nvault-bench-demo-") as tmp:
        warmup = one_run(Path(tmp) / "warmup")  # builds the model cache if it is cold
        log("warm-up", warmup)
        for i in range(args.runs):
            runs.append(one_run(Path(tmp) / f"run{i}"))
            log(f"run {i + 1}", runs[-1])
    emit(
        {
            "bench": "demo",
            "runs": runs,
            "warmup": warmup,
            "wall_s_median": round(statistics.median(r["wall_s"] for r in runs), 2),
            "cpu_s_median": round(statistics.median(r["cpu_s"] for r in runs), 2),
            "peak_rss_mb_children": round(
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
            ),
            "goal_s": 15,
            "load_average": load_average(),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
