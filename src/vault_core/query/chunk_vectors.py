"""Every chunk's vector as `related()`, lint and mentions read it: from memory or from disk.

Below the ANN switch point the searcher's matrix (query/dense.py) already holds every vector, and
`SnapshotVectors` reads it. Past it, no process holds the chunk vectors (search reads the ANN
index, store/vector_index.py), and `DiskVectors` keeps only what the note-level work needs: each
chunk's (path, ordinal), one summed vector per note from a single streaming scan, and the
vectors and texts of the few notes a query looks at, fetched by path and kept in a small cache.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.query.dense import ChunkSnapshot
from vault_core.store.queries import vector_matrix
from vault_core.store.store import Store

ROW_COLUMNS = ["text", "heading_path", "start_line", "end_line"]
SCAN_BATCH = 4096
SUM_ROWS = 8192  # chunk vectors added into the note sums per step
NOTE_CACHE = 1024  # notes whose fetched chunks are kept
PASSAGE_BLOCK = 64  # query passages compared with the whole matrix at a time


class ChunkVectors(Protocol):
    """Chunk rows in one fixed order (`keys`: path, ordinal), their vectors and texts."""

    keys: pa.Table
    has_vector: np.ndarray

    def vectors(self, rows: np.ndarray) -> np.ndarray: ...
    def row(self, i: int) -> dict[str, Any]: ...
    def note_sums(self, note_of_row: np.ndarray, notes: int) -> np.ndarray:
        """Per note, the sum of its chunks' vectors: a new array the caller may change."""
        ...

    def best_match(self, vecs: np.ndarray, rows: np.ndarray) -> np.ndarray: ...


class SnapshotVectors:
    """The searcher's in-memory matrix, read in place (no copy)."""

    def __init__(self, snapshot: ChunkSnapshot) -> None:
        self.snapshot = snapshot
        self.keys = snapshot.rows.select(["path", "ordinal"])
        self.has_vector = snapshot.has_vector

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.snapshot.matrix[rows]

    def row(self, i: int) -> dict[str, Any]:
        return {c: self.snapshot.rows[c][i].as_py() for c in ROW_COLUMNS}

    def note_sums(self, note_of_row: np.ndarray, notes: int) -> np.ndarray:
        """Per note, the sum of its chunks' vectors (`note_of_row` -1: not a catalog note's)."""
        sums = np.zeros((notes, self.snapshot.matrix.shape[1]), np.float32)
        kept = np.flatnonzero(note_of_row >= 0)
        for a in range(0, len(kept), SUM_ROWS):
            part = kept[a : a + SUM_ROWS]
            np.add.at(sums, note_of_row[part], self.snapshot.matrix[part])
        return sums

    def best_match(self, vecs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Per row of `rows`: its best cosine with any of `vecs`. Against the whole matrix, then
        picked: gathering the rows first copied them all."""
        matrix = self.snapshot.matrix
        everywhere = np.full(len(matrix), -np.inf, np.float32)
        for a in range(0, len(vecs), PASSAGE_BLOCK):
            np.maximum(
                everywhere, (vecs[a : a + PASSAGE_BLOCK] @ matrix.T).max(axis=0), out=everywhere
            )
        return everywhere[rows]


class DiskVectors:
    """Vectors stay in LanceDB; one scan sums them per note, and notes are fetched as needed."""

    def __init__(self, store: Store, paths: list[str]) -> None:
        self.store = store
        self.dim = store.dim
        value_set = pa.array(paths, pa.string())
        keys: list[pa.Table] = []
        has_vector: list[np.ndarray] = []
        self.sums = np.zeros((len(paths), self.dim), np.float32)
        for batch in store.scan_chunks(["path", "ordinal", "vector"], SCAN_BATCH):
            vectors, valid = vector_matrix(batch.column("vector"), self.dim)
            note = pc.index_in(batch.column("path"), value_set=value_set)
            note = note.to_numpy(zero_copy_only=False)
            kept = np.flatnonzero(~np.isnan(note.astype(np.float64)) & valid)
            np.add.at(self.sums, note[kept].astype(np.int64), vectors[kept])
            small = pa.table({"path": batch.column("path"), "ordinal": batch.column("ordinal")})
            keys.append(small.take(pa.array(np.arange(small.num_rows))))
            has_vector.append(valid)
        schema = pa.schema([("path", pa.string()), ("ordinal", pa.int32())])
        self.keys = pa.concat_tables(keys).combine_chunks() if keys else schema.empty_table()
        self.has_vector = np.concatenate(has_vector) if has_vector else np.zeros(0, bool)
        self._paths = self.keys["path"]
        self._ordinals = self.keys["ordinal"].to_numpy(zero_copy_only=False)
        self._notes: OrderedDict[str, dict[int, dict[str, Any]]] = OrderedDict()

    def _fetch(self, wanted: list[str]) -> None:
        missing = [p for p in dict.fromkeys(wanted) if p not in self._notes]
        if missing:
            found: dict[str, dict[int, dict[str, Any]]] = {p: {} for p in missing}
            columns = ["path", "ordinal", "vector", *ROW_COLUMNS]
            for row in self.store.chunk_rows(missing, columns):
                found[row["path"]][row["ordinal"]] = row
            self._notes.update(found)
        for path in wanted:
            self._notes.move_to_end(path)
        while len(self._notes) > max(NOTE_CACHE, len(wanted)):
            self._notes.popitem(last=False)

    def _rows(self, rows: np.ndarray) -> list[dict[str, Any] | None]:
        paths = self._paths.take(pa.array(rows, pa.int64())).to_pylist()
        self._fetch(paths)
        ordinals = self._ordinals[rows].tolist()
        return [self._notes[p].get(o) for p, o in zip(paths, ordinals, strict=True)]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_1d(np.asarray(rows, np.int64))
        out = np.zeros((len(rows), self.dim), np.float32)
        for i, row in enumerate(self._rows(rows)):
            if row is not None and row["vector"] is not None:
                out[i] = row["vector"]
        return out

    def row(self, i: int) -> dict[str, Any]:
        found = self._rows(np.array([i], np.int64))[0] or {}
        return {c: found.get(c) for c in ROW_COLUMNS}

    def note_sums(self, note_of_row: np.ndarray, notes: int) -> np.ndarray:
        """Summed by the scan, in the catalog's note order; handed over (the caller owns it:
        a second 154 MB copy at 100k notes otherwise)."""
        sums, self.sums = self.sums, np.zeros((0, self.dim), np.float32)
        return sums

    def best_match(self, vecs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0, np.float32)
        return (vecs @ self.vectors(rows).T).max(axis=0)
