"""The link signals behind `related()`: the link graph of one catalog version as sets.

`graph` (Adamic-Adar over neighbours, with readable reasons), `popular` (in-degree) and
`peers` (what the notes most like this one link to) read only links, so they live apart from
the vector and keyword parts of `NoteIndex` (related_index.py), which holds one of these.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator, Mapping

import numpy as np

from vault_core.index.link_graph import LinkGraph

PEERS = 20  # notes most like this one whose links the `peers` signal counts


class _Adjacency(Mapping[str, set[str]]):
    """path -> the notes it links to (or that link to it), as a set made on demand from CSR
    arrays: a Python set per note for the whole vault cost seconds and ~100 MB at 100k notes."""

    def __init__(self, start: np.ndarray, other: np.ndarray, paths: list[str], pos: dict[str, int]):
        self.start, self.other, self.paths, self.pos = start, other, paths, pos

    def ids(self, i: int) -> np.ndarray:
        return self.other[self.start[i] : self.start[i + 1]]

    def __getitem__(self, path: str) -> set[str]:
        i = self.pos.get(path)
        if i is None:
            return set()
        return {self.paths[j] for j in self.ids(i).tolist()}

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)


class LinkSets:
    """Outgoing and incoming links per note (self-links and unresolved links left out), from
    the link graph's int32 edge columns."""

    def __init__(self, graph: LinkGraph, paths: list[str], pos: dict[str, int]) -> None:
        self.paths, self.pos = paths, pos
        n = len(paths)
        sources, targets = graph.linked_pairs()
        place = np.array([pos.get(p, -1) for p in graph.paths], np.int64)
        src, tgt = place[sources], place[targets]
        keep = (src >= 0) & (tgt >= 0)
        pairs = np.sort(src[keep] * max(n, 1) + tgt[keep])  # by source, then target
        src, tgt = pairs // max(n, 1), pairs % max(n, 1)
        self.out = _Adjacency(_starts(src, n), tgt, paths, pos)
        by_target = np.lexsort((src, tgt))
        self.inc = _Adjacency(_starts(tgt[by_target], n), src[by_target], paths, pos)
        self.in_degree = np.bincount(tgt, minlength=n).astype(np.float32)

    def peer_links(self, path: str, note_sims: np.ndarray) -> np.ndarray:
        """Per note: how strongly the notes most like this one link to it (collaborative
        filtering: notes on the same topic tend to link the same concept notes). Peers' own links
        stay in a link-recovery run; only this note's edges are hidden."""
        sims = note_sims.copy()
        sims[self.pos[path]] = -1.0
        k = min(PEERS, len(sims) - 1)
        scores = np.zeros(len(self.paths), np.float32)
        if k <= 0:
            return scores
        for p in np.argpartition(-sims, k - 1)[:k].tolist():
            links = self.out[self.paths[p]] - {path}
            if sims[p] > 0 and links:
                weight = float(sims[p]) ** 3 / math.log(2 + len(links))
                scores[[self.pos[t] for t in links]] += weight
        return scores

    def graph_scores(self, path: str, hidden: set[str]) -> tuple[np.ndarray, dict[int, list[str]]]:
        """Adamic-Adar over the undirected link graph, with readable reasons per candidate."""
        scores = np.zeros(len(self.paths), np.float32)
        nbrs = (self.out[path] | self.inc[path]) - hidden
        linked_by: Counter[str] = Counter()
        touched: Counter[str] = Counter()
        for n in nbrs:
            around = (self.out[n] | self.inc[n]) - {path}
            weight = 1.0 / math.log(2 + len(around))
            for c in around:
                scores[self.pos[c]] += weight
                touched[c] += 1
            for c in self.out[n] - {path}:
                linked_by[c] += 1
        my_backlinks = self.inc[path] - hidden
        why: dict[int, list[str]] = {}
        for c, count in touched.items():
            reasons = []
            if linked_by[c]:
                reasons.append(f"linked by {count_phrase(linked_by[c], 'of your neighbours')}")
            both = len(my_backlinks & self.inc[c])
            if both:
                reasons.append(f"{count_phrase(both, 'shared backlink', 's')}")
            if not reasons:
                reasons.append(f"shares {count_phrase(count, 'neighbour', 's')}")
            why[self.pos[c]] = reasons
        return scores, why


def count_phrase(n: int, noun: str, plural: str = "") -> str:
    return f"{n} {noun}{plural if n != 1 else ''}"


def _starts(sorted_ids: np.ndarray, n: int) -> np.ndarray:
    """CSR offsets: where each of n ids' run begins in `sorted_ids` (and the end)."""
    return np.concatenate(([0], np.cumsum(np.bincount(sorted_ids, minlength=n)))).astype(np.int64)
