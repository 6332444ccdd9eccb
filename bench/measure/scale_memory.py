"""Where a server's memory goes on a big vault: RSS after each step of one reader process.

    python -m bench.measure.scale_memory INDEXED_VAULT

Steps, in one fresh process opened as a reader (`Vault.open(root, writer=False)`, no watcher):
imports, open (the catalog read), the link graph, the embedding model, the vector store ready,
one hybrid search, `related()`'s index (first call), then five more searches. Each step reports
RSS after it (MB, /proc/self/statm) and the process peak so far (ru_maxrss), with its seconds.
Built by bench/measure/scale.py (`--skip-server`). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.harness import emit, log, machine

STEPS = r"""
import json, resource, sys, time
def rss():
    return round(int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20, 1)
def peak():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
steps = []
t = time.perf_counter()
def step(name):
    global t
    now = time.perf_counter()
    steps.append({"step": name, "s": round(now - t, 2), "rss_mb": rss(), "peak_mb": peak()})
    print(steps[-1], file=sys.stderr, flush=True)
    t = time.perf_counter()
from vault_core.vault import Vault
step("imports")
vault = Vault.open(sys.argv[1], writer=False)
step("open (catalog)")
vault.graph
step("link graph")
vault.embedder.load()
step("embedding model")
notes = [n for n in vault.notes() if n.kind == "note"]
vault.search(notes[0].title)
step("first search (keyword+LanceDB vectors)")
if vault.store.vector_index.state() is None:  # below the ANN switch point
    vault.searcher.matrix.current()
step("vector store ready")
vault.search(notes[1].title)
step("hybrid search on the vector store")
vault.related(notes[2].path)
step("related() index (first call)")
for n in notes[3:8]:
    vault.search(n.title); vault.related(n.path)
step("5 searches + 5 related")
print(json.dumps({"steps": steps, "notes": len(notes), "chunks": vault.store.count_chunks()}))
vault.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    args = parser.parse_args()
    log(f"reader process on {args.vault}")
    done = subprocess.run(
        [sys.executable, "-c", STEPS, str(args.vault)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result = {"bench": "scale_memory", "vault": str(args.vault)}
    result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
