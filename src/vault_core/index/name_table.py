"""A name table (file name, alias, title, path suffix -> notes) as NumPy arrays.

The link graph held six `dict[str, list[str]]` tables: ~800 B a note at 100k notes. Here a
table is each key's 64-bit hash (sorted), a second, independent 32-bit checksum (crc32) and
the note id beside them: 16 B an entry, no string kept. A lookup is a binary search on the
hash and keeps the entries whose checksum matches too, so a wrong note needs a collision of
both (~1 in 2^96 per pair of keys), with no record decoded to check.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator, Sequence

import numpy as np


def _crc(key: str) -> int:
    return zlib.crc32(key.encode("utf-8", "surrogatepass"))


class NameTable:
    """key -> the ids of the notes it names, in the order they were added (a note named
    twice by the same key is listed twice, as the lists it replaces did)."""

    def __init__(self, keys: Sequence[str], ids: Sequence[int], paths: Sequence[str]) -> None:
        """`keys[k]` names note `ids[k]`; `paths[id]` is that note's path."""
        n = len(keys)
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=n)
        order = np.argsort(hashes, kind="stable")
        self._hashes = hashes[order]
        self._crcs = np.fromiter(map(_crc, keys), dtype=np.uint32, count=n)[order]
        self._ids = np.asarray(ids, dtype=np.int32).reshape(n)[order]
        self._paths = paths

    def ids(self, key: str) -> list[int]:
        h = hash(key)
        lo = int(self._hashes.searchsorted(h, side="left"))
        hi = int(self._hashes.searchsorted(h, side="right"))
        if lo == hi:
            return []
        crc = _crc(key)
        return [
            i
            for i, c in zip(self._ids[lo:hi].tolist(), self._crcs[lo:hi].tolist(), strict=True)
            if c == crc
        ]

    def get(self, key: str, default: list[str] | None = None) -> list[str]:
        """The paths `key` names (a new list), or `default` (`[]` when None) when none."""
        found = [self._paths[i] for i in self.ids(key)]
        return found if found else ([] if default is None else default)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and bool(self.ids(key))

    def values(self) -> Iterator[list[str]]:
        """The paths of each key, a key at a time."""
        if not len(self._hashes):
            return
        keys = np.stack([self._hashes, self._crcs.astype(np.int64)], axis=1)
        order = np.lexsort((self._crcs, self._hashes))  # stable: ids keep their order
        keys = keys[order]
        starts = np.flatnonzero(np.any(np.diff(keys, axis=0) != 0, axis=1)) + 1
        for group in np.split(self._ids[order], starts):
            yield [self._paths[i] for i in group.tolist()]

    def nbytes(self) -> int:
        return int(self._hashes.nbytes + self._crcs.nbytes + self._ids.nbytes)
