"""Fit the link model behind `related()` on link recovery over whole vaults.

Usage:
    python -m bench.fit.link_model CORPUS [CORPUS ...] [--l2 0.1] [--write]

For every note with >= 3 links to other notes (the protocols of bench/measure/linking.py: the note's edges
hidden from the graph, its chunks re-embedded without its links; `strict` drops the words of a bare
[[link]], `unwrapped` keeps them as plain text, as in a note whose writer never linked them), every
candidate any signal ranks becomes one row: its features (vault_core.linking.link_model.FEATURES) and
whether the note really links it. Both protocols are pooled by default, unwrapped rows weighted
0.25: strict teaches the model to find links without their words, unwrapped that a name typed in
plain text is strong evidence (what related() meets in real use: existing links are excluded,
unlinked mentions stay). Weight 0 fits strict alone (held out: strict best, unwrapped worst);
weight 1 trades 0.02-0.06 strict recall for 0.05-0.11 unwrapped (docs/benchmarks.md). A class-balanced, L2-regularised logistic regression (plain numpy gradient
descent on standardised features) is fitted per vault and on all vaults pooled.

Reported, so the shipped weights are never judged on the notes they were fitted on:
- `leave_one_vault_out`: each vault ranked by a model fitted on the other vaults only;
- `pooled_in_sample`: each vault ranked by the pooled model (the one `--write` ships to
  src/vault_core/assets/link_model.json).
- `pooled_confidence_strict`: of the pooled model's top-10 suggestions (first protocol, strict by
  default), the share that were real links, by score floor.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import REPO, emit
from bench.measure.linking import DEFAULT_CACHE, K, cached_vault, held_out, subset
from vault_core.linking.link_model import FEATURES, LinkModel, probability
from vault_core.linking.related import link_candidates
from vault_core.linking.vault_fitting import Example, labelled_notes
from vault_core.linking.vault_fitting import fit as fit_model
from vault_core.vault import Vault

PROTOCOLS = {"strict": False, "unwrapped": True}  # name -> keep the words of bare [[links]]
MODEL_PATH = REPO / "src/vault_core/assets/link_model.json"
Query = tuple[Any, np.ndarray, np.ndarray, set[str]]  # (candidates, X, y, true targets)


def collect(
    vault: Vault, max_notes: int | None = None, keep_link_words: bool = False
) -> list[Query]:
    """One entry per evaluated note: its candidates, their features and labels."""
    queries = []
    for path, targets in subset(labelled_notes(vault), max_notes):
        found = link_candidates(vault, path, **held_out(path, keep_link_words=keep_link_words))
        if found is None:
            continue
        notes = list(found.ranks)
        x = found.feature_matrix(notes)
        y = np.array([found.index.paths[i] in targets for i in notes], np.float64)
        queries.append((found, x, y, targets))
    return queries


def fit(
    queries: list[Query],
    l2: float,
    names: list[str],
    iters: int = 3000,
    query_weights: list[float] | None = None,
) -> LinkModel:
    """Class-balanced logistic regression (each query's rows weighted by `query_weights`, default
    1): the engine's own fit (vault_core.linking.vault_fitting.fit), from zero, no prior."""
    weights = query_weights or [1.0] * len(queries)
    examples = [
        Example(found.path, found, x, y, targets, w)
        for (found, x, y, targets), w in zip(queries, weights, strict=True)
    ]
    return fit_model(examples, l2, names, prior=None, iterations=iters)


def recall(queries: list[Query], model: LinkModel) -> dict[str, float]:
    """recall@K and MRR of the true targets when the candidates are ranked by `model`."""
    recalls, rrs = [], []
    for found, _, _, targets in queries:
        order = [found.index.paths[i] for _, i in found.ranked(model)[:K]]
        hits = [p in targets for p in order]
        recalls.append(sum(hits) / len(targets))
        rrs.append(next((1.0 / r for r, h in enumerate(hits, 1) if h), 0.0))
    return {
        "recall@10": round(statistics.fmean(recalls), 4),
        "mrr": round(statistics.fmean(rrs), 4),
    }


def confidence(queries: list[Query], model: LinkModel) -> dict[str, Any]:
    """Of the top-K suggestions, the share that were real links, by the model's 0-1 score."""
    scored = [
        (probability(logit), found.index.paths[i] in targets)
        for found, _, _, targets in queries
        for logit, i in found.ranked(model)[:K]
    ]
    out: dict[str, Any] = {}
    for floor in (0.0, 0.8, 0.9, 0.95):
        hits = [real for p, real in scored if p >= floor]
        out[f">={floor}"] = {
            "suggestions": len(hits),
            "real_links": round(sum(hits) / len(hits), 3) if hits else None,
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--l2", type=float, default=0.1)
    parser.add_argument(
        "--write", action="store_true", help=f"ship the pooled model ({MODEL_PATH})"
    )
    parser.add_argument(
        "--save-held-out",
        type=Path,
        help="also write each leave-one-vault-out model to DIR/without-<vault>.json "
        "(for bench/measure/linking.py --model)",
    )
    parser.add_argument(
        "--protocols",
        nargs="+",
        choices=PROTOCOLS,
        default=list(PROTOCOLS),
        help="link-recovery variants to fit on (pooled) and report",
    )
    parser.add_argument(
        "--unwrapped-weight",
        type=float,
        default=0.25,
        help="weight of the unwrapped protocol's rows against strict ones (strict = 1)",
    )
    args = parser.parse_args()
    data: dict[str, dict[str, list[Query]]] = {}
    out: dict[str, Any] = {
        "l2": args.l2,
        "protocols": args.protocols,
        "unwrapped_weight": args.unwrapped_weight,
        "features": list(FEATURES),
        "vaults": {},
    }
    for corpus in args.corpora:
        root = cached_vault(corpus, args.cache, log=lambda m: print(m, file=sys.stderr))
        vault = Vault.open(root, writer=False)
        started = time.perf_counter()
        data[corpus.name] = {
            p: collect(vault, keep_link_words=PROTOCOLS[p]) for p in args.protocols
        }
        out["vaults"][corpus.name] = {
            "notes": len(data[corpus.name][args.protocols[0]]),
            "collect_s": round(time.perf_counter() - started, 1),
        }

    def fit_on(names: list[str]) -> LinkModel:
        queries = [(q, p) for n in names for p in args.protocols for q in data[n][p]]
        weights = [args.unwrapped_weight if p == "unwrapped" else 1.0 for _, p in queries]
        return fit([q for q, _ in queries], args.l2, names, query_weights=weights)

    def report(name: str, model: LinkModel) -> dict[str, dict[str, float]]:
        return {p: recall(data[name][p], model) for p in args.protocols}

    names = sorted(data)
    pooled = fit_on(names)
    for name in names:
        others = [n for n in names if n != name]
        entry = out["vaults"][name]
        if others:
            held_out = fit_on(others)
            entry["leave_one_vault_out"] = report(name, held_out)
            if args.save_held_out:
                args.save_held_out.mkdir(parents=True, exist_ok=True)
                target = args.save_held_out / f"without-{name}.json"
                target.write_text(held_out.model_dump_json(indent=2) + "\n", encoding="utf-8")
        entry["own_vault_in_sample"] = report(name, fit_on([name]))
        entry["pooled_in_sample"] = report(name, pooled)
        entry["pooled_confidence_strict"] = confidence(data[name][args.protocols[0]], pooled)
    out["pooled_model"] = pooled.model_dump()
    if args.write:
        MODEL_PATH.write_text(json.dumps(pooled.model_dump(), indent=2) + "\n", encoding="utf-8")
        out["written"] = str(MODEL_PATH)
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
