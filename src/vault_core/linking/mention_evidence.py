"""This vault's own linking habits, as evidence for a mention: does it link this word?

A generic word ("server", "space", "library") is worth linking in one vault and noise in
another; the vault's writers have already answered the question wherever the word appears.
Two measures, both leaving the mentioning note out (its own links must not vouch for it):
- habit: of the other notes that use the surface form, the share that link the target by it
  (smoothed towards a small prior, so two links out of three notes is not "always");
- neighbours: of the notes the source links or is linked by, the share that link the target.
Built once per catalog version, from the link graph and the BM25 postings `related()` keeps.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from vault_core.index.terms import tokenize
from vault_core.linking.mentions import _name_key
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

    def notes_using(self, index: NoteIndex, key: Key) -> int:
        """Notes whose text has every word of the name (its BM25 postings intersected)."""
        if key not in self._using:
            words = [t for t in key if t[0].isalnum() or t[0] == "_"]
            found: np.ndarray | None = None
            for term in {t for w in words for t in tokenize(w)}:
                notes = index.posting(term)[0]
                found = notes if found is None else np.intersect1d(found, notes, True)
            self._using[key] = 0 if found is None else len(found)
        return self._using[key]

    def habit(self, index: NoteIndex, key: Key, target: str, source: str) -> float:
        """Smoothed share of the other notes using `key` that link `target` by it."""
        linkers = self.linkers.get((key, target), set())
        linked = len(linkers - {source})
        using = max(self.notes_using(index, key) - 1, linked)  # the source uses it: leave it out
        return (linked + HABIT_WEIGHT * HABIT_PRIOR) / (using + HABIT_WEIGHT)

    def linked_by(self, key: Key, target: str, source: str) -> int:
        """Other notes that link `target` by this very surface form."""
        return len(self.linkers.get((key, target), set()) - {source})


def neighbours_linking(index: NoteIndex, source: str, target: str) -> float:
    """Smoothed share of the source's link neighbours (either direction) that link the target."""
    nbrs = (index.out[source] | index.inc[source]) - {source, target}
    linking = sum(1 for n in nbrs if target in index.out[n])
    return linking / (len(nbrs) + NEIGHBOUR_PRIOR_NOTES)


_HABITS = PerGraph(LinkHabits)


def link_habits(vault: ReadModel) -> LinkHabits:
    """The cached LinkHabits of the vault's current catalog version."""
    return _HABITS.get(vault)
