"""The keyword-index decision at 50k chunks: rank-bm25 vs bm25s vs LanceDB native FTS (nvault's).

(Named keyword_index.py, not keyword.py: a `keyword.py` in bench/ shadows the stdlib `keyword`
module, which `collections` imports, for every script run as `python bench/<x>.py`.)

Usage:
    python -m bench.decisions.keyword_index                     # 50,000 chunks, 100 queries, 20 updates
    python -m bench.decisions.keyword_index --chunks 10000 --backends lancedb

Chunk texts are synthesised from real paragraphs of ../shared/corpora (both vaults and the
SciFact abstracts), packed to ~1,000 chars like the chunker, five chunks to a note, and tokenised
with `vault_core.index.terms.tokenize` for every backend. An update replaces one note's five chunks:
  rank-bm25  BM25Okapi has no update: rebuild over all chunks;
  bm25s      no update either: re-index all chunks;
  lancedb    nvault's own `Store.replace_chunks` (one merge_insert commit) on a `chunks` table
             with the FTS index over `terms`, queried like `Searcher._keyword` (depth 50), so
             rows written since the last optimize are searched unindexed.
Each backend runs in a forked child, so its memory figure (RSS growth while building) is its own.
The design keeps the one that updates in < 50 ms and queries in < 20 ms (p95).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import (
    CORPORA,
    current_rss_mb,
    dir_size_mb,
    emit,
    load_average,
    log,
    machine,
    rng,
    summary_ms,
    timer,
)
from vault_core.index.terms import terms_text, tokenize
from vault_core.store.schema import ChunkRow

CHUNK_CHARS = 1_000
PER_NOTE = 5
DEPTH = 50  # Searcher's candidate depth for limit=10
FRONTMATTER_RE = re.compile(r"\A---\n.*?\n---\n", re.S)


def paragraphs(root: Path) -> list[str]:
    """Prose paragraphs of every corpus: Markdown split at blank lines, abstracts whole."""
    found: list[str] = []
    for path in sorted(root.rglob("*.md")):
        text = FRONTMATTER_RE.sub("", path.read_text(encoding="utf-8", errors="replace"))
        found += [p.strip() for p in text.split("\n\n") if len(p.strip()) >= 40]
    scifact = root / "scifact" / "corpus.jsonl"
    if scifact.is_file():
        for line in scifact.open(encoding="utf-8"):
            row = json.loads(line)
            found.append(f"{row['title']}\n{row['text']}")
    return found


def synth_chunks(pool: list[str], n: int, seed: int) -> list[str]:
    """`n` chunk texts of up to ~1,000 chars, each packed from random real paragraphs."""
    r = rng(seed)
    chunks: list[str] = []
    while len(chunks) < n:
        parts: list[str] = []
        size = 0
        while size < CHUNK_CHARS * 0.6:
            para = r.choice(pool)[:CHUNK_CHARS]
            if parts and size + len(para) > CHUNK_CHARS:
                break
            parts.append(para)
            size += len(para) + 2
        chunks.append("\n\n".join(parts))
    return chunks


def make_queries(pool: list[str], n: int, seed: int) -> list[str]:
    """2-6 word spans of real paragraphs: the shape of what people type."""
    r = rng(seed + 1)
    queries: list[str] = []
    while len(queries) < n:
        words = r.choice(pool).split()
        if len(words) < 8:
            continue
        size = r.randint(2, 6)
        start = r.randint(0, len(words) - size)
        query = " ".join(words[start : start + size])
        if tokenize(query):
            queries.append(query)
    return queries


# -- backends (each runs in its own forked child) ------------------------------------------
def _both(name: str, times: list[list[float]]) -> dict[str, Any]:
    """Wall-clock and CPU-time summaries of (wall, cpu) pairs."""
    return {
        name: summary_ms([t[0] for t in times]),
        f"{name}_cpu": summary_ms([t[1] for t in times]),
    }


def _updates(texts: list[str], n: int, seed: int) -> list[tuple[int, list[str]]]:
    """(note number, its 5 new chunk texts, one with a marker term) for `n` updates."""
    r = rng(seed + 2)
    notes = len(texts) // PER_NOTE
    plan = []
    for i in range(n):
        new = [r.choice(texts) for _ in range(PER_NOTE)]
        new[0] = f"{new[0]} zqxmarker{i}"
        plan.append((r.randrange(notes), new))
    return plan


def _rebuilt_in_memory(
    texts: list[str],
    tokens: list[list[str]],
    queries: list[str],
    updates: int,
    build: Callable[[list[list[str]]], Any],
    query: Callable[[Any, str], None],
) -> dict[str, Any]:
    """An in-memory library with no incremental update: build, rebuild per update, query."""
    before = current_rss_mb()
    with timer() as t_build:
        index = build(tokens)
    rss = current_rss_mb() - before
    update_times = []
    for note, new in _updates(texts, updates, 0):
        with timer() as t:
            start = note * PER_NOTE
            tokens[start : start + PER_NOTE] = [tokenize(x) for x in new]
            index = build(tokens)
        update_times.append(t)
    query_times = []
    for q in queries:
        with timer() as t:
            query(index, q)
        query_times.append(t)
    return {
        "build_s": round(t_build[0], 2),
        "build_cpu_s": round(t_build[1], 2),
        **_both("update", update_times),
        **_both("query", query_times),
        "rss_growth_mb": rss,
    }


def bench_rank_bm25(texts: list[str], tokens: list[list[str]], queries: list[str], updates: int):
    from rank_bm25 import BM25Okapi

    def query(index: Any, q: str) -> None:
        scores = index.get_scores(tokenize(q))
        top = np.argpartition(-scores, DEPTH)[:DEPTH]
        top[np.argsort(-scores[top])]

    return _rebuilt_in_memory(texts, tokens, queries, updates, BM25Okapi, query)


def bench_bm25s(texts: list[str], tokens: list[list[str]], queries: list[str], updates: int):
    import bm25s

    def build(toks: list[list[str]]) -> Any:
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(toks, show_progress=False)
        return model

    def query(model: Any, q: str) -> None:
        ids = [model.vocab_dict[w] for w in tokenize(q) if w in model.vocab_dict]
        if ids:
            model.retrieve([ids], k=DEPTH, show_progress=False, n_threads=1)

    return _rebuilt_in_memory(texts, tokens, queries, updates, build, query)


def _rows(path: str, texts: list[str], dim: int, r: np.random.Generator) -> list[dict[str, Any]]:
    vectors = r.standard_normal((len(texts), dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        {
            "id": f"{path}#{i}",
            "path": path,
            "ordinal": i,
            "note_sha": "bench",
            "text_hash": f"{hash(text) & 0xFFFFFFFF:08x}",
            "text": text,
            "terms": terms_text(text),
            "heading_path": [],
            "start_line": 1,
            "end_line": 1,
            "page": None,
            "sheet": None,
            "row_start": None,
            "row_end": None,
            "vector": vectors[i],
        }
        for i, text in enumerate(texts)
    ]


def bench_lancedb(texts: list[str], tokens: list[list[str]], queries: list[str], updates: int):
    import pyarrow as pa

    from vault_core.query.search import Searcher
    from vault_core.store.store import Store

    dim = 384
    r = np.random.default_rng(0)
    with tempfile.TemporaryDirectory(prefix="nvault-kw-") as tmp:
        before = current_rss_mb()
        with timer() as t_build:
            store = Store(Path(tmp) / "index", model="bench-keyword", dim=dim, writer=True)
            for start in range(0, len(texts), 5_000):
                rows = []
                for note_start in range(start, min(start + 5_000, len(texts)), PER_NOTE):
                    path = f"n{note_start // PER_NOTE:05d}.md"
                    rows += _rows(path, texts[note_start : note_start + PER_NOTE], dim, r)
                store.chunks.add(pa.Table.from_pylist(rows, schema=store.chunks.schema))
            store.optimize()  # folds every row into the FTS index
        rss = current_rss_mb() - before
        searcher = Searcher(store, embedder=None)  # type: ignore[arg-type]

        def query_all() -> dict[str, Any]:
            times = []
            for q in queries:
                with timer() as t:
                    searcher._keyword(q, DEPTH, None)
                times.append(t)
            return _both("wall", times)

        searcher._keyword(queries[0], DEPTH, None)  # warm-up: opens the index files
        fresh = query_all()
        update_times, visible = [], []
        for i, (note, new) in enumerate(_updates(texts, updates, 0)):
            path = f"n{note:05d}.md"
            rows = _rows(path, new, dim, r)
            with timer() as t:
                store.replace_chunks([path], [ChunkRow(**r) for r in rows])
            update_times.append(t)
            hits = searcher._keyword(f"zqxmarker{i}", DEPTH, None)
            visible.append(any(h["path"] == path for h in hits))
        pending = query_all()
        with timer() as t_opt:
            store.optimize()
        optimized = query_all()
        alternatives = _update_alternatives(store, searcher, texts, updates, dim, r)
        return {
            "build_s": round(t_build[0], 2),
            "build_cpu_s": round(t_build[1], 2),
            **_both("update", update_times),
            "update_visible_to_next_query": f"{sum(visible)}/{len(visible)}",
            "query": fresh,
            f"query_after_{updates}_unoptimized_updates": pending,
            "optimize_s": round(t_opt[0], 2),
            "query_after_optimize": optimized,
            "rss_growth_mb": rss,
            "disk_mb": dir_size_mb(Path(tmp) / "index"),
            "update_alternatives": alternatives,
        }


def _update_alternatives(
    store: Any, searcher: Any, texts: list[str], n: int, dim: int, r: np.random.Generator
) -> dict[str, Any]:
    """Other ways to write one note's chunks, to see where `replace_chunks` spends its time.

    delete_then_add: two commits (not atomic: a crash between them leaves the note chunkless,
    which `Indexer.repair` detects and redoes). merge_insert_upsert_only_then_trim: merge_insert
    without `when_not_matched_by_source_delete`, then a delete of surplus ordinals.
    merge_insert_with_path_index: the same single
    commit as `replace_chunks`, with a BTREE scalar index on `path`.
    """
    out: dict[str, Any] = {}
    plans = _updates(texts, n, 1)

    def delete_then_add(path: str, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        store.chunks.delete(f"path = '{path}'")
        store.chunks.add(pa.Table.from_pylist(rows, schema=store.chunks.schema))

    def upsert_then_trim(path: str, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa

        data = pa.Table.from_pylist(rows, schema=store.chunks.schema)
        (
            store.chunks.merge_insert("id")
            .when_matched_update_all()
            .when_not_matched_insert_all()
            .execute(data)
        )
        store.chunks.delete(f"path = '{path}' AND ordinal >= {len(rows)}")

    for name, write in (
        ("delete_then_add", delete_then_add),
        ("merge_insert_upsert_only_then_trim", upsert_then_trim),
        (
            "merge_insert_with_path_index",
            lambda path, rows: store.replace_chunks([path], [ChunkRow(**r) for r in rows]),
        ),
    ):
        if name == "merge_insert_with_path_index":
            store.chunks.create_scalar_index("path", replace=True)
        times, visible = [], []
        for i, (note, new) in enumerate(plans):
            path = f"n{note:05d}.md"
            rows = _rows(
                path, [t.replace(f"zqxmarker{i}", f"zqyalt{i}{name[:3]}") for t in new], dim, r
            )
            with timer() as t:
                write(path, rows)
            times.append(t)
            hits = searcher._keyword(f"zqyalt{i}{name[:3]}", DEPTH, None)
            visible.append(any(h["path"] == path for h in hits))
        out[name] = {**_both("update", times), "visible": f"{sum(visible)}/{len(visible)}"}
        log(f"  {name}: {out[name]}")
    return out


BACKENDS = {"rank_bm25": bench_rank_bm25, "bm25s": bench_bm25s, "lancedb": bench_lancedb}


def _child(name: str, args: tuple[Any, ...], out: Any) -> None:
    try:
        out.put(BACKENDS[name](*args))
    except Exception as exc:  # report, do not hang the parent
        out.put({"error": f"{type(exc).__name__}: {exc}"})


def run_isolated(name: str, *args: Any) -> dict[str, Any]:
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, args, out))
    proc.start()
    result = out.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", type=Path, default=CORPORA)
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--updates", type=int, default=20)
    parser.add_argument("--slow-updates", type=int, default=3, help="for the rebuild backends")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()
    if not args.corpora.is_dir():
        log(f"{args.corpora} not found: pass --corpora or set NVAULT_CORPORA")
        sys.exit(2)
    pool = paragraphs(args.corpora)
    texts = synth_chunks(pool, args.chunks, args.seed)
    with timer() as t_tok:
        tokens = [tokenize(t) for t in texts]
    queries = make_queries(pool, args.queries, args.seed)
    log(f"{len(pool)} paragraphs -> {len(texts)} chunks, tokenised in {t_tok[0]:.1f}s")
    result: dict[str, Any] = {
        "chunks": len(texts),
        "notes": len(texts) // PER_NOTE,
        "chunks_per_update": PER_NOTE,
        "mean_chunk_chars": round(sum(map(len, texts)) / len(texts)),
        "mean_terms_per_chunk": round(sum(map(len, tokens)) / len(tokens), 1),
        "tokenize_chunks_per_s": round(len(texts) / t_tok[0]),
        "queries": len(queries),
        "query_examples": queries[:5],
        "load_average_before": load_average(),
        "targets": {"update_ms": 50, "query_p95_ms": 20},
        "backends": {},
    }
    for name in args.backends.split(","):
        updates = args.updates if name == "lancedb" else args.slow_updates
        log(f"{name}: building, {updates} updates, {len(queries)} queries")
        result["backends"][name] = run_isolated(
            name, texts, [list(t) for t in tokens], queries, updates
        )
        log(f"{name}: {result['backends'][name]}")
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
