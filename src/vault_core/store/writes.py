"""The writer's commits on the `chunks` and `notes` tables, each kept to as few joins as it can.
Apart from the Store, which decides when they run and in which order (its docstring says why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
from pydantic import BaseModel

from vault_core.store.memory import release_free_memory
from vault_core.store.queries import PATH_BATCH, embedded_by_id, sql_list
from vault_core.store.schema import NOTES_SCHEMA, ChunkRow, NoteRow, RowCounts


def row_table(rows: Sequence[BaseModel], schema: pa.Schema) -> pa.Table:
    return pa.Table.from_pylist([r.model_dump() for r in rows], schema=schema)


def note_table(rows: list[NoteRow]) -> pa.Table:
    return row_table(rows, NOTES_SCHEMA)


def replace_chunks(
    chunks: Any, schema: pa.Schema, paths: list[str], rows: list[ChunkRow]
) -> RowCounts:
    """Every chunk of `paths` replaced by `rows` (which may be empty); returns the change.

    An upsert by `id` (through its BTree) replaces and adds rows in one commit; a note that
    shrank then loses its stale tail in a second one. A kill between the two leaves chunks
    of two versions, which `Indexer.repair` finds (their note_sha differs) and the next sync
    redoes. One merge_insert with `when_not_matched_by_source_delete` did both in one commit
    but joined against the whole table: ~1 s a save at 308k chunks (docs/benchmarks.md).
    """
    if not paths:
        return RowCounts()
    before = embedded_by_id(chunks, paths)
    if rows:
        (
            chunks.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(row_table(rows, schema), on_bad_vectors="null")  # phase 2 fills them
        )
    kept = {row.id for row in rows}
    delete_ids(chunks, [i for i in before if i not in kept])
    embedded = sum(row.vector is not None for row in rows)
    return RowCounts(chunks=len(rows) - len(before), embedded=embedded - sum(before.values()))


def delete_ids(chunks: Any, ids: list[str]) -> None:
    for start in range(0, len(ids), PATH_BATCH):
        chunks.delete(f"id IN ({sql_list(ids[start : start + PATH_BATCH])})")


def merge_vectors(
    chunks: Any, schema: pa.Schema, ids: list[str], hashes: list[str], vectors: np.ndarray
) -> int:
    """One commit; a chunk whose text changed since it was read keeps its (null) vector.
    Returns the rows written.

    Whole rows are written back: LanceDB's partial-column merge panics on some tables.
    """
    wanted = dict(zip(ids, zip(hashes, vectors, strict=True), strict=True))
    rows = chunks.search().where(f"id IN ({sql_list(ids)})").limit(None).to_arrow().to_pylist()
    fresh = []
    for row in rows:
        text_hash, vector = wanted[row["id"]]
        if row["text_hash"] == text_hash:
            fresh.append({**row, "vector": vector})
    if not fresh:
        return 0
    data = pa.Table.from_pylist(fresh, schema=schema)
    (
        chunks.merge_insert("id")
        .when_matched_update_all(where="target.text_hash = source.text_hash")
        .execute(data)
    )
    return len(fresh)


def upsert_notes(notes: Any, rows: list[NoteRow]) -> None:
    if not rows:
        return
    data = note_table(rows)
    notes.merge_insert("path").when_matched_update_all().when_not_matched_insert_all().execute(data)
    release_free_memory()  # the notes rows end a batch's commits


def delete_paths(chunks: Any, notes: Any, paths: list[str]) -> RowCounts:
    """Chunks first, then the notes rows: a crash in between is redone by the next sync."""
    gone = RowCounts()
    for start in range(0, len(paths), PATH_BATCH):
        part = paths[start : start + PATH_BATCH]
        before = embedded_by_id(chunks, part)
        chunks.delete(f"path IN ({sql_list(part)})")
        notes.delete(f"path IN ({sql_list(part)})")
        gone += RowCounts(chunks=-len(before), embedded=-sum(before.values()))
    return gone
