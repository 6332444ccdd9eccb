"""The second stage of hybrid search: late-interaction MaxSim over stored token vectors.

The top RERANK_NOTES notes of the fused ranking (each by its best chunk) are re-scored by
fused + weight x (MaxSim - the query's best MaxSim), MaxSim being the mean over the query's
tokens of the best cosine to any token of the note's best chunk (ColBERT's score, zero-shot with
the shipped MiniLM). Token vectors are the reduced int8 form (index/token_vectors.py): the
query's come from the forward pass that makes its vector, the chunks' from the `chunk_tokens`
table (store/tokens.py), one read per query. Measured on SciFact (docs/benchmarks.md "Round 5").

When any candidate lacks token vectors (an index built before them, a model without a basis,
texts not yet embedded) the fused scores come back unchanged: search answers as without the
stage, never half re-ranked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from vault_core.index.embed import Embedder
from vault_core.index.token_vectors import as_unit, basis_for
from vault_core.parse.chunk import hash_text
from vault_core.store.store import Store

RERANK_NOTES = 20  # as measured: the top 20 documents
# Chosen on the tune half of SciFact's first 200 train claims with the shipped basis
# (bench/measure/scifact_maxsim.py; 0.3 to 0.5 tie there; docs/benchmarks.md "Round 5").
RERANK_WEIGHT = 0.3
# Keeps the re-ranked notes strictly above the rest (a few ulps of a score at most 1).
EPSILON = 1e-6
TokenLookup = Callable[[list[str]], Mapping[str, np.ndarray]]


def maxsim(query: np.ndarray, doc: np.ndarray) -> float:
    """Mean over query tokens of the best dot product with any document token."""
    if not len(query) or not len(doc):
        return 0.0
    return float((query @ doc.T).max(axis=1).mean())


def rerank(
    scores: dict[str, float],
    rows: Mapping[str, dict[str, Any]],
    query_tokens: np.ndarray | None,
    tokens_of: TokenLookup,
    weight: float = RERANK_WEIGHT,
    top: int = RERANK_NOTES,
) -> dict[str, float]:
    """Chunk id -> score, the top `top` notes re-scored by MaxSim (see the module docstring).

    Every chunk of a re-ranked note moves by its note's amount; the notes past `top` keep their
    order and stay below the re-ranked ones (shifted down by one amount when needed), as the
    stage was measured. `scores` itself is returned when the stage cannot run.
    """
    if query_tokens is None or not len(query_tokens) or weight <= 0:
        return scores
    best: dict[str, str] = {}  # note -> its best chunk, notes best first
    for chunk_id in sorted(scores, key=lambda c: -scores[c]):
        best.setdefault(rows[chunk_id]["path"], chunk_id)
    notes = list(best)[:top]
    if len(notes) < 2:
        return scores
    hashes = {path: hash_text(rows[best[path]]["text"]) for path in notes}
    stored = tokens_of(sorted(set(hashes.values())))
    if any(h not in stored for h in hashes.values()):
        return scores
    query = as_unit(query_tokens)
    sims = {path: maxsim(query, as_unit(stored[hashes[path]])) for path in notes}
    ceiling = max(sims.values())
    moved = {path: weight * (sims[path] - ceiling) for path in notes}
    out = {c: s + moved.get(rows[c]["path"], 0.0) for c, s in scores.items()}
    lowest = min(out[best[path]] for path in notes)
    rest = [c for c in scores if rows[c]["path"] not in moved]
    highest_rest = max((scores[c] for c in rest), default=None)
    if highest_rest is not None and highest_rest >= lowest:
        shift = highest_rest - lowest + EPSILON
        for c in rest:
            out[c] = scores[c] - shift
    return out


def rows_by_id(ranked: Mapping[str, Sequence[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each candidate chunk's row (path, text), from whichever list found it first."""
    rows: dict[str, dict[str, Any]] = {}
    for results in ranked.values():
        for row in results:
            rows.setdefault(row["id"], row)
    return rows


def rerank_state(embedder: Embedder, store: Store, enabled: bool = True) -> str:
    """What `status` says about the stage: active, partly active, or off and why."""
    if not enabled:
        return "off: `token_vectors = false` under [embedder] in the config"
    if basis_for(embedder.name) is None:
        return f"off: no token basis ships for {embedder.name}"
    have, total = store.token_coverage()
    if total < 0:
        return (
            "off: this index has no token vectors (built before them); delete the index "
            "folder and run `nvault index` to build them"
        )
    if have >= total:
        return f"active: MaxSim over token vectors of all {total} embedded texts"
    return (
        f"partial: {have} of {total} embedded texts have token vectors; a query whose top "
        "notes lack them is answered without re-ranking"
    )
