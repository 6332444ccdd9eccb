"""A large vault: index size, a server's RSS, hybrid query, save -> searchable and related() p95,
and where an ANN index (IVF-PQ) would have to replace the exact in-memory vector search.

Usage: python -m bench.measure.scale INDEXED_VAULT --notes 100000 [--work DIR] [--ann-sizes 25000,100000]

How the big vault is made (embedding 100k notes on a 2-core box takes days, so nothing is
embedded): INDEXED_VAULT (e.g. vaultofknowledge, fully indexed) is copied K times into
`copyI/` folders (file mtimes kept), and its two LanceDB tables are copied K times with the
paths prefixed. Each copy's vectors are the source vectors plus Gaussian noise (sigma 0.01 per
dimension, then re-normalised: cosine ~0.98 to the original), so the copies are distinct points
for the vector search but keep their meaning. A writer opening the result finds every file's
mtime, size and sha256 already indexed and does no work, exactly as a server on a built index.

Then a server process (`Vault.open(root, watch=True)`, what vault-mcp runs; a writer) reports
its RSS and peak after each step (`steps`), its open time, its first keyword and hybrid answers (asked at once: the catalog loads behind them),
its catch-up time, hybrid query latency, related() latency, save -> searchable through the
watcher, and its peak RSS. The ANN part builds IVF-PQ indexes on subsets of the chunk vectors
and measures recall@10 against exact (matrix) search and both latencies. One JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lancedb.index import IvfPq

from bench.harness import dir_size_mb, emit, log, machine, summary_ms
from vault_core.store.store import Store

TIMED = ("hybrid_query", "related", "save_to_searchable")
SERVER = r"""
import json, os, random, resource, signal, subprocess, sys, time
from vault_core.vault import Vault
opts = json.loads(sys.argv[3])
import gc
gc_spent, gc_began = [0.0, 0], [0.0]
def gc_clock(phase, info):  # time in the collector: a full collection over a big heap stalls
    if phase == "start":
        gc_began[0] = time.perf_counter()
    else:
        gc_spent[0] += time.perf_counter() - gc_began[0]
        gc_spent[1] += info["generation"] == 2
gc.callbacks.append(gc_clock)
steps = []
def say(what):
    rss = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    steps.append({"step": what, "s": round(time.perf_counter() - t0, 2),
                  "rss_mb": round(rss, 1), "peak_mb": round(peak, 1)})
    print(f"{time.perf_counter() - t0:7.1f}s {what} rss {rss:.0f} peak {peak:.0f} MB",
          file=sys.stderr, flush=True)
skip_related = sys.argv[2] == "skip-related"
t0 = time.perf_counter()
say("imports")
vault = Vault.open(sys.argv[1], watch=True)
open_s = time.perf_counter() - t0
say("open")
first_hits = len(vault.search("history of religion", mode="keyword"))
first_keyword_s = time.perf_counter() - t0
say("first keyword answer")
vault.search("history of religion")
first_hybrid_s = time.perf_counter() - t0
say("first hybrid answer")
while vault.watcher.syncs < 1:
    time.sleep(0.05)
catch_up_s = time.perf_counter() - t0
say("caught up")
vault.upkeep.ann.join()  # a (re)calibration the catch-up started: not measured beside queries
say("ANN index calibrated")
rng = random.Random(5)
# a few hundred records decoded, not all 100k: a server holds none of them (vault.notes() here
# added ~250 MB to what this process measures)
catalog = vault.catalog
picked_paths = rng.sample(sorted(p for p in catalog if p.endswith(".md")), 400)
notes = [n for n in (catalog[p] for p in picked_paths) if n.kind == "note" and n.size < 20000]
del picked_paths
titles = [n.title for n in rng.sample(notes, 45)]
say("notes picked")
vault.search(titles[0])
while vault.store.vector_index.state() is None and vault.searcher.matrix._stale():
    time.sleep(0.2)
matrix_ready_s = time.perf_counter() - t0
say("matrix ready")
for q in titles[:5]:
    vault.search(q)
hybrid, split = [], []
spy = None
if opts["py_spy"]:  # samples every thread of this process during the query loop
    spy = subprocess.Popen(["py-spy", "record", "--pid", str(os.getpid()), "--threads",
        "--idle", "--nonblocking", "--rate", "250", "--format", "raw", "-o", opts["py_spy"]],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # py-spy attaches
# more than 40: further distinct titles (a repeated one would skip the embedding)
more = [n.title for n in random.Random(11).sample(notes, min(len(notes), opts["queries"] + 5))]
queries = list(dict.fromkeys(titles[5:] + [t for t in more if t not in titles[:5]]))
queries = queries[: opts["queries"]]
def timed_search(q, hybrid, split):
    me, proc, in_gc = resource.getrusage(resource.RUSAGE_THREAD), time.process_time(), gc_spent[:]
    s = time.perf_counter(); vault.search(q); took = time.perf_counter() - s
    after = resource.getrusage(resource.RUSAGE_THREAD)
    hybrid.append(took)
    timing = vault.searcher.last_timing
    split.append({"ms": round(took * 1000, 1), **timing.stages, "cpu_ms": timing.cpu_ms,
        # CPU this process's other threads (LanceDB's, onnxruntime's, upkeep) spent meanwhile
        "others_cpu_ms": round((time.process_time() - proc) * 1000 - timing.cpu_ms, 1),
        "gc_ms": round((gc_spent[0] - in_gc[0]) * 1000, 1), "gc_full": gc_spent[1] - in_gc[1],
        "preempted": after.ru_nivcsw - me.ru_nivcsw, "waits": after.ru_nvcsw - me.ru_nvcsw,
        "load1": float(open("/proc/loadavg").read().split()[0])})
for q in queries:
    timed_search(q, hybrid, split)
if spy is not None:
    spy.send_signal(signal.SIGINT); spy.wait(60)
say("queries done")
rescan = {"hybrid_query": [], "hybrid_split": []}
if opts["during_rescan"]:  # the periodic rescan's walk (every 180 s in a server) beside queries
    import threading
    walk = threading.Thread(target=vault.changed_on_disk); s0 = time.perf_counter(); walk.start()
    for q in (queries * 3)[5:]:  # cached embeddings: the walk's effect on the rest
        if not walk.is_alive():
            break
        timed_search(q, rescan["hybrid_query"], rescan["hybrid_split"])
        time.sleep(0.1)
    walk.join(); rescan["walk_s"] = round(time.perf_counter() - s0, 1)
    say("queries beside a rescan")
picked = rng.sample(notes, 21)
related, related_first_s = [], None
if not skip_related:
    s = time.perf_counter(); vault.related(picked[0].path)
    related_first_s = round(time.perf_counter() - s, 2)
    for n in picked[1:]:
        s = time.perf_counter(); vault.related(n.path); related.append(time.perf_counter() - s)
    say("related done")
save = []
for i, n in enumerate(rng.sample(notes, 15)):
    # the pid keeps a rerun's words new: the seeded ones are already in the files and the index
    tok = f"zqvscale{i}x{rng.randrange(10**6)}p{os.getpid()}"
    s = time.perf_counter()
    with open(vault.root / n.path, "a", encoding="utf-8") as fh:
        fh.write(f"\n\n{tok}\n")
    while not any(h.path == n.path for h in vault.search(tok, mode="keyword", limit=3)):
        time.sleep(0.01)
    save.append(time.perf_counter() - s)
    time.sleep(rng.uniform(0.2, 0.6))
say("saves done")
status = vault.status()
rss_now = int(open("/proc/self/statm").read().split()[1]) * 4096 / 2**20
print(json.dumps({"open_s": round(open_s, 2), "first_keyword_s": round(first_keyword_s, 2),
    "first_keyword_hits": first_hits, "first_hybrid_s": round(first_hybrid_s, 2),
    "catch_up_s": round(catch_up_s, 2),
    "matrix_ready_s": round(matrix_ready_s, 2), "hybrid_query": hybrid,
    "hybrid_split": split, "during_rescan": rescan, "gc_tracked_objects": len(gc.get_objects()),
    "gc_ms_total": round(gc_spent[0] * 1000, 1), "gc_full_total": gc_spent[1],
    "related_first_s": related_first_s, "related": related, "steps": steps,
    "ann": status.ann.model_dump(mode="json") if status.ann else None,
    "save_to_searchable": save, "notes": status.notes, "chunks": status.chunks,
    "rss_mb_at_end": round(rss_now, 1),
    "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))
vault.close()
"""


def split_summary(split: list[dict[str, float]]) -> dict[str, Any]:
    """The per-stage means of the slowest tenth of the timed queries against the rest, and
    each slow query's own split: what the slow ones spent their extra time on."""
    ranked = sorted(split, key=lambda row: -row["ms"])
    cut = max(1, len(ranked) // 10)

    def means(rows: list[dict[str, float]]) -> dict[str, float]:
        keys = sorted({k for row in rows for k in row})
        return {k: round(float(np.mean([row.get(k, 0.0) for row in rows])), 1) for k in keys}

    return {
        "slowest_tenth": means(ranked[:cut]),
        "rest": means(ranked[cut:]),
        "slowest": ranked[:cut],
    }


def perturbed(vectors: np.ndarray, rng: np.random.Generator, sigma: float = 0.01) -> np.ndarray:
    noisy = vectors + rng.normal(0.0, sigma, vectors.shape).astype(np.float32)
    return noisy / np.linalg.norm(noisy, axis=1, keepdims=True)


def prefixed(table: pa.Table, prefix: str, columns: tuple[str, ...]) -> pa.Table:
    for name in columns:
        i = table.schema.get_field_index(name)
        table = table.set_column(i, name, pc.binary_join_element_wise(prefix, table[name], ""))
    return table


def build(source: Path, target: Path, copies: int) -> float:
    """K copies of the files and of the index rows (vectors perturbed); seconds taken."""
    started = time.perf_counter()
    src = lancedb.connect(str(source / ".nvault" / "lance"))
    chunks = src.open_table("chunks").to_arrow()
    notes = src.open_table("notes").to_arrow()
    meta = json.loads((source / ".nvault" / "index.json").read_text())
    shutil.rmtree(target, ignore_errors=True)
    store = Store(target / ".nvault", meta["model"], meta["dim"], writer=True)
    vectors = np.stack(chunks["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
    rng = np.random.default_rng(3)
    for i in range(copies):
        shutil.copytree(
            source, target / f"copy{i}", ignore=shutil.ignore_patterns(".nvault", ".obsidian")
        )
        part = prefixed(chunks, f"copy{i}/", ("id", "path"))
        column = pa.FixedSizeListArray.from_arrays(
            pa.array(perturbed(vectors, rng).reshape(-1)), meta["dim"]
        )
        part = part.set_column(part.schema.get_field_index("vector"), "vector", column)
        store.chunks.add(part.cast(store.chunks.schema))
        store.notes.add(prefixed(notes, f"copy{i}/", ("path",)).cast(store.notes.schema))
        log(f"copy {i + 1}/{copies}")
    store.optimize()  # the keyword index over every row, compacted
    return time.perf_counter() - started


def ann(lance_dir: Path, sizes: list[int], dim: int) -> list[dict[str, Any]]:
    """Recall@10 of IVF-PQ against exact search on the first N chunk vectors, for each N."""
    table = lancedb.connect(str(lance_dir)).open_table("chunks")
    everything = table.search().select(["id", "vector"]).limit(max(sizes)).to_arrow()
    out = []
    rng = np.random.default_rng(9)
    for n in sizes:
        part = everything.slice(0, n)
        vectors = np.stack(part["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
        queries = perturbed(vectors[rng.choice(n, 50, replace=False)], rng, sigma=0.03)
        scratch = lancedb.connect(str(lance_dir.parent / "ann-scratch"))
        sub = scratch.create_table(f"v{n}", part, mode="overwrite")
        started = time.perf_counter()
        partitions = max(8, int(math.sqrt(n)))
        sub.create_index(
            "vector",
            config=IvfPq(
                distance_type="cosine", num_partitions=partitions, num_sub_vectors=dim // 8
            ),
        )
        build_s = time.perf_counter() - started
        ids = np.asarray(part["id"].to_pylist(), dtype=object)
        row = {"chunks": n, "partitions": partitions, "build_s": round(build_s, 1)}
        for nprobes, refine in ((20, None), (20, 5)):
            recall, ann_s, exact_s = [], [], []
            for q in queries:
                s = time.perf_counter()
                truth = set(ids[np.argpartition(-(vectors @ q), 10)[:10]])
                exact_s.append(time.perf_counter() - s)
                s = time.perf_counter()
                search = (
                    sub.search(q, vector_column_name="vector").metric("cosine").nprobes(nprobes)
                )
                if refine:
                    search = search.refine_factor(refine)
                got = search.select(["id"]).limit(10).to_arrow()["id"].to_pylist()
                ann_s.append(time.perf_counter() - s)
                recall.append(len(truth & set(got)) / 10)
            row[f"nprobes{nprobes}_refine{refine or 0}"] = {
                "recall_at_10": round(float(np.mean(recall)), 3),
                "ann": summary_ms(ann_s),
                "exact_matrix": summary_ms(exact_s),
            }
        out.append(row)
        scratch.drop_table(f"v{n}")
        log(f"ann {n}: {row}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nvault-scale"))
    parser.add_argument("--ann-sizes", default="25000,100000,300000")
    parser.add_argument("--skip-server", action="store_true")
    parser.add_argument(
        "--skip-related", action="store_true", help="no related() calls (its first takes minutes)"
    )
    parser.add_argument("--queries", type=int, default=40, help="timed hybrid queries")
    parser.add_argument(
        "--py-spy", type=Path, help="py-spy's raw samples of the server's threads during them"
    )
    parser.add_argument(
        "--during-rescan", action="store_true", help="also time queries beside a rescan's walk"
    )
    args = parser.parse_args()
    source_notes = lancedb.connect(str(args.vault / ".nvault" / "lance")).open_table("notes")
    copies = max(1, math.ceil(args.notes / source_notes.count_rows()))
    target = args.work / f"{args.vault.name}-x{copies}"
    build_s = None
    if not (target / ".nvault" / "built").is_file():
        build_s = build(args.vault, target, copies)
        (target / ".nvault" / "built").write_text("ok")
    result: dict[str, Any] = {
        "bench": "scale",
        "source": str(args.vault),
        "copies": copies,
        "build_s": round(build_s, 1) if build_s else "cached",
        "index_mb": dir_size_mb(target / ".nvault"),
    }
    if not args.skip_server:
        log("server process")
        which_related = "skip-related" if args.skip_related else "related"
        opts = {
            "queries": args.queries,
            "py_spy": str(args.py_spy) if args.py_spy else None,
            "during_rescan": args.during_rescan,
        }
        done = subprocess.run(
            [sys.executable, "-c", SERVER, str(target), which_related, json.dumps(opts)],
            stdout=subprocess.PIPE,
            text=True,
        )
        server = json.loads(done.stdout.strip().splitlines()[-1])
        for key in TIMED:  # the child sends raw seconds; the harness summarises them
            server[key] = summary_ms(server[key], digits=1) if server[key] else None
        server["hybrid_split"] = split_summary(server["hybrid_split"])
        rescan = server["during_rescan"]
        if rescan["hybrid_query"]:
            rescan["hybrid_query"] = summary_ms(rescan["hybrid_query"], digits=1)
            rescan["hybrid_split"] = split_summary(rescan["hybrid_split"])
        result["server"] = server
    sizes = [int(s) for s in args.ann_sizes.split(",") if s]
    result["ann"] = ann(target / ".nvault" / "lance", sizes, 384) if sizes else []
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
