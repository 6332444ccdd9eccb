"""Every note's names, tokenised once and kept with `related()`'s parts (store/note_parts.py).

The mention finder's name trie (linking/mentions.py) and `related()`'s title terms
(linking/related_index.py) both walk every title, alias and file name of the vault: at 100k
notes, 205k names tokenised one by one cost seconds in every new process. The writer stores the
result per note, with the file sha it was made from, beside the parts; a process takes the rows
whose sha still matches and tokenises only the notes changed since, the way the parts are
patched. One function per tokenisation (`name_key`, `title_terms`): the trie, the title terms
and this table call the same ones, so a stored row equals a fresh one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.catalog import stem_of
from vault_core.index.columnar import Catalog
from vault_core.index.terms import STOPWORDS, tokenize

NAMES_FORMAT = 1  # bump when name_key, name_gaps or title_terms change: old rows are ignored
NAME_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
MIN_NAME_CHARS = 3
SEP = "\x1f"  # between a key's tokens in the stored string (no token holds a control char)
Key = tuple[str, ...]
RECORDS_MAX = 2_048  # notes to tokenise past which their names are read as whole columns
TRIE_COLUMNS = ("path", "note", "keys", "gaps", "stem")  # what the mention trie reads

NAMES_SCHEMA = pa.schema(
    [
        ("path", pa.string()),
        ("sha", pa.string()),
        ("note", pa.bool_()),  # a Markdown note (the trie indexes only these)
        ("keys", pa.list_(pa.string())),  # the trie keys of a note's names, tokens joined by SEP
        ("gaps", pa.list_(pa.string())),  # per key: "1" where its tokens were spaced, else "0"
        ("stem", pa.string()),  # the file name's key (null: too short or common)
        ("terms", pa.list_(pa.string())),  # title terms (`title_terms`), sorted
    ],
    metadata={"names_format": str(NAMES_FORMAT)},
)


def name_key(name: str) -> Key | None:
    """Token tuple of a name, or None when it is too short or too common to be a mention."""
    name = name.strip()
    if len(name) < MIN_NAME_CHARS:
        return None
    tokens = tuple(t.casefold() for t in NAME_TOKEN_RE.findall(name))
    words = [t for t in tokens if t[0].isalnum() or t[0] == "_"]
    if not words or all(w in STOPWORDS or w.isdigit() for w in words):
        return None
    return tokens


def name_gaps(name: str) -> list[bool]:
    """Between each two tokens of the name: was there a space (`Node.js` has none)?"""
    spans = list(NAME_TOKEN_RE.finditer(name.strip()))
    return [a.end() != b.start() for a, b in itertools.pairwise(spans)]


def trie_names(path: str, title: str | None, aliases: Iterable[str] | None) -> list[str]:
    """The names the mention trie indexes for a note: title, file name, aliases; sorted, so
    when two spell one key differently (`Node.js`, `node .js`) the same one gives its gaps in
    every process (a set's order differs from one process to the next)."""
    return sorted({title or "", stem_of(path), *(aliases or ())})


def title_terms(path: str, title: str | None, aliases: Iterable[str] | None) -> list[str]:
    """`related()`'s title terms of a note: BM25 terms of its title, file name and aliases."""
    names = {title or "", path.rpartition("/")[2].removesuffix(".md"), *(aliases or ())}
    return sorted({t for name in names for t in tokenize(name) if len(t) > 1})


def names_table(
    paths: Sequence[str],
    shas: Mapping[str, str | None],
    kinds: Mapping[str, str | None],
    titles: Mapping[str, str | None],
    aliases: Mapping[str, list[str] | None],
    *,
    with_terms: bool = True,
) -> pa.Table:
    """One row per note of `paths`: its trie keys (notes only, not attachments), their gaps,
    its file name's key and its title terms, with the sha they were made from."""
    keys: list[list[str]] = []
    gaps: list[list[str]] = []
    stems: list[str | None] = []
    terms: list[list[str]] = []
    for path in paths:
        title, more = titles.get(path), aliases.get(path)
        row_keys, row_gaps = [], []
        stem: Key | None = None
        if kinds.get(path) == "note":
            stem = name_key(stem_of(path))
            for name in trie_names(path, title, more):
                key = name_key(name)
                if key:
                    row_keys.append(SEP.join(key))
                    row_gaps.append("".join("1" if g else "0" for g in name_gaps(name)))
        keys.append(row_keys)
        gaps.append(row_gaps)
        stems.append(SEP.join(stem) if stem else None)
        terms.append(title_terms(path, title, more) if with_terms else [])
    return pa.table(
        {
            "path": list(paths),
            "sha": [shas.get(p) for p in paths],
            "note": [kinds.get(p) == "note" for p in paths],
            "keys": keys,
            "gaps": gaps,
            "stem": stems,
            "terms": terms,
        },
        schema=NAMES_SCHEMA,
    )


def name_columns(
    notes: Catalog, paths: Sequence[str]
) -> tuple[Mapping[str, str | None], Mapping[str, str | None], Mapping[str, list[str] | None]]:
    """(kind, title, aliases) of `paths`: from the catalog's columns when they are many (a
    column is one pass over every note), from their records when few (the notes a save or
    the stored names left to tokenise)."""
    if len(paths) > RECORDS_MAX:
        return notes.column("kind"), notes.column("title"), notes.column("aliases")
    records = {p: notes[p] for p in paths}
    return (
        {p: r.kind for p, r in records.items()},
        {p: r.title for p, r in records.items()},
        {p: r.aliases for p, r in records.items()},
    )


class StoredNames:
    """The stored rows a process may reuse: `taken`, the table's rows whose sha is the
    catalog's (ascending), with Arrow kernels for which notes they cover."""

    def __init__(self, table: pa.Table, taken: np.ndarray, final: np.ndarray | None = None) -> None:
        """`final`, when known: each taken row's place in the caller's sorted note list."""
        self.table, self.taken, self.final = table, taken, final
        self.paths = table.column("path").combine_chunks().take(pa.array(taken, pa.int64()))

    @classmethod
    def matching(cls, table: pa.Table, shas: Mapping[str, str | None]) -> StoredNames:
        """The rows of `table` whose sha equals `shas`' (path -> the catalog's sha)."""
        current = pa.array([shas.get(p) for p in table.column("path").to_pylist()], pa.string())
        same = pc.fill_null(pc.equal(table.column("sha").combine_chunks(), current), False)
        return cls(table, np.flatnonzero(same.to_numpy(zero_copy_only=False)))

    def rows_of(self, column: str) -> pa.Array:
        """One column of the reusable rows, in `paths`' order."""
        return self.table.column(column).combine_chunks().take(pa.array(self.taken, pa.int64()))


def usable(table: pa.Table | None) -> bool:
    """A names table this code can read (same format: tokenisation unchanged)."""
    if table is None or table.schema.metadata is None:
        return False
    return table.schema.metadata.get(b"names_format") == str(NAMES_FORMAT).encode()


def as_key(stored: str | None) -> Key | None:
    return tuple(stored.split(SEP)) if stored else None


def as_gaps(stored: str) -> list[bool]:
    return [c == "1" for c in stored]
