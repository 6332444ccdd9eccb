"""Title/alias/file-name term postings for `NoteIndex`'s `titles` signal.

Kept apart from related_index.py because making them is its own job with its own shortcuts:
reuse an earlier version's postings after a save, or the stored tokenised names in a new process.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.columnar import Catalog
from vault_core.index.note_names import StoredNames, name_columns, title_terms

TITLE_REUSE_MAX = 2_048  # changed notes past which every note's title terms are made afresh


class TitledIndex(Protocol):
    """What an earlier version's index lends a new one: its notes and title postings."""

    records: Catalog
    paths: list[str]
    pos: dict[str, int]
    title_postings: dict[str, np.ndarray]


def title_postings(
    records: Catalog,
    paths: list[str],
    pos: dict[str, int],
    stored: StoredNames | None,
    previous: TitledIndex | None,
) -> dict[str, np.ndarray]:
    """term -> the notes (places in `paths`) whose title, aliases or file name have it.
    After a save only the changed notes' names are tokenized again, the rest is `previous`'s;
    in a new process, the stored rows of unchanged notes are taken as they are
    (index/note_names.py) and only the others' names read from the catalog's columns."""
    notes: list[np.ndarray] = []
    terms: list[pa.Array] = []
    todo: list[str] = paths
    if previous is not None:
        changed = set(records.changed_since(previous.records))
        if len(changed) <= TITLE_REUSE_MAX:
            place = np.array([pos.get(p, -1) for p in previous.paths] + [-1], np.int64)
            for p in changed:
                if p in previous.pos:
                    place[previous.pos[p]] = -1
            old = previous.title_postings
            sizes = np.fromiter((len(ix) for ix in old.values()), np.int64, len(old))
            moved = place[np.concatenate([*old.values(), np.zeros(0, np.int64)])]
            codes = np.repeat(np.arange(len(old)), sizes)[moved >= 0]
            notes.append(moved[moved >= 0])
            vocab = pa.array(list(old), pa.string())
            terms.append(pa.DictionaryArray.from_arrays(pa.array(codes), vocab).cast(pa.string()))
            todo = sorted(p for p in changed if p in pos)
    if todo is paths and stored is not None and len(stored.taken):
        column = stored.rows_of("terms")
        place = stored.final
        if place is None:
            found = pc.index_in(stored.paths, value_set=pa.array(paths, pa.string()))
            place = pc.fill_null(found, -1).to_numpy(zero_copy_only=False)
        place = np.asarray(place, np.int64)
        parent = place[pc.list_parent_indices(column).to_numpy()]
        keep = parent >= 0
        notes.append(parent[keep])
        terms.append(pc.list_flatten(column).filter(pa.array(keep)))
        have = np.zeros(len(paths), np.bool_)
        have[place[place >= 0]] = True
        todo = [paths[i] for i in np.flatnonzero(~have).tolist()]
    if todo:
        _, titles, aliases = name_columns(records, todo)
        fresh_notes, fresh_terms = [], []
        for path in todo:
            for t in title_terms(path, titles.get(path), aliases.get(path)):
                fresh_notes.append(pos[path])
                fresh_terms.append(t)
        notes.append(np.array(fresh_notes, np.int64))
        terms.append(pa.array(fresh_terms, pa.string()))
    return _postings(notes, terms)


def _postings(notes: list[np.ndarray], terms: list[pa.Array]) -> dict[str, np.ndarray]:
    """term -> the notes that have it, ascending, from (note, term) pairs (no duplicates)."""
    note = np.concatenate([*notes, np.zeros(0, np.int64)])
    if not len(note):
        return {}
    encoded = pa.chunked_array(terms, pa.string()).combine_chunks().dictionary_encode()
    code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    vocab = encoded.dictionary.to_pylist()
    order = np.lexsort((note, code))
    note, code = note[order], code[order]
    cuts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]) if len(code) else np.zeros(0, int)
    parts = np.split(note, cuts[1:])
    return {vocab[code[c]]: part for c, part in zip(cuts.tolist(), parts, strict=True)}
