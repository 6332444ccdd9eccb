"""What LanceDB's keyword (FTS) index costs as the vault grows: disk, build, one note's update,
and query latency, at the first N chunks of a big index (default 30k, 100k and all 308k).

Usage: python -m bench.measure.keyword_scale INDEXED_VAULT [--sizes 30000,100000,0] [--updates 8]

INDEXED_VAULT is a built vault, e.g. the 100k one bench.measure.scale makes
(`/tmp/nvault-scale/vaultofknowledge-x37`); it is only read. For each size a scratch table of
that many chunks (`id`, `path`, `terms`: what the FTS index reads) gets nvault's FTS index
(store/store.py's config) and a BTree on `id`, then:
  build      create the FTS index over every row;
  update     one note's chunks replaced as `Store.replace_chunks` writes them (an upsert by id),
             then the query that finds the new word: rows written since the last optimize are
             searched unindexed, so this is what a save costs the keyword side;
  fold       `optimize()` after such an update: the new rows folded into the FTS index (the
             watcher runs it in quiet time, not on a save);
  query      BM25 queries of 1-4 title words at nvault's depth (50), p50/p95.
One JSON object on stdout.
"""

from __future__ import annotations

import argparse
import random
import shutil
import time
from pathlib import Path
from typing import Any

import lancedb
import pyarrow as pa
from lancedb.index import BTree

from bench.harness import dir_size_mb, emit, log, summary_ms
from vault_core.index.terms import terms_text, tokenize
from vault_core.store.schema import keyword_index_config

DEPTH = 50  # Searcher's candidate depth for limit=10
FTS_CONFIG = keyword_index_config()  # as Store._ensure_indexes creates it


def fts_dir_mb(table: Any) -> float:
    """The newest FTS index folder's size (older versions stay until cleanup)."""
    indices = Path(table.uri) / "_indices"
    folders = [d for d in indices.iterdir() if (d / "metadata.lance").exists()]
    newest = max(folders, key=lambda d: d.stat().st_mtime)
    return dir_size_mb(newest)


def query(table: Any, words: str) -> list[str]:
    terms = tokenize(words)
    found = table.search(" ".join(terms), query_type="fts", fts_columns="terms")
    return found.select(["id", "_score"]).limit(DEPTH).to_arrow()["id"].to_pylist()


def measure(rows: pa.Table, scratch: Path, queries: list[str], updates: int) -> dict[str, Any]:
    db = lancedb.connect(str(scratch))
    table = db.create_table("chunks", rows, mode="overwrite")
    table.create_index("id", config=BTree())
    started = time.perf_counter()
    table.create_index("terms", config=FTS_CONFIG)
    build_s = time.perf_counter() - started
    result: dict[str, Any] = {
        "chunks": rows.num_rows,
        "build_s": round(build_s, 2),
        "fts_index_mb": fts_dir_mb(table),
        "table_mb": dir_size_mb(scratch),
    }
    for q in queries[:3]:
        query(table, q)  # warm the index pages
    latencies = []
    for q in queries:
        s = time.perf_counter()
        query(table, q)
        latencies.append(time.perf_counter() - s)
    result["query"] = summary_ms(latencies)
    rng = random.Random(11)
    paths = rows["path"].to_pylist()
    write_s, find_s, fold_s, unindexed_query_s = [], [], [], []
    for i in range(updates):
        path = paths[rng.randrange(len(paths))]
        note = table.search().where(f"path = '{path.replace(chr(39), chr(39) * 2)}'")
        old = note.select(["id", "path", "terms"]).limit(None).to_arrow()
        token = f"zqvkw{i}x{rng.randrange(10**6)}"
        terms = [
            t + (" " + terms_text(token) if j == 0 else "")
            for j, t in enumerate(old["terms"].to_pylist())
        ]
        new = old.set_column(2, "terms", pa.array(terms, pa.string()))
        s = time.perf_counter()
        table.merge_insert("id").when_matched_update_all().when_not_matched_insert_all().execute(
            new
        )
        write_s.append(time.perf_counter() - s)
        s = time.perf_counter()
        assert query(table, token), token  # searchable before any optimize
        find_s.append(time.perf_counter() - s)
        s = time.perf_counter()
        query(table, queries[i % len(queries)])
        unindexed_query_s.append(time.perf_counter() - s)
        s = time.perf_counter()
        table.optimize()
        fold_s.append(time.perf_counter() - s)
        assert table.index_stats("terms_idx").num_unindexed_rows == 0
    result["update_one_note"] = summary_ms(write_s)
    result["find_new_word_unindexed"] = summary_ms(find_s)
    result["query_with_one_note_unindexed"] = summary_ms(unindexed_query_s)
    result["optimize_fold_one_note"] = summary_ms(fold_s)
    db.drop_table("chunks")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--sizes", default="30000,100000,0", help="0: every chunk")
    parser.add_argument("--updates", type=int, default=8)
    parser.add_argument("--scratch", type=Path, default=Path("/tmp/nvault-keyword-scale"))
    args = parser.parse_args()
    source = lancedb.connect(str(args.vault / ".nvault" / "lance"))
    chunks = source.open_table("chunks")
    everything = chunks.search().select(["id", "path", "terms"]).limit(None).to_arrow()
    titles = source.open_table("notes").search().select(["title"]).limit(None).to_arrow()
    rng = random.Random(5)
    picked = [t for t in rng.sample(titles["title"].to_pylist(), 120) if tokenize(t or "")]
    queries = [" ".join(t.split()[:4]) for t in picked[:60]]
    results = []
    for size in [int(s) for s in args.sizes.split(",") if s]:
        rows = everything if size == 0 else everything.slice(0, size)
        shutil.rmtree(args.scratch, ignore_errors=True)
        results.append(measure(rows, args.scratch, queries, args.updates))
        log(f"{rows.num_rows} chunks: {results[-1]}")
    shutil.rmtree(args.scratch, ignore_errors=True)
    emit(
        {
            "bench": "keyword_scale",
            "vault": str(args.vault),
            "real_fts_index_mb": fts_dir_mb(chunks),
            "sizes": results,
        }
    )


if __name__ == "__main__":
    main()
