"""The LanceDB queries on the `chunks` table, as functions of the table: Store's read methods
call these, and nothing outside store/ builds a LanceDB query."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa

from vault_core.results import IndexLag

# A filter with more paths than this is applied after retrieval (from a deeper list) instead of
# as a LanceDB prefilter, whose SQL `IN (...)` grows with the list.
PREFILTER_MAX_PATHS = 2_000
HASH_BATCH = 500  # text hashes per `IN (...)` when stored vectors are looked up
PATH_BATCH = 500  # paths (or chunk ids) per `IN (...)` of a read or delete
SCAN_SLICE = 16_384  # rows a query of a full scan: ~26 MB of vectors and ids


def sql_list(values: Sequence[str]) -> str:
    """`'a', 'b'` for an SQL `IN (...)`, quotes doubled."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _restricted(query: Any, paths: Collection[str] | None, limit: int) -> list[dict[str, Any]]:
    """Run `query` limited to `paths` (a prefilter when short, else a deeper list filtered)."""
    if paths is not None and len(paths) <= PREFILTER_MAX_PATHS:
        query = query.where(f"path IN ({sql_list(sorted(paths))})", prefilter=True).limit(limit)
    else:
        query = query.limit(limit if paths is None else limit * 4)
    rows = query.to_list()
    return [r for r in rows if paths is None or r["path"] in paths]


def vector_search(
    table: Any,
    vector: np.ndarray,
    columns: Sequence[str],
    limit: int,
    paths: Collection[str] | None,
    nprobes: int | None = None,
    refine_factor: int | None = None,
) -> list[dict[str, Any]]:
    """Rows by cosine to `vector`, best first, each with `_similarity` (1 - cosine distance).
    `nprobes`/`refine_factor` apply where the table has an ANN index (store/vector_index.py)."""
    query = table.search(vector, vector_column_name="vector").distance_type("cosine")
    if nprobes:
        query = query.nprobes(nprobes)
    if refine_factor:
        query = query.refine_factor(refine_factor)
    rows = _restricted(query.select([*columns, "_distance"]), paths, limit)
    for row in rows:
        row["_similarity"] = 1.0 - float(row["_distance"])
    return rows


def keyword_search(
    table: Any,
    terms: Sequence[str],
    columns: Sequence[str],
    limit: int,
    paths: Collection[str] | None,
) -> list[dict[str, Any]]:
    """Rows by BM25 over the `terms` column (already tokenized and stemmed), best first."""
    query = table.search(" ".join(terms), query_type="fts", fts_columns="terms")
    return _restricted(query.select([*columns, "_score"]), paths, limit)


def vectors_for_hashes(table: Any, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """Stored vectors by chunk text hash."""
    found: dict[str, np.ndarray] = {}
    for start in range(0, len(hashes), HASH_BATCH):
        part = hashes[start : start + HASH_BATCH]
        rows = (
            table.search()
            .where(f"text_hash IN ({sql_list(part)}) AND vector IS NOT NULL")
            .select(["text_hash", "vector"])
            .limit(None)
            .to_arrow()
        )
        for h, v in zip(
            rows["text_hash"].to_pylist(),
            rows["vector"].to_numpy(zero_copy_only=False),
            strict=True,
        ):
            found[h] = np.asarray(v, dtype=np.float32)
    return found


def embedded_by_id(table: Any, paths: Sequence[str]) -> dict[str, bool]:
    """id -> has a vector, for every chunk of `paths` (through the `path` BTree: milliseconds)."""
    found: dict[str, bool] = {}
    for start in range(0, len(paths), PATH_BATCH):
        rows = (
            table.search()
            .where(f"path IN ({sql_list(paths[start : start + PATH_BATCH])})")
            .select({"id": "id", "embedded": "vector IS NOT NULL"})
            .limit(None)
            .to_arrow()
        )
        found.update(zip(rows["id"].to_pylist(), rows["embedded"].to_pylist(), strict=True))
    return found


def rows_of_paths(table: Any, paths: Sequence[str] | None, columns: list[str] | None) -> pa.Table:
    """`columns` (all when None) of the rows of `paths`, or of every row when `paths` is None."""
    parts = (
        [None]
        if paths is None
        else [paths[i : i + PATH_BATCH] for i in range(0, len(paths), PATH_BATCH)]
    )
    tables = []
    for part in parts:
        query = table.search()
        if part is not None:
            query = query.where(f"path IN ({sql_list(part)})")
        if columns:
            query = query.select(columns)
        tables.append(query.limit(None).to_arrow())
    return pa.concat_tables(tables) if len(tables) > 1 else tables[0]


def slices(table: Any, select: list[str] | dict[str, str]) -> Iterator[pa.Table]:
    """A full scan of `table` (pinned to a version by the caller), SCAN_SLICE rows a query,
    columns in the order asked. LanceDB's one streaming scan reads far ahead: +322 MB of peak
    for the vector column at 308k chunks, +98 MB in slices, in the same time (docs/benchmarks.md,
    "Hybrid latency and the writer's memory at 100k")."""
    names = list(select)
    for start in range(0, table.count_rows(), SCAN_SLICE):
        yield table.search().select(select).offset(start).limit(SCAN_SLICE).to_arrow().select(names)


def census(batches: Iterable[pa.RecordBatch]) -> dict[str, tuple[int, set[str]]]:
    """path -> (chunk count, note_sha values) from a scan of those two columns, a batch at a
    time: the whole scan as Python lists peaked a 100k-note writer's open ~200 MB higher."""
    found: dict[str, tuple[int, set[str]]] = {}
    for batch in batches:
        paths, shas = batch.column("path").to_pylist(), batch.column("note_sha").to_pylist()
        for path, sha in zip(paths, shas, strict=True):
            count, seen = found.get(path, (0, set()))
            seen.add(sha)
            found[path] = (count + 1, seen)
    return found


def vector_matrix(column: pa.ChunkedArray | pa.Array, dim: int) -> tuple[np.ndarray, np.ndarray]:
    """(n x dim float32 matrix, mask of rows that have a vector); rows not yet embedded are 0."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    if n == 0:
        return np.zeros((0, dim), np.float32), np.zeros(0, bool)
    valid = array.is_valid().to_numpy(zero_copy_only=False)
    # `.values` is the whole child array, whatever slice of it this array is
    values = array.values.slice(array.offset * dim, n * dim).to_numpy(zero_copy_only=False)
    matrix = np.array(values, dtype=np.float32).reshape(n, dim)
    matrix[~valid] = 0.0
    return np.nan_to_num(matrix, copy=False), valid


def commit_lag(tables: Sequence[Any]) -> IndexLag:
    """How far these open table versions are behind the newest commits: versions, and for how
    long."""
    behind, oldest_unseen, newest = 0, None, None
    for table in tables:
        seen = table.version
        for entry in table.list_versions():
            stamp = _as_utc(entry["timestamp"])
            newest = stamp if newest is None or stamp > newest else newest
            if entry["version"] > seen:
                behind += 1
                oldest_unseen = stamp if oldest_unseen is None else min(oldest_unseen, stamp)
    now = datetime.now(UTC)
    return IndexLag(
        versions_behind=behind,
        seconds_behind=round((now - oldest_unseen).total_seconds(), 1) if oldest_unseen else 0.0,
        last_commit_age_s=round((now - newest).total_seconds(), 1) if newest else None,
    )


def _as_utc(stamp: datetime) -> datetime:
    """Lance reports version timestamps as naive local time."""
    return stamp.astimezone(UTC) if stamp.tzinfo is None else stamp
