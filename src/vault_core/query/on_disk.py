"""Answers while the catalog is still being read: notes and names from the `notes` table.

A server on a 100k-note vault spent 5-10 s decoding every `notes` row before its first answer
(docs/benchmarks.md "100k notes"). Meanwhile (live/opened.py reads it in the background) a
search reads the records of the notes its hits are in, and a name is matched against the few
rows whose path, title or alias contain it, with the same rules (names.py) and the same
ambiguity as over the whole catalog. Anything that needs every note waits for the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping

from vault_core.index.catalog import NoteRecord
from vault_core.index.link_graph import LinkGraph, _norm, _strip_md
from vault_core.query.names import NameMatch, match_name, wikilink_target
from vault_core.store.store import Store

NAME_COLUMNS = ["path", "title", "aliases"]


class NotesOnDisk(Mapping[str, NoteRecord]):
    """The records of the notes asked for, read from the store (`prefetch` reads many in one
    query). Iterating it would read every row: callers that filter by note use the catalog."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._records: dict[str, NoteRecord | None] = {}

    def prefetch(self, paths: Iterable[str]) -> None:
        wanted = sorted({p for p in paths if p not in self._records})
        if not wanted:
            return
        for row in self.store.note_rows(wanted).to_pylist():
            self._records[row["path"]] = NoteRecord.from_row(row)
        for path in wanted:
            self._records.setdefault(path, None)  # no such note (deleted since the chunk was read)

    def __getitem__(self, path: str) -> NoteRecord:
        self.prefetch([path])
        record = self._records[path]
        if record is None:
            raise KeyError(path)
        return record

    def __iter__(self) -> Iterator[str]:
        raise TypeError("NotesOnDisk cannot list every note: use the catalog")

    def __len__(self) -> int:
        raise TypeError("NotesOnDisk cannot count every note: use the catalog")


def match_name_on_disk(name: str, store: Store, relpath: Callable[[str], str]) -> NameMatch | None:
    """`match_name` over the notes whose path, title or alias contains the name: every note
    that can match it is among them, so the answer and its ambiguity are the catalog's."""
    wanted = _strip_md(_norm(wikilink_target(name)))
    exact: set[str] = set()
    if "/" in name or "\\" in name or name.endswith(".md"):
        rel = relpath(name)
        exact = {rel, f"{rel}.md"}
    if not wanted and not exact:
        return None
    names = store.note_rows(None, NAME_COLUMNS)
    paths = names["path"].to_pylist()
    titles = names["title"].to_pylist()
    aliases = names["aliases"].to_pylist()
    picked = [
        path
        for path, title, alias in zip(paths, titles, aliases, strict=True)
        if path in exact
        or (
            wanted
            and (
                wanted in path.casefold()
                or wanted in _norm(title or "")
                or any(wanted in _norm(a) for a in alias or [])
            )
        )
    ]
    if not picked:
        return None
    catalog = {row["path"]: NoteRecord.from_row(row) for row in store.note_rows(picked).to_pylist()}
    return match_name(name, catalog, LinkGraph(catalog.values()), relpath)
