"""A name table (file name, alias, title, path suffix -> notes) as NumPy arrays.

The link graph held six `dict[str, list[str]]` tables: ~800 B a note at 100k notes. Here a
table is each key's 64-bit hash (sorted), a second, independent 32-bit checksum (crc32) and
the note id beside them: 16 B an entry, no string kept. A lookup is a binary search on the
hash and keeps the entries whose checksum matches too, so a wrong note needs a collision of
both (~1 in 2^96 per pair of keys), with no record decoded to check.
"""

from __future__ import annotations

import posixpath
import zlib
from collections.abc import Iterable, Iterator, Sequence

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

    def patched(
        self,
        remap: np.ndarray,
        keys: Sequence[str],
        ids: Sequence[int],
        paths: Sequence[str],
        monotonic: bool = False,
    ) -> NameTable:
        """This table for the next catalog version: ids renumbered by `remap` (old id -> new;
        -1 drops the note's entries: it changed or went), and `keys[k]` -> `ids[k]` added for
        the notes that changed or came. Entries of one key stay in id order, as a table built
        afresh lists them. `monotonic` (`remap` keeps the kept notes' order): the new entries
        are inserted where they belong instead of the table being sorted again."""
        renumbered = remap[self._ids]
        keep = renumbered >= 0
        n = len(keys)
        hashes = np.fromiter(map(hash, keys), dtype=np.int64, count=n)
        crcs = np.fromiter(map(_crc, keys), dtype=np.uint32, count=n)
        owners = np.asarray(ids, dtype=np.int32).reshape(n)
        old_hashes, old_crcs, old_ids = self._hashes[keep], self._crcs[keep], renumbered[keep]
        table = NameTable.__new__(NameTable)
        table._paths = paths
        if monotonic:
            order = np.lexsort((owners, hashes))
            hashes, crcs, owners = hashes[order], crcs[order], owners[order]
            lo = old_hashes.searchsorted(hashes, side="left")
            hi = old_hashes.searchsorted(hashes, side="right")
            at = [
                start + int(np.count_nonzero(old_ids[start:end] < owner))
                for start, end, owner in zip(lo.tolist(), hi.tolist(), owners.tolist(), strict=True)
            ]
            table._hashes = np.insert(old_hashes, at, hashes)
            table._crcs = np.insert(old_crcs, at, crcs)
            table._ids = np.insert(old_ids, at, owners)
            return table
        every_hash = np.concatenate([old_hashes, hashes])
        every_id = np.concatenate([old_ids, owners])
        order = np.lexsort((every_id, every_hash))
        table._hashes, table._ids = every_hash[order], every_id[order]
        table._crcs = np.concatenate([old_crcs, crcs])[order]
        return table

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


class NameRows:
    """Keys for the six name tables, collected a note at a time: the one place that says
    which names a note answers to."""

    TABLES = ("by_key", "_folded", "by_suffix", "by_name", "by_alias", "by_title")

    def __init__(self) -> None:
        self.tables: dict[str, tuple[list[str], list[int]]] = {t: ([], []) for t in self.TABLES}

    def add(self, i: int, path: str, aliases: Iterable[str], title: str | None) -> None:
        folded = path.casefold()
        key = _strip_md(folded)  # the whole path, no '.md'
        # `[[folder/name]]`: every path under each of its trailing segments ('b/c' for
        # 'a/b/c.md'), so a path link is a lookup, not a scan of every note (100k notes).
        for table, keys in (
            ("by_key", [key]),
            ("_folded", [folded]),
            ("by_suffix", _suffixes_of(key)),
            ("by_name", _name_keys(path)),
            ("by_alias", [_norm(a) for a in aliases]),
            ("by_title", [_norm(title or "")]),
        ):
            names, owners = self.tables[table]
            names.extend(keys)
            owners.extend([i] * len(keys))

    def hashes(self) -> set[int]:
        """Every key's hash (the empty title's excepted: no link looks it up)."""
        return {hash(k) for keys, _ in self.tables.values() for k in keys if k}


def _norm(name: str) -> str:
    return name.strip().replace("\\", "/").casefold()


def _strip_md(name: str) -> str:
    return name[:-3] if name.endswith(".md") else name


def _wanted(target: str) -> str:
    """A wiki link's target as the name tables key it (`Folder/Name.md` -> `folder/name`)."""
    return _strip_md(_norm(target))


def _relative(wanted: str, source: str) -> str:
    """`[[sub/name]]` read from `source`'s folder: the whole-path key it may mean."""
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, wanted)).casefold() if base else wanted


def _joined(target: str, source: str) -> str:
    """A Markdown link's target as a vault path, from `source`'s folder."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _suffixes_of(key: str) -> list[str]:
    if "/" not in key:
        return [key]
    parts = key.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _name_keys(path: str) -> list[str]:
    name = _norm(path.rsplit("/", 1)[-1])
    keys = [_strip_md(name)]
    if not name.endswith(".md"):
        keys.append(name)  # attachments by full file name, as well as without '.md'
    return keys
