"""Every chunk vector in one in-memory matrix: exact cosine search in a millisecond.

LanceDB's flat vector search reads the whole vector column per query (~80 ms at 8k chunks here);
a matrix product over the same vectors costs ~1 ms. The matrix is rebuilt off the query path after
each commit; until it has caught up, `top()` returns None and the caller asks LanceDB instead, so
a result is never stale.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from typing import Any

import numpy as np
import pyarrow as pa

from vault_core.index.store import Store, vector_matrix

log = logging.getLogger("nvault.dense")


class _Snapshot:
    def __init__(self, version: int, rows: pa.Table, paths: np.ndarray, matrix: np.ndarray) -> None:
        self.version, self.rows, self.paths, self.matrix = version, rows, paths, matrix


class DenseMatrix:
    def __init__(self, store: Store, columns: list[str]) -> None:
        self.store, self.columns = store, columns
        self._snapshot: _Snapshot | None = None
        self._building = False
        self._lock = threading.Lock()

    def _stale(self) -> bool:
        snap = self._snapshot
        return snap is None or snap.version != self.store.chunks.version

    def refresh_async(self) -> None:
        """Start a rebuild in the background unless one is running or the matrix is current."""
        with self._lock:
            if self._building or not self.store.ready() or not self._stale():
                return
            self._building = True
        threading.Thread(target=self._rebuild, name="nvault-dense", daemon=True).start()

    def _rebuild(self) -> None:
        try:
            version = self.store.chunks.version
            wanted = list(dict.fromkeys([*self.columns, "path", "vector"]))
            table = (
                self.store.chunks.search()
                .where("vector IS NOT NULL")  # chunks still waiting for phase 2 have none
                .select(wanted)
                .limit(None)
                .to_arrow()
            )
            matrix, _ = vector_matrix(table["vector"], self.store.dim)
            paths = np.asarray(table["path"].to_pylist(), dtype=object)
            self._snapshot = _Snapshot(version, table.drop_columns(["vector"]), paths, matrix)
        except Exception:  # the LanceDB path keeps answering; try again on the next query
            log.exception("building the in-memory vector matrix failed")
        finally:
            with self._lock:
                self._building = False

    def top(
        self, vector: np.ndarray, depth: int, allowed: Collection[str] | None
    ) -> list[dict[str, Any]] | None:
        """Chunk rows (the `columns`) by cosine, best first; None while the matrix lags the table."""
        if self._stale():
            self.refresh_async()
            return None
        snap = self._snapshot
        assert snap is not None
        if not len(snap.paths):
            return []
        scores = snap.matrix @ vector.astype(np.float32)
        if allowed is not None:
            mask = np.fromiter(
                (p in allowed for p in snap.paths), dtype=bool, count=len(snap.paths)
            )
            scores = np.where(mask, scores, -np.inf)
        depth = min(depth, len(scores))
        best = np.argpartition(-scores, depth - 1)[:depth]
        best = best[np.argsort(-scores[best])]
        best = [int(i) for i in best if np.isfinite(scores[i])]
        rows = snap.rows.take(best).to_pylist()
        for row, i in zip(rows, best, strict=True):
            row["_similarity"] = float(scores[i])  # the relevance floor reads it (relevance.py)
        return rows
