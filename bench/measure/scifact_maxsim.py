"""SciFact: late-interaction (MaxSim) rescoring with the shipped MiniLM, and a title field (issue 31).

Usage:
    python -m bench.measure.scifact_maxsim [SCIFACT_DIR] [--cache DIR] [--max-queries N]
        [--top K] [--no-maxsim]

Reuses the index bench/measure/scifact.py builds. For every train claim it fuses the engine's two
chunk lists (exact cosine from the in-memory matrix, LanceDB BM25, depth 100) with the product's
own `hybrid_scores` at the query shape's weight: the baseline, which reproduces the shipped
hybrid order. Then two second stages re-rank the top K documents:

- `maxsim`: the claim's and each candidate chunk's *token* vectors (the model's
  `last_hidden_state` before mean pooling, L2-normalised per token), MaxSim = the mean over query
  tokens of the best cosine to any chunk token (ColBERT's score, zero-shot with a model trained
  for pooled vectors). `[CLS]`/`[SEP]` are left out. A document's MaxSim is the best over its
  `--chunks` best fused chunks (default 1); fused as baseline + lam * (maxsim - the query's best maxsim).
  Token vectors are cached in `<cache>-tokens/` (keyed by chunk id) so a rerun costs no model time.
- `title`: BM25F-style title field: BM25 over the documents' titles alone (rank-bm25's Okapi, the
  engine's tokenizer), scaled by the query's best title score, added as baseline + t * title to every
  candidate document.

Claims are split by position (even = `tune`, odd = `test`); each weight is chosen on tune only.
Extra ms: the per-query cost of each stage measured here (encoding the top K chunks for MaxSim,
as a shipped reranker would have to; the title lookup). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
from rank_bm25 import BM25Okapi

from bench.harness import CACHE, corpus, emit, is_ready, load_average, log, percentile
from bench.measure.scifact import doc_id, load_scifact
from bench.measure.scifact_fusion import choose
from bench.measure.scifact_stages import metrics
from vault_core.index.embed import MiniLMEmbedder
from vault_core.index.terms import tokenize
from vault_core.index.token_vectors import as_unit, basis_for, reduce_tokens
from vault_core.query.hybrid import hybrid_scores
from vault_core.query.shape import FusionWeights
from vault_core.vault import Vault

DEPTH = 100
LAMBDAS = (0.1, 0.2, 0.3, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0)
TITLE_WEIGHTS = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3)
Run = dict[str, list[str]]


def token_vectors(embedder: MiniLMEmbedder, texts: list[str]) -> list[np.ndarray]:
    """Each text's token vectors (no [CLS]/[SEP], no padding), L2-normalised, float32. Texts
    are run in length-sorted batches under the embedder's token budget, as indexing does."""
    out: list[np.ndarray] = [np.zeros((0, embedder.dim), np.float32)] * len(texts)
    with embedder._using() as (session, tokenizer):
        encodings = tokenizer.encode_batch(texts, add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batches: list[list[int]] = [[]]
        for i in order:
            if batches[-1] and (len(batches[-1]) + 1) * len(encodings[i].ids) > embedder.budget:
                batches.append([])
            batches[-1].append(i)
        for batch in batches:
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros_like(ids)
            for row, i in enumerate(batch):
                ids[row, : len(encodings[i].ids)] = encodings[i].ids
                mask[row, : len(encodings[i].ids)] = 1
            feeds = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in embedder._input_names:
                feeds["token_type_ids"] = np.zeros_like(ids)
            hidden = session.run(None, feeds)[0]
            for row, i in enumerate(batch):
                h = hidden[row, 1 : len(encodings[i].ids) - 1]
                norms = np.linalg.norm(h, axis=1, keepdims=True)
                out[i] = (h / np.clip(norms, 1e-12, None)).astype(np.float32)
    return out


def projection(folder: Path, dims: int, sample: int = 300) -> np.ndarray:
    """A PCA basis (384 x dims) fitted on the token vectors of the first `sample` cached chunks
    (sorted by name: deterministic): what a stored reduced-dim token index would use."""
    files = sorted(folder.glob("*.npy"))[:sample]
    x = np.vstack([np.load(f).astype(np.float32) for f in files])
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    return vt[:dims].T.astype(np.float32)


def reduced(tokens: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """Token vectors projected, re-normalised and rounded to int8 (scale 127), as stored."""
    z = tokens @ basis
    z /= np.clip(np.linalg.norm(z, axis=1, keepdims=True), 1e-12, None)
    return np.round(z * 127).astype(np.int8).astype(np.float32) / 127


def signs(tokens: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """The binary form: the sign of each projected dimension, as +-1 (stored as bits). The dot
    product of two sign vectors over b dims is b - 2 x Hamming distance: Hamming MaxSim."""
    z = tokens @ basis
    return np.where(z >= 0, 1.0, -1.0).astype(np.float32) / np.sqrt(basis.shape[1])


def maxsim(query: np.ndarray, doc: np.ndarray) -> float:
    if not len(query) or not len(doc):
        return 0.0
    return float((query @ doc.T).max(axis=1).mean())


class TokenCache:
    """Chunk id -> token vectors (float16 on disk), encoded once across runs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.mem: dict[str, np.ndarray] = {}

    def get(self, embedder: MiniLMEmbedder, ids: list[str], texts: list[str]) -> list[np.ndarray]:
        missing = [i for i, c in enumerate(ids) if c not in self.mem]
        todo = []
        for i in missing:
            path = self.folder / f"{ids[i]}.npy"
            if path.is_file():
                self.mem[ids[i]] = np.load(path).astype(np.float32)
            else:
                todo.append(i)
        if todo:
            vecs = token_vectors(embedder, [texts[i] for i in todo])
            for i, v in zip(todo, vecs, strict=True):
                np.save(self.folder / f"{ids[i]}.npy", v.astype(np.float16))
                self.mem[ids[i]] = v
        return [self.mem[c] for c in ids]


def ranked_docs(scores: dict[str, float]) -> list[str]:
    return sorted(scores, key=lambda d: (-scores[d], d))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scifact", nargs="?", default=None)
    parser.add_argument("--cache", default=str(CACHE / "scifact"))
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--top", type=int, default=20, help="documents MaxSim re-ranks")
    parser.add_argument("--chunks", type=int, default=1, help="candidate chunks per document")
    parser.add_argument(
        "--dims", type=int, nargs="*", default=[], help="also MaxSim on PCA-reduced int8 tokens"
    )
    parser.add_argument(
        "--binary", type=int, nargs="*", default=[], help="also Hamming MaxSim on sign bits"
    )
    parser.add_argument("--no-maxsim", action="store_true", help="title field only (fast)")
    args = parser.parse_args()
    root = (Path(args.scifact) if args.scifact else corpus("scifact")).resolve()
    docs_json, claims, qrels = load_scifact(root)
    qids = sorted(qrels, key=int)[: args.max_queries]
    cache = Path(args.cache)
    if not is_ready(cache):
        raise SystemExit(f"no finished index in {cache}: run bench/measure/scifact.py first")
    # the title field: one BM25 index over the titles, the engine's tokenizer
    names = [d["_id"] for d in docs_json]
    title_index = BM25Okapi([tokenize(d.get("title", "")) or ["_"] for d in docs_json])
    weights = FusionWeights()
    tokens = TokenCache(Path(str(cache) + "-tokens"))
    bases = {d: projection(tokens.folder, d) for d in args.dims}
    bit_bases = {b: projection(tokens.folder, b) for b in args.binary}
    shipped = basis_for(MiniLMEmbedder.name)  # the product's asset (bench/fit/token_basis.py)
    embedder = MiniLMEmbedder()
    runs: dict[str, Run] = {}
    extra_ms: dict[str, list[float]] = {}
    with Vault.open(cache, writer=False) as vault:
        searcher = vault.searcher
        snap = searcher.matrix.current()
        assert snap is not None and snap.all_embedded, "the index is not fully embedded"
        ids = snap.rows["id"].to_pylist()
        texts = snap.rows["text"].to_pylist()
        docs = [doc_id(p) for p in snap.rows["path"].to_pylist()]
        row_of = {c: i for i, c in enumerate(ids)}
        log(f"{len(ids)} chunks; {len(qids)} claims; maxsim top {args.top}: {not args.no_maxsim}")
        for n, qid in enumerate(qids, 1):
            claim = claims[qid]
            qv = searcher.query_vector(claim)
            sims = snap.matrix @ qv
            dense = [int(i) for i in np.argsort(-sims, kind="stable")[:DEPTH]]
            ranked: dict[str, Any] = {
                "semantic": [{"id": ids[i], "_similarity": float(sims[i])} for i in dense],
                "keyword": searcher._keyword(claim, DEPTH, None),
            }
            fused = hybrid_scores(
                ranked,
                weights.dense_weight(claim),
                lambda cs, sims=sims: {c: float(sims[row_of[c]]) for c in cs},
            )
            base: dict[str, float] = {}
            best_chunk: dict[str, list[str]] = {}
            for c, s in sorted(fused.items(), key=lambda kv: (-kv[1], row_of[kv[0]])):
                d = docs[row_of[c]]
                base.setdefault(d, s)
                best_chunk.setdefault(d, []).append(c)
            order = ranked_docs(base)
            runs.setdefault("baseline", {})[qid] = order[:100]
            # title field
            t0 = time.perf_counter()
            q_tokens = tokenize(claim)
            title_scores = title_index.get_scores(q_tokens) if q_tokens else np.zeros(len(names))
            top_title = float(title_scores.max()) or 1.0
            title_of = {names[i]: float(title_scores[i]) / top_title for i in range(len(names))}
            extra_ms.setdefault("title", []).append((time.perf_counter() - t0) * 1000)
            for t in TITLE_WEIGHTS:
                runs.setdefault(f"title_t{t}", {})[qid] = ranked_docs(
                    {d: s + t * title_of.get(d, 0.0) for d, s in base.items()}
                )[:100]
            if args.no_maxsim:
                continue
            # MaxSim over the top K documents' best `--chunks` candidate chunks
            top = order[: args.top]
            cand = [c for d in top for c in best_chunk[d][: args.chunks]]
            t0 = time.perf_counter()
            qtok = token_vectors(embedder, [claim])[0]
            ctok = tokens.get(embedder, cand, [texts[row_of[c]] for c in cand])
            scores: dict[str, float] = {}
            for c, tv in zip(cand, ctok, strict=True):
                d = docs[row_of[c]]
                scores[d] = max(scores.get(d, -1.0), maxsim(qtok, tv))
            extra_ms.setdefault("maxsim_cached", []).append((time.perf_counter() - t0) * 1000)
            top_ms = max(scores.values())
            for lam in LAMBDAS:
                rer = {d: base[d] + lam * (scores[d] - top_ms) for d in top}
                runs.setdefault(f"maxsim_lam{lam}", {})[qid] = (
                    ranked_docs(rer) + order[args.top :]
                )[:100]
            for d, basis in bases.items():
                q_small = reduced(qtok, basis)
                small: dict[str, float] = {}
                for c, tv in zip(cand, ctok, strict=True):
                    doc = docs[row_of[c]]
                    small[doc] = max(small.get(doc, -1.0), maxsim(q_small, reduced(tv, basis)))
                top_small = max(small.values())
                for lam in LAMBDAS:
                    rer = {doc: base[doc] + lam * (small[doc] - top_small) for doc in top}
                    runs.setdefault(f"maxsim_d{d}_lam{lam}", {})[qid] = (
                        ranked_docs(rer) + order[args.top :]
                    )[:100]
            if shipped is not None:  # exactly what the product stores and compares
                q_int8 = as_unit(reduce_tokens(qtok, shipped))
                small = {}
                for c, tv in zip(cand, ctok, strict=True):
                    doc = docs[row_of[c]]
                    small[doc] = max(
                        small.get(doc, -1.0), maxsim(q_int8, as_unit(reduce_tokens(tv, shipped)))
                    )
                top_small = max(small.values())
                for lam in LAMBDAS:
                    rer = {doc: base[doc] + lam * (small[doc] - top_small) for doc in top}
                    runs.setdefault(f"maxsim_shipped_lam{lam}", {})[qid] = (
                        ranked_docs(rer) + order[args.top :]
                    )[:100]
            for b, basis in bit_bases.items():
                q_bits = signs(qtok, basis)
                small = {}
                for c, tv in zip(cand, ctok, strict=True):
                    doc = docs[row_of[c]]
                    small[doc] = max(small.get(doc, -1.0), maxsim(q_bits, signs(tv, basis)))
                top_small = max(small.values())
                for lam in LAMBDAS:
                    rer = {doc: base[doc] + lam * (small[doc] - top_small) for doc in top}
                    runs.setdefault(f"maxsim_b{b}_lam{lam}", {})[qid] = (
                        ranked_docs(rer) + order[args.top :]
                    )[:100]
            runs.setdefault("maxsim_alone", {})[qid] = (ranked_docs(scores) + order[args.top :])[
                :100
            ]
            if (
                n <= 20 and not args.dims and not args.binary
            ):  # the cost a shipped reranker pays: encoding the candidates per query
                t0 = time.perf_counter()
                token_vectors(embedder, [texts[row_of[c]] for c in cand])
                extra_ms.setdefault("maxsim_encode_uncached", []).append(
                    (time.perf_counter() - t0) * 1000
                )
            if n % 20 == 0:
                log(f"  {n}/{len(qids)}  load {load_average()}")
    tune, test = qids[0::2], qids[1::2]
    chosen = {
        p: choose(runs, qrels, tune, p)
        for p in (
            "title_t",
            "maxsim_lam",
            "maxsim_shipped_",
            *(f"maxsim_d{d}_" for d in args.dims),
            *(f"maxsim_b{b}_" for b in args.binary),
        )
        if any(r.startswith(p) for r in runs)
    }
    emit(
        {
            "split": "train",
            "queries": len(qids),
            "top_k": args.top,
            "chosen_on_tune": chosen,
            "variants": {
                name: {
                    "all": metrics(run, qrels, qids),
                    "tune": metrics(run, qrels, tune)["ndcg@10"],
                    "test": metrics(run, qrels, test)["ndcg@10"],
                    "test_all": metrics(run, qrels, test),
                }
                for name, run in sorted(runs.items())
            },
            "extra_ms_p50_p95": {
                k: [round(percentile(v, 50), 1), round(percentile(v, 95), 1)]
                for k, v in extra_ms.items()
            },
            "load_average": load_average(),
        }
    )


if __name__ == "__main__":
    main()
