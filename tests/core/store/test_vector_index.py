"""The ANN path (store/vector_index.py, live/ann.py) on a small real vault with the real model.

With `ann_min_chunks` lowered the writer builds the index that a 100k-note vault gets; probing
every partition and rescoring on float32 must give exactly the in-memory matrix's answer.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from cli_runner import nvault
from vault_files import write_files

from vault_core.config import VaultConfig
from vault_core.store.vector_index import (
    ANN_FILE,
    CALIBRATION,
    REFINE_STEPS,
    calibrate,
    exact_top,
)
from vault_core.vault import Vault

TOPICS = [
    "sourdough bread rises with wild yeast and a long cold proof",
    "the comet's tail points away from the sun because of solar wind",
    "a btree keeps keys sorted so range scans read neighbouring pages",
    "violin strings are tuned in fifths: G, D, A and E",
    "tidal forces from the moon raise two bulges in the oceans",
    "a write-ahead log makes a crash recoverable by replaying it",
    "espresso extraction depends on grind size, dose and pressure",
    "photosynthesis turns light, water and carbon dioxide into sugar",
    "a raft leader replicates log entries to a majority of followers",
    "glaciers carve U-shaped valleys as they flow and scrape rock",
]


def files(n: int = 60) -> dict[str, str]:
    return {
        f"notes/n{i:03d}.md": f"# Note {i}\n\n{TOPICS[i % len(TOPICS)]} (variant {i}).\n\n"
        f"{TOPICS[(i * 7 + 3) % len(TOPICS)]}, seen from note {i}.\n"
        for i in range(n)
    }


def open_vault(root: Path, min_chunks: int = 50, **kw: object) -> Vault:
    return Vault(VaultConfig.load(root, ann_min_chunks=min_chunks), **kw)


def semantic(vault: Vault, query: str) -> list[tuple[str, int]]:
    return [(h.path, h.start_line) for h in vault.search(query, mode="semantic", limit=8)]


def test_ann_answers_exactly_when_it_probes_every_partition(tmp_path: Path) -> None:
    root = write_files(tmp_path / "vault", files())
    vault = open_vault(root, min_chunks=10_000)
    try:
        vault.sync()
        queries = ["how does bread dough rise", "replicated log consensus", "ocean tides"]
        exact = [semantic(vault, q) for q in queries]  # the in-memory matrix (below the index)
        related = [r.model_dump() for r in vault.related("notes/n003.md")]
        assert vault.status().vector_search == "exact in memory" and vault.status().ann is None
        assert not vault.upkeep.ann.consider(background=False)  # below the switch point
        vault.config.ann_min_chunks = 50
        assert vault.upkeep.ann.consider(background=False)
        state = vault.store.vector_index.state()
        assert state is not None and not state.provisional
        assert state.trained_rows == vault.store.count_chunks()
        # few vectors: probing 16 partitions already covers all sqrt(n) of them
        assert state.nprobes >= state.partitions and state.recall_at_10 == 1.0
        assert [semantic(vault, q) for q in queries] == exact
        status = vault.status()
        assert status.vector_search == "ann index" and status.ann is not None
        assert status.ann.recall_queries > 0
        assert vault.searcher.matrix._snapshot is None  # released: search reads the index
        assert not vault.upkeep.ann.consider(background=False)  # not due again until it doubles
        reader = open_vault(root, writer=False)
        try:  # past the switch point related() reads vectors from LanceDB, not from memory
            assert reader.chunk_vectors(sorted(reader.catalog)).__class__.__name__ == "DiskVectors"
            assert [r.model_dump() for r in reader.related("notes/n003.md")] == related
        finally:
            reader.close()
    finally:
        vault.close()


def test_a_reader_uses_the_writers_index(tmp_path: Path) -> None:
    root = write_files(tmp_path / "vault", files())
    writer = open_vault(root)
    try:
        writer.sync()
        writer.upkeep.ann.join()  # the sync started the build in the background
        reader = open_vault(root, writer=False)
        try:
            assert reader.status().ann == writer.status().ann
            hits = semantic(reader, "glaciers and valleys")
            assert hits and hits == semantic(writer, "glaciers and valleys")
        finally:
            reader.close()
    finally:
        writer.close()


def test_exact_top_and_calibration_on_known_vectors() -> None:
    import pyarrow as pa

    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(300, 8)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"c{i}" for i in range(300)]
    column = pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), 8)
    table = pa.table({"id": ids, "vector": column})
    queries = vectors[:5]
    truth = exact_top(lambda: table.to_batches(max_chunksize=64), queries, 8)
    for q, wanted in zip(queries, truth, strict=True):
        assert wanted == {ids[i] for i in np.argsort(-(vectors @ q))[:10]}

    # a stand-in index: the top `found` of the exact order, where more probes and more rescoring
    # find more, and time grows with both (what the calibration reads)
    def probe(vector: np.ndarray, nprobes: int, refine: int) -> tuple[list[str], float]:
        order = np.argsort(-(vectors @ vector))
        found = min(10, nprobes // 16 * 3 + refine * 2)
        return [ids[i] for i in order[:found]], (nprobes + 2 * refine) / 1000

    picked = calibrate(probe, queries, truth)
    # reaching all 10: refine 1 at 64 probes (12 + 2; 66 ms), refine 2 at 32 (6 + 4; 36 ms),
    # refine 3 not below 32 (3 + 6 at 16), refine 5 at 16 (3 + 10; 26 ms): the fastest
    assert (picked.nprobes, picked.refine_factor, picked.recall) == (16, 5, 1.0)
    assert picked.p50_ms == pytest.approx(26.0)

    def probes_only(vector: np.ndarray, nprobes: int, refine: int) -> tuple[list[str], float]:
        # recall set by the probes alone, more rescoring a little faster (noise): not taken
        return probe(vector, nprobes, 0)[0][: nprobes // 6], (100 - refine) / 1000

    assert calibrate(probes_only, queries, truth)[:3] == (64, 1, 1.0)

    def weak(vector: np.ndarray, nprobes: int, refine: int) -> tuple[list[str], float]:
        return probe(vector, nprobes, 0)[0][: min(9, nprobes // 32)], 0.001

    best = calibrate(weak, queries, truth)  # never reaches the goal: the best it measured
    assert (best.nprobes, best.recall) == (256, 0.8)


def test_an_index_calibrated_by_the_old_rule_is_measured_again_not_retrained(
    tmp_path: Path,
) -> None:
    root = write_files(tmp_path / "vault", files())
    vault = open_vault(root)
    try:
        vault.sync()
        vault.upkeep.ann.join()
        built = vault.store.vector_index.state()
        assert built is not None and built.calibration == CALIBRATION
        assert built.refine_factor in REFINE_STEPS
        vault.keep_vector_matrix()  # past the switch point the writer keeps no matrix
        assert vault.searcher.matrix._thread is None and vault.searcher.matrix._snapshot is None
    finally:
        vault.close()
    old = built.model_copy(update={"calibration": 1, "refine_factor": 10, "nprobes": 256})
    (root / ".nvault" / ANN_FILE).write_text(old.model_dump_json())
    vault = open_vault(root)
    try:
        state = vault.store.vector_index.state()
        assert state is not None and state.calibration == 1
        assert vault.upkeep.ann.consider(background=False)  # measured again, in the foreground
        again = vault.store.vector_index.state()
        assert again is not None and again.calibration == CALIBRATION
        assert again.refine_factor in REFINE_STEPS and again.recall_at_10 == 1.0
        # the same index: not trained again
        assert (again.built_at, again.trained_rows) == (built.built_at, built.trained_rows)
        assert not vault.upkeep.ann.consider(background=False)
        assert semantic(vault, "espresso grind and pressure")
    finally:
        vault.close()
    shown = nvault(root, "status")  # a person sees what readers use
    assert shown.returncode == 0, shown.stderr
    assert (
        f"IVF_SQ index, {again.partitions:,} partitions: probes {again.nprobes}, "
        f"rescoring {again.refine_factor}x, recall@10 1.000" in shown.stdout
    )


KILLED = r"""
import sys
from vault_core.config import VaultConfig
from vault_core.vault import Vault
vault = Vault(VaultConfig.load(sys.argv[1]))  # below the switch point: built by hand
vault.sync()
child, state = vault.store.vector_index.start_build()
print("building", flush=True)
child.wait()
"""


def test_a_kill_during_the_index_build_leaves_a_working_index(tmp_path: Path) -> None:
    root = write_files(tmp_path / "vault", files())
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED, str(root)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "building"
    proc.send_signal(signal.SIGKILL)  # the server dies while its child trains the index
    proc.wait(30)
    vault = open_vault(root)
    try:
        vault.sync()
        assert semantic(vault, "espresso grind and pressure")
        vault.upkeep.ann.join()  # the sync found it due again (absent or not calibrated)
        state = vault.store.vector_index.state()
        assert state is not None and not state.provisional and state.recall_at_10 == 1.0
        assert semantic(vault, "espresso grind and pressure")
    finally:
        vault.close()
