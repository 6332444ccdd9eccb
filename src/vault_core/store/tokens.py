"""`chunk_tokens`: each chunk text's reduced token vectors, a side table keyed by text hash.

Keyed by the chunk's `text_hash`, not its id: token vectors are a function of the text alone,
so a renamed note, an unchanged chunk of a saved note, or a chunk repaired and rewritten finds
its tokens without a forward pass (as stored vectors are reused by hash). A row is written when
its text is embedded (phase 1 inline or phase 2), before the chunk's vector: a kill in between
leaves a row no chunk uses, which `prune` removes at compaction. `tokens` is the int8 matrix
(count x dims) as bytes: one binary cell a row, read for ~20 hashes a query through a BTree.

An index from before this table (or one whose texts were embedded without token vectors) has
rows for none or some of its texts; search then answers without the re-ranking stage
(query/rerank.py needs every candidate's tokens) and `status` says how many texts have them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.store.queries import sql_list

TOKENS = "chunk_tokens"
HASH_BATCH = 500
RECHECK_S = 5.0  # how often a reader looks again for a table the writer has not created
SCHEMA = pa.schema(
    [
        pa.field("text_hash", pa.string(), nullable=False),
        pa.field("count", pa.int32()),
        pa.field("dims", pa.int32()),
        pa.field("tokens", pa.binary()),
    ]
)


class TokenTable:
    """Token vectors by text hash, in the index's LanceDB database (None until created)."""

    def __init__(self, db: Any, writer: bool) -> None:
        self.db, self.writer = db, writer
        self.table: Any = None
        self._looked_at = -RECHECK_S
        self._coverage: tuple[tuple[int, int], tuple[int, int]] | None = None
        self.open()

    def open(self) -> bool:
        """Open (a writer creates) the table; False while a reader finds none yet."""
        if self.table is not None:
            return True
        if not self.writer and time.monotonic() - self._looked_at < RECHECK_S:
            return False  # a reader of an index without the table: not a listing per query
        self._looked_at = time.monotonic()
        names = self.db.list_tables()
        if TOKENS in list(getattr(names, "tables", names)):
            self.table = self.db.open_table(TOKENS)
        elif self.writer:
            from lancedb.index import BTree

            self.table = self.db.create_table(TOKENS, schema=SCHEMA, exist_ok=True)
            self.table.create_index("text_hash", config=BTree())
        return self.table is not None

    def add(self, hashes: Sequence[str], tokens: Sequence[np.ndarray]) -> None:
        """Store token matrices for texts not stored yet (one commit)."""
        if not hashes or not self.open():
            return
        seen: dict[str, np.ndarray] = dict(zip(hashes, tokens, strict=True))
        data = pa.table(
            {
                "text_hash": list(seen),
                "count": pa.array([len(t) for t in seen.values()], pa.int32()),
                "dims": pa.array([t.shape[1] for t in seen.values()], pa.int32()),
                "tokens": pa.array([t.astype(np.int8).tobytes() for t in seen.values()]),
            },
            schema=SCHEMA,
        )
        self.table.merge_insert("text_hash").when_not_matched_insert_all().execute(data)

    def get(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        """Text hash -> int8 token matrix, for the hashes that have one."""
        if not hashes or not self.open():
            return {}
        found: dict[str, np.ndarray] = {}
        unique = sorted(set(hashes))
        for start in range(0, len(unique), HASH_BATCH):
            rows = (
                self.table.search()
                .where(f"text_hash IN ({sql_list(unique[start : start + HASH_BATCH])})")
                .select(["text_hash", "count", "dims", "tokens"])
                .limit(None)
                .to_arrow()
            )
            for h, n, d, blob in zip(
                rows["text_hash"].to_pylist(),
                rows["count"].to_pylist(),
                rows["dims"].to_pylist(),
                rows["tokens"].to_pylist(),
                strict=True,
            ):
                found[h] = np.frombuffer(blob, dtype=np.int8).reshape(n, d)
        return found

    def count(self) -> int:
        return self.table.count_rows() if self.open() else 0

    def stored_hashes(self) -> pa.Array:
        if not self.open():
            return pa.array([], pa.string())
        return self.table.search().select(["text_hash"]).limit(None).to_arrow()["text_hash"]

    def prune(self, live: pa.Array) -> int:
        """Delete rows of texts no chunk has any more; returns how many went."""
        stored = self.stored_hashes()
        if not len(stored):
            return 0
        dead = pc.filter(stored, pc.invert(pc.is_in(stored, value_set=live))).to_pylist()
        for start in range(0, len(dead), HASH_BATCH):
            self.table.delete(f"text_hash IN ({sql_list(dead[start : start + HASH_BATCH])})")
        return len(dead)

    def coverage(self, chunks: Any) -> tuple[int, int]:
        """(texts of `chunks` with token vectors, texts of `chunks`); (0, -1) when the table is
        empty. Cached per pair of table versions: it scans every hash (~1 s at 308k). Only the
        hash column is read: a filter on `vector IS NOT NULL` read every vector too (+350 MB
        peak in a 100k server's `status`); a text still waiting for phase 2 counts as not
        covered, which it is."""
        if not self.open() or not self.count():
            return (0, -1)
        versions = (chunks.version, self.table.version)
        if self._coverage is None or self._coverage[0] != versions:
            live = pc.unique(
                chunks.search().select(["text_hash"]).limit(None).to_arrow()["text_hash"]
            )
            have = pc.sum(pc.is_in(live, value_set=self.stored_hashes())).as_py() or 0
            self._coverage = (versions, (int(have), len(live)))
        return self._coverage[1]

    def optimize(self) -> None:
        if self.open():
            self.table.optimize(cleanup_older_than=timedelta(minutes=5))
