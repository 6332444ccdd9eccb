"""The ANN index the writer builds past the switch point (store/vector_index.py): training time
and recall@10 against exact search at each probe setting, with and without float32 rescoring.

    python -m bench.measure.ann_index BIG_VAULT SOURCE_VAULT [--settings fast,lancedb]
    python -m bench.measure.ann_index BIG_VAULT --grid

`--grid` trains nothing: on BIG_VAULT's own index, opened as a reader, it measures every
(nprobes, refine_factor) pair the writer's calibration may pick (store/vector_index.py), the way
it does (the vault's own titles as queries, a search's columns at CALIBRATION_DEPTH), and which
pair `calibrate` keeps.

BIG_VAULT is the 100k vault bench/measure/scale.py builds; its chunk ids and vectors are copied
into a scratch table beside it (the vault's own index is not touched). The queries are 40 note
titles of SOURCE_VAULT (the vault the big one was copied from), embedded with the shipped model:
what people type. Truth: each query's exact top 10 by one matrix product. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path
from typing import Any

import lancedb
import numpy as np
from lancedb.index import IvfSq

from bench.harness import emit, log, machine, summary_ms
from vault_core.index.embed import MiniLMEmbedder
from vault_core.store.vector_index import (
    NPROBE_STEPS,
    REFINE_STEPS,
    TRAIN_ITERATIONS,
    TRAIN_SAMPLE_RATE,
    calibrate,
)
from vault_core.vault import Vault

SETTINGS = {  # (max_iterations, sample_rate) of LanceDB's k-means
    "fast": (TRAIN_ITERATIONS, TRAIN_SAMPLE_RATE),
    "lancedb": (50, 256),
}
PROBES = ((16, 10), (32, 10), (64, 10), (128, 10), (256, 10), (64, 0))


def grid(big: Path) -> dict[str, Any]:
    """Recall@10 and p50 of every pair on the vault's own index, as its writer calibrates."""
    vault = Vault.open(big, writer=False)
    try:
        index = vault.store.vector_index
        queries = vault.upkeep.ann.sample_queries()
        truth = index.exact_top(queries)
        pairs: dict[str, Any] = {}

        def search(query: np.ndarray, nprobes: int, refine: int) -> tuple[list[str], float]:
            return index.probe(query, nprobes, refine)

        for refine in (0, *REFINE_STEPS):
            for nprobes in NPROBE_STEPS:
                recall, took = [], []
                for query, wanted in zip(queries, truth, strict=True):
                    found, seconds = search(query, nprobes, refine)
                    recall.append(len(wanted & set(found[:10])) / 10)
                    took.append(seconds)
                pairs[f"nprobes{nprobes}_refine{refine}"] = {
                    "recall_at_10": round(float(np.mean(recall)), 3),
                    **summary_ms(took, digits=1),
                }
                log(f"{nprobes} x {refine}: {pairs[f'nprobes{nprobes}_refine{refine}']}")
        picked = calibrate(search, queries, truth)
        return {
            "bench": "ann_index_grid",
            "chunks": vault.store.count_chunks(),
            "queries": len(queries),
            "state_on_disk": index.state().model_dump(mode="json") if index.state() else None,
            "pairs": pairs,
            "calibrate_picks": picked._asdict(),
            "machine": machine(),
        }
    finally:
        vault.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("big", type=Path)
    parser.add_argument("source", type=Path, nargs="?")
    parser.add_argument("--settings", default="fast,lancedb")
    parser.add_argument("--grid", action="store_true")
    args = parser.parse_args()
    if args.grid:
        emit(grid(args.big))
        return
    if args.source is None:
        parser.error("SOURCE_VAULT is needed to train (or pass --grid)")
    scratch = lancedb.connect(str(args.big.parent / f"{args.big.name}-ann-scratch"))
    if "v" not in scratch.list_tables().tables:
        src = lancedb.connect(str(args.big / ".nvault" / "lance")).open_table("chunks")
        scratch.create_table("v", src.search().select(["id", "vector"]).limit(None).to_arrow())
    table = scratch.open_table("v")
    rows = table.search().select(["id", "vector"]).limit(None).to_arrow()
    vectors = np.stack(rows["vector"].to_numpy(zero_copy_only=False)).astype(np.float32)
    ids = np.asarray(rows["id"].to_pylist(), dtype=object)
    notes = lancedb.connect(str(args.source / ".nvault" / "lance")).open_table("notes").to_arrow()
    picked = np.random.default_rng(4).choice(notes.num_rows, 40, replace=False)
    embedder = MiniLMEmbedder()
    queries = np.stack([embedder.embed_query(notes["title"][int(i)].as_py()) for i in picked])
    scores = vectors @ queries.T
    truth = [set(ids[np.argpartition(-scores[:, j], 10)[:10]]) for j in range(len(queries))]
    del vectors, scores
    result: dict[str, Any] = {"bench": "ann_index", "chunks": len(ids), "queries": len(queries)}
    for name in args.settings.split(","):
        iterations, sample_rate = SETTINGS[name]
        started = time.perf_counter()
        table.create_index(
            "vector",
            config=IvfSq(
                distance_type="cosine",
                num_partitions=int(math.sqrt(len(ids))),
                max_iterations=iterations,
                sample_rate=sample_rate,
            ),
            replace=True,
        )
        row: dict[str, Any] = {"build_s": round(time.perf_counter() - started, 1)}
        for nprobes, refine in PROBES:
            recall, took = [], []
            for query, wanted in zip(queries, truth, strict=True):
                search = table.search(query, vector_column_name="vector").distance_type("cosine")
                search = search.nprobes(nprobes)
                if refine:
                    search = search.refine_factor(refine)
                s = time.perf_counter()
                got = search.select(["id"]).limit(10).to_arrow()["id"].to_pylist()
                took.append(time.perf_counter() - s)
                recall.append(len(wanted & set(got)) / 10)
            row[f"nprobes{nprobes}_refine{refine}"] = {
                "recall_at_10": round(float(np.mean(recall)), 3),
                **summary_ms(took, digits=1),
            }
        result[name] = row
        log(f"{name}: {row}")
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
