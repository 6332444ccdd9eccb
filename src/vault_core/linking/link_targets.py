"""Which notes a link being written most likely points to, best first.

A paragraph that says something ranks notes by what it says (hybrid search). One that says too
little (`See also [[` on a line of its own, the moment a Zettelkasten writer links a note) falls
back to the section around it, then to the note as a whole: `related()`'s see-also suggestions,
whose signals already cover the note's topic, its unlinked mentions and its neighbours' links.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from vault_core.index.terms import STOPWORDS, tokenize
from vault_core.linking.related import related
from vault_core.query.fusion import rrf

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

MIN_TERMS = 4  # fewer distinct content words than this is too little to search on
SEARCH_LIMIT = 30
RELATED_LIMIT = 20
# the section says what this part of the note is about; the note's suggestions fill in
WEIGHTS = {"section": 1.0, "note": 1.0}

Source = Literal["paragraph", "section", "note"]


class LinkTargets(BaseModel):
    """Ranked notes for a link being written, and what ranked each of them."""

    paths: list[str] = Field(default_factory=list, description="best first")
    why: dict[str, Source] = Field(
        default_factory=dict, description="path -> the context that ranked it highest"
    )
    basis: Source | None = Field(None, description="paragraph, or the fallback used; None: none")


def meaningful(text: str) -> bool:
    """Enough distinct content words to rank notes by (`See also` is not)."""
    terms = {t for t in tokenize(text) if t not in STOPWORDS and not t.isdigit()}
    return len(terms) >= MIN_TERMS


def search_notes(vault: ReadModel, text: str, exclude: str | None) -> list[str]:
    """Notes ranked by hybrid search over `text`, scores summed per note."""
    scores: dict[str, float] = {}
    for hit in vault.search(text, mode="hybrid", limit=SEARCH_LIMIT):
        scores[hit.path] = scores.get(hit.path, 0.0) + hit.score
    return [p for p, _ in sorted(scores.items(), key=lambda kv: -kv[1]) if p != exclude]


def link_targets(vault: ReadModel, path: str | None, paragraph: str, section: str) -> LinkTargets:
    """Notes for a link written in `path` (None: not a note of this vault) inside `paragraph`
    of `section` (both with the half-typed link removed)."""
    if meaningful(paragraph):
        paths = search_notes(vault, paragraph, path)
        return LinkTargets(paths=paths, why=dict.fromkeys(paths, "paragraph"), basis="paragraph")
    ranked: dict[str, list[str]] = {}
    if meaningful(section):
        ranked["section"] = search_notes(vault, section, path)
    if path is not None and path in vault.catalog:
        ranked["note"] = [r.path for r in related(vault, path, RELATED_LIMIT)]
    fused = rrf(ranked, WEIGHTS)
    paths = sorted(fused, key=lambda p: -fused[p])
    why: dict[str, Source] = {}
    best: dict[str, int] = {}
    names: tuple[Source, ...] = ("section", "note")
    for name in names:
        order = ranked.get(name, [])
        for rank, p in enumerate(order):
            if rank < best.get(p, len(order) + 1):
                best[p], why[p] = rank, name
    basis: Source | None = "section" if "section" in ranked else ("note" if paths else None)
    return LinkTargets(paths=paths, why=why, basis=basis)
