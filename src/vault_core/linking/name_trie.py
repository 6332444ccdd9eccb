"""The mention finder's name trie as arrays: first token -> names, name -> notes, name -> gaps.

It was a dict of 205k token tuples, each with a set of owners, at 100k notes: ~95 MB and ~3 s
to build in every new process. Here one build is a few Arrow and NumPy passes over the notes'
stored names (index/note_names.py), a name's tokens are made into a tuple only when a note's
text meets its first token, and a save is an overlay (`Overlay`): the changed notes taken out
of the arrays and put into small dicts, so the arrays are shared by every later version.
linking/mentions.py reads it through the same mappings it always used (`owners`, `gaps`,
`stems`, `first`, `keys_of`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.note_names import SEP, Key, as_gaps, as_key

__all__ = ["Overlay", "TrieArrays", "TrieView"]


class TrieArrays:
    """One full build over `rows` (columns `id`, `keys`, `gaps`, `stem`: one row per note the
    trie indexes; `id` indexes `paths`). Keys are numbered by first appearance in id order,
    so a key's gaps are its first owner's, as the dict-based trie's `setdefault` kept them."""

    def __init__(self, paths: list[str], ids: Mapping[str, int], rows: pa.Table) -> None:
        self.paths, self.ids = paths, ids
        rows = rows.sort_by("id")
        note_ids = rows.column("id").to_numpy().astype(np.int64)
        keys = rows.column("keys").combine_chunks()
        gaps = rows.column("gaps").combine_chunks()
        self.row_of = np.full(len(paths), -1, np.int32)
        self.row_of[note_ids] = np.arange(len(note_ids), dtype=np.int32)
        self.key_offsets = keys.offsets.to_numpy()
        self.stems = rows.column("stem").combine_chunks()
        encoded = pc.list_flatten(keys).dictionary_encode()
        self.dictionary: pa.StringArray = encoded.dictionary
        self.pair_code = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
        owner = note_ids[pc.list_parent_indices(keys).to_numpy()]
        pairs = np.unique(self.pair_code.astype(np.int64) * max(len(paths), 1) + owner)
        n_keys = len(self.dictionary)
        owner_code = pairs // max(len(paths), 1)
        self.owner_id = (pairs % max(len(paths), 1)).astype(np.int32)
        self.owner_start = np.searchsorted(owner_code, np.arange(n_keys + 1))
        _, first_pair = np.unique(self.pair_code, return_index=True)
        self.gap_strings = pc.list_flatten(gaps).take(pa.array(first_pair))
        tokens = pc.add(pc.count_substring(self.dictionary, SEP), 1).to_numpy()
        first = pc.list_element(pc.split_pattern(self.dictionary, SEP, max_splits=1), 0)
        first_tokens = first.dictionary_encode()
        token_code = first_tokens.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.by_token = np.lexsort((np.arange(n_keys), -tokens, token_code)).astype(np.int32)
        self.token_start = np.searchsorted(
            token_code[self.by_token], np.arange(len(first_tokens.dictionary) + 1)
        )
        self.token_of = {t: i for i, t in enumerate(first_tokens.dictionary.to_pylist())}
        self._tuples: dict[int, Key] = {}  # the keys a text met, both ways
        self._known: dict[Key, int] = {}
        self._codes: dict[Key, int] | None = None

    def key(self, code: int) -> Key:
        found = self._tuples.get(code)
        if found is None:
            found = self._tuples[code] = tuple(self.dictionary[code].as_py().split(SEP))
            self._known[found] = code
        return found

    def code(self, key: Key) -> int | None:
        """A key's number: known once a text met it; else the whole table is made into a dict,
        once (a caller asking about a name no text led to: tests, reports)."""
        found = self._known.get(key)
        if found is not None:
            return found
        if self._codes is None:
            names = self.dictionary.to_pylist()
            self._codes = {tuple(s.split(SEP)): i for i, s in enumerate(names)}
        return self._codes.get(key)

    def owners(self, code: int) -> list[str]:
        ids = self.owner_id[self.owner_start[code] : self.owner_start[code + 1]]
        return [self.paths[i] for i in ids.tolist()]

    def gaps(self, code: int) -> list[bool]:
        return as_gaps(self.gap_strings[code].as_py())

    def token_keys(self, token: str) -> list[int]:
        """Codes of the keys starting with `token`, longest first."""
        t = self.token_of.get(token)
        if t is None:
            return []
        return self.by_token[self.token_start[t] : self.token_start[t + 1]].tolist()

    def note_keys(self, path: str) -> list[Key] | None:
        """The keys a note added (None: not a note of this build)."""
        i = self.ids.get(path)
        row = -1 if i is None or i >= len(self.row_of) else int(self.row_of[i])
        if row < 0 or self.paths[i] != path:
            return None
        start, end = self.key_offsets[row], self.key_offsets[row + 1]
        return [self.key(int(c)) for c in self.pair_code[start:end].tolist()]

    def stem(self, path: str) -> tuple[bool, Key | None]:
        """(is a note of this build, its file name's key)."""
        i = self.ids.get(path)
        row = -1 if i is None or i >= len(self.row_of) else int(self.row_of[i])
        if row < 0 or self.paths[i] != path:
            return False, None
        return True, as_key(self.stems[row].as_py())


@dataclass
class Overlay:
    """What saves changed since the arrays were built: notes taken out (`removed`) and the
    changed notes' names as small dicts, the way the dict-based trie held every note's."""

    removed: frozenset[str] = frozenset()
    owners: dict[Key, set[str]] = field(default_factory=dict)
    gaps: dict[Key, list[bool]] = field(default_factory=dict)
    stems: dict[str, Key | None] = field(default_factory=dict)
    keys_of: dict[str, list[Key]] = field(default_factory=dict)
    first: dict[str, set[Key]] = field(default_factory=dict)


class TrieView:
    """The arrays under an overlay: the mappings `mentions._Matcher` exposes."""

    def __init__(self, arrays: TrieArrays, overlay: Overlay) -> None:
        self.arrays, self.overlay = arrays, overlay
        self.owners = _Owners(self)
        self.gaps = _Gaps(self)
        self.stems = _Stems(self)
        self.first = _First(self)
        self.keys_of = _KeysOf(self)
        self._first_memo: dict[str, list[Key]] = {}

    def owners_of(self, key: Key) -> set[str]:
        code = self.arrays.code(key) if self._need_code(key) else None
        found: set[str] = set()
        if code is not None:
            removed = self.overlay.removed
            found = {p for p in self.arrays.owners(code) if p not in removed}
        extra = self.overlay.owners.get(key)
        return found | extra if extra else found

    def _need_code(self, key: Key) -> bool:
        return key[0] in self.arrays.token_of

    def base_codes(self) -> Iterator[tuple[int, Key]]:
        for code in range(len(self.arrays.dictionary)):
            yield code, self.arrays.key(code)

    def keys_starting(self, token: str) -> list[Key]:
        found = self._first_memo.get(token)
        if found is not None:
            return found
        arrays, overlay = self.arrays, self.overlay
        keys = [arrays.key(c) for c in arrays.token_keys(token)]
        if overlay.removed or overlay.owners:
            keys = [k for k in keys if self.owners_of(k)]
            more = [k for k in overlay.first.get(token, ()) if k not in set(keys)]
            keys = sorted([*keys, *sorted(more)], key=len, reverse=True)
        self._first_memo[token] = keys
        return keys


class _Owners(Mapping[Key, set[str]]):
    def __init__(self, view: TrieView) -> None:
        self.view = view

    def __getitem__(self, key: Key) -> set[str]:
        return self.view.owners_of(key)  # empty for a name no note has, as a defaultdict was

    def __contains__(self, key: object) -> bool:
        return isinstance(key, tuple) and bool(self.view.owners_of(key))

    def __iter__(self) -> Iterator[Key]:
        seen: set[Key] = set()
        for _, key in self.view.base_codes():
            if self.view.owners_of(key):
                seen.add(key)
                yield key
        yield from (k for k, v in self.view.overlay.owners.items() if v and k not in seen)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Gaps(Mapping[Key, list[bool]]):
    def __init__(self, view: TrieView) -> None:
        self.view = view

    def __getitem__(self, key: Key) -> list[bool]:
        extra = self.view.overlay.gaps.get(key)
        if extra is not None:
            return extra
        code = self.view.arrays.code(key) if self.view._need_code(key) else None
        if code is None or not self.view.owners_of(key):
            raise KeyError(key)
        return self.view.arrays.gaps(code)

    def __iter__(self) -> Iterator[Key]:
        return iter(self.view.owners)

    def __len__(self) -> int:
        return len(self.view.owners)


class _Stems(Mapping[str, Key | None]):
    def __init__(self, view: TrieView) -> None:
        self.view = view

    def __getitem__(self, path: str) -> Key | None:
        overlay = self.view.overlay
        if path in overlay.stems:
            return overlay.stems[path]
        found, stem = self.view.arrays.stem(path)
        if not found or path in overlay.removed:
            raise KeyError(path)
        return stem

    def __iter__(self) -> Iterator[str]:
        arrays, overlay = self.view.arrays, self.view.overlay
        for i in np.flatnonzero(arrays.row_of >= 0).tolist():
            if arrays.paths[i] not in overlay.removed and arrays.paths[i] not in overlay.stems:
                yield arrays.paths[i]
        yield from overlay.stems

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _KeysOf(Mapping[str, list[Key]]):
    def __init__(self, view: TrieView) -> None:
        self.view = view

    def __getitem__(self, path: str) -> list[Key]:
        overlay = self.view.overlay
        if path in overlay.keys_of:
            return overlay.keys_of[path]
        keys = None if path in overlay.removed else self.view.arrays.note_keys(path)
        if keys is None:
            raise KeyError(path)
        return keys

    def __iter__(self) -> Iterator[str]:
        return iter(self.view.stems)

    def __len__(self) -> int:
        return len(self.view.stems)


class _First(Mapping[str, list[Key]]):
    def __init__(self, view: TrieView) -> None:
        self.view = view

    def __getitem__(self, token: str) -> list[Key]:
        keys = self.view.keys_starting(token)
        if not keys and token not in self:
            raise KeyError(token)
        return keys

    def __contains__(self, token: object) -> bool:
        return isinstance(token, str) and (
            token in self.view.arrays.token_of or token in self.view.overlay.first
        )

    def get(self, token: str, default: object = None) -> list[Key]:  # type: ignore[override]
        return self.view.keys_starting(token)

    def __iter__(self) -> Iterator[str]:
        yield from self.view.arrays.token_of
        yield from (t for t in self.view.overlay.first if t not in self.view.arrays.token_of)

    def __len__(self) -> int:
        return sum(1 for _ in self)
