"""See-also suggestions: notes that should be linked from a note and are not, with reasons.

The signals come from the in-memory `NoteIndex` (related_index.py) and are fused by weighted
reciprocal rank fusion.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from vault_core.linking.link_model import (
    FEATURES,
    LinkModel,
    default_model,
    name_parts,
    name_tree,
    probability,
)
from vault_core.linking.link_model import features as link_features
from vault_core.linking.mention_rank import mention_groups
from vault_core.linking.mentions import Mention, unlinked_mentions
from vault_core.linking.related_index import (
    DEPTH,
    FEEDBACK_TOP,
    PASSAGE_POOL,
    POPULAR_MIN_SIM,
    QUERY_TERMS,
    SIGNALS,
    SIMILAR_NOTE,
    SIMILAR_PASSAGE,
    WEIGHTS,
    NoteIndex,
    note_index,
)
from vault_core.linking.related_links import count_phrase
from vault_core.linking.vault_fit import vault_model
from vault_core.query.fusion import rrf
from vault_core.query.search import make_snippet
from vault_core.wire import RelatedNote, RelatedPassage

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

__all__ = ["Mention", "RelatedNote", "RelatedPassage", "related", "unlinked_mentions"]


@dataclass
class Candidates:
    """Every note some signal ranked for one query note, with what explains each of them."""

    index: NoteIndex
    path: str
    ranks: dict[int, dict[str, int]]  # note -> {signal: 1-based rank}
    in_degree: np.ndarray  # links into each note, this note's hidden links not counted
    terms: dict[str, float] = field(default_factory=dict)
    surface: dict[str, str] = field(default_factory=dict)
    graph_why: dict[int, list[str]] = field(default_factory=dict)
    mine: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    my_vecs: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), np.float32))

    def feature_matrix(self, order: list[int]) -> np.ndarray:
        me = self.index.pos[self.path]
        folders, paths = self.index.folders, self.index.paths
        mine = name_parts(self.path)
        return np.array(
            [
                link_features(
                    self.ranks[i],
                    float(self.in_degree[i]),
                    folders[i] == folders[me],
                    name_tree(mine, name_parts(paths[i])),
                )
                for i in order
            ],
            np.float64,
        ).reshape(len(order), len(FEATURES))

    def ranked(self, model: LinkModel) -> list[tuple[float, int]]:
        """(logit, note) for every candidate, best first (ties by path, so runs repeat)."""
        notes = list(self.ranks)
        logits = model.score(self.feature_matrix(notes)).tolist()
        paths = self.index.paths
        return sorted(zip(logits, notes, strict=True), key=lambda x: (-x[0], paths[x[1]]))


def related(
    vault: ReadModel,
    path: str,
    limit: int = 10,
    *,
    signals: Collection[str] = SIGNALS,
    exclude_links: bool = True,
    hide_links_of: str | None = None,
    strip_query_links: bool = False,
    keep_link_words: bool = False,
    model: LinkModel | None = None,
) -> list[RelatedNote]:
    """Notes to link from `path`, best first, each with its reasons and matching passage.

    `signals` picks any of semantic (whole-note and passage similarity) / keyword (BM25 on the
    note's distinctive terms, names) / graph (neighbours' links, in-degree prior, peers' links).
    `exclude_links=False` keeps notes already linked (for evaluation). `hide_links_of=path` makes
    the graph signals ignore that note's links in both directions between it and its targets
    (link-recovery evaluation). `strip_query_links` re-embeds the note's chunks with link targets
    removed, so the link text itself cannot help; `keep_link_words` leaves the words a bare
    `[[Note]]` shows in the query text (as if never linked). `model` overrides the fitted model;
    without it, this vault's own model if a stored fit chose it (linking/vault_fit.py), else the
    shipped one.
    """
    found = link_candidates(
        vault,
        path,
        signals=signals,
        exclude_links=exclude_links,
        hide_links_of=hide_links_of,
        strip_query_links=strip_query_links,
        keep_link_words=keep_link_words,
    )
    if found is None or not found.ranks:
        return []
    index = found.index
    scored = found.ranked(model or vault_model(vault) or default_model())[:limit]
    order = [i for _, i in scored]
    passage_best = None
    if order and len(found.my_vecs):  # the shown passage, for every suggestion, whatever found it
        passage_best = index.best_passages(found.my_vecs, np.array(order, np.int64))
    shared = index.shared_terms(order, found.terms, found.surface) if found.terms else {}
    if passage_best is not None:  # the passages shown: their texts fetched together
        index.prefetch(np.concatenate([passage_best[1][order], found.mine]))
    return [
        _suggestion(vault, found, i, logit, shared.get(i, []), passage_best) for logit, i in scored
    ]


def link_candidates(
    vault: ReadModel,
    path: str,
    *,
    signals: Collection[str] = SIGNALS,
    exclude_links: bool = True,
    hide_links_of: str | None = None,
    strip_query_links: bool = False,
    keep_link_words: bool = False,
) -> Candidates | None:
    """Run every signal for `path` and collect the notes each ranks (see `related`)."""
    unknown = set(signals) - SIGNALS
    if unknown:
        raise ValueError(f"unknown signals {sorted(unknown)}; choose from {sorted(SIGNALS)}")
    index = note_index(vault)
    me = index.pos.get(path)
    if me is None:
        return None
    hidden = index.out[path] if hide_links_of == path else set()
    excluded = {path}
    if exclude_links:
        excluded |= index.out[path] | index.inc[path]
    mine = index.chunk_rows(path)
    my_vecs = index.vectors(mine) if len(mine) else np.zeros((0, index.dim), np.float32)
    if strip_query_links and len(mine):
        my_vecs = index.stripped_vectors(vault, path, keep_link_words)
    in_degree = index.in_degree.copy()
    if hidden:
        in_degree[[index.pos[t] for t in hidden]] -= 1  # this note's own links do not count
    found = Candidates(index, path, {}, in_degree, mine=mine, my_vecs=my_vecs)

    ranked: dict[str, list[int]] = {}
    note_sims: np.ndarray | None = None
    if "semantic" in signals and len(my_vecs):
        note_vec = my_vecs.mean(axis=0)
        note_vec /= np.linalg.norm(note_vec) or 1.0
        note_sims = index.note_similarities(note_vec)
        ranked["note"] = _top(note_sims, excluded, index)
        # passages are compared only within the notes nearest overall: the cost stays flat
        pool = (
            np.argpartition(-note_sims, PASSAGE_POOL)[:PASSAGE_POOL]
            if len(note_sims) > PASSAGE_POOL
            else np.arange(len(note_sims))
        )
        ranked["passage"] = _top(index.best_passages(my_vecs, pool)[0], excluded, index)
    if "keyword" in signals:
        found.terms, found.surface = index.query_terms(vault, path, QUERY_TERMS, keep_link_words)
        ranked["keyword"] = _top(
            index.bm25(found.terms, exclude=me), excluded, index, positive=True
        )
        titles = index.title_scores(vault, path, keep_link_words)
        titles[me] = 0.0
        ranked["titles"] = _top(titles, excluded, index, positive=True)
        named = partial(_named_notes, vault)
        mentions = index.mention_scores(vault, path, named, keep_link_words).copy()
        if note_sims is not None:  # ties (one mention each) go to the closer note
            mentions += np.where(mentions > 0, note_sims.clip(0, 1) * 0.5, 0)
        ranked["mention"] = _top(mentions, excluded, index, positive=True)
    if "graph" in signals:
        scores, found.graph_why = index.links.graph_scores(path, hidden)
        ranked["graph"] = _top(scores, excluded, index, positive=True)
        # how often others link a note: a prior that breaks ties among similar notes
        popular = in_degree.copy()
        if note_sims is not None:  # only among notes that are about something similar
            popular[note_sims < POPULAR_MIN_SIM] = 0
            near = np.where(index.folders == index.folders[me], note_sims.clip(0, None) + 1e-3, 0)
            ranked["folder"] = _top(near, excluded, index, positive=True)
            peers = index.links.peer_links(path, note_sims)
            ranked["peers"] = _top(peers, excluded, index, positive=True)
        ranked["popular"] = _top(popular, excluded, index, positive=True)
        fused = rrf(ranked, WEIGHTS)
        # the best suggestions so far vouch for their own neighbours (pseudo-relevance feedback)
        vouched = np.zeros(len(index.paths), np.float32)
        for i in sorted(fused, key=lambda i: -fused[i])[:FEEDBACK_TOP]:
            around = (index.out[index.paths[i]] | index.inc[index.paths[i]]) - {path}
            for c in around:
                vouched[index.pos[c]] += fused[i] / math.log(2 + len(around))
        ranked["feedback"] = _top(vouched, excluded, index, positive=True)
    for name, order in ranked.items():
        for rank, i in enumerate(order, start=1):
            found.ranks.setdefault(i, {})[name] = rank
    return found


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


def _named_notes(vault: ReadModel, source: str, text: str) -> list[str]:
    """Every note `text` names, once per place, unfiltered: the mention signal the link model
    was fitted on (mention_rank groups them; its ranked list is for people and agents)."""
    groups = mention_groups(vault, source, text, with_headings=True)
    return [g.target for g in groups for _ in g.places]


def _suggestion(
    vault: ReadModel,
    found: Candidates,
    i: int,
    logit: float,
    shared: list[str],
    passage_best: tuple[np.ndarray, np.ndarray] | None,
) -> RelatedNote:
    index, ranks, graph_why = found.index, found.ranks[i], found.graph_why.get(i, [])
    mine, my_vecs = found.mine, found.my_vecs
    path = index.paths[i]
    reasons: list[str] = []
    if passage_best is not None and passage_best[0][i] >= SIMILAR_PASSAGE:
        reasons.append("similar passage")
    if my_vecs.size and index.has_vector[i]:
        whole = my_vecs.mean(axis=0)
        if float(index.note_vector(i) @ whole) / (np.linalg.norm(whole) or 1.0) >= SIMILAR_NOTE:
            reasons.append("similar topic overall")
    if ranks.get("mention", DEPTH + 1) <= DEPTH:
        reasons.append("mentioned by name")
    elif ranks.get("titles", DEPTH + 1) <= 10:
        reasons.append("its title's words occur here")
    if ranks.get("feedback", DEPTH + 1) <= 10 and not graph_why:
        reasons.append("linked with other suggestions")
    if ranks.get("folder", DEPTH + 1) <= 10:
        reasons.append("same folder")
    ancestor, descendant, _, _ = name_tree(name_parts(found.path), name_parts(path))
    if ancestor:
        reasons.append("above this note in the name tree")
    elif descendant:
        reasons.append("below this note in the name tree")
    if shared:
        reasons.append("shared terms: " + ", ".join(shared[:4]))
    reasons.extend(graph_why)
    if ranks.get("peers", DEPTH + 1) <= 10:
        reasons.append("linked by notes like this one")
    if ranks.get("popular", DEPTH + 1) <= 10 and not graph_why:
        reasons.append(f"often linked ({count_phrase(int(index.in_degree[i]), 'backlink', 's')})")
    if not reasons:
        reasons.append("related by " + ", ".join(sorted(ranks)))
    passage = None
    if passage_best is not None and index.has_vector[i]:
        chunk = int(passage_best[1][i])
        sims = my_vecs @ index.vectors(chunk)
        src = int(mine[int(np.argmax(sims))])
        start_line, end_line = index.chunk_lines(chunk)
        source_start_line, source_end_line = index.chunk_lines(src)
        passage = RelatedPassage(
            path=path,
            start_line=start_line,
            end_line=end_line,
            heading_path=index.chunk_headings(chunk),
            snippet=make_snippet(index.chunk_text(chunk), " ".join(shared)).text,
            similarity=round(float(passage_best[0][i]), 4),
            source_start_line=source_start_line,
            source_end_line=source_end_line,
        )
    note = index.records[path]
    return RelatedNote(
        path=path,
        title=note.title,
        score=round(probability(logit), 4),
        reasons=reasons,
        passage=passage,
        link_text=index.link_text(vault, path),
        ranks=ranks,
    )


def related_to_dict(items: list[RelatedNote]) -> list[dict[str, Any]]:
    return [item.model_dump() for item in items]
