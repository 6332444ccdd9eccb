"""The link graph's health report: orphans, broken and ambiguous links, hubs and likely
duplicates, for a person to review. Read-only.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from vault_core.linking.related_index import note_index

if TYPE_CHECKING:
    from vault_core.vault_index import VaultIndex

DUPLICATE_COSINE = 0.95
DUPLICATE_TEXT = 0.6


class LinkIssue(BaseModel):
    source: str
    line: int
    raw: str
    target: str | None = None
    candidates: list[str] = Field(default_factory=list)


class Hub(BaseModel):
    path: str
    title: str
    backlinks: int
    outgoing: int


class DuplicatePair(BaseModel):
    a: str
    b: str
    cosine: float
    text_similarity: float
    advice: str = "nearly the same content: you may want to merge these"


class GraphReport(BaseModel):
    notes: int
    links: int
    orphans: list[str]
    broken: list[LinkIssue]
    ambiguous: list[LinkIssue]
    hubs: list[Hub]
    duplicates: list[DuplicatePair]


def graph_health(vault: VaultIndex, hubs: int = 10, duplicates: bool = True) -> GraphReport:
    """What a gardener of the vault wants to review; read-only."""
    graph = vault.graph
    notes = {p: n for p, n in graph.notes.items() if n.kind == "note"}
    out: dict[str, set[str]] = defaultdict(set)
    inc: dict[str, set[str]] = defaultdict(set)
    n_links = 0
    for source, items in graph.resolutions.items():
        for res in items:
            n_links += 1
            if res.target and res.target != source:
                out[source].add(res.target)
                inc[res.target].add(source)
    orphans = sorted(p for p in notes if not out[p] and not inc[p])
    broken = [_issue(r) for r in graph.broken()]
    ambiguous = [_issue(r) for r in graph.ambiguous()]
    ranked = sorted(notes, key=lambda p: (-len(inc[p]), p))[:hubs]
    hub_list = [
        Hub(path=p, title=notes[p].title, backlinks=len(inc[p]), outgoing=len(out[p]))
        for p in ranked
        if inc[p]
    ]
    return GraphReport(
        notes=len(notes),
        links=n_links,
        orphans=orphans,
        broken=broken,
        ambiguous=ambiguous,
        hubs=hub_list,
        duplicates=find_duplicates(vault) if duplicates else [],
    )


def _issue(res: Any) -> LinkIssue:
    return LinkIssue(
        source=res.source,
        line=res.link.line,
        raw=res.link.raw,
        target=res.target,
        candidates=res.candidates if res.ambiguous else [],
    )


def find_duplicates(
    vault: VaultIndex, cosine: float = DUPLICATE_COSINE, text: float = DUPLICATE_TEXT
) -> list[DuplicatePair]:
    """Note pairs whose mean vectors nearly coincide and whose words mostly agree."""
    index = note_index(vault)
    vecs, has = index.note_vecs, np.flatnonzero(index.has_vector)
    pairs: list[tuple[int, int, float]] = []
    for start in range(0, len(has), 1024):  # blockwise, so big vaults never build an n x n matrix
        rows = has[start : start + 1024]
        sims = vecs[rows] @ vecs[has].T
        for r, c in zip(*np.nonzero(sims > cosine), strict=True):
            a, b = int(rows[r]), int(has[c])
            if a < b:
                pairs.append((a, b, float(sims[r, c])))
    result: list[DuplicatePair] = []
    for a, b, cos in sorted(pairs, key=lambda t: -t[2])[:500]:
        ta, tb = (index.read_text(vault, index.paths[i]).split() for i in (a, b))
        ratio = difflib.SequenceMatcher(None, ta, tb, autojunk=False).ratio()
        if ratio >= text:
            result.append(
                DuplicatePair(
                    a=index.paths[a],
                    b=index.paths[b],
                    cosine=round(cos, 4),
                    text_similarity=round(ratio, 4),
                )
            )
    return result
