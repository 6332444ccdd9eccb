"""Reciprocal rank fusion: the one place where ranked lists become one score per item.

Hybrid search fuses its dense and keyword rankers (chunk ids); see-also (linking/related.py) fuses
its signals (note positions), with per-ranker weights.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
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
