"""Link recovery: new candidate sources and features for related(), held out (issue 31, round 5).

Usage:
    python -m bench.fit.link_sources CORPUS [CORPUS ...] [--data DIR] [--recollect]

For every labelled note (>= 3 links) of each vault, under the stored-vectors protocol (what
`nvault eval` scores: the note's links hidden from the graph and the keyword query, its stored
chunk vectors), strict and unwrapped, the shipped candidates of `link_candidates` are collected
with their shipped feature rows, and beside them five more candidate sources, each a ranked list
(its rank as two columns, the shapes of link_model.features):

- `rmention`: the ranked unlinked mentions of the note (mention_rank.ranked_mentions over its
  link-free text, every group scored). The scorer's two graph features (`shared`, `neighbours`)
  read the note's own links, which the protocol hides, so they are zeroed and the score
  recomputed from the public WEIGHTS/BIAS (else the hidden links would leak); plus the score
  itself as a column;
- `cocite`: second-order links: the notes linked by the notes that link here (in-links that are
  not hidden), weighted 1 / log(2 + their out-degree);
- `siblings`: every note in the note's folder (up to 200), by whole-note cosine;
- `headings`: notes whose title words occur in the note's headings (idf mass, like `titles`);
- `passage_nn`: per passage of the note, its 10 nearest notes (best chunk cosine over the whole
  vault, not only the 300 notes nearest the mean vector); rank = the best rank over passages.

Each group is judged leave-one-vault-out with the fit of bench.fit.link_signals (from zero,
strict rows 1, unwrapped 0.25, L2 0.1): candidate rows of a source join only when that source
is in the group (a source's group takes all its columns: `rmention` its rank and score;
`rmention_score` is the score alone, on the shipped candidates). `--l2` and
`--unwrapped-weight` change the fit. Also reports, per vault, the share of strict targets in no
shipped list and the share of those each source reaches. `--per-vault` runs `nvault eval`'s rule
on each vault's own links (two folds, around the shipped weights; `--per-vault-with` lets the
vault's model add sources). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.fit.link_signals import ITERATIONS, L2, collected
from bench.harness import emit, load_average, log
from bench.measure.linking import DEFAULT_CACHE, K
from vault_core.index.terms import TERM_WORD_RE, word_terms
from vault_core.linking import mention_rank
from vault_core.linking.link_model import default_model, name_parts, name_tree
from vault_core.linking.link_model import features as link_features
from vault_core.linking.related import Candidates
from vault_core.linking.related_index import DEPTH
from vault_core.linking.vault_fitting import (
    UNWRAPPED_WEIGHT,
    collect,
    descend,
    fold,
    labelled_notes,
)
from vault_core.query.fusion import RRF_K
from vault_core.vault import Vault

SOURCES = ("rmention", "cocite", "siblings", "headings", "passage_nn")
EXTRA = (*(f"{s}_{shape}" for s in SOURCES for shape in ("rrf", "log")), "rmention_score")
LEAKY = ("shared", "neighbours", "generic_neighbours")  # read the note's own (hidden) links
SIBLINGS_MAX = 200
PASSAGE_NN = 10
HEADING_RE = re.compile(r"^\s{0,3}#{1,6}\s+(.*)$", re.MULTILINE)
_LOG_DEPTH = math.log(DEPTH + 1)


@dataclass
class SRow:
    """One labelled note: candidates (shipped first), features, which sources reached each."""

    path: str
    paths: list[str]
    x: np.ndarray  # shipped features (link_model.FEATURES)
    extra: np.ndarray  # EXTRA
    shipped: np.ndarray  # bool: in a shipped ranker's list
    y: np.ndarray
    targets: set[str]
    weight: float


def mention_scores(vault: Vault, found: Candidates, keep: bool) -> dict[int, float]:
    """Leak-free ranked-mention score per mentioned note."""
    index = found.index
    text = index.link_free_text(vault, found.path, keep)
    scored: dict[int, float] = {}
    for r in mention_rank.ranked_mentions(vault, found.path, text, show_all=True):
        if r.target not in index.pos:
            continue
        f = {**r.features, **dict.fromkeys(LEAKY, 0.0)}
        logit = mention_rank.BIAS + sum(
            mention_rank.WEIGHTS[k] * f[k] for k in mention_rank.FEATURES
        )
        s = max(1.0 / (1.0 + math.exp(-logit)), f["link_rate"])
        i = index.pos[r.target]
        scored[i] = max(scored.get(i, 0.0), s)
    return scored


def _ranked(scores: dict[int, float], me: int, depth: int = DEPTH) -> dict[int, int]:
    order = sorted((i for i, s in scores.items() if s > 0 and i != me), key=lambda i: -scores[i])
    return {i: r for r, i in enumerate(order[:depth], 1)}


def sources(
    vault: Vault, found: Candidates, keep: bool, chunk_vecs: np.ndarray
) -> tuple[dict[str, dict[int, int]], dict[int, float]]:
    """Each source's ranks (note -> 1-based rank) and the raw ranked-mention scores."""
    index, path = found.index, found.path
    me = index.pos[path]
    hidden = index.out[path]
    out: dict[str, dict[int, int]] = {}
    rm = mention_scores(vault, found, keep)
    out["rmention"] = _ranked(rm, me)
    cocite: dict[int, float] = {}
    for n in index.inc[path] - hidden:
        links = index.out[n] - {path}
        for c in links:
            cocite[index.pos[c]] = cocite.get(index.pos[c], 0.0) + 1.0 / math.log(2 + len(links))
    out["cocite"] = _ranked(cocite, me)
    sims = np.zeros(len(index.paths), np.float32)
    if len(found.my_vecs):
        v = found.my_vecs.mean(axis=0)
        sims = index.note_similarities(v / (np.linalg.norm(v) or 1.0))
    same = np.flatnonzero(index.folders == index.folders[me])
    out["siblings"] = _ranked({int(i): float(sims[i]) + 2.0 for i in same}, me, SIBLINGS_MAX)
    text = index.link_free_text(vault, path, keep)
    heads = " ".join(HEADING_RE.findall(text))
    words = {t for m in TERM_WORD_RE.finditer(heads) for t in word_terms(m.group(0))}
    hit = np.zeros(len(index.paths), np.float64)
    for t in words:
        ix = index.title_postings.get(t)
        if ix is not None:
            hit[ix] += index.keywords.idf(t)
    hs = hit * hit / np.where(index.title_mass > 0, index.title_mass, 1.0)
    out["headings"] = _ranked({int(i): float(hs[i]) for i in np.flatnonzero(hs)}, me)
    best: dict[int, int] = {}
    if len(found.my_vecs) and len(chunk_vecs):
        per_chunk = chunk_vecs @ found.my_vecs.T  # chunks x passages
        has = np.flatnonzero(index.chunk_end > index.chunk_start)
        per_note = np.full((len(index.paths), per_chunk.shape[1]), -1.0, np.float32)
        per_note[has] = np.maximum.reduceat(per_chunk, index.chunk_start[has], axis=0)
        per_note[me] = -1.0
        for p in range(per_note.shape[1]):
            top = np.argsort(-per_note[:, p], kind="stable")[:PASSAGE_NN]
            for r, i in enumerate(top.tolist(), 1):
                best[i] = min(best.get(i, r), r)
    out["passage_nn"] = best
    return out, rm


def _shape(rank: int | None) -> list[float]:
    if rank is None:
        return [0.0, 0.0]
    return [RRF_K / (RRF_K + rank), max(0.0, _LOG_DEPTH - math.log(rank)) / _LOG_DEPTH]


def collect_vault(vault: Vault) -> dict[str, list[SRow]]:
    notes = labelled_notes(vault)
    out: dict[str, list[SRow]] = {}
    for protocol, keep in (("strict", False), ("unwrapped", True)):
        weight = UNWRAPPED_WEIGHT if keep else 1.0
        rows = []
        chunk_vecs = np.zeros((0, 0), np.float32)
        for ex in collect(vault, notes, keep, weight, reembed=False):
            found, index = ex.found, ex.found.index
            if not len(chunk_vecs):
                chunk_vecs = index.vectors(np.arange(len(index.chunk_row)))
            ranks, rm = sources(vault, found, keep, chunk_vecs)
            order = list(found.ranks)
            new = sorted({i for r in ranks.values() for i in r} - set(order) - {index.pos[ex.path]})
            me = index.pos[ex.path]
            mine = name_parts(ex.path)
            new_x = [
                link_features(
                    {},
                    float(found.in_degree[i]),
                    index.folders[i] == index.folders[me],
                    name_tree(mine, name_parts(index.paths[i])),
                )
                for i in new
            ]
            x = np.vstack([ex.x, np.array(new_x).reshape(len(new), ex.x.shape[1])])
            allc = order + new
            extra = np.array(
                [
                    [v for s in SOURCES for v in _shape(ranks[s].get(i))] + [rm.get(i, 0.0)]
                    for i in allc
                ]
            )
            paths = [index.paths[i] for i in allc]
            y = np.array([p in ex.targets for p in paths], np.float64)
            shipped = np.arange(len(allc)) < len(order)
            rows.append(SRow(ex.path, paths, x, extra, shipped, y, ex.targets, weight))
        out[protocol] = rows
        log(f"  {protocol}: {len(rows)} notes")
    return out


def _cols(group: list[str]) -> tuple[list[int], list[int]]:
    """(EXTRA columns, source indexes) of a group of source names / column names."""
    cols = [k for k, e in enumerate(EXTRA) if any(e.startswith(g) for g in group)]
    return cols, [SOURCES.index(s) for s in group if s in SOURCES]


def _mask(r: SRow, srcs: list[int]) -> np.ndarray:
    m = r.shipped.copy()
    for s in srcs:
        m |= r.extra[:, 2 * s] > 0
    return m


def fit(
    rows: list[SRow], cols: list[int], srcs: list[int], l2: float = L2
) -> tuple[np.ndarray, float]:
    rows = [r for r in rows if r.weight > 0]
    ms = [_mask(r, srcs) for r in rows]
    x = np.vstack([np.hstack([r.x[m], r.extra[m][:, cols]]) for r, m in zip(rows, ms, strict=True)])
    y = np.concatenate([r.y[m] for r, m in zip(rows, ms, strict=True)])
    w = np.concatenate([np.full(int(m.sum()), r.weight) for r, m in zip(rows, ms, strict=True)])
    return descend(x, y, w, l2=l2, iterations=ITERATIONS)


def recall(rows: list[SRow], model: tuple[np.ndarray, float], cols: list[int], srcs: list[int]):
    w, b = model
    recalls, rrs = [], []
    for r in rows:
        m = np.flatnonzero(_mask(r, srcs))
        logits = np.hstack([r.x[m], r.extra[m][:, cols]]) @ w + b
        order = sorted(range(len(m)), key=lambda k: (-logits[k], r.paths[m[k]]))[:K]
        hits = [r.paths[m[k]] in r.targets for k in order]
        recalls.append(sum(hits) / len(r.targets))
        rrs.append(next((1.0 / k for k, h in enumerate(hits, 1) if h), 0.0))
    return {"recall@10": round(float(np.mean(recalls)), 4), "mrr": round(float(np.mean(rrs)), 4)}


def reach(rows: list[SRow]) -> dict[str, Any]:
    """Targets in no shipped list, and how many of those each source reaches."""
    total = sum(len(r.targets) for r in rows)
    outside = {s: 0 for s in SOURCES}
    missing = 0
    for r in rows:
        shipped = {p for p, s in zip(r.paths, r.shipped, strict=True) if s}
        miss = r.targets - shipped
        missing += len(miss)
        for k, p in enumerate(r.paths):
            if p in miss:
                for j, s in enumerate(SOURCES):
                    if r.extra[k, 2 * j] > 0:
                        outside[s] += 1
    return {
        "targets": total,
        "in_no_shipped_list": round(missing / total, 4),
        "of_those_reached_by": {s: round(n / max(missing, 1), 4) for s, n in outside.items()},
    }


def per_vault(
    rows: dict[str, list[SRow]],
    cols: list[int] | None = None,
    srcs: list[int] | None = None,
) -> dict[str, Any]:
    """`nvault eval`'s rule on the collected rows: two folds by path hash, each scored by the
    shipped model and by one fitted on the other fold around the shipped weights (not held out
    across vaults: the vault's own links). `cols`/`srcs`: extra columns and sources the vault's
    own model adds (their prior weight 0)."""
    cols, srcs = cols or [], srcs or []
    shipped = default_model()
    prior = (np.asarray(shipped.weights, np.float64), shipped.bias)
    grown = (np.concatenate([prior[0], np.zeros(len(cols))]), prior[1])
    base, own = [], []
    for f in (0, 1):
        train = [r for p in rows.values() for r in p if fold(r.path) != f and r.weight > 0]
        test = [r for r in rows["strict"] if fold(r.path) == f]
        ms = [_mask(r, srcs) for r in train]
        x = np.vstack(
            [np.hstack([r.x[m], r.extra[m][:, cols]]) for r, m in zip(train, ms, strict=True)]
        )
        y = np.concatenate([r.y[m] for r, m in zip(train, ms, strict=True)])
        w = np.concatenate(
            [np.full(int(m.sum()), r.weight) for r, m in zip(train, ms, strict=True)]
        )
        model = descend(x, y, w, l2=L2, iterations=ITERATIONS, prior=grown)
        n = len(test)
        base.append((n, recall(test, prior, [], [])))
        own.append((n, recall(test, model, cols, srcs)))

    def pooled(parts: list[tuple[int, dict[str, float]]]) -> dict[str, float]:
        total = sum(n for n, _ in parts)
        return {k: round(sum(n * v[k] for n, v in parts) / total, 4) for k in parts[0][1]}

    return {"shipped": pooled(base), "own": pooled(own)}


GROUPS: dict[str, list[str]] = {
    "shipped": [],
    **{s: [s] for s in SOURCES},
    "all": [*SOURCES, "rmention_score"],
    "rmention_score": ["rmention_score"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--data", type=Path, default=Path("/tmp/nvault-link-sources"))
    parser.add_argument("--recollect", action="store_true")
    parser.add_argument("--groups", nargs="*", default=list(GROUPS))
    parser.add_argument("--group", action="append", default=[], help="a+b+c: a custom group")
    parser.add_argument("--l2", type=float, default=L2)
    parser.add_argument(
        "--unwrapped-weight", type=float, default=UNWRAPPED_WEIGHT, help="0: strict rows only"
    )
    parser.add_argument("--per-vault", action="store_true", help="also nvault eval's own fit")
    parser.add_argument(
        "--per-vault-with", nargs="*", default=[], help="sources/columns the own fit adds"
    )
    args = parser.parse_args()
    data: dict[str, dict[str, list[SRow]]] = collected(
        args.corpora, args.cache, args.data, args.recollect, collect_vault
    )
    names = sorted(data)
    for n in names:
        for r in data[n]["unwrapped"]:
            r.weight = args.unwrapped_weight
    out: dict[str, Any] = {
        "protocol": "stored vectors, leave one vault out",
        "l2": args.l2,
        "unwrapped_weight": args.unwrapped_weight,
        "vaults": {},
    }
    out["reach"] = {n: reach(data[n]["strict"]) for n in names}
    groups = {g: GROUPS[g] for g in args.groups} | {g: g.split("+") for g in args.group}
    for group, members in groups.items():
        cols, srcs = _cols(members)
        for name in names:
            train = [r for n in names if n != name for p in data[n].values() for r in p]
            res = recall(data[name]["strict"], fit(train, cols, srcs, args.l2), cols, srcs)
            out["vaults"].setdefault(name, {})[group] = res
            log(f"{group:>20} {name:>20} {res}")
    if args.per_vault:
        cols, srcs = _cols(args.per_vault_with)
        out["per_vault_fit"] = {n: per_vault(data[n], cols, srcs) for n in names}
        out["per_vault_with"] = args.per_vault_with
        log(json.dumps(out["per_vault_fit"]))
    out["load_average"] = load_average()
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
