"""SciFact retrieval quality through the real engine: nDCG@10 and recall@100 per search mode.

Usage:
    python -m bench.measure.scifact [SCIFACT_DIR]        # default ../shared/corpora/scifact
    python -m bench.measure.scifact --variants           # also offline fusion variants (see below)

Each abstract becomes one Markdown note `<doc id>.md` (`# title` + text) in a vault indexed by
the real indexer (chunker, tokenizer, embedder, LanceDB store); the vault is cached in
/tmp/nvault-bench-cache/scifact (`.bench-ready` marks a finished build). The 809 train claims are
run through `Vault.search(mode, limit=100, per_note=1)`, so each rank is one document.
nDCG@10 is computed as pytrec_eval/BEIR do (linear gain, ideal DCG over all judged-relevant
documents, cut at 10); recall@100 is BEIR's (found relevant / all relevant). Every query counts,
including one with no hits (BEIR would drop it; none do here unless reported).

--variants re-ranks the same two retriever lists offline (no src/ change): RRF with other k,
RRF over documents instead of chunks, and deeper candidate lists; it prints what each scores.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    CACHE,
    corpus,
    emit,
    is_ready,
    load_average,
    log,
    machine,
    mark_ready,
    peak_rss_mb,
    publish,
    summary_ms,
    timer,
)
from vault_core.query.rerank import RERANK_WEIGHT
from vault_core.vault import Vault

MODES = ("keyword", "semantic", "hybrid")
REFERENCE = {
    "beir_bm25_test_ndcg10": 0.665,
    "issue_test_sample_300": {"minilm": 0.647, "bm25": 0.652, "rrf": 0.683},
}


def load_scifact(root: Path) -> tuple[list[dict[str, str]], dict[str, str], dict[str, set[str]]]:
    docs = [json.loads(line) for line in (root / "corpus.jsonl").open(encoding="utf-8")]
    claims = {}
    for line in (root / "queries.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        claims[str(row["_id"])] = row["text"]
    qrels: dict[str, set[str]] = {}
    for line in (root / "qrels" / "train.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        qid, doc_id, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, set()).add(doc_id)
    return docs, claims, qrels


def note_text(doc: dict[str, str]) -> str:
    title = " ".join(doc.get("title", "").split())
    return f"# {title}\n\n{doc['text'].strip()}\n" if title else doc["text"].strip() + "\n"


def build_vault(docs: list[dict[str, str]], target: Path) -> tuple[dict[str, Any], Path]:
    """Write one note per abstract and index it with the real indexer; cached in `target`."""
    if is_ready(target):
        log(f"reusing indexed SciFact vault {target}")
        return json.loads((target / ".bench-ready").read_text()), target
    # A fixed build dir, so an interrupted build resumes: the indexer's sync is incremental.
    work = target.parent / f".{target.name}.build"
    vault_dir = work / "vault"
    vault_dir.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        note = vault_dir / f"{doc['_id']}.md"
        if not note.is_file():
            note.write_text(note_text(doc), encoding="utf-8")
    log(f"wrote {len(docs)} notes; indexing (takes minutes: the embedder is the bottleneck)")

    def progress(done: int, total: int, path: str) -> None:
        if done % 500 == 0 or done == total:
            log(f"  {done}/{total}")

    with Vault.open(vault_dir) as vault, timer() as t:
        report = vault.sync(progress=progress)
        chunks = vault.store.count_chunks()
        vault.store.optimize()
    info = {
        "docs": len(docs),
        "chunks": chunks,
        "index_seconds": round(t[0], 1),
        "embedded": report.embedded,
        "errors": report.errors,
        "load_average": load_average(),
        "built": time.time(),
    }
    log(f"indexed: {info}")
    if not publish(vault_dir, target):
        target = vault_dir  # someone else's cache appeared meanwhile; keep using ours
    mark_ready(target, info)
    if target != vault_dir:
        shutil.rmtree(work, ignore_errors=True)
    return info, target


def ndcg_at(ranked: list[str], relevant: set[str], k: int = 10) -> float:
    dcg = sum(1.0 / math.log2(i + 2) for i, d in enumerate(ranked[:k]) if d in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def recall_at(ranked: list[str], relevant: set[str], k: int = 100) -> float:
    return len(set(ranked[:k]) & relevant) / len(relevant) if relevant else 0.0


def score_run(run: dict[str, list[str]], qrels: dict[str, set[str]]) -> dict[str, float]:
    qids = sorted(qrels)
    return {
        "ndcg@10": round(sum(ndcg_at(run.get(q, []), qrels[q]) for q in qids) / len(qids), 4),
        "recall@100": round(sum(recall_at(run.get(q, []), qrels[q]) for q in qids) / len(qids), 4),
        "queries": len(qids),
        "queries_without_hits": sum(1 for q in qids if not run.get(q)),
    }


def doc_id(path: str) -> str:
    return path.rsplit("/", 1)[-1].removesuffix(".md")


def run_mode(
    vault: Vault, claims: dict[str, str], qids: list[str], mode: str, limit: int
) -> tuple[dict[str, list[str]], list[float]]:
    run: dict[str, list[str]] = {}
    latencies: list[float] = []
    vault.search(claims[qids[0]], mode=mode, limit=limit, per_note=1)  # warm-up
    for qid in qids:
        with timer() as t:
            hits = vault.search(claims[qid], mode=mode, limit=limit, per_note=1)
        latencies.append(t[0])
        run[qid] = [doc_id(h.path) for h in hits]
    return run, latencies


def _docs_in_order(rows: list[dict[str, Any]]) -> list[str]:
    """A chunk ranking collapsed to documents (a document's best chunk decides its rank)."""
    return list(dict.fromkeys(doc_id(r["path"]) for r in rows))


def _rrf(lists: list[list[str]], k: int) -> list[str]:
    scores: dict[str, float] = {}
    for ranked in lists:
        for rank, key in enumerate(ranked, start=1):
            scores[key] = scores.get(key, 0.0) + 1.0 / (k + rank)
    return sorted(scores, key=lambda key: -scores[key])


def fusion_variants(
    vault: Vault, claims: dict[str, str], qids: list[str], qrels: dict[str, set[str]]
) -> dict[str, Any]:
    """Other ways to fuse the same two retrievers' lists, scored offline (src/ untouched)."""
    depth = 1000
    runs: dict[str, dict[str, list[str]]] = {}
    for n, qid in enumerate(qids, 1):
        dense = vault.searcher._dense(claims[qid], depth, None)
        keyword = vault.searcher._keyword(claims[qid], depth, None)
        for d in (50, 400, 1000):
            dense_d, kw_d = dense[:d], keyword[:d]
            # What search.py does: RRF over chunk ids, then one hit per note.
            chunk_ids = _rrf([[r["id"] for r in dense_d], [r["id"] for r in kw_d]], 60)
            paths = {r["id"]: r["path"] for r in [*dense_d, *kw_d]}
            fused = list(dict.fromkeys(doc_id(paths[c]) for c in chunk_ids))
            runs.setdefault(f"chunk_rrf_k60_depth{d}", {})[qid] = fused[:100]
            dense_docs, kw_docs = _docs_in_order(dense_d), _docs_in_order(kw_d)
            for k in (10, 30, 60, 100):
                name = f"doc_rrf_k{k}_depth{d}"
                runs.setdefault(name, {})[qid] = _rrf([dense_docs, kw_docs], k)[:100]
            runs.setdefault(f"keyword_docs_depth{d}", {})[qid] = kw_docs[:100]
            runs.setdefault(f"semantic_docs_depth{d}", {})[qid] = dense_docs[:100]
        if n % 200 == 0:
            log(f"  variants {n}/{len(qids)}")
    return {name: score_run(run, qrels) for name, run in sorted(runs.items())}


def frontmatter_text(doc: dict[str, str]) -> str:
    """The same abstract with its title in frontmatter: the title is then said once, not 3x."""
    title = " ".join(doc.get("title", "").split()).replace('"', "'")
    return f'---\ntitle: "{title}"\n---\n\n{doc["text"].strip()}\n'


def keyword_store(
    docs: list[dict[str, str]],
    folder: Path,
    shape: Any = note_text,
    size: int = 1_000,
    overlap: int = 100,
) -> Any:
    """A `Store` whose chunks are the real parser's and chunker's, with zero vectors: the keyword
    side of the engine in minutes, without the embedder."""
    import numpy as np
    import pyarrow as pa

    from vault_core.index.terms import terms_text
    from vault_core.parse.chunk import chunk_sections, markdown_sections
    from vault_core.parse.markdown import parse_note
    from vault_core.store.store import Store

    zero = np.zeros(4, dtype=np.float32)
    rows: list[dict[str, Any]] = []
    for doc in docs:
        text, path = shape(doc), f"{doc['_id']}.md"
        note = parse_note(text, path)
        drafts = chunk_sections(note.title, markdown_sections(text, note), size, overlap)
        for i, d in enumerate(drafts):
            rows.append(
                {"id": f"{path}#{i}", "path": path, "ordinal": i, "text": d.text}
                | {"terms": terms_text(d.text), "heading_path": d.heading_path}
                | {"vector": zero}
            )
    store = Store(folder, "keyword-only", 4, writer=True)
    store.chunks.add(pa.Table.from_pylist(rows, schema=store.chunks.schema))
    store.optimize()
    return store


def keyword_variants(
    docs: list[dict[str, str]],
    claims: dict[str, str],
    qids: list[str],
    qrels: dict[str, set[str]],
) -> dict[str, Any]:
    """The keyword side alone (no embedding: minutes, not hours) under other note shapes.

    Uses the real parser, chunker, tokenizer, Store and `Searcher._keyword`; vectors are zeros.
    """
    import tempfile

    import bm25s
    import Stemmer

    from vault_core.index.terms import tokenize
    from vault_core.query.search import Searcher

    forms = {
        "h1_note_as_indexed": (note_text, 1_000, 100),
        "frontmatter_title": (frontmatter_text, 1_000, 100),
        "h1_note_one_chunk_per_doc": (note_text, 1_000_000, 0),
        "frontmatter_title_one_chunk_per_doc": (frontmatter_text, 1_000_000, 0),
    }
    out: dict[str, Any] = {}
    for name, (shape, size, overlap) in forms.items():
        with tempfile.TemporaryDirectory(prefix="nvault-scifact-kw-") as tmp:
            store = keyword_store(docs, Path(tmp), shape, size, overlap)
            rows = store.count_chunks()
            searcher = Searcher(store, None)  # type: ignore[arg-type]
            run = {q: _docs_in_order(searcher._keyword(claims[q], 400, None))[:100] for q in qids}
        out[name] = {**score_run(run, qrels), "chunks": rows}
        log(f"keyword variant {name}: {out[name]}")
    # Reference BM25 (bm25s, Lucene variant, k1=1.2, b=0.75) over whole title + abstract.
    texts = [f"{d.get('title', '')}\n{d['text']}" for d in docs]
    ids = [d["_id"] for d in docs]
    for tok_name in ("nvault_tokenize", "bm25s_tokenize"):
        if tok_name == "nvault_tokenize":
            corpus_tokens: Any = [tokenize(t) for t in texts]
        else:
            stem = Stemmer.Stemmer("english")
            corpus_tokens = bm25s.tokenize(texts, stopwords="en", stemmer=stem, show_progress=False)
        model = bm25s.BM25(k1=1.2, b=0.75)
        model.index(corpus_tokens, show_progress=False)
        run = {}
        for q in qids:
            if tok_name == "nvault_tokenize":
                vocab = model.vocab_dict
                query: Any = [[vocab[w] for w in tokenize(claims[q]) if w in vocab]]
            else:
                query = bm25s.tokenize(
                    [claims[q]], stopwords="en", stemmer=stem, show_progress=False
                )
            found, scores = model.retrieve(query, k=100, show_progress=False, n_threads=1)
            run[q] = [ids[i] for i, sc in zip(found[0], scores[0], strict=True) if sc > 0]
        out[f"bm25s_doc_level_{tok_name}"] = score_run(run, qrels)
        log(f"bm25s {tok_name}: {out[f'bm25s_doc_level_{tok_name}']}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scifact", nargs="?", type=Path, default=None)
    parser.add_argument("--cache", type=Path, default=CACHE / "scifact")
    parser.add_argument("--max-docs", type=int, default=None, help="smoke test on a subset")
    parser.add_argument("--variants", action="store_true", help="offline fusion variants too")
    parser.add_argument(
        "--rerank-weights",
        type=float,
        nargs="+",
        default=None,
        help="hybrid once per MaxSim re-rank weight (query/rerank.py; 0: the stage off)",
    )
    parser.add_argument(
        "--modes", nargs="+", default=list(MODES), choices=MODES, help="search modes to run"
    )
    parser.add_argument(
        "--keyword-variants",
        action="store_true",
        help="only the keyword side under other note shapes and BM25 implementations (no embedding)",
    )
    args = parser.parse_args()
    root = (args.scifact or corpus("scifact")).resolve()
    docs, claims, qrels = load_scifact(root)
    if args.max_docs:
        docs = docs[: args.max_docs]
        kept = {d["_id"] for d in docs}
        qrels = {q: r & kept for q, r in qrels.items() if r & kept}
    qids = sorted(qrels, key=int)
    if args.keyword_variants:
        result = {"split": "train", "keyword_variants": keyword_variants(docs, claims, qids, qrels)}
        emit(result)
        return
    info, vault_path = build_vault(docs, args.cache.resolve())
    result: dict[str, Any] = {
        "corpus": str(root),
        "split": "train",
        "index": info,
        "vault": str(vault_path),
        "reference": REFERENCE,
        "modes": {},
    }
    with Vault.open(vault_path, writer=False) as vault:
        log(f"searching {len(qids)} claims x {len(args.modes)} modes")
        result["rerank"] = vault.status().rerank
        for mode in args.modes:
            run, latencies = run_mode(vault, claims, qids, mode, limit=100)
            result["modes"][mode] = {**score_run(run, qrels), "latency": summary_ms(latencies)}
            log(f"{mode}: {result['modes'][mode]}")
        for weight in args.rerank_weights or []:
            vault.searcher.rerank_weight = weight
            run, latencies = run_mode(vault, claims, qids, "hybrid", limit=100)
            result["modes"][f"hybrid_rerank{weight}"] = {
                **score_run(run, qrels),
                "latency": summary_ms(latencies),
            }
            log(f"rerank {weight}: {result['modes'][f'hybrid_rerank{weight}']}")
        vault.searcher.rerank_weight = RERANK_WEIGHT
        # The production call (limit=10) fuses shallower candidate lists than limit=100 does.
        if "hybrid" in args.modes:
            run10, _ = run_mode(vault, claims, qids, "hybrid", limit=10)
            result["hybrid_limit10_ndcg@10"] = score_run(run10, qrels)["ndcg@10"]
        if args.variants:
            result["variants"] = fusion_variants(vault, claims, qids, qrels)
    result["peak_rss_mb"] = peak_rss_mb()
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
