"""The link graph report: orphans, broken and ambiguous links, hubs and likely
duplicates, for a person to review. Read-only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel, Field

from vault_core.linking.duplicates import NEAR_DUPLICATE, DuplicatePair, near_duplicates

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

__all__ = ["DuplicatePair", "GraphReport", "find_duplicates", "graph_health"]
_DUPLICATES: WeakKeyDictionary[Any, tuple[Any, float, list[DuplicatePair]]] = WeakKeyDictionary()


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


class GraphReport(BaseModel):
    notes: int
    links: int
    orphans: list[str]
    broken: list[LinkIssue]
    ambiguous: list[LinkIssue]
    hubs: list[Hub]
    duplicates: list[DuplicatePair]


def graph_health(vault: ReadModel, hubs: int = 10, duplicates: bool = True) -> GraphReport:
    """What a gardener of the vault wants to review; read-only."""
    graph = vault.graph
    notes = {f.path: f for f in graph.notes.facts() if f.kind == "note"}  # no record decoded
    out, inc = graph.link_sets()  # from the link columns: no link resolved again
    n_links = graph.link_count()
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


def find_duplicates(vault: ReadModel, threshold: float = NEAR_DUPLICATE) -> list[DuplicatePair]:
    """Notes that are copies of each other, edited or not, with what differs (duplicates.py);
    kept for the catalog version it was computed on, so a server answers again at once."""
    graph = vault.graph
    cached = _DUPLICATES.get(vault)
    if cached is not None and cached[0] is graph and cached[1] == threshold:
        return [p.model_copy(deep=True) for p in cached[2]]
    found = _scan_duplicates(vault, threshold)
    _DUPLICATES[vault] = (graph, threshold, found)
    return [p.model_copy(deep=True) for p in found]


def _scan_duplicates(vault: ReadModel, threshold: float) -> list[DuplicatePair]:
    texts: dict[str, str] = {}
    for note in vault.graph.notes.facts():
        if note.kind != "note" or note.error:
            continue
        try:
            texts[note.path] = (vault.root / note.path).read_text(
                encoding="utf-8", errors="replace"
            )
        except OSError:
            continue  # deleted since the last sync: the watcher will catch up
    return near_duplicates(texts, threshold)
