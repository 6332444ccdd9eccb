"""Every chunk's vector as `related()`, lint and mentions read it: from memory or from disk.

Below the ANN switch point the searcher's matrix (query/dense.py) already holds every vector, and
`SnapshotVectors` reads it. Past it, no process holds the chunk vectors (search reads the ANN
index, store/vector_index.py), and `DiskVectors` holds only the vectors and texts of the few
notes a query looks at, fetched by path and kept in a small cache. The per-note sums both used
to compute are now `related()`'s persisted note parts (store/note_parts.py).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.query.dense import ChunkSnapshot
from vault_core.store.queries import rows_of_paths, vector_matrix
from vault_core.store.store import Store

ROW_COLUMNS = ["text", "heading_path", "start_line", "end_line"]
NOTE_CACHE = 1024  # notes whose fetched chunks are kept
PASSAGE_BLOCK = 64  # query passages compared with the whole matrix at a time


class ChunkVectors(Protocol):
    """Chunk rows, their vectors and texts; `layout` numbers them for a list of notes."""

    def layout(self, paths: list[str], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(this source's row of each chunk of `paths`, ordered by (note, ordinal); the note
        of each). `counts`: chunks per note as the caller's note parts have them."""
        ...

    def vectors(self, rows: np.ndarray) -> np.ndarray: ...
    def row(self, i: int) -> dict[str, Any]: ...
    def prefetch(self, rows: np.ndarray) -> None:
        """Rows whose texts are about to be read (`row`), fetched together where that helps."""
        ...

    def best_match(self, vecs: np.ndarray, rows: np.ndarray) -> np.ndarray: ...


class SnapshotVectors:
    """The searcher's in-memory matrix, read in place (no copy)."""

    def __init__(self, snapshot: ChunkSnapshot) -> None:
        self.snapshot = snapshot

    def layout(self, paths: list[str], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The snapshot's rows of `paths`' chunks (its own counts: the snapshot is exact)."""
        keys = self.snapshot.rows.select(["path", "ordinal"])
        if not keys.num_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        value_set = pa.array(paths, pa.string())
        kept = np.flatnonzero(pc.is_in(keys["path"], value_set=value_set).to_numpy(False))
        ordered = keys.take(pa.array(kept))
        order = pc.sort_indices(
            ordered, sort_keys=[("path", "ascending"), ("ordinal", "ascending")]
        ).to_numpy()
        rows = kept[order]
        note = pc.index_in(keys["path"].take(pa.array(rows)), value_set=value_set)
        return rows.astype(np.int64), note.to_numpy(zero_copy_only=False).astype(np.int64)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        return self.snapshot.matrix[rows]

    def row(self, i: int) -> dict[str, Any]:
        return {c: self.snapshot.rows[c][i].as_py() for c in ROW_COLUMNS}

    def prefetch(self, rows: np.ndarray) -> None:
        """In memory already."""

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
    """Vectors stay in LanceDB: a note's chunks are fetched by path when a query needs them.

    Rows are numbered by the caller's notes and chunk counts (`layout`): row r is the k-th
    chunk, by ordinal, of the note whose range holds r. Nothing is scanned up front; the
    note-level sums come from the note parts (linking/related_parts.py). Vectors are fetched
    as one arrow table for all the notes a query compares (no texts); texts only for the
    passages shown."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.dim = store.dim
        self._paths: list[str] = []
        self._start = np.zeros(0, np.int64)
        self._end = np.zeros(0, np.int64)
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._texts: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()

    def layout(self, paths: list[str], counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._paths = paths
        counts = np.asarray(counts, np.int64)
        self._end = np.cumsum(counts)
        self._start = self._end - counts
        total = int(self._end[-1]) if len(counts) else 0
        return np.arange(total, dtype=np.int64), np.repeat(np.arange(len(paths)), counts)

    def _fetch(self, wanted: list[str]) -> None:
        """Vectors of `wanted` notes' chunks, by ordinal; one query for those not cached."""
        missing = [p for p in wanted if p not in self._vectors]
        if missing:
            table = rows_of_paths(self.store.chunks, missing, ["path", "ordinal", "vector"])
            order = pc.sort_indices(table, [("path", "ascending"), ("ordinal", "ascending")])
            table = table.take(order)
            matrix, _ = vector_matrix(table["vector"], self.dim)
            paths = table["path"].to_pylist()
            cuts = [0, *(i for i in range(1, len(paths)) if paths[i] != paths[i - 1]), len(paths)]
            found = {p: np.zeros((0, self.dim), np.float32) for p in missing}
            for a, b in itertools.pairwise(cuts):
                if b > a:
                    found[paths[a]] = matrix[a:b].copy()
            self._vectors.update(found)
        for path in wanted:
            self._vectors.move_to_end(path)
        while len(self._vectors) > max(NOTE_CACHE, len(wanted)):
            self._vectors.popitem(last=False)

    def _locate(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(note of each row, its place among the note's chunks)."""
        notes = np.searchsorted(self._end, rows, side="right")
        return notes, rows - self._start[notes]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_1d(np.asarray(rows, np.int64))
        out = np.zeros((len(rows), self.dim), np.float32)
        if not len(rows):
            return out
        notes, k = self._locate(rows)
        unique = np.unique(notes)
        self._fetch([self._paths[i] for i in unique.tolist()])
        for i in unique.tolist():
            matrix = self._vectors[self._paths[i]]
            at = np.flatnonzero((notes == i) & (k < len(matrix)))
            out[at] = matrix[k[at]]
        return out

    def prefetch(self, rows: np.ndarray) -> None:
        """The texts of these rows' notes, in one query (a query's shown passages)."""
        notes, _ = self._locate(np.atleast_1d(np.asarray(rows, np.int64)))
        missing = [p for p in dict.fromkeys(self._paths[i] for i in notes.tolist())]
        missing = [p for p in missing if p not in self._texts]
        if not missing:
            return
        found: dict[str, list[dict[str, Any]]] = {p: [] for p in missing}
        for row in self.store.chunk_rows(missing, ["path", "ordinal", *ROW_COLUMNS]):
            found[row["path"]].append(row)
        for path, chunks in found.items():
            chunks.sort(key=lambda r: r["ordinal"])
            self._texts[path] = chunks
        while len(self._texts) > max(NOTE_CACHE, len(missing)):
            self._texts.popitem(last=False)

    def row(self, i: int) -> dict[str, Any]:
        notes, k = self._locate(np.array([i], np.int64))
        path = self._paths[int(notes[0])]
        if path not in self._texts:
            self.prefetch(np.array([i], np.int64))
        rows = self._texts[path]
        found = rows[int(k[0])] if int(k[0]) < len(rows) else {}
        return {c: found.get(c) for c in ROW_COLUMNS}

    def best_match(self, vecs: np.ndarray, rows: np.ndarray) -> np.ndarray:
        if not len(rows):
            return np.zeros(0, np.float32)
        return (vecs @ self.vectors(rows).T).max(axis=0)
