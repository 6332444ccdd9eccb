"""The row models in store/schema.py describe the tables as they are on disk: an index written
before the models existed opens and takes writes without a rebuild."""

from __future__ import annotations

import json
from pathlib import Path

import lancedb
import numpy as np
import pyarrow as pa
import pytest
from pydantic import ValidationError

from vault_core.store.index_meta import PARSER_VERSION, SCHEMA_VERSION
from vault_core.store.schema import NOTES_SCHEMA, ChunkRow, NoteRow, chunks_schema
from vault_core.store.store import Store

DIM = 8
# The tables as the code before store/schema.py created them (index/store.py at 104201b).
ON_DISK_CHUNKS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("path", pa.string(), nullable=False),
        pa.field("ordinal", pa.int32()),
        pa.field("note_sha", pa.string()),
        pa.field("text_hash", pa.string()),
        pa.field("text", pa.string()),
        pa.field("terms", pa.string()),
        pa.field("heading_path", pa.list_(pa.string())),
        pa.field("start_line", pa.int32()),
        pa.field("end_line", pa.int32()),
        pa.field("page", pa.int32()),
        pa.field("sheet", pa.string()),
        pa.field("row_start", pa.int32()),
        pa.field("row_end", pa.int32()),
        pa.field("vector", pa.list_(pa.float32(), DIM)),
    ]
)
ON_DISK_NOTES = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("kind", pa.string()),
        pa.field("sha256", pa.string()),
        pa.field("mtime", pa.float64()),
        pa.field("size", pa.int64()),
        pa.field("title", pa.string()),
        pa.field("aliases", pa.list_(pa.string())),
        pa.field("tags", pa.list_(pa.string())),
        pa.field("links", pa.string()),
        pa.field("headings", pa.string()),
        pa.field("blocks", pa.string()),
        pa.field("frontmatter", pa.string()),
        pa.field("chunk_count", pa.int32()),
        pa.field("error", pa.string()),
        pa.field("warnings", pa.list_(pa.string())),
        pa.field("indexed_at", pa.float64()),
    ]
)


def chunk(path: str, ordinal: int, text: str, vector: np.ndarray | None) -> ChunkRow:
    return ChunkRow(
        id=f"{path}#{ordinal}",
        path=path,
        ordinal=ordinal,
        note_sha="a" * 64,
        text_hash=f"h{ordinal}{text}",
        text=text,
        terms=text.lower(),
        heading_path=["Top"],
        start_line=1,
        end_line=2,
        page=None,
        sheet=None,
        row_start=None,
        row_end=None,
        vector=vector,
    )


def note(path: str, chunks: int) -> NoteRow:
    return NoteRow(
        path=path,
        kind="note",
        sha256="a" * 64,
        mtime=1.5,
        size=10,
        title="T",
        aliases=[],
        tags=["x"],
        links="[]",
        headings="[]",
        blocks="[]",
        frontmatter="{}",
        chunk_count=chunks,
        error="",
        warnings=[],
        indexed_at=2.5,
    )


def test_schemas_derived_from_the_models_are_the_on_disk_ones() -> None:
    assert chunks_schema(DIM).equals(ON_DISK_CHUNKS, check_metadata=True)
    assert NOTES_SCHEMA.equals(ON_DISK_NOTES, check_metadata=True)


def test_a_row_with_a_column_the_table_lacks_is_refused() -> None:
    fields = chunk("a.md", 0, "alpha", None).model_dump()
    with pytest.raises(ValidationError):
        ChunkRow(**fields, colour="red")


def test_an_index_from_before_the_models_opens_without_a_rebuild(tmp_path: Path) -> None:
    index = tmp_path / "index"
    (index / "lance").mkdir(parents=True)
    meta = {"schema": SCHEMA_VERSION, "model": "m", "dim": DIM, "parser": PARSER_VERSION}
    (index / "index.json").write_text(json.dumps(meta))
    vector = np.ones(DIM, np.float32) / np.sqrt(DIM)
    db = lancedb.connect(str(index / "lance"))
    old_chunk = {**chunk("old.md", 0, "written before", None).model_dump(), "vector": vector}
    db.create_table("chunks", pa.Table.from_pylist([old_chunk], schema=ON_DISK_CHUNKS))
    db.create_table("notes", pa.Table.from_pylist([note("old.md", 1).model_dump()], ON_DISK_NOTES))

    store = Store(index, model="m", dim=DIM, writer=True)
    assert store.count_chunks() == 1 and store.count_notes() == 1  # nothing dropped
    store.replace_chunks(["new.md"], [chunk("new.md", 0, "written after", None)])
    store.upsert_notes([note("new.md", 1)])
    texts = store.scan_columns(["path", "text"]).to_pylist()
    assert sorted((r["path"], r["text"]) for r in texts) == [
        ("new.md", "written after"),
        ("old.md", "written before"),
    ]
    found = store.vector_search(vector, ["id", "path"], 5, None)
    assert [r["path"] for r in found] == ["old.md"]  # the new chunk has no vector yet
    assert found[0]["_similarity"] == pytest.approx(1.0, abs=1e-5)
    assert store.integrity().ok
