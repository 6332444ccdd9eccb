"""SciFact ablation of second-stage ideas (issue 31), offline over the engine's own candidates.

Usage:
    python -m bench.measure.scifact_stages [SCIFACT_DIR] [--cache DIR] [--max-queries N]

Reuses the index bench/scifact.py builds (run that first). For every train claim it takes the
engine's two candidate lists once (the in-memory dense matrix: cosine to every chunk; LanceDB BM25
via `Searcher._keyword`, top 400 chunks) and re-ranks documents offline, so each variant costs
seconds and src/ is untouched until a variant pays. Variants:

- `shipped`: RRF k=60 over chunk ids, one hit per note (what search does; validates the harness);
- `doc_rrf_k{k}`: RRF over documents (each list collapsed to its best chunk);
- aggregation: a document's dense score as its best chunk (`max`), the sum of its best two
  (`top2`), or its first chunk (title + opening) averaged with its best (`title_best`);
- `convex_a{a}`: score fusion, a * cosine + (1 - a) * BM25 / the query's top BM25;
- `rocchio_b{b}`: the query vector moved toward the mean of the top 3 fused documents' vectors
  (q + b * centroid, renormalised), dense list recomputed and fused again; `_gated` applies it
  only when the first ranking is confident (both retrievers put the same document first);
- `rm3_t{t}`: BM25 query expanded with the t heaviest stemmed terms of the top 3 fused documents
  (term frequency x document weight), one more LanceDB BM25 query, fused again; `_gated` as above.

Every variant's parameters are listed in the output; the queries are split by position (even =
`tune`, odd = `test`) so a parameter chosen on one half can be judged on the other. Reports
nDCG@10, recall@10, recall@100 and MRR@10 per variant, and the extra work a variant adds per
query (ms, measured here on the same process). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import CACHE, corpus, emit, is_ready, load_average, log, machine
from bench.measure.scifact import doc_id, keyword_store, load_scifact, ndcg_at, note_text
from vault_core.index.terms import tokenize
from vault_core.query.search import Searcher
from vault_core.vault import Vault

DEPTH = 400
FEEDBACK_DOCS = 3
Run = dict[str, list[str]]


def metrics(run: Run, qrels: dict[str, set[str]], qids: list[str]) -> dict[str, float]:
    def rr(ranked: list[str], rel: set[str]) -> float:
        return next((1.0 / r for r, d in enumerate(ranked[:10], 1) if d in rel), 0.0)

    def rec(ranked: list[str], rel: set[str], k: int) -> float:
        return len(set(ranked[:k]) & rel) / len(rel)

    n = len(qids)
    return {
        "ndcg@10": round(sum(ndcg_at(run[q], qrels[q]) for q in qids) / n, 4),
        "recall@10": round(sum(rec(run[q], qrels[q], 10) for q in qids) / n, 4),
        "recall@100": round(sum(rec(run[q], qrels[q], 100) for q in qids) / n, 4),
        "mrr@10": round(sum(rr(run[q], qrels[q]) for q in qids) / n, 4),
    }


def rrf(lists: list[list[str]], k: int) -> list[str]:
    scores: dict[str, float] = {}
    for ranked in lists:
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda key: (-scores[key], key))


class Corpus:
    """The index's chunks in memory: vectors, documents, texts (for feedback terms)."""

    def __init__(self, vault: Vault) -> None:
        snap = vault.searcher.matrix.current()
        assert snap is not None and snap.all_embedded, "build the index first (bench/scifact.py)"
        self.matrix = snap.matrix
        self.ids = snap.rows["id"].to_pylist()
        self.docs = [doc_id(p) for p in snap.rows["path"].to_pylist()]
        self.ordinal = np.array(snap.rows["ordinal"].to_pylist())
        self.texts = snap.rows["text"].to_pylist()
        self.names = sorted(set(self.docs))
        self.doc_index = {d: i for i, d in enumerate(self.names)}
        self.chunk_doc = np.array([self.doc_index[d] for d in self.docs])
        self.row_of = {c: i for i, c in enumerate(self.ids)}
        self.doc_terms: dict[str, Counter[str]] = {}
        self.doc_chunks: dict[str, list[int]] = {}
        for i, d in enumerate(self.docs):
            self.doc_chunks.setdefault(d, []).append(i)

    def dense_docs(self, vector: np.ndarray, how: str = "max") -> np.ndarray:
        """One dense score per document from its chunks' cosines."""
        sims = self.matrix @ vector
        best = np.full(len(self.names), -np.inf)
        np.maximum.at(best, self.chunk_doc, sims)
        if how == "max":
            return best
        if how == "top2":
            order = np.argsort(-sims, kind="stable")
            docs = self.chunk_doc[order]
            _, first_at = np.unique(docs, return_index=True)
            rest = np.ones(len(order), bool)
            rest[first_at] = False
            second = np.full(len(self.names), -np.inf)
            second_docs, second_at = np.unique(docs[rest], return_index=True)
            second[second_docs] = sims[order[rest][second_at]]
            return best + np.where(np.isfinite(second), 0.5 * second, 0.0)
        if how == "title_best":
            first = np.full(len(self.names), -np.inf)
            mask = self.ordinal == 0
            np.maximum.at(first, self.chunk_doc[mask], sims[mask])
            return 0.5 * best + 0.5 * np.where(np.isfinite(first), first, best)
        raise ValueError(how)

    def ranked(self, scores: np.ndarray, depth: int = DEPTH) -> list[str]:
        depth = min(depth, len(scores))
        top = np.argpartition(-scores, depth - 1)[:depth]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [self.names[i] for i in top]

    def terms(self, doc: str) -> Counter[str]:
        if doc not in self.doc_terms:
            text = " ".join(self.texts[i] for i in self.doc_chunks[doc])
            self.doc_terms[doc] = Counter(tokenize(text))
        return self.doc_terms[doc]


def keyword_docs(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, float]]:
    order: list[str] = []
    best: dict[str, float] = {}
    for r in rows:
        d = doc_id(r["path"])
        if d not in best:
            order.append(d)
            best[d] = float(r["_score"])
    return order, best


def rocchio(data: Corpus, qv: np.ndarray, first: list[str], beta: float) -> list[str]:
    """Dense documents for the query vector moved toward the top fused documents' centroid."""
    vectors = [data.matrix[data.doc_chunks[d]].mean(axis=0) for d in first[:FEEDBACK_DOCS]]
    moved = qv + beta * np.mean(vectors, axis=0)
    moved /= np.linalg.norm(moved)
    return data.ranked(data.dense_docs(moved.astype(np.float32)))


def rm3(
    store: Any, terms_of: Callable[[str], Counter[str]], claim: str, first: list[str], terms: int
) -> list[str]:
    """BM25 documents for the claim plus the heaviest terms of the top fused documents."""
    weights: Counter[str] = Counter()
    for rank, d in enumerate(first[:FEEDBACK_DOCS]):
        tf = terms_of(d)
        total = sum(tf.values()) or 1
        for term, c in tf.items():
            weights[term] += (c / total) / (rank + 1)
    original = tokenize(claim)
    extra = [w for w, _ in weights.most_common(terms + len(original)) if w not in original]
    query = " ".join(original + original + extra[:terms])  # the claim's terms count twice
    q = store.chunks.search(query, query_type="fts", fts_columns="terms")
    return keyword_docs(q.select(["id", "path", "_score"]).limit(DEPTH).to_list())[0]


def keyword_only(
    docs: list[dict[str, str]], claims: dict[str, str], qids: list[str]
) -> tuple[dict[str, Run], dict[str, list[float]], dict[str, float]]:
    """BM25 alone, and BM25 + RM3 (gated by the first ranking's top-score margin), with no
    embedding: the real parser, chunker, tokenizer and LanceDB BM25 over zero vectors."""
    runs: dict[str, Run] = {}
    extra_ms: dict[str, list[float]] = {}
    confident: dict[float, int] = {}
    texts = {d["_id"]: Counter(tokenize(note_text(d))) for d in docs}
    with tempfile.TemporaryDirectory(prefix="nvault-scifact-stages-") as tmp:
        store = keyword_store(docs, Path(tmp))
        searcher = Searcher(store, None)  # type: ignore[arg-type]
        for n, qid in enumerate(qids, 1):
            claim = claims[qid]
            first, score = keyword_docs(searcher._keyword(claim, DEPTH, None))
            runs.setdefault("keyword", {})[qid] = first[:100]
            margin = 0.0
            if len(first) >= 2:
                margin = 1.0 - score[first[1]] / score[first[0]]
            for terms in (5, 10, 20):
                name = f"rm3_t{terms}"
                t0 = time.perf_counter()
                fed = rm3(store, texts.__getitem__, claim, first, terms)
                extra_ms.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
                runs.setdefault(name, {})[qid] = fed[:100]
                for floor in (0.1, 0.2, 0.3):
                    gated = fed if margin >= floor else first
                    runs.setdefault(f"{name}_gated_margin{floor}", {})[qid] = gated[:100]
            for floor in (0.1, 0.2, 0.3):
                confident[floor] = confident.get(floor, 0) + (margin >= floor)
            if n % 200 == 0:
                log(f"  {n}/{len(qids)}")
    return runs, extra_ms, {f"margin>={k}": round(v / len(qids), 3) for k, v in confident.items()}


def report(
    runs: dict[str, Run],
    extra_ms: dict[str, list[float]],
    qrels: dict[str, set[str]],
    qids: list[str],
    more: dict[str, Any],
    side: str,
) -> dict[str, Any]:
    """Every variant's figures on all queries, and nDCG@10 on each half (even = tune, odd = test)."""
    tune, test = qids[0::2], qids[1::2]
    return {
        "split": "train",
        "side": side,
        "queries": len(qids),
        **more,
        "variants": {
            name: {
                "all": metrics(run, qrels, qids),
                "tune": metrics(run, qrels, tune)["ndcg@10"],
                "test": metrics(run, qrels, test)["ndcg@10"],
            }
            for name, run in sorted(runs.items())
        },
        "extra_ms_p50_p95": {
            name: [round(float(np.percentile(v, 50)), 1), round(float(np.percentile(v, 95)), 1)]
            for name, v in extra_ms.items()
        },
        "load_average": load_average(),
        "machine": machine(),
        "command": "python " + " ".join(["bench/scifact_stages.py", *sys.argv[1:]]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scifact", nargs="?", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE / "scifact")
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument(
        "--keyword-only", action="store_true", help="BM25 and RM3 only (no embedded index needed)"
    )
    args = parser.parse_args()
    root = (args.scifact or corpus("scifact")).resolve()
    docs, claims, qrels = load_scifact(root)
    qids = sorted(qrels, key=int)[: args.max_queries]
    if args.keyword_only:
        runs, extra, share = keyword_only(docs, claims, qids)
        emit(report(runs, extra, qrels, qids, {"confident_share": share}, "keyword only"))
        return
    if not is_ready(args.cache):
        raise SystemExit(f"no finished index in {args.cache}: run bench/scifact.py first")
    runs: dict[str, Run] = {}
    extra_ms: dict[str, list[float]] = {}

    def put(name: str, qid: str, ranked: list[str]) -> None:
        runs.setdefault(name, {})[qid] = ranked[:100]

    with Vault.open(args.cache, writer=False) as vault:
        searcher = vault.searcher
        data = Corpus(vault)
        log(f"{len(data.ids)} chunks, {len(data.names)} documents; {len(qids)} claims")
        for n, qid in enumerate(qids, 1):
            claim = claims[qid]
            qv = searcher.query_vector(claim)
            kw_rows = searcher._keyword(claim, DEPTH, None)
            kw_docs, kw_score = keyword_docs(kw_rows)
            dense_rows = searcher._dense(claim, DEPTH, None)
            # shipped fusion, reproduced from the same lists (chunk RRF k=60, one hit per doc)
            chunk_order = rrf([[r["id"] for r in dense_rows], [r["id"] for r in kw_rows]], 60)
            put("shipped", qid, list(dict.fromkeys(data.docs[data.row_of[c]] for c in chunk_order)))
            for how in ("max", "top2", "title_best"):
                dense_docs = data.ranked(data.dense_docs(qv, how))
                put(f"semantic_{how}", qid, dense_docs)
                for k in (10, 30, 60):
                    put(f"doc_rrf_k{k}_{how}", qid, rrf([dense_docs, kw_docs], k))
            put("keyword", qid, kw_docs)
            dense_max = data.dense_docs(qv, "max")
            dense_docs = data.ranked(dense_max)
            first = rrf([dense_docs, kw_docs], 10)
            confident = bool(kw_docs) and kw_docs[0] == dense_docs[0]
            # score fusion
            top_kw = max(kw_score.values()) if kw_score else 1.0
            kw_vec = np.zeros(len(data.names))
            for d, s in kw_score.items():
                kw_vec[data.doc_index[d]] = s / top_kw
            for a in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
                put(f"convex_a{a}", qid, data.ranked(a * dense_max + (1 - a) * kw_vec))
            # Rocchio on the query vector
            for beta in (0.25, 0.5, 1.0):
                name = f"rocchio_b{beta}"
                t0 = time.perf_counter()
                fed = rrf([rocchio(data, qv, first, beta), kw_docs], 10)
                extra_ms.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
                put(name, qid, fed)
                put(f"{name}_gated", qid, fed if confident else first)
            # RM3-style expansion for BM25
            for terms in (5, 10, 20):
                name = f"rm3_t{terms}"
                t0 = time.perf_counter()
                fed = rrf([dense_docs, rm3(vault.store, data.terms, claim, first, terms)], 10)
                extra_ms.setdefault(name, []).append((time.perf_counter() - t0) * 1000)
                put(name, qid, fed)
                put(f"{name}_gated", qid, fed if confident else first)
            runs.setdefault("_confident", {})[qid] = ["1"] if confident else []
            if n % 100 == 0:
                log(f"  {n}/{len(qids)}")
    confident_share = sum(1 for q in qids if runs["_confident"][q]) / len(qids)
    del runs["_confident"]
    result = report(
        runs, extra_ms, qrels, qids, {"confident_share": round(confident_share, 3)}, "hybrid"
    )
    emit(result)


if __name__ == "__main__":
    main()
