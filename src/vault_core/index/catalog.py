"""`NoteRecord`: one row of the `notes` table read back, and how a row becomes one.

The catalog that holds every record (index/columnar.py) keeps the rows as Arrow columns and
decodes a record only when it is asked for: `decode_row` is that decoding.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter

from vault_core.parse.markdown import Block, Heading, Link, NoteMeta
from vault_core.store.schema import NoteRow

_LINKS = TypeAdapter(list[Link])
_SCALARS = ("kind", "sha256", "mtime", "size", "title", "chunk_count", "error", "indexed_at")


class NoteRecord(NoteMeta):
    """One row of the `notes` table: the parsed metadata plus what the index knows of the file."""

    path: str
    kind: Literal["note", "attachment"] = "note"
    sha256: str = ""
    mtime: float = 0.0
    size: int = 0
    chunk_count: int = 0
    error: str = ""
    indexed_at: float = 0.0

    @property
    def stem(self) -> str:
        return stem_of(self.path)

    def to_row(self) -> NoteRow:
        """The `notes` row: the parsed structures as JSON text."""
        return NoteRow(
            **self.model_dump(exclude={"links", "headings", "blocks", "frontmatter"}),
            links=json.dumps([asdict(link) for link in self.links]),
            headings=json.dumps([asdict(h) for h in self.headings]),
            blocks=json.dumps([asdict(b) for b in self.blocks]),
            frontmatter=json.dumps(self.frontmatter, default=str),
        )

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> NoteRecord:
        data = dict(row)
        for key in ("links", "headings", "blocks"):
            data[key] = json.loads(data.get(key) or "[]")
        data["frontmatter"] = json.loads(data.get("frontmatter") or "{}")
        data["aliases"] = data.get("aliases") or []
        data["tags"] = data.get("tags") or []
        data["warnings"] = data.get("warnings") or []
        return cls.model_validate(data)


class NoteFacts(NamedTuple):
    """A record's small fields, read from the catalog's columns without decoding the record:
    what whole-vault loops (search filters, status, symbols, list_notes, lint) look at."""

    path: str
    kind: str
    title: str
    aliases: list[str]
    tags: list[str]
    mtime: float
    error: str
    warnings: list[str]
    size: int
    chunk_count: int
    frontmatter: dict[str, Any]  # {} unless asked for (it is JSON to decode)

    @property
    def stem(self) -> str:
        return stem_of(self.path)

    @classmethod
    def of(cls, record: NoteRecord) -> NoteFacts:
        return cls(*(getattr(record, f) for f in cls._fields))


FACT_COLUMNS = NoteFacts._fields


def stem_of(path: str) -> str:
    """The file name without `.md` (an attachment keeps its extension)."""
    name = path.rsplit("/", 1)[-1]
    return name[: -len(".md")] if name.lower().endswith(".md") else name


def decode_links(text: str | None) -> list[Link]:
    """A row's `links` JSON as Links (the link graph reads only this column)."""
    items = json.loads(text or "[]")
    try:
        return [Link(**item) for item in items]
    except TypeError:  # an older layout: validation says what is wrong, or coerces it
        return _LINKS.validate_python(items)


def decode_row(row: dict[str, Any]) -> NoteRecord:
    """A row as a record without pydantic validation: the row was written from a validated
    record (`to_row`), so its JSON has exactly the dataclasses' fields. A row that does not
    (a null, an older layout) takes the validating path, which says what is wrong."""
    try:
        if any(row.get(key) is None for key in _SCALARS):
            raise ValueError("a null column")
        return NoteRecord.model_construct(
            path=row["path"],
            kind=row["kind"],
            sha256=row["sha256"],
            mtime=row["mtime"],
            size=row["size"],
            title=row["title"],
            aliases=row.get("aliases") or [],
            tags=row.get("tags") or [],
            headings=[Heading(**h) for h in json.loads(row.get("headings") or "[]")],
            blocks=[Block(**b) for b in json.loads(row.get("blocks") or "[]")],
            links=[Link(**link) for link in json.loads(row.get("links") or "[]")],
            frontmatter=json.loads(row.get("frontmatter") or "{}"),
            warnings=row.get("warnings") or [],
            chunk_count=row["chunk_count"],
            error=row["error"],
            indexed_at=row["indexed_at"],
        )
    except (TypeError, ValueError, KeyError):
        return NoteRecord.from_row(row)
