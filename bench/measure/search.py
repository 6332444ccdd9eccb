"""Search latency on an indexed real vault: p50/p95 of 200 queries per mode, after a warm-up.

Usage:
    python -m bench.measure.search [INDEXED_VAULT]   # default /tmp/nvault-bench-cache/vaultofknowledge
    python -m bench.measure.search --queries 500 --seed 7

The vault must be indexed already (`python -m bench.measure.index --keep` leaves one in the cache).
It is opened as a reader, so the bench never writes to a shared cache. Queries are drawn
deterministically (seeded) from the vault itself: a third note titles, a third headings, a
third 4-10 word spans of chunk text. As a side figure, `found@10` says how often the note the
query was drawn from is among the top 10 hits (a smoke check of quality, not a relevance score).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    CACHE,
    SEED,
    emit,
    load_average,
    log,
    machine,
    peak_rss_mb,
    ready_marker,
    rng,
    summary_ms,
    timer,
)
from vault_core.vault import Vault

# Hybrid runs first and again last: the second pass shows how much of the first was warm-up
# (page cache, LanceDB index caches) rather than hybrid's own cost. The query-vector cache is
# emptied before every timed query, so repeats measure the full cost.
MODES = (
    ("hybrid", "hybrid"),
    ("keyword", "keyword"),
    ("semantic", "semantic"),
    ("hybrid", "hybrid_again"),
)
WORD_RE = re.compile(r"[^\W_][\w'’-]*")


def make_queries(vault: Vault, n: int, seed: int) -> list[tuple[str, str, str]]:
    """(kind, query, source path): titles, headings and text spans, in a seeded order."""
    r = rng(seed)
    notes = sorted((p, rec) for p, rec in vault.catalog.items() if rec.kind == "note")
    titles = [("title", rec.title, p) for p, rec in notes if len(rec.title) > 3]
    headings = [("heading", h.text, p) for p, rec in notes for h in rec.headings if len(h.text) > 3]
    per_kind = n // 3
    picked = r.sample(titles, min(per_kind, len(titles)))
    picked += r.sample(headings, min(per_kind, len(headings)))
    spans: list[tuple[str, str, str]] = []
    paths = [p for p, _ in notes]
    while len(picked) + len(spans) < n:
        path = r.choice(paths)
        chunks = vault.chunks(path)
        if not chunks:
            continue
        text = r.choice(chunks)["text"]
        body = text.split("\n\n", 1)[-1]
        words = WORD_RE.findall(body)
        if len(words) < 6:
            continue
        size = r.randint(4, min(10, len(words)))
        start = r.randint(0, len(words) - size)
        spans.append(("span", " ".join(words[start : start + size]), path))
    queries = picked + spans
    r.shuffle(queries)
    return queries


def _forget_query_vectors(vault: Vault) -> None:
    """Every timed query is a new one: empty the searcher's query-embedding cache, if it has one
    (each mode reuses the same 200 queries, which a cache would otherwise answer for free)."""
    cache = getattr(vault.searcher, "_query_vectors", None)
    if cache is not None:
        cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", nargs="?", type=Path, default=CACHE / "vaultofknowledge")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--limit", type=int, default=10)
    args = parser.parse_args()
    root = args.vault.resolve()
    if not (root / ".nvault" / "index.json").is_file():
        log(
            f"{root} has no index: run `python -m bench.measure.index --keep` first (or pass a vault)"
        )
        sys.exit(2)
    marker = ready_marker(root)
    if marker is None:
        log(f"warning: {root} has no finished-build marker; its index may be incomplete")
    with timer() as t_open:
        vault = Vault.open(root, writer=False)
    with timer() as t_matrix:  # the in-memory vector matrix a long-running server keeps warm
        matrix = vault.searcher.matrix
        while matrix._stale():
            matrix.refresh_async()
            time.sleep(0.02)
    notes = len(vault.catalog)
    md_files = sum(1 for _ in root.rglob("*.md") if ".nvault" not in _.parts)
    result: dict[str, Any] = {
        "vault": str(root),
        "ready_marker": marker,
        "role": "writer" if vault.is_writer else "reader",
        "vector_matrix_build_s": round(t_matrix[0], 2),
        "files_indexed": notes,
        "md_files_on_disk": md_files,
        "chunks": vault.store.count_chunks(),
        "open_seconds": round(t_open[0], 2),
        "load_average_before": load_average(),
        "limit": args.limit,
        "modes": {},
    }
    queries = make_queries(vault, args.queries, args.seed)
    result["queries"] = {
        "n": len(queries),
        "seed": args.seed,
        "kinds": {k: sum(1 for q in queries if q[0] == k) for k in ("title", "heading", "span")},
        "examples": [q[1] for q in queries[:5]],
    }
    log(f"{len(queries)} queries; {notes} files, {result['chunks']} chunks")
    for mode, label in MODES:
        with timer() as t_first:
            vault.search(queries[0][1], mode=mode, limit=args.limit)  # warm-up
        latencies: list[float] = []
        cpu: list[float] = []
        found: dict[str, list[bool]] = {"title": [], "heading": [], "span": []}
        empty = 0
        for kind, query, source in queries:
            _forget_query_vectors(vault)
            with timer() as t:
                hits = vault.search(query, mode=mode, limit=args.limit)
            latencies.append(t[0])
            cpu.append(t[1])
            empty += not hits
            found[kind].append(any(h.path == source for h in hits))
        result["modes"][label] = {
            **summary_ms(latencies),
            "cpu_p50_ms": summary_ms(cpu)["p50_ms"],
            "cpu_p95_ms": summary_ms(cpu)["p95_ms"],
            "warmup_ms": round(t_first[0] * 1000, 1),
            "empty_results": empty,
            "found@10": {k: round(sum(v) / len(v), 3) for k, v in found.items() if v},
        }
        log(f"{label}: {result['modes'][label]}")
    # Where semantic time goes: the query embedding alone (the ONNX model on the CPU).
    vault.embedder.embed_query(queries[0][1])
    embed_times = []
    for _, query, _ in queries:
        with timer() as t:
            vault.embedder.embed_query(query)
        embed_times.append(t)
    result["embed_query_only"] = summary_ms([t[0] for t in embed_times])
    result["embed_query_only_cpu"] = summary_ms([t[1] for t in embed_times])
    log(f"embed_query alone: {result['embed_query_only']}")
    vault.close()
    result["peak_rss_mb"] = peak_rss_mb()
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
