"""One row model per table, and the Arrow schema derived from it, the way LanceDB's `LanceModel`
does (`pydantic_to_schema`): the indexer builds these rows, the store writes them, search reads
the columns they name.

LanceModel itself is not used: it maps `int` to int64 and every non-Optional field to NOT NULL,
while the tables on disk have int32 columns and nullable ones; an existing index must open
without a rebuild, so each field states its Arrow type where Python's would differ
(`Annotated[int | None, pa.int32()]`), and only `id` and `path` are NOT NULL.
"""

from __future__ import annotations

import types
from typing import Annotated, Any, Union, get_args, get_origin

import pyarrow as pa
from pydantic import BaseModel, ConfigDict
from pydantic.fields import FieldInfo

CHUNKS, NOTES = "chunks", "notes"


class VectorColumn:
    """Marks the embedding column: a fixed-size float32 list whose size is the model's dimension."""


VECTOR = VectorColumn()
INT32 = pa.int32()
_PLAIN: dict[Any, pa.DataType] = {str: pa.string(), float: pa.float64(), int: pa.int64()}


class ChunkRow(BaseModel):
    """One row of `chunks`: a passage, where it is in its file, its BM25 terms and its vector."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    id: str  # `path#ordinal`
    path: str
    ordinal: Annotated[int | None, INT32]
    note_sha: str | None  # the file's sha256 when this chunk was written
    text_hash: str | None  # a chunk whose text hash is unchanged keeps its vector
    text: str | None  # breadcrumb + body: what is embedded and shown
    terms: str | None  # stemmed terms, space separated: what the FTS index reads
    heading_path: list[str] | None
    start_line: Annotated[int | None, INT32]
    end_line: Annotated[int | None, INT32]
    page: Annotated[int | None, INT32]
    sheet: str | None
    row_start: Annotated[int | None, INT32]
    row_end: Annotated[int | None, INT32]
    vector: Annotated[Any, VECTOR] = None  # None until phase 2 embeds it


class RowCounts(BaseModel):
    """How a write changed the `chunks` table: rows, and rows with a vector. Progress adds it
    up instead of recounting, because counting the vectors scans them all (~1-2 s at 308k)."""

    chunks: int = 0
    embedded: int = 0

    def __add__(self, other: RowCounts) -> RowCounts:
        return RowCounts(chunks=self.chunks + other.chunks, embedded=self.embedded + other.embedded)


class NoteRow(BaseModel):
    """One row of `notes`: a file's metadata, written after its chunks (the crash contract)."""

    model_config = ConfigDict(extra="forbid")

    path: str
    kind: str | None  # note | attachment
    sha256: str | None
    mtime: float | None
    size: int | None
    title: str | None
    aliases: list[str] | None
    tags: list[str] | None
    links: str | None  # JSON list of parse.markdown.Link
    headings: str | None  # JSON list of parse.markdown.Heading
    blocks: str | None  # JSON list of parse.markdown.Block
    frontmatter: str | None  # JSON object
    chunk_count: Annotated[int | None, INT32]
    error: str | None  # why the file could not be indexed; '' when it was
    warnings: list[str] | None
    indexed_at: float | None


NOT_NULL = frozenset({"id", "path"})
# Where a chunk is in its file: the columns a parsed chunk (parse.chunk.ChunkDraft) carries over.
LOCATION_COLUMNS = frozenset(
    {"heading_path", "start_line", "end_line", "page", "sheet", "row_start", "row_end"}
)
# The chunk columns a search hit is made of, in table order (no hashes, terms or vector).
HIT_COLUMNS = [
    name
    for name in ChunkRow.model_fields
    if name in LOCATION_COLUMNS or name in ("id", "path", "text")
]


def _arrow_type(field: FieldInfo, dim: int) -> pa.DataType:
    for mark in field.metadata:
        if isinstance(mark, VectorColumn):
            return pa.list_(pa.float32(), dim)
        if isinstance(mark, pa.DataType):
            return mark
    annotation = field.annotation
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    if get_origin(annotation) is list:
        return pa.list_(_PLAIN[get_args(annotation)[0]])
    return _PLAIN[annotation]


def arrow_schema(model: type[BaseModel], dim: int = 0) -> pa.Schema:
    """The table's Arrow schema, field for field in the model's order."""
    return pa.schema(
        [
            pa.field(name, _arrow_type(field, dim), nullable=name not in NOT_NULL)
            for name, field in model.model_fields.items()
        ]
    )


def chunks_schema(dim: int) -> pa.Schema:
    return arrow_schema(ChunkRow, dim)


NOTES_SCHEMA = arrow_schema(NoteRow)


def keyword_index_config() -> Any:
    """The FTS index on `terms`, which nvault has already tokenized and stemmed: split on
    whitespace and nothing else (LanceDB is imported late: `nvault status` never loads it)."""
    from lancedb.index import FTS

    return FTS(
        base_tokenizer="whitespace",
        lower_case=False,
        stem=False,
        remove_stop_words=False,
        ascii_folding=False,
        with_position=False,
        max_token_length=64,
    )
