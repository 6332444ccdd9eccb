"""LanceDB tables under the index dir: `chunks` (vectors + BM25 terms) and `notes` (one row a file).

Write order is the crash-safety contract: a batch's chunks are replaced first (an upsert, then
the stale tail of a note that shrank), and only then are the `notes` rows with the new sha256
written. A process killed in between leaves notes rows with the old sha256 (and chunks whose
note_sha differs from it), which the repair pass and the next sync see and redo.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.location import IndexLocation
from vault_core.results import IndexLag
from vault_core.store.index_meta import IndexMeta
from vault_core.store.integrity import IndexHealth, check_tables
from vault_core.store.lance import load_lancedb
from vault_core.store.memory import release_free_memory, tune_allocators
from vault_core.store.queries import (
    census,
    commit_lag,
    keyword_search,
    rows_of_paths,
    slices,
    sql_list,
    vector_search,
    vectors_for_hashes,
)
from vault_core.store.schema import (
    CHUNKS,
    NOTES,
    NOTES_SCHEMA,
    ChunkRow,
    NoteRow,
    RowCounts,
    chunks_schema,
    keyword_index_config,
)
from vault_core.store.tokens import TokenTable
from vault_core.store.vector_index import VectorIndex
from vault_core.store.writes import (
    delete_paths,
    merge_vectors,
    note_table,
    replace_chunks,
    row_table,
    upsert_notes,
)

# Phase 2 rewrites rows into fragments the `id` BTree does not cover, and each later merge scans
# those in full: over a cold index of vaultofknowledge a step's peak grew by ~150 MB. Rebuilding
# that one index after this many merged rows (~20 ms at 8k chunks) keeps merges on the index.
REINDEX_IDS_AFTER = 1_024
CENSUS_BATCH = 8_192  # rows of (path, note_sha) turned into Python objects at a time
# LanceDB's index cache (6 GB by default) held ~106 MB after 200 queries at 308k chunks (every IVF
# partition, FTS and BTree pages). A 32 MB cap cost nothing on a freshly trained IVF index (items
# of one partition, ~110 KB), but once a compaction had merged the index its items were 1.5-5 MB:
# ANN and keyword queries took turns evicting each other, 170 ms and 100 ms CPU a pair at 32 or
# 64 MB against 33 ms and 37 ms CPU at 128 MB, where the working set (~125 MB: the IVF_SQ codes,
# 384 bytes a chunk, and the FTS pages) fits (docs/benchmarks.md "Hybrid tail and base memory
# at 100k"). 160 MB leaves room to grow. Its metadata cache held ~11 MB and keeps its default;
# on object storage a miss is a GET, so both keep theirs.
LOCAL_INDEX_CACHE_BYTES = 160 << 20


class Store:
    """The two tables plus `index.json` (model name, dimension, schema version), in a folder
    or under an object-storage prefix (see location.py)."""

    def __init__(self, index: Path | IndexLocation, model: str, dim: int, writer: bool) -> None:
        self.location = index if isinstance(index, IndexLocation) else IndexLocation(uri=str(index))
        self.index_dir = self.location.uri  # for messages: a folder path or an s3:// URI
        self.files = self.location.files()
        self.model, self.dim, self.writer = model, dim, writer
        self._chunks_schema = chunks_schema(dim)
        if writer and not self.location.remote:
            self.location.folder.mkdir(parents=True, exist_ok=True)
        # Local readers re-check the table version at most twice a second, so they follow the
        # writer; a reader on object storage polls explicitly, with backoff (`checkout_latest`).
        local_reader = not writer and not self.location.remote
        self._interval = timedelta(milliseconds=500) if local_reader else None
        self.db: Any = None
        self.chunks: Any = None
        self.notes: Any = None
        self.tokens: TokenTable | None = None  # chunk_tokens (store/tokens.py)
        self._ids_unindexed = 0
        self.vector_index = VectorIndex(self)
        self.meta = IndexMeta(self.files, self.index_dir, model, dim, writer)
        if writer or self.files.has_tables():  # connecting creates the folder
            self._connect()

    def _connect(self) -> None:
        lancedb = load_lancedb()

        tune_allocators()
        self.db = lancedb.connect(
            self.location.lance_uri,
            read_consistency_interval=self._interval,
            storage_options=self.location.storage_options() or None,
            session=None
            if self.location.remote
            else lancedb.Session(index_cache_size_bytes=LOCAL_INDEX_CACHE_BYTES),
        )
        if self.writer:
            self._drop_if_mismatched()
        self.chunks = self._open_or_create(CHUNKS, self._chunks_schema)
        self.notes = self._open_or_create(NOTES, NOTES_SCHEMA)
        self.tokens = TokenTable(self.db, self.writer)
        if self.writer:
            self._ensure_indexes()

    # -- metadata (store/index_meta.py) ----------------------------------------------------
    @property
    def reparse_needed(self) -> bool:
        """The tables were built by an older parser: the next full sync re-parses every file."""
        return self.meta.reparse_needed

    def _drop_if_mismatched(self) -> None:
        """Another model or schema built these tables: never a mixed table, start over."""
        if not self.meta.mismatched:
            return
        for name in self._table_names():
            self.db.drop_table(name)
        self.meta.write_fresh()

    def mark_reparsed(self) -> None:
        """Called after a full sync that re-parsed every file with this PARSER_VERSION."""
        self.meta.mark_reparsed()

    def _table_names(self) -> list[str]:
        result = self.db.list_tables()
        return list(getattr(result, "tables", result))

    def _open_or_create(self, name: str, schema: pa.Schema) -> Any:
        if name in self._table_names():
            return self.db.open_table(name)
        if not self.writer:
            return None
        return self.db.create_table(name, schema=schema, exist_ok=True)

    def ready(self) -> bool:
        """False for a reader that started before the writer created the tables."""
        if self.db is None:
            if not self.files.has_tables():
                return False
            self._connect()
        if self.chunks is None or self.notes is None:
            names = self._table_names()
            if CHUNKS in names and NOTES in names:
                self.chunks, self.notes = self.db.open_table(CHUNKS), self.db.open_table(NOTES)
        return self.chunks is not None and self.notes is not None

    def _ensure_indexes(self) -> None:
        """BTree indexes make one note's replace a ~50 ms commit instead of a table scan."""
        from lancedb.index import BTree

        for table, columns in ((self.chunks, ("path", "id", "text_hash")), (self.notes, ("path",))):
            have = {tuple(ix.columns) for ix in table.list_indices()}
            for column in columns:
                if (column,) not in have:
                    table.create_index(column, config=BTree())
        if not any(ix.index_type == "FTS" for ix in self.chunks.list_indices()):
            self.chunks.create_index("terms", config=keyword_index_config())

    # -- reads ----------------------------------------------------------------------------
    def version(self) -> tuple[int, int]:
        if not self.ready():
            return (0, 0)
        return (self.notes.version, self.chunks.version)

    def checkout_latest(self) -> None:
        """A reader on object storage moves to the writer's newest commit (one LIST a table)."""
        if self.ready():
            self.chunks.checkout_latest()
            self.notes.checkout_latest()

    def lag(self) -> IndexLag:
        """How far this handle is behind the newest commit: versions, and for how long."""
        if not self.ready():
            return IndexLag()
        return commit_lag([self.notes, self.chunks])

    def notes_table(self) -> pa.Table | None:
        return self.notes.to_arrow() if self.ready() else None

    def note_rows(self, paths: list[str], columns: list[str] | None = None) -> pa.Table:
        """The `notes` rows of `paths` (through the `path` BTree), or of every note when
        `paths` is None: what is answered while the catalog is still being decoded."""
        return rows_of_paths(self.notes, paths, columns)

    def all_notes(self) -> list[dict[str, Any]]:
        table = self.notes_table()
        return table.to_pylist() if table is not None else []

    def chunk_rows(
        self, paths: list[str], columns: list[str] | None = None
    ) -> list[dict[str, Any]]:
        if not paths or not self.ready():
            return []
        query = self.chunks.search().where(f"path IN ({sql_list(paths)})").limit(None)
        if columns:
            query = query.select(columns)
        return query.to_arrow().to_pylist()

    def vectors_for_hashes(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Stored vectors by chunk text hash: unchanged text is never embedded twice."""
        return vectors_for_hashes(self.chunks, hashes)

    def token_vectors(self, hashes: list[str]) -> dict[str, np.ndarray]:
        """Reduced token vectors (int8) by chunk text hash, for those that have them."""
        return self.tokens.get(hashes) if self.ready() and self.tokens else {}

    def add_token_vectors(self, hashes: list[str], tokens: list[np.ndarray]) -> None:
        if self.tokens is not None:
            self.tokens.add(hashes, tokens)

    def token_coverage(self) -> tuple[int, int]:
        """(embedded chunk texts with token vectors, embedded chunk texts); (0, -1): none."""
        if not self.ready() or self.tokens is None:
            return (0, -1)
        return self.tokens.coverage(self.chunks)

    def chunk_census(self) -> dict[str, tuple[int, set[str]]]:
        """path -> (chunk count, note_sha values): what the repair pass compares with `notes`."""
        if not self.ready():
            return {}
        return census(self.scan_chunks(["path", "note_sha"], CENSUS_BATCH))

    def chunks_version(self) -> int:
        """The `chunks` table's version: a cache of its rows is current while this is unchanged."""
        return self.chunks.version if self.ready() else 0

    def scan_columns(self, columns: list[str]) -> pa.Table:
        """Every chunk's `columns`, in the table's scan order."""
        return self.chunks.search().select(columns).limit(None).to_arrow()

    def scan_chunks(self, columns: list[str], batch_rows: int) -> pa.RecordBatchReader:
        """Every chunk's `columns`, `batch_rows` at a time: for columns too large to hold twice.
        Read in slices (`queries.slices`) of the current version: a commit meanwhile neither
        skips nor repeats rows."""
        pinned = self._pinned_chunks()
        schema = pa.schema([pinned.schema.field(name) for name in columns])
        parts = slices(pinned, columns)
        return pa.RecordBatchReader.from_batches(
            schema,
            (batch for part in parts for batch in part.to_batches(max_chunksize=batch_rows)),
        )

    def _pinned_chunks(self) -> Any:
        pinned = self.db.open_table(CHUNKS)
        pinned.checkout(self.chunks.version)
        return pinned

    def vector_search(
        self,
        vector: np.ndarray,
        columns: list[str],
        limit: int,
        paths: Collection[str] | None,
        nprobes: int | None = None,
        refine_factor: int | None = None,
    ) -> list[dict[str, Any]]:
        """Chunks by cosine, of `paths` when given; `_similarity` set. With an ANN index
        (store/vector_index.py) at its calibrated probes and rescoring unless the calibration
        asks for others; else a flat scan."""
        if nprobes is None or refine_factor is None:  # both given: the caller read the state
            state = self.vector_index.state()
            if state is not None:
                nprobes = nprobes or state.nprobes
                refine_factor = state.refine_factor if refine_factor is None else refine_factor
        return vector_search(self.chunks, vector, columns, limit, paths, nprobes, refine_factor)

    def keyword_search(
        self, terms: list[str], columns: list[str], limit: int, paths: Collection[str] | None
    ) -> list[dict[str, Any]]:
        """Chunks by BM25 over their stemmed `terms`, of `paths` when given."""
        return keyword_search(self.chunks, terms, columns, limit, paths)

    def integrity(self) -> IndexHealth:
        """The table probes (scan, FTS, vector) on the open tables: `doctor` for a bucket."""
        return check_tables(self.chunks, self.notes)

    def count_chunks(self) -> int:
        return self.chunks.count_rows() if self.ready() else 0

    def count_embedded(self) -> int:
        """Chunks with a vector. Deciding that reads every vector: LanceDB's filtered count read
        ahead ~260 MB at 308k chunks (a 100k-note writer's open peaked on it); in slices ~26 MB."""
        if not self.ready():
            return 0
        parts = slices(self._pinned_chunks(), {"embedded": "vector IS NOT NULL"})
        return sum(int(pc.sum(part["embedded"]).as_py() or 0) for part in parts)

    def pending_chunks(self, limit: int, paths: list[str] | None = None) -> list[dict[str, Any]]:
        """Chunks still without a vector (phase 2's work), of `paths` when given."""
        if not self.ready():
            return []
        where = "vector IS NULL"
        if paths:
            where += f" AND path IN ({sql_list(paths)})"
        return (
            self.chunks.search()
            .where(where)
            .select(["id", "text_hash", "text"])
            .limit(limit)
            .to_arrow()
            .to_pylist()
        )

    def set_vectors(self, ids: list[str], hashes: list[str], vectors: np.ndarray) -> None:
        """One commit; a chunk whose text changed since it was read keeps its (null) vector
        (store/writes.py `merge_vectors`)."""
        if not ids:
            return
        written = merge_vectors(self.chunks, self._chunks_schema, ids, hashes, vectors)
        if not written:
            return
        self._ids_unindexed += written
        if self._ids_unindexed >= REINDEX_IDS_AFTER:
            from lancedb.index import BTree

            self.chunks.create_index("id", config=BTree(), replace=True)
            self._ids_unindexed = 0
        release_free_memory()

    # -- writes (writer only) -------------------------------------------------------------
    def _chunk_table(self, rows: list[ChunkRow]) -> pa.Table:
        return row_table(rows, self._chunks_schema)

    def replace_chunks(self, paths: list[str], rows: list[ChunkRow]) -> RowCounts:
        """Every chunk of `paths` replaced by `rows` (which may be empty); returns the change.
        Two commits, the upsert first (store/writes.py says why)."""
        return replace_chunks(self.chunks, self._chunks_schema, paths, rows)

    def append(self, chunk_rows: list[ChunkRow], note_rows: list[NoteRow]) -> None:
        """A first index's batch: plain appends, no join against the rows already written.

        Only for paths with no row in either table (`Indexer.sync` checks both were empty);
        chunks go first and `notes` rows last, as in the merging path.
        """
        if chunk_rows:
            self.chunks.add(self._chunk_table(chunk_rows), on_bad_vectors="null")
        if note_rows:
            self.notes.add(note_table(note_rows))
        release_free_memory()

    def count_notes(self) -> int:
        return self.notes.count_rows() if self.ready() else 0

    def upsert_notes(self, rows: list[NoteRow]) -> None:
        upsert_notes(self.notes, rows)

    def delete_paths(self, paths: list[str]) -> RowCounts:
        """Chunks first, then the notes rows: a crash in between is redone by the next sync."""
        return delete_paths(self.chunks, self.notes, paths)

    def optimize(self) -> None:
        """Fold new rows into the FTS index and compact; old versions kept a while for readers."""
        for table in (self.chunks, self.notes):
            table.optimize(cleanup_older_than=timedelta(minutes=5))
        if self.tokens is not None and self.tokens.count():  # rows no chunk's text has any more
            self.tokens.prune(self.scan_columns(["text_hash"])["text_hash"].combine_chunks())
            self.tokens.optimize()
