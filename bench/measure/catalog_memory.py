"""Bytes per note of the catalog and the link graph, and what a one-note update costs.

    python -m bench.measure.catalog_memory INDEXED_VAULT [INDEXED_VAULT ...]

Each vault is read in a fresh process opened as a reader (`Vault.open(root, writer=False)`).
The catalog is dropped and read again from the `notes` table under tracemalloc (Python and
NumPy allocations) plus the Arrow buffers it keeps; then the graph's name tables, then its
resolved links (`resolutions` + backlinks). A one-note update: one record changed and put
back the way a sync does (median of 5), then the graph answering a backlink again once (the
graph is rebuilt for the new catalog). Last, one walk over every record (`catalog.values()`) and,
where the catalog has them, over every note's small fields (`facts()`). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.harness import emit, log, machine

PROBE = r"""
import gc, json, sys, time, tracemalloc
from vault_core.vault import Vault

def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096

def arrow_bytes(catalog):
    held = getattr(catalog, "arrow_nbytes", None)
    return held() if callable(held) else 0

vault = Vault.open(sys.argv[1], writer=False)
opened = vault.opened
notes = len(opened.catalog)
opened.catalog = type(opened.catalog)()  # the records read at open are let go
opened.forget_graph()
gc.collect()
out = {"notes": notes}

def measure(name, fn):
    gc.collect()
    r0 = rss()
    tracemalloc.start()
    t = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - t
    gc.collect()
    traced = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    out[name] = {"s": round(seconds, 3), "python_bytes": traced, "rss_delta_bytes": rss() - r0}
    print(name, out[name], file=sys.stderr, flush=True)
    return value

measure("catalog", lambda: opened.load_catalog(fresh=True))
out["catalog"]["arrow_bytes"] = arrow_bytes(opened.catalog)
graph = measure("graph_names", lambda: opened.graph)
some = next(iter(opened.catalog))
measure("graph_links", lambda: (graph.backlinks(some), graph.broken()))
for part in ("catalog", "graph_names", "graph_links"):
    held = out[part]["python_bytes"] + out[part].get("arrow_bytes", 0)
    out[part]["bytes_per_note"] = round(held / notes, 1)

# one-note update, as a sync publishes it: the catalog with one record replaced
def publish(work):
    opened.publish(work)

path = max(opened.catalog, key=lambda p: len(opened.catalog[p].links))
record = opened.catalog[path].model_copy(update={"indexed_at": time.time()})
times = []
for _ in range(5):
    t = time.perf_counter()
    work = opened.catalog.copy()
    work[path] = record
    publish(work)
    times.append(time.perf_counter() - t)
out["update_catalog_ms"] = round(sorted(times)[2] * 1000, 2)
work = opened.catalog.copy()
work[path] = record
publish(work)
t = time.perf_counter()
opened.graph.backlinks(path)
out["update_graph_backlinks_ms"] = round((time.perf_counter() - t) * 1000, 2)
t = time.perf_counter()
walked = sum(1 for _ in opened.catalog.values())
out["walk_all_records_s"] = round(time.perf_counter() - t, 2)
if hasattr(opened.catalog, "facts"):
    t = time.perf_counter()
    sum(1 for _ in opened.catalog.facts())
    out["walk_all_facts_s"] = round(time.perf_counter() - t, 2)
out["rss_mb_end"] = round(rss() / 2**20, 1)
print(json.dumps(out))
vault.close()
"""


def probe(vault: Path) -> dict[str, object]:
    log(f"reader process on {vault}")
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(vault)], stdout=subprocess.PIPE, text=True, check=True
    )
    return {"vault": str(vault), **json.loads(done.stdout.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vaults", type=Path, nargs="+")
    args = parser.parse_args()
    emit(
        {
            "bench": "catalog_memory",
            "vaults": [probe(v) for v in args.vaults],
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
