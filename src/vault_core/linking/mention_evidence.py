"""This vault's own linking habits, as evidence for a mention: does it link this word?

A generic word ("server", "space", "library") is worth linking in one vault and noise in
another; the vault's writers have already answered the question wherever the word appears.
Two measures, both leaving the mentioning note out (its own links must not vouch for it):
- habit: of the other notes that use the surface form, the share that link the target by it
  (smoothed towards a small prior, so two links out of three notes is not "always");
- neighbours: of the notes the source links or is linked by, the share that link the target;
- field: how close, on average, the other notes that use the word are to the target ("fermions"
  is used in physics notes, "time" everywhere): a word of the target's field, not a plain word.
Built once per catalog version, from the link graph, the BM25 postings and the note vectors
`related()` keeps.
"""

from __future__ import annotations

import weakref
from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from vault_core.index.terms import tokenize
from vault_core.linking.mention_names import _name_key
from vault_core.linking.per_graph import PerGraph
from vault_core.linking.related_index import NoteIndex

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

Key = tuple[str, ...]
HABIT_PRIOR = 0.02  # a word's link rate before any evidence: most words are never linked
HABIT_WEIGHT = 3.0  # ...worth this many notes of evidence
NEIGHBOUR_PRIOR_NOTES = 1.0  # one imaginary neighbour that does not link the target


class LinkHabits:
    """Which notes link each target by each surface form, for one version of the catalog."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        self.linkers: dict[tuple[Key, str], set[str]] = defaultdict(set)
        for source, items in graph.resolutions.items():
            for res in items:
                if res.target and res.target != source:
                    shown = res.link.label or res.link.target.rsplit("/", 1)[-1]
                    if key := _name_key(shown):
                        self.linkers[(key, res.target)].add(source)
        self._using: dict[Key, int] = {}
        # (key, target) -> (sum of cosines to the target, notes counted), for one NoteIndex: a
        # new one (phase 2 filled vectors in) clears it; held weakly, so no old index stays alive
        self._field: dict[tuple[Key, str], tuple[float, int]] = {}
        self._field_index: weakref.ref[NoteIndex] | None = None

    def notes_using(self, index: NoteIndex, key: Key) -> int:
        """Notes whose text has every word of the name (its BM25 postings intersected)."""
        if key not in self._using:
            self._using[key] = len(_using(index, key))
        return self._using[key]

    def field(self, index: NoteIndex, key: Key, target: str, source: str) -> float | None:
        """Mean cosine between the target and the other notes using `key` (neither the target
        nor the source); None when the target has no vector or no other note has one."""
        t = index.pos.get(target)
        if t is None or not index.has_vector[t]:
            return None
        if self._field_index is None or self._field_index() is not index:
            self._field.clear()
            self._field_index = weakref.ref(index)
        cached = self._field.get((key, target))
        if cached is None:
            found = _using(index, key)
            found = found[(found != t) & index.has_vector[found]]
            cached = (float((index.note_matrix[found] @ index.note_matrix[t]).sum()), len(found))
            self._field[(key, target)] = cached
        total, count = cached
        s = index.pos.get(source)
        if s is not None and s != t and index.has_vector[s] and _uses(index, key, s):
            total -= float(index.note_matrix[s] @ index.note_matrix[t])
            count -= 1
        return total / count if count > 0 else None

    def habit(self, index: NoteIndex, key: Key, target: str, source: str) -> float:
        """Smoothed share of the other notes using `key` that link `target` by it."""
        linkers = self.linkers.get((key, target), set())
        linked = len(linkers - {source})
        using = max(self.notes_using(index, key) - 1, linked)  # the source uses it: leave it out
        return (linked + HABIT_WEIGHT * HABIT_PRIOR) / (using + HABIT_WEIGHT)

    def linked_by(self, key: Key, target: str, source: str) -> int:
        """Other notes that link `target` by this very surface form."""
        return len(self.linkers.get((key, target), set()) - {source})


def _words(key: Key) -> set[str]:
    return {t for w in key if w[0].isalnum() or w[0] == "_" for t in tokenize(w)}


def _using(index: NoteIndex, key: Key) -> np.ndarray:
    """Positions of the notes that have every word of the name, ascending."""
    found: np.ndarray | None = None
    for term in _words(key):
        notes = index.posting(term)[0]
        found = notes if found is None else np.intersect1d(found, notes, True)
    return np.zeros(0, np.int64) if found is None else found


def _uses(index: NoteIndex, key: Key, note: int) -> bool:
    """Does the note at this position have every word of the name (binary search per word)?"""
    for term in _words(key):
        notes = index.posting(term)[0]
        i = int(np.searchsorted(notes, note))
        if i >= len(notes) or notes[i] != note:
            return False
    return True


def neighbours_linking(index: NoteIndex, source: str, target: str) -> float:
    """Smoothed share of the source's link neighbours (either direction) that link the target."""
    nbrs = (index.out[source] | index.inc[source]) - {source, target}
    linking = sum(1 for n in nbrs if target in index.out[n])
    return linking / (len(nbrs) + NEIGHBOUR_PRIOR_NOTES)


_HABITS = PerGraph(LinkHabits)


def link_habits(vault: ReadModel) -> LinkHabits:
    """The cached LinkHabits of the vault's current catalog version."""
    return _HABITS.get(vault)
