"""SciFact: the product's score fusion (vault_core.query.fusion.score_fusion) against RRF, offline.

Usage:
    python -m bench.measure.scifact_fusion [SCIFACT_DIR] [--cache DIR] [--max-queries N]

Reuses the index bench/measure/scifact.py builds (run that first). For every train claim it reads
the engine's two candidate lists once (exact cosine to every chunk from the in-memory matrix; the
dense list is its top `depth`; LanceDB BM25 via `Searcher._keyword`, top `depth` chunks), then
fuses them over *chunks* with the product's own function, collapses to documents by best chunk
(what `per_note=1` does) and scores. Variants: the dense weight `a`; the candidate depth (50 is
what a `limit=10` search fetches, 400 what `limit=100` does); and what a chunk that only the
keyword list reached gets as its cosine (`exact`: its real cosine; `list_min`: the lowest cosine
in the dense list, an upper bound; `zero`).

Claims are split by position (even = `tune`, odd = `test`): the weight is chosen on tune only and
reported on test. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from bench.harness import CACHE, corpus, emit, is_ready, load_average, log, machine
from bench.measure.scifact import doc_id, load_scifact
from bench.measure.scifact_stages import metrics, rrf
from vault_core.query.fusion import score_fusion
from vault_core.vault import Vault

WEIGHTS = (0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9)
DEPTHS = (50, 400)
MISSING = ("exact", "list_min", "zero")
Run = dict[str, list[str]]


def fused_docs(scores: dict[int, float], docs: list[str], limit: int = 100) -> list[str]:
    """Chunk scores -> documents by their best chunk (ties by chunk row, deterministic)."""
    order = sorted(scores, key=lambda i: (-scores[i], i))
    return list(dict.fromkeys(docs[i] for i in order))[:limit]


def choose(runs: dict[str, Run], qrels: dict[str, set[str]], tune: list[str], prefix: str) -> str:
    """The variant with `prefix` that scores best nDCG@10 on the tune half."""
    named = [n for n in runs if n.startswith(prefix)]
    return max(named, key=lambda n: metrics(runs[n], qrels, tune)["ndcg@10"])  # tie: first


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scifact", nargs="?", default=None)
    parser.add_argument("--cache", default=str(CACHE / "scifact"))
    parser.add_argument("--max-queries", type=int, default=None)
    parser.add_argument("--depths", type=int, nargs="+", default=list(DEPTHS))
    parser.add_argument("--weights", type=float, nargs="+", default=list(WEIGHTS))
    parser.add_argument("--missing", nargs="+", default=list(MISSING), choices=MISSING)
    args = parser.parse_args()
    from pathlib import Path

    root = (Path(args.scifact) if args.scifact else corpus("scifact")).resolve()
    _, claims, qrels = load_scifact(root)
    qids = sorted(qrels, key=int)[: args.max_queries]
    cache = Path(args.cache)
    if not is_ready(cache):
        raise SystemExit(f"no finished index in {cache}: run bench/measure/scifact.py first")
    runs: dict[str, Run] = {}
    with Vault.open(cache, writer=False) as vault:
        searcher = vault.searcher
        snap = searcher.matrix.current()
        assert snap is not None and snap.all_embedded, "the index is not fully embedded"
        ids = snap.rows["id"].to_pylist()
        docs = [doc_id(p) for p in snap.rows["path"].to_pylist()]
        row_of = {c: i for i, c in enumerate(ids)}
        log(f"{len(ids)} chunks; {len(qids)} claims")
        for n, qid in enumerate(qids, 1):
            claim = claims[qid]
            sims = snap.matrix @ searcher.query_vector(claim)
            dense_all = np.argsort(-sims, kind="stable")[: max(args.depths)]
            kw_all = [
                (row_of[r["id"]], float(r["_score"]))
                for r in searcher._keyword(claim, max(args.depths), None)
            ]
            for depth in args.depths:
                dense = [int(i) for i in dense_all[:depth]]
                kw = dict(kw_all[:depth])
                chunk_rrf = rrf([dense, list(kw)], 60)
                runs.setdefault(f"rrf_k60_depth{depth}", {})[qid] = list(
                    dict.fromkeys(docs[i] for i in chunk_rrf)
                )[:100]
                cosine = {i: float(sims[i]) for i in dense}
                with_kw = cosine | {i: float(sims[i]) for i in kw}
                floor = min(cosine.values())
                for a in args.weights:
                    for missing in args.missing:
                        cos = with_kw if missing == "exact" else cosine
                        fill = floor if missing == "list_min" else 0.0
                        scores = score_fusion(cos, kw, a, missing_cosine=fill)
                        name = f"score_depth{depth}_{missing}_a{a}"
                        runs.setdefault(name, {})[qid] = fused_docs(scores, docs)
            if n % 100 == 0:
                log(f"  {n}/{len(qids)}")
    tune, test = qids[0::2], qids[1::2]
    chosen = {
        f"depth{d}_{m}": choose(runs, qrels, tune, f"score_depth{d}_{m}_")
        for d in args.depths
        for m in args.missing
    }
    emit(
        {
            "split": "train",
            "queries": len(qids),
            "chosen_on_tune": chosen,
            "variants": {
                name: {
                    "all": metrics(run, qrels, qids),
                    "tune": metrics(run, qrels, tune),
                    "test": metrics(run, qrels, test),
                }
                for name, run in sorted(runs.items())
            },
            "load_average": load_average(),
            "machine": machine(),
            "command": "python -m bench.measure.scifact_fusion " + " ".join(sys.argv[1:]),
        }
    )


if __name__ == "__main__":
    main()
