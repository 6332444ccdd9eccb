"""See-also suggestions: notes that should be linked from a note and are not, with reasons.

(`unlinked_mentions` lives in graph.py and is re-exported here, where `Vault` looks for it.)

The signals come from the in-memory `NoteIndex` (note_index.py) and are fused by weighted
reciprocal rank fusion.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, Field

from vault_core.graph import Mention, unlinked_mentions
from vault_core.note_index import (
    DEPTH,
    FEEDBACK_TOP,
    PASSAGE_POOL,
    POPULAR_MIN_SIM,
    QUERY_TERMS,
    RRF_K,
    SIGNALS,
    SIMILAR_NOTE,
    SIMILAR_PASSAGE,
    WEIGHTS,
    NoteIndex,
    count_phrase,
    note_index,
)
from vault_core.search import make_snippet

if TYPE_CHECKING:
    from vault_core.vault import Vault

__all__ = ["Mention", "RelatedNote", "RelatedPassage", "related", "unlinked_mentions"]


class RelatedPassage(BaseModel):
    """The passage of the suggested note that best matches this note, and where it matched."""

    path: str
    start_line: int
    end_line: int
    heading_path: list[str] = Field(default_factory=list)
    snippet: str
    similarity: float
    source_start_line: int = Field(description="the matching passage of the note asked about")
    source_end_line: int


class RelatedNote(BaseModel):
    path: str
    title: str
    score: float
    reasons: list[str]
    passage: RelatedPassage | None = None
    link_text: str = Field(description="shortest [[...]] target that resolves to this note")
    ranks: dict[str, int] = Field(default_factory=dict, description="signal -> 1-based rank")


def related(
    vault: Vault,
    path: str,
    limit: int = 10,
    *,
    signals: Collection[str] = SIGNALS,
    exclude_links: bool = True,
    hide_links_of: str | None = None,
    strip_query_links: bool = False,
    weights: dict[str, float] | None = None,
    rrf_k: int = RRF_K,
) -> list[RelatedNote]:
    """Notes to link from `path`, best first, each with its reasons and matching passage.

    `signals` picks any of semantic (whole-note and passage similarity) / keyword (BM25 on the
    note's distinctive terms) / graph (neighbours' links, in-degree prior). `exclude_links=False` keeps notes already
    linked (for evaluation). `hide_links_of=path` makes the graph signal ignore that note's links in
    both directions between it and its targets (link-recovery evaluation). `strip_query_links`
    re-embeds the note's chunks with link targets removed, so the link text itself cannot help.
    """
    unknown = set(signals) - SIGNALS
    if unknown:
        raise ValueError(f"unknown signals {sorted(unknown)}; choose from {sorted(SIGNALS)}")
    index = note_index(vault)
    me = index.pos.get(path)
    if me is None:
        return []
    weights = {**WEIGHTS, **(weights or {})}
    hidden = index.out[path] if hide_links_of == path else set()
    excluded = {path}
    if exclude_links:
        excluded |= index.out[path] | index.inc[path]
    mine = index.chunk_rows(path)
    my_vecs = index.chunk_vecs[mine] if len(mine) else np.zeros((0, index.dim), np.float32)
    if strip_query_links and len(mine):
        my_vecs = index.stripped_vectors(vault, path)

    ranked: dict[str, list[int]] = {}
    passage_best: tuple[np.ndarray, np.ndarray] | None = None
    note_sims: np.ndarray | None = None
    if "semantic" in signals and len(my_vecs):
        note_vec = my_vecs.mean(axis=0)
        note_vec /= np.linalg.norm(note_vec) or 1.0
        note_sims = index.note_vecs @ note_vec
        ranked["note"] = _top(note_sims, excluded, index)
        # passages are compared only within the notes nearest overall: the cost stays flat
        pool = (
            np.argpartition(-note_sims, PASSAGE_POOL)[:PASSAGE_POOL]
            if len(note_sims) > PASSAGE_POOL
            else np.arange(len(note_sims))
        )
        passage_best = index.best_passages(my_vecs, pool)
        ranked["passage"] = _top(passage_best[0], excluded, index)
    terms: dict[str, float] = {}
    surface: dict[str, str] = {}
    if "keyword" in signals:
        terms, surface = index.query_terms(vault, path, QUERY_TERMS)
        ranked["keyword"] = _top(index.bm25(terms, exclude=me), excluded, index, positive=True)
        if weights.get("titles", 0.0) > 0:
            titles = index.title_scores(vault, path)
            titles[me] = 0.0
            ranked["titles"] = _top(titles, excluded, index, positive=True)
        if weights.get("mention", 0.0) > 0:
            mentions = index.mention_scores(vault, path).copy()
            if note_sims is not None:  # ties (one mention each) go to the closer note
                mentions += np.where(mentions > 0, note_sims.clip(0, 1) * 0.5, 0)
            ranked["mention"] = _top(mentions, excluded, index, positive=True)
    graph_why: dict[int, list[str]] = {}
    if "graph" in signals:
        scores, graph_why = index.graph_scores(path, hidden)
        ranked["graph"] = _top(scores, excluded, index, positive=True)
        # how often others link a note: a prior that breaks ties among similar notes
        popular = index.in_degree.copy()
        if hidden:
            popular[[index.pos[t] for t in hidden]] -= 1  # this note's own links do not count
        if note_sims is not None:  # only among notes that are about something similar
            popular[note_sims < POPULAR_MIN_SIM] = 0
        ranked["popular"] = _top(popular, excluded, index, positive=True)
        if weights.get("folder", 0.0) > 0 and note_sims is not None:
            near = np.where(index.folders == index.folders[me], note_sims.clip(0, None) + 1e-3, 0)
            ranked["folder"] = _top(near, excluded, index, positive=True)

    fused, ranks = _fuse(ranked, weights, rrf_k)
    if "graph" in signals and weights.get("feedback", 0.0) > 0 and fused:
        # the best suggestions so far vouch for their own neighbours (pseudo-relevance feedback)
        top = sorted(fused, key=lambda i: -fused[i])[:FEEDBACK_TOP]
        vouched = np.zeros(len(index.paths), np.float32)
        for i in top:
            around = (index.out[index.paths[i]] | index.inc[index.paths[i]]) - {path}
            for c in around:
                vouched[index.pos[c]] += fused[i] / math.log(2 + len(around))
        ranked["feedback"] = _top(vouched, excluded, index, positive=True)
        fused, ranks = _fuse(ranked, weights, rrf_k)
    order = sorted(fused, key=lambda i: (-fused[i], index.paths[i]))[:limit]
    if order and len(my_vecs):  # the shown passage, for every suggestion, whatever found it
        passage_best = index.best_passages(my_vecs, np.array(order, np.int64))
    shared = index.shared_terms(order, terms, surface) if terms else {}
    return [
        _suggestion(
            vault,
            index,
            i,
            fused[i],
            ranks[i],
            shared.get(i, []),
            graph_why.get(i, []),
            passage_best,
            mine,
            my_vecs,
        )
        for i in order
    ]


def _fuse(
    ranked: dict[str, list[int]], weights: dict[str, float], rrf_k: int
) -> tuple[dict[int, float], dict[int, dict[str, int]]]:
    """Weighted reciprocal rank fusion: note -> score, and note -> {signal: rank}."""
    fused: dict[int, float] = {}
    ranks: dict[int, dict[str, int]] = {}
    for name, order in ranked.items():
        for rank, idx in enumerate(order, start=1):
            fused[idx] = fused.get(idx, 0.0) + weights.get(name, 1.0) / (rrf_k + rank)
            ranks.setdefault(idx, {})[name] = rank
    return fused, ranks


def _top(
    scores: np.ndarray, excluded: set[str], index: NoteIndex, positive: bool = False
) -> list[int]:
    """Indices of the DEPTH best notes, skipping excluded ones (and zero scores if `positive`)."""
    n = len(scores)
    if n == 0:
        return []
    take = min(n, DEPTH + len(excluded) + 1)
    cand = np.argpartition(-scores, take - 1)[:take] if take < n else np.arange(n)
    cand = cand[np.argsort(-scores[cand], kind="stable")]
    result: list[int] = []
    for i in cand.tolist():
        if positive and scores[i] <= 0:
            break
        if index.paths[i] in excluded or (not index.has_vector[i] and not positive):
            continue
        result.append(i)
        if len(result) >= DEPTH:
            break
    return result


def _suggestion(
    vault: Vault,
    index: NoteIndex,
    i: int,
    score: float,
    ranks: dict[str, int],
    shared: list[str],
    graph_why: list[str],
    passage_best: tuple[np.ndarray, np.ndarray] | None,
    mine: np.ndarray,
    my_vecs: np.ndarray,
) -> RelatedNote:
    path = index.paths[i]
    reasons: list[str] = []
    if passage_best is not None and passage_best[0][i] >= SIMILAR_PASSAGE:
        reasons.append("similar passage")
    if my_vecs.size and index.has_vector[i]:
        whole = my_vecs.mean(axis=0)
        if float(index.note_vecs[i] @ whole) / (np.linalg.norm(whole) or 1.0) >= SIMILAR_NOTE:
            reasons.append("similar topic overall")
    if ranks.get("mention", DEPTH + 1) <= DEPTH:
        reasons.append("mentioned by name")
    elif ranks.get("titles", DEPTH + 1) <= 10:
        reasons.append("its title's words occur here")
    if ranks.get("feedback", DEPTH + 1) <= 10 and not graph_why:
        reasons.append("linked with other suggestions")
    if ranks.get("folder", DEPTH + 1) <= 10:
        reasons.append("same folder")
    if shared:
        reasons.append("shared terms: " + ", ".join(shared[:4]))
    reasons.extend(graph_why)
    if ranks.get("popular", DEPTH + 1) <= 10 and not graph_why:
        reasons.append(f"often linked ({count_phrase(int(index.in_degree[i]), 'backlink', 's')})")
    if not reasons:
        reasons.append("related by " + ", ".join(sorted(ranks)))
    passage = None
    if passage_best is not None and index.has_vector[i]:
        chunk = int(passage_best[1][i])
        sims = my_vecs @ index.chunk_vecs[chunk]
        src = int(mine[int(np.argmax(sims))])
        passage = RelatedPassage(
            path=path,
            start_line=index.chunk_lines[chunk][0],
            end_line=index.chunk_lines[chunk][1],
            heading_path=index.chunk_headings[chunk],
            snippet=make_snippet(index.chunk_text[chunk], " ".join(shared)),
            similarity=round(float(passage_best[0][i]), 4),
            source_start_line=index.chunk_lines[src][0],
            source_end_line=index.chunk_lines[src][1],
        )
    note = index.records[path]
    return RelatedNote(
        path=path,
        title=note.title,
        score=round(score, 6),
        reasons=reasons,
        passage=passage,
        link_text=index.link_text(vault, path),
        ranks=ranks,
    )


def related_to_dict(items: list[RelatedNote]) -> list[dict[str, Any]]:
    return [item.model_dump() for item in items]


def _link_models() -> None:
    """graph.NoteSuggestions holds RelatedNote, defined here (graph.py cannot import us at load)."""
    from vault_core import graph

    graph.NoteSuggestions.model_rebuild(_types_namespace={"RelatedNote": RelatedNote})


_link_models()
