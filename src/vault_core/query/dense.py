"""Every chunk vector in one in-memory matrix: exact cosine search in a millisecond.

LanceDB's flat vector search reads the whole vector column per query (~80 ms at 8k chunks here);
a matrix product over the same vectors costs ~1 ms. The matrix is rebuilt off the query path after
each commit; until it has caught up, `top()` returns None and the caller asks LanceDB instead, so
a result is never stale.

The snapshot is the process's one copy of the vectors: `related()`'s note index reads the same
matrix (`current()`), and chunk texts stay in one arrow column instead of Python strings.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Collection
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.store.memory import release_free_memory
from vault_core.store.queries import vector_matrix
from vault_core.store.store import Store

log = logging.getLogger("nvault.dense")
SCAN_BATCH = 1024  # rows per scanned batch while the matrix is built
CLOSE_WAIT_S = 60.0  # a batch takes well under a second; a stuck read must not hang the exit
_LIVE: weakref.WeakSet[DenseMatrix] = weakref.WeakSet()  # stopped at exit (see `close`)


class ChunkSnapshot:
    """Every chunk row of one table version, in the table's scan order: the small columns (no
    vector, no terms) as one arrow table, the vectors as one float32 matrix (0 where none yet)."""

    def __init__(self, version: int, rows: pa.Table, matrix: np.ndarray, has_vector: np.ndarray):
        self.version, self.rows, self.matrix, self.has_vector = version, rows, matrix, has_vector
        self.all_embedded = bool(has_vector.all())


class DenseMatrix:
    def __init__(self, store: Store, columns: list[str]) -> None:
        self.store, self.columns = store, columns
        self._snapshot: ChunkSnapshot | None = None
        self._building = False
        self._lock = threading.Lock()
        self._build_lock = threading.Lock()  # one scan at a time: two would double the peak
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    def close(self) -> None:
        """Stop a background rebuild and wait for it. A scan still running while the interpreter
        finalises has LanceDB's runtime threads call into a dying Python: a one-shot
        `nvault search` then aborted after its output (exit 134, `PyGILState_Release`)."""
        self._closed.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(CLOSE_WAIT_S)  # the scan stops after its current batch
            if thread.is_alive():
                log.warning("the vector matrix's scan did not stop within %s s", CLOSE_WAIT_S)

    def release(self) -> None:
        """Drop the snapshot: past the ANN switch point search reads the index instead
        (store/vector_index.py), and the matrix was most of the process's memory."""
        with self._build_lock:
            self._snapshot = None
        release_free_memory()

    def _stale(self) -> bool:
        snap = self._snapshot
        return snap is None or snap.version != self.store.chunks_version()

    def refresh_async(self) -> None:
        """Start a rebuild in the background unless one is running or the matrix is current.
        Never past the ANN switch point: search reads the index, and a writer that rebuilt the
        matrix after each commit there held ~700 MB (472 of float32 and the rows) for nothing."""
        with self._lock:
            if self._building or self._closed.is_set():
                return
            if not self.store.ready() or not self._stale():
                return
            if self.store.vector_index.state() is not None:
                return
            self._building = True
            self._thread = threading.Thread(target=self._rebuild, name="nvault-dense", daemon=True)
            self._thread.start()

    def current(self) -> ChunkSnapshot | None:
        """The snapshot of the table as it is now, built on this thread if it lags (None before
        the index exists). Callers that need every chunk, such as `related()`, read this."""
        if not self.store.ready():
            return None
        with self._build_lock:
            if self._stale():
                self._build()
        return self._snapshot

    def vectors_by_text_hash(self) -> dict[str, np.ndarray]:
        """Every vector of the last snapshot by its text's hash, without scanning (the table
        may be gone): what a rebuild of a vanished index folder reuses instead of embedding."""
        snap = self._snapshot
        if snap is None:
            return {}
        hashes = snap.rows["text_hash"].to_pylist()
        return {
            h: snap.matrix[i] for i in np.flatnonzero(snap.has_vector).tolist() if (h := hashes[i])
        }

    def _rebuild(self) -> None:
        try:
            with self._build_lock:
                if self._stale():
                    self._build()
        except Exception:  # the LanceDB path keeps answering; try again on the next query
            log.exception("building the in-memory vector matrix failed")
        finally:
            with self._lock:
                self._building = False

    def _build(self) -> None:
        """Scan in batches into a matrix sized up front: holding the whole vector column and
        its float copy at once made each rebuild peak ~25 MB higher on vaultofknowledge."""
        version = self.store.chunks_version()
        wanted = list(dict.fromkeys([*self.columns, "path", "ordinal", "text_hash", "vector"]))
        dim = self.store.dim
        matrix = np.zeros((self.store.count_chunks(), dim), np.float32)
        has_vector = np.zeros(len(matrix), bool)
        parts: list[pa.RecordBatch] = []
        at = 0
        reader = self.store.scan_chunks(wanted, SCAN_BATCH)
        schema = reader.schema.remove(reader.schema.get_field_index("vector"))
        for batch in reader:
            if self._closed.is_set():
                return
            vectors, valid = vector_matrix(batch.column("vector"), dim)
            if at + len(vectors) > len(matrix):  # rows committed since the count: grow
                matrix = np.concatenate([matrix[:at], np.zeros_like(vectors)])
                has_vector = np.concatenate([has_vector[:at], np.zeros(len(vectors), bool)])
            matrix[at : at + len(vectors)], has_vector[at : at + len(vectors)] = vectors, valid
            at += len(vectors)
            # copied out batch by batch: the scan's batches are slices of larger buffers that
            # they keep alive (keeping them made a server on vaultofknowledge +13 MB)
            small = batch.drop_columns(["vector"])
            parts.append(small.take(pa.array(np.arange(small.num_rows))))
        # one chunk a column: `take` on a column of thousands of chunks concatenated them all
        # first, on every query (278 ms a search at 308k chunks)
        rows = pa.Table.from_batches(parts, schema).combine_chunks()
        del parts
        self._snapshot = ChunkSnapshot(version, rows, matrix[:at], has_vector[:at])
        release_free_memory()  # the scan's buffers are gone: hand their pages back

    def top(
        self, vector: np.ndarray, depth: int, allowed: Collection[str] | None
    ) -> list[dict[str, Any]] | None:
        """Chunk rows (the `columns`) by cosine, best first; None while the matrix lags the table."""
        if self._stale():
            self.refresh_async()
            return None
        snap = self._snapshot
        assert snap is not None
        if not snap.rows.num_rows:
            return []
        scores = snap.matrix @ vector.astype(np.float32)
        mask = None if snap.all_embedded else snap.has_vector  # phase 2 has not reached them
        if allowed is not None:
            value_set = pa.array(list(allowed), pa.string())
            admitted = pc.is_in(snap.rows["path"], value_set=value_set)
            admitted = admitted.to_numpy(zero_copy_only=False)
            mask = admitted if mask is None else mask & admitted
        if mask is not None:
            scores = np.where(mask, scores, -np.inf)
        depth = min(depth, len(scores))
        best = np.argpartition(-scores, depth - 1)[:depth]
        best = best[np.argsort(-scores[best])]
        best = [int(i) for i in best if np.isfinite(scores[i])]
        if not best:  # nothing embedded among the allowed notes yet
            return []
        rows = snap.rows.select(self.columns).take(best).to_pylist()
        for row, i in zip(rows, best, strict=True):
            row["_similarity"] = float(scores[i])  # the relevance floor reads it (relevance.py)
        return rows


@atexit.register
def _close_all() -> None:
    """atexit runs before finalisation: every matrix's scan has stopped when Python goes down."""
    for matrix in list(_LIVE):
        matrix.close()
