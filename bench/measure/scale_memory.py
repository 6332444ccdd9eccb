"""Where a server's memory goes on a big vault: RSS after each step of one reader process.

    python -m bench.measure.scale_memory INDEXED_VAULT [--write-parts]

Steps, in one fresh process opened as a reader (`Vault.open(root, writer=False)`, no watcher):
imports, open (the catalog read), the link graph, the embedding model, the vector store ready,
one hybrid search, the graph's links resolved, `related()`'s index (first call: it loads the
note parts the writer keeps, or scans every chunk when there are none), then five more
searches and `related()` calls, and twenty `related()` calls for their p50/p95. Each step
reports RSS after it (MB, /proc/self/statm; anonymous and file-backed apart, /proc/self/status)
and the process peak so far (ru_maxrss), with its seconds; `related()`'s first call is split into
its index, the mention name trie and the rest. `--write-parts` first builds the note parts in a process of its own (one full scan,
what a writer does once; store/note_parts.py) and writes them into the index: use a copy.
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
def split():
    found = {}
    for line in open("/proc/self/status"):
        if line.startswith(("RssAnon:", "RssFile:")):
            found[line.split(":")[0][3:].lower() + "_mb"] = round(int(line.split()[1]) / 1024, 1)
    return found
def peak():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
steps = []
t = time.perf_counter()
def step(name):
    global t
    now = time.perf_counter()
    steps.append({"step": name, "s": round(now - t, 2), "rss_mb": rss(), "peak_mb": peak(), **split()})
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
vault.graph.link_count()
step("links resolved (link graph)")
from vault_core.linking.mentions import _matcher
from vault_core.linking.related_index import note_index
note_index(vault)
step("related() index: parts loaded and patched, title terms, link sets")
_matcher(vault)
step("mention name trie")
vault.related(notes[2].path)
step("related() first call (after its index and trie)")
for n in notes[3:8]:
    vault.search(n.title); vault.related(n.path)
step("5 searches + 5 related")
times = []
for n in notes[100:2100:100]:
    a = time.perf_counter(); vault.related(n.path); times.append(1000 * (time.perf_counter() - a))
times.sort()
step("20 related")
from vault_core.store.note_parts import describe
out = {"steps": steps, "notes": len(notes), "chunks": vault.store.count_chunks()}
out["related_ms"] = {"p50": round(times[10], 1), "p95": round(times[18], 1)}
out["note_parts"] = describe(vault.location.folder)
print(json.dumps(out))
vault.close()
"""


PARTS = r"""
import json, resource, sys, time
from vault_core.index.note_names import names_table
from vault_core.index.note_parts import SCAN_COLUMNS, build_parts
from vault_core.store.note_parts import write_parts
from vault_core.vault import Vault
vault = Vault.open(sys.argv[1], writer=False)
t = time.perf_counter()
shas = vault.catalog.column("sha256")
parts = build_parts(vault.chunk_terms(SCAN_COLUMNS), shas, vault.embedder.dim, vault.index_version())
columns = [vault.catalog.column(c) for c in ("kind", "title", "aliases")]
parts.names = names_table(parts.paths.to_pylist(), shas, *columns)
built = time.perf_counter() - t
meta = write_parts(vault.location.folder, parts, vault.store.model)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"build_s": round(built, 1), "write_s": round(time.perf_counter() - t - built, 1),
                  "peak_mb": round(peak), "nbytes_mb": round(parts.nbytes / 2**20, 1),
                  "meta": json.loads(meta.model_dump_json())}))
vault.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--write-parts", action="store_true")
    args = parser.parse_args()
    result = {"bench": "scale_memory", "vault": str(args.vault)}
    if args.write_parts:
        log(f"note parts: one full scan of {args.vault}")
        built = subprocess.run(
            [sys.executable, "-c", PARTS, str(args.vault)],
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
        result["parts_build"] = json.loads(built.stdout.strip().splitlines()[-1])
    log(f"reader process on {args.vault}")
    done = subprocess.run(
        [sys.executable, "-c", STEPS, str(args.vault)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
