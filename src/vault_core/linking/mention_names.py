"""The name trie behind unlinked mentions: every note's title, alias and file name as token keys.

Built once per catalog version (from the names stored with `related()`'s parts where they
match) and patched on saves (`_Matcher.updated`); `_LinkedAs` says how often the vault already
links a note by a given word. Read by mentions.py's scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.catalog import stem_of
from vault_core.index.link_edges import NO_KEY
from vault_core.index.note_names import (
    NAME_TOKEN_RE,
    TRIE_COLUMNS,
    StoredNames,
    name_columns,
    name_gaps,
    names_table,
    trie_names,
)
from vault_core.index.note_names import name_key as _name_key
from vault_core.linking.name_trie import Overlay, TrieArrays, TrieView
from vault_core.linking.per_graph import PerGraph
from vault_core.linking.related_index import note_index

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

__all__ = ["NAME_TOKEN_RE", "UPDATE_MAX", "_Matcher", "_matcher", "_name_key"]

UPDATE_MAX = 2_048  # changed notes past which the name trie is built afresh, not patched


class _Matcher:
    """A word-level trie over every usable title, alias and file name: first token -> names
    (linking/name_trie.py holds it as arrays; `owners`, `gaps`, `stems`, `first` and `keys_of`
    are mappings over them)."""

    def __init__(self, graph: LinkGraph, stored: StoredNames | None = None) -> None:
        """The trie of `graph`'s catalog; `stored` (the writer's tokenised names, kept with
        `related()`'s parts) gives every note whose sha still matches, the rest is tokenised."""
        self.graph = graph
        arrays = TrieArrays(graph.paths, graph.ids, _trie_rows(graph, stored))
        self._attach(TrieView(arrays, Overlay()))

    @classmethod
    def of_vault(cls, vault: ReadModel, graph: LinkGraph) -> _Matcher:
        """A process's first trie: from the names stored with `related()`'s parts."""
        return cls(graph, note_index(vault).parts.names)

    def _attach(self, view: TrieView) -> None:
        self.view = view
        self.owners, self.gaps, self.stems = view.owners, view.gaps, view.stems
        self.first, self.keys_of = view.first, view.keys_of
        self._fresh()

    def _fresh(self) -> None:
        """The memos of one catalog version."""
        self.notes_using: dict[str, int] = {}  # _WordRarity's memo for this catalog version
        self._link_text: dict[str, str] = {}
        self.linked_as = _LinkedAs(self.graph)

    def updated(self, graph: LinkGraph) -> _Matcher:
        """This trie for a later catalog version: the notes whose file changed (or that came
        or went) are taken out of the arrays and put back in the overlay; the arrays are
        shared. Built afresh once the overlay would hold more than UPDATE_MAX notes."""
        changed = graph.notes.changed_since(self.graph.notes)
        old = self.view.overlay
        if len(changed) + len(old.keys_of) > UPDATE_MAX:
            return _Matcher(graph)
        overlay = Overlay(
            removed=old.removed | set(changed),
            owners=dict(old.owners),
            gaps=dict(old.gaps),
            stems=dict(old.stems),
            keys_of=dict(old.keys_of),
            first=dict(old.first),
        )
        view = TrieView(self.view.arrays, overlay)
        for path in changed:
            overlay.stems.pop(path, None)
            for key in overlay.keys_of.pop(path, ()):
                left = overlay.owners.get(key, set()) - {path}  # new sets: the old version
                if left:  # still reads its own
                    overlay.owners[key] = left
                    continue
                overlay.owners.pop(key, None)
                overlay.first[key[0]] = overlay.first.get(key[0], set()) - {key}
                if not view.owners_of(key):
                    overlay.gaps.pop(key, None)
        for path in changed:
            note = graph.notes.get(path)
            if note is None or note.kind != "note":
                continue
            overlay.stems[path] = _name_key(stem_of(path))
            keys = []
            for name in trie_names(path, note.title, note.aliases):
                key = _name_key(name)
                if not key:
                    continue
                keys.append(key)
                if not view.owners_of(key):
                    overlay.gaps[key] = name_gaps(name)
                overlay.owners[key] = overlay.owners.get(key, set()) | {path}
                overlay.first[key[0]] = overlay.first.get(key[0], set()) | {key}
            overlay.keys_of[path] = keys
        new = _Matcher.__new__(_Matcher)
        new.graph = graph
        new._attach(view)
        return new

    def link_text(self, path: str) -> str:
        if path not in self._link_text:
            self._link_text[path] = self.graph.shortest_link_text(path)
        return self._link_text[path]


class _LinkedAs:
    """How the vault already links a note: (name as shown, target) -> count, counted per target
    from the hashes of its backlinks' shown names in the link columns (`backlink_names`:
    decoding each linking note's record cost ~40 ms a query at 100k notes)."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        self._by_target: dict[str, dict[int, int]] = {}

    def get(self, item: tuple[tuple[str, ...], str], default: int = 0) -> int:
        key, target = item
        counts = self._by_target.get(target)
        if counts is None:
            names = self.graph.backlink_names(target)
            found, times = np.unique(names[names != NO_KEY], return_counts=True)
            counts = dict(zip(found.tolist(), times.tolist(), strict=True))
            self._by_target[target] = counts
        return counts.get(hash(key), default)


def _trie_rows(graph: LinkGraph, stored: StoredNames | None) -> pa.Table:
    """One row per Markdown note of the graph (`id`, `keys`, `gaps`, `stem`): the stored
    rows whose sha matches, the other notes' names tokenised now (from the catalog's columns:
    decoding 100k records cost ~20 s)."""
    tables: list[pa.Table] = []
    missing = graph.paths
    if stored is not None and len(stored.taken):
        taken = pa.array(stored.taken, pa.int64())
        tables.append(stored.table.select(list(TRIE_COLUMNS)).take(taken))
        ids = pc.index_in(stored.paths, value_set=pa.array(graph.paths, pa.string()))
        ids = pc.fill_null(ids, -1).to_numpy(zero_copy_only=False)
        have = np.zeros(len(graph.paths), np.bool_)
        have[ids[ids >= 0]] = True
        missing = [graph.paths[i] for i in np.flatnonzero(~have).tolist()]
    if missing or not tables:
        kinds, titles, aliases = name_columns(graph.notes, missing)
        fresh = names_table(missing, {}, kinds, titles, aliases, with_terms=False)
        tables.append(fresh.select(list(TRIE_COLUMNS)))
    table = pa.concat_tables(tables)
    table = table.filter(table.column("note"))
    ids = pc.index_in(table.column("path"), value_set=pa.array(graph.paths, pa.string()))
    return table.append_column("id", ids.cast(pa.int32()))


_MATCHERS = PerGraph(_Matcher, _Matcher.updated, _Matcher.of_vault)


def _matcher(vault: ReadModel) -> _Matcher:
    """The name trie of the vault's current catalog version."""
    return _MATCHERS.get(vault)
