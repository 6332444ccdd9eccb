"""One score per candidate chunk from the retrievers' lists: score fusion (fusion.py) with the
dense weight of the query's shape (shape.py).

A chunk that only the keyword list reached still needs a cosine: its real one is read from the
in-memory vector matrix (an arrow `is_in` over the chunk ids and a few dot products). At the
shipped weight it scores at least as well as a guess on SciFact (depth 50: nDCG@10 0.7304, vs
0.7249 with the dense list's lowest cosine and 0.7208 with zero); a guess tuned on its own weight
comes within 0.001 (docs/benchmarks.md), so this is for exactness, not a large gain. When the
matrix lags the table (the dense list came from LanceDB), the dense list's lowest cosine stands
in: an upper bound, since the chunk was not among the dense top.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.query.dense import ChunkSnapshot
from vault_core.query.fusion import score_fusion

Rows = list[dict[str, Any]]
# A chunk of a note whose title is the query gets this bonus (then scores are rescaled to stay at
# most 1). Chosen on the tune half of title queries built from three vaults (0.5 and 1.0 tie there;
# the smaller is kept); on the test half nDCG@10 0.846 -> 0.967 (bench/measure/query_shape.py,
# docs/benchmarks.md). No SciFact claim is a title, so SciFact does not move.
TITLE_BONUS = 0.5


def cosines_of(snapshot: ChunkSnapshot, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
    """Chunk id -> cosine to `vector`, for the ids in the snapshot that have a vector."""
    if not ids or not snapshot.rows.num_rows:
        return {}
    column = snapshot.rows["id"]
    mask = pc.is_in(column, value_set=pa.array(list(ids), pa.string()))
    at = np.flatnonzero(mask.to_numpy(zero_copy_only=False) & snapshot.has_vector)
    if not len(at):
        return {}
    found = column.take(pa.array(at)).to_pylist()
    sims = snapshot.matrix[at] @ vector.astype(np.float32)
    return dict(zip(found, (float(s) for s in sims), strict=True))


def hybrid_scores(
    ranked: dict[str, Rows],
    dense_weight: float,
    cosines: Callable[[Sequence[str]], dict[str, float]] | None = None,
    title_bonus: float = TITLE_BONUS,
) -> dict[str, float]:
    """Chunk id -> fused score from the `semantic`, `keyword`, `phrase` and `title` lists.

    One list alone keeps its own order (`semantic`: cosine, `keyword`: BM25 over the best), so
    every mode's `score` reads the same way: at most 1, higher is better. `cosines` looks up
    the real cosine of chunks the dense list missed (None: use the list's lowest).
    """
    dense = ranked.get("semantic")
    keyword = ranked.get("keyword")
    if keyword is None:
        dense_weight = 1.0
    elif dense is None:
        dense_weight = 0.0
    cosine = {row["id"]: float(row.get("_similarity") or 0.0) for row in dense or []}
    bm25 = {row["id"]: float(row["_score"]) for row in keyword or []}
    exact = [row["id"] for row in ranked.get("phrase", [])]
    floor = min(cosine.values(), default=0.0)
    if dense is not None and dense_weight > 0.0:
        unseen = [c for c in (*bm25, *exact) if c not in cosine]
        if unseen and cosines is not None:
            cosine = cosine | cosines(unseen)
    fused = score_fusion(cosine, bm25, dense_weight, exact, missing_cosine=floor)
    titled = [row["id"] for row in ranked.get("title", [])]
    if titled:
        fused = {c: s / (1 + title_bonus) for c, s in fused.items()}
        for c in titled:
            fused[c] = fused.get(c, 0.0) + title_bonus / (1 + title_bonus)
    return fused
