"""The ANN index on `chunks.vector`: past `ann_min_chunks` (config), search reads it instead of every vector.

Below the switch point a process holds every chunk vector in one float32 matrix and searches it
exactly (query/dense.py): faster than any index there, and exact. Past it (~150k chunks, ~230 MB
of float32) that matrix is most of a server's memory, so the writer builds an IVF index with
int8 scalar-quantised codes (LanceDB `IvfSq`), and queries rescore the best candidates on the
stored float32 vectors (`refine_factor`). Rows added later are searched flat by LanceDB and folded
into the index by `optimize()`; the index is trained again once the table has doubled.

How many partitions a query probes, and how many candidates it rescores, is not guessed: after
each build the writer measures recall@10 against exact search for real queries (the vault's own
note titles, embedded) and keeps the fastest (nprobes, refine_factor) pair that reaches
RECALL_GOAL. Rescoring 10x the depth was most of a hybrid query at 100k notes (docs/benchmarks.md,
"Hybrid latency and the writer's memory at 100k"). That calibration, and what it measured, is
`ann.json` beside `index.json`, which `status` reports.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

from vault_core.location import IndexLocation
from vault_core.results import AnnState
from vault_core.store.queries import vector_matrix
from vault_core.store.schema import HIT_COLUMNS

ANN_FILE = "ann.json"
RETRAIN_GROWTH = 2.0  # train again once the table has this many times the rows it was trained on
RECALL_GOAL = 0.98
RECALL_QUERIES = 40
REFINE_FACTOR = 10  # until calibrated, candidates rescored on float32: limit x this
NPROBE_STEPS = (16, 32, 64, 128, 256)
# Rescoring at least the depth keeps every `_similarity` an exact cosine: fusion weighs it and the
# relevance floor compares it to 0.32. Without rescoring (0) a query cost about the same at 100k
# notes and its cosines are int8 estimates (docs/benchmarks.md, "Hybrid latency ... at 100k").
REFINE_STEPS = (1, 2, 3, 5, 10)
# Recall is measured on the top 10 of a list this deep: the shallowest dense list a search asks
# for (query/search.py MIN_DEPTH; hybrid asks 100, which rescores more and recalls at least as much)
CALIBRATION_DEPTH = 50
FASTER_BY = 0.1  # a query's time varies by more than this on a busy machine: not a real gain
CALIBRATION = 2  # AnnState.calibration: an index calibrated by an older rule is measured again
SCAN_BATCH = 4096
# k-means on 64 vectors a partition for 20 rounds, not LanceDB's 256 x 50: half the training time
# at 308k chunks (16-20 s vs 29-41 s, 2 cores); recall at equal probes differs by a few points
# either way from one training to the next, and the calibration picks the probes that reach the
# goal (docs/benchmarks.md, "The ANN index past the switch point")
TRAIN_ITERATIONS = 20
TRAIN_SAMPLE_RATE = 64


def partitions_for(rows: int) -> int:
    """sqrt(n) partitions: LanceDB's own rule of thumb for IVF."""
    return max(1, int(math.sqrt(rows)))


def has_vector_index(table: Any) -> bool:
    return any(tuple(ix.columns) == ("vector",) for ix in table.list_indices())


def build(lance_uri: str, storage_options: dict[str, str] | None, rows: int) -> None:
    """Train and write the index (one commit: a kill before it leaves the table as it was).

    Runs in a child process (`start_build`): training reads every vector (~470 MB at 308k
    chunks), which must not become the server's peak, and a server that exits stops it at once.
    """
    import lancedb
    from lancedb.index import IvfSq

    table = lancedb.connect(lance_uri, storage_options=storage_options).open_table("chunks")
    table.create_index(
        "vector",
        config=IvfSq(
            distance_type="cosine",
            num_partitions=partitions_for(rows),
            max_iterations=TRAIN_ITERATIONS,
            sample_rate=TRAIN_SAMPLE_RATE,
        ),
        replace=True,
    )


def start_build(location: IndexLocation, rows: int) -> subprocess.Popen[bytes]:
    """`build` in a fresh interpreter (`python -m vault_core.store.vector_index`); the caller
    waits for it or kills it. Not multiprocessing: its spawn re-runs the parent's main script."""
    job = {"uri": location.lance_uri, "options": location.storage_options() or None, "rows": rows}
    return subprocess.Popen(
        [sys.executable, "-m", "vault_core.store.vector_index", json.dumps(job)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def exact_top(
    scan: Callable[[], Any], queries: np.ndarray, dim: int, k: int = 10
) -> list[set[str]]:
    """Each query's exact top-k chunk ids, from one pass over every stored vector."""
    best_scores = np.full((len(queries), k), -np.inf, np.float32)
    best_ids = np.full((len(queries), k), "", dtype=object)
    for batch in scan():
        vectors, valid = vector_matrix(batch.column("vector"), dim)
        scores = np.where(valid[:, None], vectors @ queries.T, -np.inf).T  # (queries, rows)
        ids = np.asarray(batch.column("id").to_pylist(), dtype=object)
        both = np.concatenate([best_scores, scores], axis=1)
        both_ids = np.concatenate([best_ids, np.broadcast_to(ids, scores.shape)], axis=1)
        keep = np.argpartition(-both, k - 1, axis=1)[:, :k]
        best_scores = np.take_along_axis(both, keep, axis=1)
        best_ids = np.take_along_axis(both_ids, keep, axis=1)
    return [set(row) - {""} for row in best_ids]


class Setting(NamedTuple):
    """One (nprobes, refine_factor) pair as the calibration measured it."""

    nprobes: int
    refine_factor: int
    recall: float
    p50_ms: float


def calibrate(
    search: Callable[[np.ndarray, int, int], tuple[list[str], float]],
    queries: np.ndarray,
    truth: Sequence[set[str]],
) -> Setting:
    """For each refine factor the fewest probes whose recall@10 reaches RECALL_GOAL; more
    rescoring is tried only where it needs fewer probes than less did (at equal probes it does
    strictly more work), and kept only if it is FASTER_BY faster. If nothing reaches the goal,
    the pair with the best recall (the best this index can do)."""

    def measure(nprobes: int, refine: int) -> Setting:
        overlaps, took = [], []
        for query, wanted in zip(queries, truth, strict=True):
            found, seconds = search(query, nprobes, refine)
            overlaps.append(len(wanted & set(found[:10])) / max(1, len(wanted)))
            took.append(seconds)
        return Setting(nprobes, refine, float(np.mean(overlaps)), float(np.median(took)) * 1000)

    picked: Setting | None = None
    best: Setting | None = None
    probe_cap = len(NPROBE_STEPS)
    for refine in REFINE_STEPS:
        for i, nprobes in enumerate(NPROBE_STEPS[:probe_cap]):
            setting = measure(nprobes, refine)
            if best is None or setting.recall > best.recall:
                best = setting
            if setting.recall >= RECALL_GOAL:
                if picked is None or setting.p50_ms < picked.p50_ms * (1 - FASTER_BY):
                    picked = setting
                probe_cap = i
                break
    assert best is not None
    return picked or best


def recalibration_due(state: AnnState | None) -> bool:
    """An index calibrated by an older rule (probes only) is measured again, not trained again."""
    return state is not None and not state.provisional and state.calibration < CALIBRATION


def due(state: AnnState | None, indexed: bool, embedded: int, min_chunks: int) -> bool:
    """Build (or train again) now? Only past the switch point, and once the table has grown."""
    if embedded < min_chunks:
        return False
    if state is None or not indexed:
        return True
    return embedded >= state.trained_rows * RETRAIN_GROWTH


class VectorIndex:
    """The store's ANN index and its calibration: one per Store, read by every query."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._seen: tuple[int, AnnState | None] = (-1, None)

    def state(self) -> AnnState | None:
        """The calibration, while an index on `vector` exists (re-read once per table version)."""
        version = self.store.chunks_version()
        if self._seen[0] == version:
            return self._seen[1]
        state = None
        if self.store.ready() and has_vector_index(self.store.chunks):
            text = self.store.files.read_text(ANN_FILE)
            state = _parse(text) if text else None
            if state is None:  # built, not calibrated yet: probe widely until it is
                state = AnnState(
                    provisional=True, partitions=0, trained_rows=0, nprobes=NPROBE_STEPS[-1]
                )
        if state is None or not state.provisional:
            self._seen = (version, state)  # a provisional one is read again: the file follows
        return state

    def start_build(self) -> tuple[subprocess.Popen[bytes], AnnState]:
        """Train the index on every stored vector in a child process; `save` calibrates it."""
        rows = self.store.count_embedded()
        child = start_build(self.store.location, rows)
        self._seen = (-1, None)
        state = AnnState(
            partitions=partitions_for(rows),
            trained_rows=rows,
            nprobes=NPROBE_STEPS[-1],
            refine_factor=REFINE_FACTOR,
        )
        return child, state

    def exact_top(self, queries: np.ndarray, stop: threading.Event | None = None) -> list[set[str]]:
        def batches() -> Iterator[Any]:
            for batch in self.store.scan_chunks(["id", "vector"], SCAN_BATCH):
                if stop is not None and stop.is_set():
                    raise InterruptedError("the ANN calibration was stopped")
                yield batch

        return exact_top(batches, queries, self.store.dim)

    def probe(self, vector: np.ndarray, nprobes: int, refine: int) -> tuple[list[str], float]:
        """The index's ids at one setting, best first, and the seconds it took: the calibration
        times what a search asks (its columns, CALIBRATION_DEPTH rows)."""
        started = time.perf_counter()
        rows = self.store.vector_search(
            vector, HIT_COLUMNS, CALIBRATION_DEPTH, None, nprobes=nprobes, refine_factor=refine
        )
        return [r["id"] for r in rows], time.perf_counter() - started

    def save(self, state: AnnState) -> None:
        self.store.files.write_text(ANN_FILE, state.model_dump_json())
        self._seen = (-1, None)


def _parse(text: str) -> AnnState | None:
    try:
        return AnnState.model_validate_json(text)
    except ValueError:
        return None  # a damaged file: the writer measures again on its next build


if __name__ == "__main__":  # the child process of `start_build`
    job = json.loads(sys.argv[1])
    build(job["uri"], job["options"], job["rows"])
