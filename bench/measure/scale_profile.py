"""Where a reader's time goes at scale: `related()`'s first call and warm hybrid queries, profiled.

    python -m bench.measure.scale_profile INDEXED_VAULT [--queries 20] [--top 12] [--graph-first]

Opens INDEXED_VAULT as a reader (`Vault.open(root, writer=False)`: it never writes, so the
bench's 100k copy can be used as it is), asks two searches to warm up, then profiles (cProfile)
the first `related()` call and `--queries` warm hybrid searches. Prints one JSON object: both
wall times and each profile's heaviest entries (cumulative for `related()`, own time for
search), so the docs can say which step costs what.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from pathlib import Path
from typing import Any

from bench.harness import emit, log, machine
from vault_core.vault import Vault

QUERIES = (
    "meditation and the mind",
    "how do black holes evaporate",
    "stoicism virtue",
    "python decorators",
    "french revolution causes",
)


def _top(profile: cProfile.Profile, key: str, n: int) -> list[dict[str, Any]]:
    """The `n` heaviest entries by `key` ("cumulative" or "tottime"), in seconds."""
    stats = pstats.Stats(profile)
    rows = []
    for (file, line, name), (_, calls, own, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            {
                "where": f"{Path(file).name}:{line}({name})",
                "calls": calls,
                "own_s": round(own, 3),
                "cumulative_s": round(cum, 3),
            }
        )
    field = "cumulative_s" if key == "cumulative" else "own_s"
    return sorted(rows, key=lambda r: -r[field])[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument(
        "--graph-first",
        action="store_true",
        help="resolve the link graph before the profiled call, as a server has at catch-up",
    )
    parser.add_argument(
        "--related-queries", type=int, default=10, help="warm related() calls profiled"
    )
    parser.add_argument(
        "--plain", action="store_true", help="time the calls without cProfile (its overhead)"
    )
    args = parser.parse_args()
    vault = Vault.open(args.vault, writer=False)
    vault.search("history of religion")
    vault.search("quantum field theory")
    graph_s = None
    if args.graph_first:
        started = time.perf_counter()
        vault.graph.link_count()  # name tables and every link resolved
        graph_s = round(time.perf_counter() - started, 2)
    path = next(iter(vault.catalog.column("sha256")))
    log(f"related() on {path}")
    profile = cProfile.Profile()
    started = time.perf_counter()
    if args.plain:
        vault.related(path)
    else:
        profile.runcall(vault.related, path)
    related_s = time.perf_counter() - started
    others = [p for p, k in vault.catalog.column("kind").items() if k == "note"]
    others = others[100 : 100 + 100 * args.related_queries : 100]
    warm_profile = cProfile.Profile()
    warm_ms = []
    for other in others:
        started = time.perf_counter()
        warm_profile.runcall(vault.related, other)
        warm_ms.append(round((time.perf_counter() - started) * 1000, 1))
    queries = [QUERIES[i % len(QUERIES)] for i in range(args.queries)]
    for q in QUERIES:
        vault.search(q)
    search_profile = cProfile.Profile()
    started = time.perf_counter()
    for q in queries:
        search_profile.runcall(vault.search, q)
    search_s = time.perf_counter() - started
    emit(
        {
            "bench": "scale_profile",
            "vault": str(args.vault),
            "graph_first_s": graph_s,
            "related_first_call_s": round(related_s, 2),
            "related_top_cumulative": None if args.plain else _top(profile, "cumulative", args.top),
            "profiled": not args.plain,
            "related_warm_ms": warm_ms,
            "related_warm_top_cumulative": _top(warm_profile, "cumulative", args.top)
            if warm_ms
            else None,
            "hybrid_mean_ms": round(search_s / len(queries) * 1000, 1),
            "hybrid_top_own_time": _top(search_profile, "tottime", args.top),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
