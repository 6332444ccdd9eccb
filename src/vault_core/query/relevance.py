"""Whether a search found anything real: the relevance floor every front end applies.

Fused rank scores always produce a "top 10", even for `\\x00` or 2,000 x "x". A search matched
confidently when some hit shares a keyword with the query (BM25 or the phrase list) or its
meaning is close enough: dense cosine at or above the model's floor. A query with no letter or
digit has no meaning to be close to, so only a keyword match counts for it. The floor for the built-in
model was calibrated on real queries vs. garbage (bench/relevance_floor.py, docs/benchmarks.md);
for another embedder there is no calibrated floor, so any dense hit still counts (as before).
"""

from __future__ import annotations

import math

from pydantic import BaseModel, Field

from vault_core.index.embed import BUILTIN_MODEL_NAME
from vault_core.query.search import SearchHit

# Calibrated on the built-in MiniLM (bench/relevance_floor.py; figures in docs/benchmarks.md).
SIMILARITY_FLOORS: dict[str, float] = {BUILTIN_MODEL_NAME: 0.32}
WORD_MATCHES = (
    "keyword",
    "phrase",
    "title",
)  # lists that only hold a hit sharing the query's words


class Relevance(BaseModel):
    confident: bool = Field(description="some hit matched a keyword or is close in meaning")
    keyword_match: bool = Field(description="some hit shares a keyword or phrase with the query")
    best_similarity: float | None = Field(description="highest dense cosine among the hits")
    floor: float | None = Field(description="the cosine below which meaning alone is too weak")
    wordless_query: bool = Field(False, description="no letter or digit: meaning cannot match")

    def explain(self, query: str, browse: str = "") -> str:
        """One sentence for a person or an agent when nothing matched confidently; `browse` is
        the front end's own way to list notes (each front end names its own commands)."""
        shown = query if len(query) <= 80 else query[:77] + "..."
        best = "none" if self.best_similarity is None else f"{self.best_similarity:.3f}"
        floor = "" if self.floor is None else f", below the floor {self.floor:.3f}"
        if self.wordless_query:
            floor = " (the query has no letter or digit, so only a keyword could match it)"
        return (
            f"Nothing in the notes matches {shown!r} confidently: no keyword match, and the "
            f"closest passage's meaning similarity is {best}{floor}. Try other words"
            + (
                f", a name that appears in the notes, or {browse}."
                if browse
                else " or a name that appears in the notes."
            )
        )


def floor_for(model_name: str, query: str = "x") -> float | None:
    """The cosine floor for this model; infinite for a query without a letter or digit (NUL,
    punctuation, emoji), whose embedding is near-meaningless: only a keyword could match it."""
    if not any(ch.isalnum() for ch in query):
        return math.inf
    return SIMILARITY_FLOORS.get(model_name)


def matched(hit: SearchHit, floor: float | None) -> bool:
    """The hit shares a keyword or phrase with the query, or is close enough in meaning."""
    if any(name in hit.ranks for name in WORD_MATCHES):
        return True
    return hit.similarity is not None and (floor is None or hit.similarity >= floor)


def confident_hits(hits: list[SearchHit], model_name: str, query: str) -> list[SearchHit]:
    """Only the hits that matched (the rest of a fused top-k is filler), order kept."""
    floor = floor_for(model_name, query)
    return [h for h in hits if matched(h, floor)]


def assess(hits: list[SearchHit], model_name: str, query: str) -> Relevance:
    """How confident `hits` (one search's results) are, by the rule in the module docstring."""
    floor = floor_for(model_name, query)
    keyword = any(name in h.ranks for h in hits for name in WORD_MATCHES)
    sims = [h.similarity for h in hits if h.similarity is not None]
    best = round(max(sims), 4) if sims else None
    return Relevance(
        confident=any(matched(h, floor) for h in hits),
        keyword_match=keyword,
        best_similarity=best,
        floor=None if floor == math.inf else floor,
        wordless_query=floor == math.inf,
    )
