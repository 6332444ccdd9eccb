"""The resolved links of one catalog version as NumPy columns, and how a save patches them.

One row a link: its source note id, its ordinal in that note, the target id (-1: broken), the
ambiguous flag, the hashes of the names its resolution looked up (`keys`), and the hash of the
name it shows as a mention key (`shown`: how the vault links a note by name, for the mention
finder, without decoding the linking notes). Rows are ordered
by (source, ordinal); `starts` indexes each note's rows and `incoming` orders them by target,
so backlinks are a binary search. A save changes a few notes: `patched` keeps every row whose
source did not change, renumbers ids, and takes the re-resolved rows in (index/link_graph.py
decides which rows to re-resolve: those whose `keys` meet a name that changed).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

NO_KEY = 0  # a link whose resolution looks up no name (`[[#Heading]]`: the note itself)


@dataclass(slots=True)
class EdgeRows:
    """Rows being collected (a full build, or the rows a patch re-resolves), as lists."""

    sources: list[int] = field(default_factory=list)
    ordinals: list[int] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    ambiguous: list[bool] = field(default_factory=list)
    keys: list[tuple[int, int]] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)

    def add(
        self,
        source: int,
        ordinal: int,
        target: int,
        ambiguous: bool,
        keys: tuple[int, int],
        shown: int = NO_KEY,
    ) -> None:
        self.sources.append(source)
        self.ordinals.append(ordinal)
        self.targets.append(target)
        self.ambiguous.append(ambiguous)
        self.keys.append(keys)
        self.shown.append(shown)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(sources, ordinals, targets, ambiguous, keys, shown) as the columns hold them."""
        return (
            np.asarray(self.sources, dtype=np.int32),
            np.asarray(self.ordinals, dtype=np.int32),
            np.asarray(self.targets, dtype=np.int32),
            np.asarray(self.ambiguous, dtype=np.bool_),
            np.asarray(self.keys, dtype=np.int64).reshape(-1, 2),
            np.asarray(self.shown, dtype=np.int64),
        )


class Edges:
    """Every resolved link of a catalog version, ordered by (source id, ordinal)."""

    __slots__ = (
        "_incoming",
        "ambiguous",
        "keys",
        "ordinals",
        "shown",
        "sources",
        "starts",
        "targets",
    )

    def __init__(
        self,
        notes: int,
        sources: np.ndarray,
        ordinals: np.ndarray,
        targets: np.ndarray,
        ambiguous: np.ndarray,
        keys: np.ndarray,
        shown: np.ndarray,
        *,
        ordered: bool = False,
    ) -> None:
        """Rows for `notes` note ids, sorted here by (source, ordinal) unless `ordered`."""
        order = slice(None) if ordered else np.lexsort((ordinals, sources))
        self.sources = np.ascontiguousarray(sources[order], dtype=np.int32)
        self.ordinals = np.ascontiguousarray(ordinals[order], dtype=np.int32)
        self.targets = np.ascontiguousarray(targets[order], dtype=np.int32)
        self.ambiguous = np.ascontiguousarray(ambiguous[order], dtype=np.bool_)
        self.keys = np.ascontiguousarray(keys[order], dtype=np.int64).reshape(-1, 2)
        self.shown = np.ascontiguousarray(shown[order], dtype=np.int64)
        bounds = np.arange(notes + 1, dtype=np.int32)
        self.starts = np.searchsorted(self.sources, bounds, side="left").astype(np.int32)
        self._incoming: tuple[np.ndarray, np.ndarray] | None = None

    @classmethod
    def of(cls, notes: int, rows: EdgeRows) -> Edges:
        return cls(notes, *rows.arrays())

    def __len__(self) -> int:
        return int(self.sources.size)

    @property
    def incoming(self) -> tuple[np.ndarray, np.ndarray]:
        """(rows ordered by target, stable so sources keep their order; those targets)."""
        if self._incoming is None:
            order = np.argsort(self.targets, kind="stable").astype(np.int32)
            self._incoming = (order, self.targets[order])
        return self._incoming

    def into(self, i: int) -> np.ndarray:
        """Rows that land on note `i` from another note, in source order."""
        order, sorted_targets = self.incoming
        lo, hi = np.searchsorted(sorted_targets, [i, i + 1])
        rows = order[lo:hi]
        return rows[self.sources[rows] != i]

    def nbytes(self) -> int:
        arrays = (self.starts, self.sources, self.ordinals, self.targets, self.ambiguous)
        held = sum(int(a.nbytes) for a in (*arrays, self.keys, self.shown))
        return held + (sum(int(a.nbytes) for a in self._incoming) if self._incoming else 0)

    # -- a patch --------------------------------------------------------------------------
    def stale(self, remap: np.ndarray, names: np.ndarray) -> np.ndarray:
        """Rows to resolve again: the source is kept (`remap` >= 0) and the row looked up one
        of `names` (hashes of every name a changed note had or has) or landed on a changed
        note (its target's `remap` is -1)."""
        kept = remap[self.sources] >= 0
        met = np.isin(self.keys, names).any(axis=1)
        lost = (self.targets >= 0) & (remap[np.maximum(self.targets, 0)] < 0)
        return np.flatnonzero(kept & (met | lost))

    def patched(
        self,
        notes: int,
        remap: np.ndarray,
        redo: np.ndarray,
        redone: EdgeRows,
        added: EdgeRows,
        monotonic: bool = False,
    ) -> Edges:
        """These rows for the next catalog version: ids renumbered by `remap` (old id -> new;
        -1: the note changed or went, so its rows go), the `redo` rows replaced by `redone`
        (the same links resolved again, in `redo`'s order) and `added` (the changed notes'
        links, in (source, ordinal) order) taken in. `monotonic` (`remap` keeps the kept
        notes' order): `added` is inserted where it belongs instead of everything sorted."""
        sources = remap[self.sources]
        targets = np.where(self.targets >= 0, remap[np.maximum(self.targets, 0)], -1)
        ambiguous, keys, shown = self.ambiguous.copy(), self.keys.copy(), self.shown.copy()
        _, _, targets[redo], ambiguous[redo], keys[redo], shown[redo] = redone.arrays()
        keep = sources >= 0
        old = (
            sources[keep],
            self.ordinals[keep],
            targets[keep],
            ambiguous[keep],
            keys[keep],
            shown[keep],
        )
        fresh = added.arrays()
        if monotonic:
            at = np.searchsorted(old[0], fresh[0], side="left")
            merged = [np.insert(a, at, b, axis=0) for a, b in zip(old, fresh, strict=True)]
            return Edges(notes, *merged, ordered=True)
        joined = [np.concatenate([a, b]) for a, b in zip(old, fresh, strict=True)]
        return Edges(notes, *joined)
