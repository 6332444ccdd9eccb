"""`Store.scan_chunks` reads a full scan in slices from a pinned version (store.py): every row
once, in order, and a commit made while a scan is under way does not change what it reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from vault_core.store import queries
from vault_core.store.schema import ChunkRow
from vault_core.store.store import Store

DIM = 8


def chunk(path: str, ordinal: int) -> ChunkRow:
    vector = np.full(DIM, ordinal + 1, np.float32)
    return ChunkRow(
        id=f"{path}#{ordinal}",
        path=path,
        ordinal=ordinal,
        note_sha="a" * 64,
        text_hash=f"h{path}{ordinal}",
        text=f"text {ordinal}",
        terms=f"text {ordinal}",
        heading_path=[],
        start_line=1,
        end_line=1,
        page=None,
        sheet=None,
        row_start=None,
        row_end=None,
        vector=vector / np.linalg.norm(vector),
    )


def test_a_scan_in_slices_reads_every_row_once_from_one_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SCAN_SLICE", 7)  # 50 rows: 8 slices, the last partial
    store = Store(tmp_path / "index", "test-model", DIM, writer=True)
    store.append([chunk("a.md", i) for i in range(50)], [])
    whole = store.chunks.search().select(["id", "ordinal"]).limit(None).to_arrow()
    reader = store.scan_chunks(["ordinal", "id"], 3)
    first = next(reader)
    assert first.schema.names == ["ordinal", "id"] and first.num_rows == 3
    store.append([chunk("b.md", i) for i in range(10)], [])  # committed mid-scan
    ids = first.column("id").to_pylist()
    for batch in reader:
        assert batch.num_rows <= 3
        ids += batch.column("id").to_pylist()
    assert ids == whole["id"].to_pylist()  # the version the scan started on, in scan order
    assert len(set(ids)) == 50
    later = [i for b in store.scan_chunks(["id"], 100) for i in b.column("id").to_pylist()]
    assert len(later) == 60 and set(ids) < set(later)
    assert store.count_embedded() == 60  # counted in slices too


def test_count_embedded_counts_chunks_with_a_vector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "SCAN_SLICE", 4)
    store = Store(tmp_path / "index", "test-model", DIM, writer=True)
    rows = [chunk("a.md", i) for i in range(10)]
    for row in rows[::3]:
        row.vector = None  # phase 2 has not reached these
    store.append(rows, [])
    assert (store.count_chunks(), store.count_embedded()) == (10, 6)
