"""Extractive study-tool latency: `analyze` on an indexed real vault, cache off.

Usage: python -m bench.measure.study [INDEXED_VAULT] [-n 25]

INDEXED_VAULT defaults to /tmp/nvault-bench-cache/vaultofknowledge (built by bench/measure/linking.py).
It is opened as a reader; every analysis is computed (use_cache=False), on n evenly spaced notes,
after one warm-up. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from bench.harness import emit, summary
from vault_core.study.analyze import analyze
from vault_core.vault import Vault

DEFAULT = Path("/tmp/nvault-bench-cache/vaultofknowledge")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("vault", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("-n", type=int, default=25)
    args = parser.parse_args()
    with Vault.open(args.vault, writer=False) as vault:
        notes = sorted(p for p, rec in vault.catalog.items() if rec.kind == "note")
        picked = notes[:: max(1, len(notes) // args.n)][: args.n]
        analyze(vault, picked[0], "extractive", use_cache=False)  # warm-up: indexes, models
        times, links = [], []
        for path in picked:
            started = time.perf_counter()
            result = analyze(vault, path, "extractive", use_cache=False)
            times.append((time.perf_counter() - started) * 1000)
            links.append(len(result.candidate_links))
    emit(
        {
            "vault": str(args.vault),
            "notes": len(notes),
            "analyses": len(times),
            "analyze_extractive": summary(times, digits=1),
            "mean_candidate_links": round(statistics.fmean(links), 1),
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
