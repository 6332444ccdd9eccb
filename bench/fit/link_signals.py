"""Link recovery: does a new candidate feature help related() on every vault, held out? (issue 31)

Usage:
    python -m bench.fit.link_signals CORPUS [CORPUS ...] [--data DIR] [--recollect]

For every labelled note (>= 3 links) of each vault, the candidates of `link_candidates` under the
stored-vectors protocol (the note's links hidden from the graph and the keyword query, its stored
chunk vectors; what `nvault eval` scores), strict and unwrapped, are collected once and saved to
`--data` (pickles), with extra feature columns computed beside the shipped ones:

- `hier_*`: where the candidate sits in the note's name tree (link_model.name_parts: folders,
  then the file stem split at dots, `dendron.topic.lookup` -> dendron / topic / lookup):
  ancestor, descendant, sibling (same parent), and the shared prefix's share of the longer path
  (link_model.name_tree; shipped since as TREE_FEATURES, so `shipped` below includes them when
  the data is re-collected: the figures in docs/benchmarks.md were collected before);
- `score_*`: the raw values behind a rank: whole-note cosine, best-passage cosine, BM25 over the
  query's best, title-word score over its best, log(1 + mentions).

Each feature group is judged leave-one-vault-out: the link model (the same class-balanced
logistic regression as vault_core.linking.vault_fitting.fit, from zero, strict rows 1 and
unwrapped rows 0.25, L2 0.1) is fitted on the other vaults with the shipped features, and with
the shipped features plus the group, and recall@10 / MRR are reported on the held-out vault's
strict notes. A group pays only if it gains on every vault. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import pickle
import statistics
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import emit, load_average, log
from bench.measure.linking import DEFAULT_CACHE, K, cached_vault
from vault_core.linking.link_model import name_parts, name_tree
from vault_core.linking.related import _named_notes
from vault_core.linking.vault_fitting import UNWRAPPED_WEIGHT, collect, descend, labelled_notes
from vault_core.vault import Vault

L2 = 0.1
ITERATIONS = 1500
EXTRA = (
    "hier_ancestor",
    "hier_descendant",
    "hier_sibling",
    "hier_shared",
    "score_note",
    "score_passage",
    "score_keyword",
    "score_titles",
    "score_mention",
)
GROUPS = {
    "hier": [e for e in EXTRA if e.startswith("hier_")],
    "score": [e for e in EXTRA if e.startswith("score_")],
    "score_semantic": ["score_note", "score_passage"],
    "score_lexical": ["score_keyword", "score_titles", "score_mention"],
    "hier+score": list(EXTRA),
}


@dataclass
class Row:
    """One labelled note: candidate paths, shipped features, extra features, labels."""

    path: str
    paths: list[str]
    x: np.ndarray
    extra: np.ndarray
    y: np.ndarray
    targets: set[str]
    weight: float


def extra_features(vault: Vault, found: Any, order: list[int], keep: bool) -> np.ndarray:
    index, path = found.index, found.path
    me = index.pos[path]
    rows = np.zeros((len(order), len(EXTRA)))
    mine = name_parts(path)
    note_sims = np.zeros(len(index.paths))
    passage = np.zeros(len(index.paths))
    if len(found.my_vecs):
        v = found.my_vecs.mean(axis=0)
        v /= np.linalg.norm(v) or 1.0
        note_sims = index.note_similarities(v)
        passage = index.best_passages(found.my_vecs, np.array(order, np.int64))[0]
    bm25 = index.bm25(found.terms, exclude=me) if found.terms else np.zeros(len(index.paths))
    titles = index.title_scores(vault, path, keep).copy()
    titles[me] = 0.0
    mentions = index.mention_scores(vault, path, partial(_named_notes, vault), keep)
    top_bm25, top_titles = float(bm25.max()) or 1.0, float(titles.max()) or 1.0
    for r, i in enumerate(order):
        rows[r, :4] = name_tree(mine, name_parts(index.paths[i]))
        rows[r, 4:] = [
            note_sims[i],
            max(float(passage[i]), 0.0),
            bm25[i] / top_bm25,
            titles[i] / top_titles,
            math.log1p(float(mentions[i])),
        ]
    return rows


def collect_vault(vault: Vault) -> dict[str, list[Row]]:
    notes = labelled_notes(vault)
    out: dict[str, list[Row]] = {}
    for protocol, keep in (("strict", False), ("unwrapped", True)):
        weight = UNWRAPPED_WEIGHT if keep else 1.0
        rows = []
        for ex in collect(vault, notes, keep, weight, reembed=False):
            order = list(ex.found.ranks)
            rows.append(
                Row(
                    ex.path,
                    [ex.found.index.paths[i] for i in order],
                    ex.x,
                    extra_features(vault, ex.found, order, keep),
                    ex.y,
                    ex.targets,
                    weight,
                )
            )
        out[protocol] = rows
        log(f"  {protocol}: {len(rows)} notes")
    return out


def fit(rows: list[Row], cols: list[int]) -> tuple[np.ndarray, float]:
    """The engine's fit (vault_fitting.descend) from zero, without a prior, over the shipped
    features + extra columns `cols`."""
    x = np.vstack([np.hstack([r.x, r.extra[:, cols]]) for r in rows])
    y = np.concatenate([r.y for r in rows])
    weights = np.concatenate([np.full(len(r.y), r.weight) for r in rows])
    return descend(x, y, weights, l2=L2, iterations=ITERATIONS)


@dataclass
class BaseModel:
    """A link model fitted before the name-tree features (its JSON no longer validates)."""

    weights: list[float]
    bias: float
    trained_on: list[str]


def stagewise(rows: list[Row], cols: list[int], base: BaseModel) -> tuple[np.ndarray, float]:
    """Fit only the extra columns' weights (and the bias) on top of `base`'s logit, held fixed:
    the shipped weights keep what the strict protocol taught them, and the new name-tree
    features (which no protocol changes) learn what they add. Same loss, L2 and steps as `fit`."""
    w_base = np.asarray(base.weights[: rows[0].x.shape[1]], np.float64)
    offset = np.concatenate([r.x @ w_base for r in rows])
    x = np.vstack([r.extra[:, cols] for r in rows])
    y = np.concatenate([r.y for r in rows])
    weights = np.concatenate([np.full(len(r.y), r.weight) for r in rows])
    extra, bias = descend(
        x, y, weights, l2=L2, iterations=ITERATIONS, bias=base.bias, offset=offset
    )
    return np.concatenate([w_base, extra]), bias


def recall(rows: list[Row], model: tuple[np.ndarray, float], cols: list[int]) -> dict[str, float]:
    w, b = model
    recalls, rrs = [], []
    for r in rows:
        logits = np.hstack([r.x, r.extra[:, cols]]) @ w + b
        order = sorted(range(len(r.paths)), key=lambda i: (-logits[i], r.paths[i]))[:K]
        hits = [r.paths[i] in r.targets for i in order]
        recalls.append(sum(hits) / len(r.targets))
        rrs.append(next((1.0 / k for k, h in enumerate(hits, 1) if h), 0.0))
    return {
        "recall@10": round(statistics.fmean(recalls), 4),
        "mrr": round(statistics.fmean(rrs), 4),
    }


def collected(
    corpora: list[Path],
    cache: Path,
    data_dir: Path,
    recollect: bool,
    collect_vault: Callable[[Vault], dict[str, list[Any]]],
) -> dict[str, dict[str, list[Any]]]:
    """Each corpus's candidate rows, collected once from its bench cache and pickled in
    `data_dir` (collecting takes minutes; fitting over the pickles, seconds)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    data: dict[str, dict[str, list[Any]]] = {}
    for corpus in corpora:
        saved = data_dir / f"{corpus.name}.pkl"
        if saved.is_file() and not recollect:
            data[corpus.name] = pickle.loads(saved.read_bytes())
            continue
        log(f"collecting {corpus.name}")
        root = cached_vault(corpus, cache, log=log)
        with Vault.open(root, writer=False) as vault:
            data[corpus.name] = collect_vault(vault)
        saved.write_bytes(pickle.dumps(data[corpus.name]))
    return data


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--data", type=Path, default=Path("/tmp/nvault-link-signals"))
    parser.add_argument("--recollect", action="store_true")
    parser.add_argument(
        "--stagewise",
        type=Path,
        help="a 23-feature link model JSON: also fit the name-tree weights on top of it",
    )
    parser.add_argument("--groups", nargs="*", default=["shipped", *GROUPS], help="feature groups")
    args = parser.parse_args()
    data: dict[str, dict[str, list[Row]]] = collected(
        args.corpora, args.cache, args.data, args.recollect, collect_vault
    )
    names = sorted(data)
    out: dict[str, Any] = {"protocol": "stored vectors, leave one vault out", "vaults": {}}
    for group in args.groups:
        feats = {"shipped": [], **GROUPS}[group]
        cols = [EXTRA.index(f) for f in feats]
        for name in names:
            train = [r for n in names if n != name for p in data[n].values() for r in p]
            model = fit(train, cols)
            res = recall(data[name]["strict"], model, cols)
            out["vaults"].setdefault(name, {})[group] = res
            log(f"{group:>14} {name:>20} {res}")
    if args.stagewise:
        raw = json.loads(args.stagewise.read_text())
        base = BaseModel(raw["weights"], raw["bias"], raw["trained_on"])
        cols = [EXTRA.index(f) for f in GROUPS["hier"]]
        for name in names:
            res = recall(data[name]["strict"], (np.asarray(base.weights), base.bias), [])
            out["vaults"].setdefault(name, {})["base_model"] = res
            train = [r for n in names if n != name for p in data[n].values() for r in p]
            res = recall(data[name]["strict"], stagewise(train, cols, base), cols)
            out["vaults"][name]["base_model+hier_stagewise"] = res
            log(f"{'stagewise':>14} {name:>20} {res}")
        fitted_on = [n for n in names if n in base.trained_on]
        w, b = stagewise([r for n in fitted_on for p in data[n].values() for r in p], cols, base)
        out["stagewise_model"] = {
            "trained_on": fitted_on,
            "weights": [round(float(v), 6) for v in w],
            "bias": round(b, 6),
        }
    out["missed_targets"] = {
        n: sum(len(r.targets - set(r.paths)) for r in data[n]["strict"]) for n in names
    }
    out["targets"] = {n: sum(len(r.targets) for r in data[n]["strict"]) for n in names}
    out["load_average"] = load_average()
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
