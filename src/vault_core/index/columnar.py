"""The catalog: every file's `NoteRecord`, held as the `notes` table's Arrow columns.

At 100k notes one pydantic record per note (with its links, headings and frontmatter) cost
~2.7 KB each and most of a reader's open time (bench/measure/catalog_memory.py). The Arrow
table costs ~0.5 KB a note; a record is decoded when someone asks for it (a small cache keeps
the recent ones) and whole-vault loops decode a batch of rows at a time.

A sync changes a few notes: `Catalog` is a mapping with copy-on-write changes over a shared,
never-modified table (`_changed`, `_removed`), so a copy and a one-note update cost what the
change costs, not what the vault costs; `compacted` folds many changes back into columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.catalog import (
    FACT_COLUMNS,
    NoteFacts,
    NoteRecord,
    decode_links,
    decode_row,
)
from vault_core.parse.markdown import Block, Heading, Link
from vault_core.store.schema import NOTES_SCHEMA

_JSON_PLAIN = re.compile(r"[ !#-\[\]-~]+")  # printable ASCII but `"` and `\`
CACHE_RECORDS = 2048  # decoded records kept per table (hover, read_note, backlinks in a row)
BATCH_ROWS = 1024  # rows decoded together when a loop walks the whole catalog
COMPACT_AFTER = 2048  # changes held as records before they are folded into the table


class _Base:
    """One read of the `notes` table: its rows, path -> row, and a cache of decoded rows.
    Shared by every copy of a catalog, and never changed."""

    __slots__ = ("cache", "paths", "rows", "table", "titles")

    def __init__(self, table: pa.Table | None) -> None:
        self.table = table if table is not None else NOTES_SCHEMA.empty_table()
        self.paths: list[str] = self.table.column("path").to_pylist()
        self.rows: dict[str, int] = {p: i for i, p in enumerate(self.paths)}
        self.cache: dict[int, NoteRecord] = {}
        self.titles: list[str] | None = None

    def title(self, row: int) -> str:
        """One column read once: search asks ~200 notes' titles a query (phrase and title
        matches), and decoding their records cost ~50 ms a query at 100k notes."""
        if self.titles is None:
            self.titles = self.table.column("title").to_pylist()
        return self.titles[row] or ""

    def record(self, row: int) -> NoteRecord:
        found = self.cache.get(row)
        if found is None:
            if len(self.cache) >= CACHE_RECORDS:
                self.cache.clear()  # no LRU bookkeeping: threads read this without a lock
            found = self.cache[row] = decode_row(self.table.slice(row, 1).to_pylist()[0])
        return found

    def batches(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        for start in range(0, self.table.num_rows, BATCH_ROWS):
            yield start, self.table.slice(start, BATCH_ROWS).to_pylist()


class Catalog(MutableMapping[str, NoteRecord]):
    """path -> NoteRecord, in table order then insertion order (as the dict it replaces)."""

    def __init__(self, table: pa.Table | None = None) -> None:
        self._base = _Base(table)
        self._changed: dict[str, NoteRecord] = {}  # paths re-indexed or added since the read
        self._removed: set[str] = set()

    @classmethod
    def from_records(cls, records: Iterable[NoteRecord]) -> Catalog:
        """A catalog of records built in this process (a new index, a test): kept as records
        until `compacted` folds them into columns."""
        catalog = cls()
        for record in records:
            catalog[record.path] = record
        return catalog

    # -- the mapping ------------------------------------------------------------------------
    def __getitem__(self, path: str) -> NoteRecord:
        found = self._changed.get(path)
        if found is not None:
            return found
        row = self._base.rows.get(path)
        if row is None or path in self._removed:
            raise KeyError(path)
        return self._base.record(row)

    def title(self, path: str) -> str | None:
        """The note's title without decoding its record; None for a path not in the catalog."""
        found = self._changed.get(path)
        if found is not None:
            return found.title
        row = self._base.rows.get(path)
        if row is None or path in self._removed:
            return None
        return self._base.title(row)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        if path in self._changed:
            return True
        return path in self._base.rows and path not in self._removed

    def __setitem__(self, path: str, record: NoteRecord) -> None:
        self._changed[path] = record
        self._removed.discard(path)

    def __delitem__(self, path: str) -> None:
        if path not in self:
            raise KeyError(path)
        self._changed.pop(path, None)
        if path in self._base.rows:
            self._removed.add(path)

    def __iter__(self) -> Iterator[str]:
        removed = self._removed
        for path in self._base.paths:
            if path not in removed:
                yield path
        rows = self._base.rows
        for path in list(self._changed):
            if path not in rows:
                yield path

    def __len__(self) -> int:
        added = sum(1 for p in self._changed if p not in self._base.rows)
        return len(self._base.paths) - len(self._removed) + added

    def records(self) -> Iterator[NoteRecord]:
        """Every record in order, decoded a batch of rows at a time (not via the cache)."""
        changed, removed, rows = dict(self._changed), self._removed, self._base.rows
        for start, batch in self._base.batches():
            for offset, row in enumerate(batch):
                path = self._base.paths[start + offset]
                if path in removed:
                    continue
                yield changed[path] if path in changed else decode_row(row)
        yield from (record for path, record in changed.items() if path not in rows)

    def anchors(self, path: str) -> tuple[list[Heading], list[Block]]:
        """A note's headings and block ids (where a `#fragment` may land), decoding only those
        two columns of its row when the record is not decoded already."""
        record = self._changed.get(path)
        row = self._base.rows.get(path)
        if record is None and row is not None and path not in self._removed:
            record = self._base.cache.get(row)
            if record is None:
                table = self._base.table
                headings = json.loads(table.column("headings")[row].as_py() or "[]")
                blocks = json.loads(table.column("blocks")[row].as_py() or "[]")
                try:
                    return [Heading(**h) for h in headings], [Block(**b) for b in blocks]
                except TypeError:  # an older layout: the validating path
                    record = self[path]
        if record is None:
            raise KeyError(path)
        return record.headings, record.blocks

    def link_lists(self) -> Iterator[tuple[str, list[Link]]]:
        """(path, its links) in order, decoding only the `links` column (the link graph)."""
        changed, removed, rows = dict(self._changed), self._removed, self._base.rows
        column = self._base.table.column("links")
        for start in range(0, len(self._base.paths), BATCH_ROWS):
            texts = column.slice(start, BATCH_ROWS).to_pylist()
            for path, text in zip(self._base.paths[start : start + BATCH_ROWS], texts, strict=True):
                if path in removed:
                    continue
                yield path, changed[path].links if path in changed else decode_links(text)
        yield from ((path, r.links) for path, r in changed.items() if path not in rows)

    def heading_lists(self, containing: str = "") -> Iterator[tuple[str, list[Heading]]]:
        """(path, its headings), decoding only the `headings` column (the table's rows, then
        the notes changed since it was read); with `containing` (casefolded), only notes where
        a heading may contain it: the JSON text is searched in Arrow first, so a
        workspace-symbol query at 100k notes decodes the rows that can match, not every row."""
        changed, removed = dict(self._changed), self._removed
        column = self._base.table.column("headings")
        picked: Iterable[int] = range(len(self._base.paths))
        if containing and _JSON_PLAIN.fullmatch(containing) is not None:
            # ASCII without what JSON escapes: an ASCII row holds the text as it is
            found = pc.match_substring(column, containing, ignore_case=True)
            escaped = pc.match_substring(column, "\\u")  # non-ASCII text: always decoded
            picked = _rows(pc.or_kleene(found, escaped))
        elif containing and not containing.isascii():
            picked = _rows(pc.match_substring(column, "\\u"))  # only non-ASCII rows can hold it
        texts = column.take(pa.array(list(picked), pa.int64())).to_pylist()
        for row, text in zip(picked, texts, strict=True):
            path = self._base.paths[row]
            if path in removed or path in changed:
                continue
            try:
                yield path, [Heading(**h) for h in json.loads(text or "[]")]
            except TypeError:  # an older layout: the validating path
                yield path, self[path].headings
        yield from ((p, r.headings) for p, r in changed.items() if p not in removed)

    def facts(self, frontmatter: bool = False) -> Iterator[NoteFacts]:
        """Every note's small fields in order, from the columns (`frontmatter`: decode that
        column too): a filtered search or `status` at 100k notes decodes no record."""
        changed, removed, rows = dict(self._changed), self._removed, self._base.rows
        table = self._base.table
        for start in range(0, table.num_rows, BATCH_ROWS):
            part = table.slice(start, BATCH_ROWS)
            columns = [part.column(name).to_pylist() for name in FACT_COLUMNS[:-1]]
            front = part.column("frontmatter").to_pylist() if frontmatter else None
            for k, values in enumerate(zip(*columns, strict=True)):
                path = values[0]
                if path in removed:
                    continue
                if path in changed:
                    yield NoteFacts.of(changed[path])
                    continue
                path, kind, title, aliases, tags, mtime, error, warnings, size, chunks = values
                meta = json.loads(front[k] or "{}") if front is not None else {}
                yield NoteFacts(
                    path,
                    kind,
                    title,
                    aliases or [],
                    tags or [],
                    mtime,
                    error,
                    warnings or [],
                    size,
                    chunks,
                    meta,
                )
        yield from (NoteFacts.of(r) for path, r in changed.items() if path not in rows)

    def values(self) -> _Records:  # type: ignore[override]
        return _Records(self)

    def items(self) -> _Items:  # type: ignore[override]
        return _Items(self)

    def copy(self) -> Catalog:
        """Another catalog over the same table: changes to either do not show in the other."""
        other = Catalog.__new__(Catalog)
        other._base = self._base
        other._changed = dict(self._changed)
        other._removed = set(self._removed)
        return other

    # -- columns ----------------------------------------------------------------------------
    def column(self, name: str) -> dict[str, Any]:
        """path -> one scalar field of every record, read from the column (no decoding)."""
        values = dict(zip(self._base.paths, self._base.table.column(name).to_pylist(), strict=True))
        for path in self._removed:
            values.pop(path, None)
        for path, record in self._changed.items():
            values[path] = getattr(record, name)
        return values

    def compacted(self, force: bool = False) -> Catalog:
        """This catalog with its changes folded into the table once there are many of them
        (or `force`): what a long-running writer publishes, so records do not pile up."""
        if not force and len(self._changed) + len(self._removed) < COMPACT_AFTER:
            return self
        table = self._base.table
        if self._changed or self._removed:
            drop = self._removed | self._changed.keys()
            keep = [i for i, p in enumerate(self._base.paths) if p not in drop]
            rows = [r.to_row().model_dump() for r in self._changed.values()]
            table = pa.concat_tables(
                [
                    table.take(pa.array(keep, pa.int64())),
                    pa.Table.from_pylist(rows, schema=NOTES_SCHEMA),
                ]
            ).combine_chunks()
        return Catalog(table)

    def arrow_nbytes(self) -> int:
        """Bytes of the Arrow buffers this catalog holds (bench/measure/catalog_memory.py)."""
        return self._base.table.get_total_buffer_size()

    def changed_since(self, before: Catalog) -> list[str]:
        """Paths whose file (sha256) differs between `before` and this catalog, or that one
        of them lacks. Two versions of one read (a sync's copies) compare only what either
        changed, so the graph after a save (index/link_graph.py) does not read every row."""
        if self._base is before._base:
            mine, theirs = self._changed, before._changed
            suspects = {p for p in mine.keys() | theirs.keys() if mine.get(p) is not theirs.get(p)}
            suspects |= self._removed ^ before._removed
            return sorted(p for p in suspects if before._sha(p) != self._sha(p))
        old, new = before.column("sha256"), self.column("sha256")
        return sorted(p for p in old.keys() | new.keys() if old.get(p) != new.get(p))

    def appended_since(self, before: Catalog) -> list[str] | None:
        """The paths this catalog lists after all of `before`'s, when it lists `before`'s in
        the same order first (a save changed or added notes, removed none): known from the
        changes alone. None when the order may differ (a removal, a fold, another read)."""
        if self._base is not before._base or self._removed != before._removed:
            return None
        rows = self._base.rows
        mine = [p for p in self._changed if p not in rows]
        theirs = [p for p in before._changed if p not in rows]
        return mine[len(theirs) :] if mine[: len(theirs)] == theirs else None

    def _sha(self, path: str) -> str | None:
        found = self._changed.get(path)
        if found is not None:
            return found.sha256
        row = self._base.rows.get(path)
        if row is None or path in self._removed:
            return None
        sha: str = self._base.table.column("sha256")[row].as_py()
        return sha


class _Records:
    """`catalog.values()`: iterable (batch-decoded) and sized, like a dict's view."""

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    def __iter__(self) -> Iterator[NoteRecord]:
        return self._catalog.records()

    def __len__(self) -> int:
        return len(self._catalog)


class _Items(_Records):
    def __iter__(self) -> Iterator[tuple[str, NoteRecord]]:  # type: ignore[override]
        return ((record.path, record) for record in self._catalog.records())


def as_catalog(notes: Mapping[str, NoteRecord] | Iterable[NoteRecord]) -> Catalog:
    """A Catalog for what a caller holds: a catalog itself, a dict of records, or records."""
    if isinstance(notes, Catalog):
        return notes
    if isinstance(notes, Mapping):
        return Catalog.from_records(notes.values())
    return Catalog.from_records(notes)


def _rows(mask: pa.ChunkedArray) -> list[int]:
    """The rows where an Arrow boolean column is true (null: false)."""
    return np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False)).tolist()
