"""Fusion: the one place where ranked lists become one score per item.

Two rules live here. Hybrid search fuses its dense and keyword retrievers by *score*
(`score_fusion`): a weighted sum of the cosine and the BM25 score scaled by the query's best BM25,
which beat reciprocal rank fusion on SciFact (docs/benchmarks.md, issue 31) because it keeps how
far apart two candidates are, not just their order. See-also (linking/related.py) and link targets
fuse their signals by reciprocal rank (`rrf`), with per-ranker weights.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from typing import TypeVar

RRF_K = 60  # the usual constant: rank 1 scores 1/61, so no single ranker dominates

Key = TypeVar("Key", bound=Hashable)


def rrf(
    ranked: Mapping[str, Sequence[Key]], weights: Mapping[str, float] | None = None
) -> dict[Key, float]:
    """Ranker name -> best-first items, to item -> fused score (in first-seen order)."""
    fused: dict[Key, float] = {}
    for name, order in ranked.items():
        weight = 1.0 if weights is None else weights.get(name, 1.0)
        for rank, item in enumerate(order, start=1):
            fused[item] = fused.get(item, 0.0) + weight / (RRF_K + rank)
    return fused


def score_fusion(
    cosine: Mapping[Key, float],
    bm25: Mapping[Key, float],
    dense_weight: float,
    exact: Collection[Key] = (),
    missing_cosine: float = 0.0,
) -> dict[Key, float]:
    """`dense_weight` x cosine + (1 - `dense_weight`) x keyword, per item of either map.

    The keyword part is the item's BM25 over the query's best BM25 (BM25 has no fixed scale, so
    only its ratio to the best means anything); an item in `exact` (it contains the query's
    words in order) counts as the best keyword match. An item without a cosine (the keyword
    list reached it, the dense list did not) gets `missing_cosine`. Scores are at most 1 (below
    0 only for a negative cosine). Order: first seen (cosine map, then bm25, then exact).
    """
    top = max(bm25.values(), default=0.0)
    fused: dict[Key, float] = {}
    for item in [*cosine, *bm25, *exact]:
        if item in fused:
            continue
        keyword = 1.0 if item in exact else (bm25.get(item, 0.0) / top if top > 0 else 0.0)
        similarity = cosine.get(item, missing_cosine)
        fused[item] = dense_weight * similarity + (1.0 - dense_weight) * keyword
    return fused
