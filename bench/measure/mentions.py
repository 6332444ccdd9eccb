"""Ranked unlinked mentions (issue 33): precision, recall and list size on labelled samples.

Usage:
    python -m bench.measure.mentions [--corpus NAME ...]              # evaluate every label file
    python -m bench.measure.mentions --draw N --seed S [--corpus NAME] # draw a fresh sample to label
    python -m bench.measure.mentions --draw N --draw-all M --seed S    # ...M rows for recall
    python -m bench.measure.mentions --fit                             # refit; threshold table

Label files (bench/labels/, one JSON line per mention, each with its label and reason):
- tuning: `mentions-NAME.jsonl` (40 drawn from the unfiltered matcher) and
  `mentions-heldout-NAME.jsonl` (20 from issue 18's filtered output); the weights and the
  threshold of vault_core/linking/mention_rank.py were set looking at these.
- fresh: `mentions-fresh-NAME.jsonl`, `mentions-fresh2-NAME.jsonl`, ... each drawn with `--draw`
  from the code of its day *before* looking (seed in each row), then labelled in context:
  `"pool": "shown"` rows are a seeded sample of the default list's suggestions (precision),
  `"pool": "all"` rows a seeded sample of every (note, target) the matcher finds (recall).
  `--fit` fits the score on every sample but the newest (FIT_SAMPLES); the newest, fresh10, was
  drawn from the fitted code and is the held-out one (docs/benchmarks.md has every round).
A row counts as suggested when the default list (`ranked_mentions`) holds a suggestion for its
target in its note. Vaults are the cached indexed copies bench/measure/linking.py builds.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import CORPORA, LABELS, emit, log
from bench.measure.linking import cached_vault
from vault_core.linking.mention_rank import FEATURES, THRESHOLD, RankedMention, ranked_mentions
from vault_core.vault import Vault


def _notes(vault: Vault) -> list[str]:
    return sorted(p for p, n in vault.catalog.items() if n.kind == "note" and not n.error)


def _all_for(vault: Vault, cache: dict[str, list[RankedMention]], path: str) -> list[RankedMention]:
    if path not in cache:
        cache[path] = ranked_mentions(vault, path, show_all=True)
    return cache[path]


def evaluate(vault: Vault, rows: list[dict[str, Any]], pool: str | None = None) -> dict[str, Any]:
    """Precision / recall of the default list on labelled rows (of `pool`, if given)."""
    cache: dict[str, list[RankedMention]] = {}
    rows = [r for r in rows if r.get("label") is not None and (pool is None or r["pool"] == pool)]
    shown, true = [], []
    for row in rows:
        found = _all_for(vault, cache, row["path"])
        hit = next((r for r in found if r.target == row["target"]), None)
        shown.append(bool(hit and hit.shown))
        true.append(bool(row["label"]))
    tp = sum(s and t for s, t in zip(shown, true, strict=True))
    return {
        "labelled": len(rows),
        "labelled_true": sum(true),
        "suggested": sum(shown),
        "precision": round(tp / sum(shown), 3) if sum(shown) else None,
        "recall": round(tp / sum(true), 3) if sum(true) else None,
    }


def list_sizes(vault: Vault) -> dict[str, Any]:
    """Suggestions per note in the default list, over every note of the vault."""
    sizes, every = [], 0
    ranked_mentions(vault, _notes(vault)[0])  # build the shared in-memory indexes first
    cpu = time.process_time()
    for path in _notes(vault):
        found = ranked_mentions(vault, path, show_all=True)
        every += sum(not r.already_linked for r in found)
        sizes.append(sum(r.shown for r in found))
    cpu = time.process_time() - cpu
    return {
        "cpu_s_every_note": round(cpu, 2),
        "notes": len(sizes),
        "suggestions_default": sum(sizes),
        "suggestions_all_unlinked_targets": every,
        "per_note_mean": round(statistics.fmean(sizes), 2),
        "notes_with_any": sum(1 for s in sizes if s),
        "per_note_mean_where_any": round(statistics.fmean([s for s in sizes if s] or [0]), 2),
    }


def draw(
    vault: Vault, name: str, n: int, seed: int, sample: str = "fresh", n_all: int | None = None
) -> Path:
    """Seeded samples of the default list (`n`) and of every candidate (`n_all`, default `n`:
    a quarter of the candidates are worth linking, so recall needs the larger pool), unlabelled."""
    shown: list[RankedMention] = []
    every: list[RankedMention] = []
    for path in _notes(vault):
        found = ranked_mentions(vault, path, show_all=True)
        shown += [r for r in found if r.shown]
        every += [r for r in found if not r.already_linked]
    rng = random.Random(seed)
    out = LABELS / f"mentions-{sample}-{name}.jsonl"
    if out.exists():
        raise SystemExit(f"{out} exists: a drawn sample is labelled once, never redrawn")
    lines = _context(vault)
    with out.open("w") as fh:
        for pool, items, k in (("shown", shown, n), ("all", every, n_all or n)):
            for r in rng.sample(items, min(k, len(items))):
                row = {
                    "pool": pool,
                    "seed": seed,
                    "path": r.path,
                    "line": r.line,
                    "col": r.start_col,
                    "text": r.text,
                    "target": r.target,
                    "context": lines(r.path, r.line),
                    "label": None,
                    "reason": "",
                }
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return out


def _context(vault: Vault) -> Any:
    def line(path: str, n: int) -> str:
        text = (vault.root / path).read_text(encoding="utf-8", errors="replace").split("\n")
        return text[n - 1][:300] if 0 < n <= len(text) else ""

    return line


# The score is fitted on every label drawn before fresh10: fresh to fresh9 ask the question the
# default list answers ("would a writer of this vault link this word here, to this note?"); the
# older tuning labels asked "does the word refer to the note?", so they count half.
FIT_SAMPLES = {
    "": 0.5,
    "heldout-": 0.5,
    "fresh-": 1.0,
    "fresh2-": 1.0,
    "fresh3-": 1.0,
    "fresh4-": 1.0,
    "fresh5-": 1.0,
    "fresh6-": 1.0,
    "fresh7-": 1.0,
    "fresh8-": 1.0,
    "fresh9-": 1.0,
}
FIT_L2 = 1.0


def fit(vaults: dict[str, Vault], l2: float = FIT_L2, iters: int = 4000) -> dict[str, Any]:
    """A class-balanced, L2-regularised logistic regression over mention_rank.FEATURES on the
    FIT_SAMPLES labels of every vault (one row per labelled mention, as its group's features)."""
    xs, ys, ws, meta = [], [], [], []
    for name, vault in vaults.items():
        cache: dict[str, list[RankedMention]] = {}
        for row, weight in _fit_rows(name):
            hit = next(
                (r for r in _all_for(vault, cache, row["path"]) if r.target == row["target"]), None
            )
            if hit is not None:  # a name the matcher now gives to another note is no candidate
                xs.append([hit.features[k] for k in FEATURES])
                ys.append(float(row["label"]))
                ws.append(weight)
                blocked = hit.already_linked or (hit.score >= THRESHOLD and not hit.shown)
                meta.append((name, row["_sample"], row.get("pool", ""), blocked, hit.features))
    x, y, wt = np.array(xs), np.array(ys), np.array(ws)
    w, b = _logistic(x, y, wt, l2, iters)
    # leave one fresh round out: each round scored by a fit on the others (an honest estimate)
    rounds = np.array([m[1] for m in meta])
    held = np.zeros(len(y))
    for r in {m[1] for m in meta if m[1].startswith("fresh")}:
        fit_on = rounds != r
        w_r, b_r = _logistic(x[fit_on], y[fit_on], wt[fit_on], l2, iters)
        held[~fit_on] = 1 / (1 + np.exp(-(x[~fit_on] @ w_r + b_r)))
    floor = np.array([m[4]["link_rate"] for m in meta])
    return {
        "rows": len(y),
        "positives": int(y.sum()),
        "samples": FIT_SAMPLES,
        "l2": l2,
        "weights": {k: round(float(v), 2) for k, v in zip(FEATURES, w, strict=True)},
        "bias": round(float(b), 2),
        "thresholds": {
            "in_sample": _threshold_table(
                np.maximum(1 / (1 + np.exp(-(x @ w + b))), floor), y, meta
            ),
            "leave_one_round_out": _threshold_table(np.maximum(held, floor), y, meta),
        },
    }


def _logistic(
    x: np.ndarray, y: np.ndarray, ws: np.ndarray, l2: float, iters: int
) -> tuple[np.ndarray, float]:
    """Class-balanced, L2-regularised logistic regression by gradient descent."""
    weight = ws * np.where(y > 0, 0.5 / max(y.mean(), 1e-9), 0.5 / max(1 - y.mean(), 1e-9))
    w, b = np.zeros(x.shape[1]), 0.0
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        g = weight * (p - y)
        w -= 0.5 * (x.T @ g / len(y) + l2 * w / len(y))
        b -= 0.5 * g.mean()
    return w, float(b)


def _threshold_table(score: np.ndarray, y: np.ndarray, meta: list[Any]) -> dict[str, Any]:
    """Per threshold, on the fresh rounds' rows: precision of the shown and the all pools and
    recall of the all pool, per vault (the threshold rule reads this: precision >= 0.85 in
    every pool of both vaults)."""
    table: dict[str, Any] = {}
    for th in np.arange(0.5, 0.81, 0.025):
        cells: dict[str, Any] = {}
        for name in sorted({m[0] for m in meta}):
            for pool in ("shown", "all"):
                pick = [
                    i
                    for i, m in enumerate(meta)
                    if m[0] == name and m[1].startswith("fresh") and m[2] == pool
                ]
                sug = [i for i in pick if score[i] >= th and not meta[i][3]]
                cells[f"{name}_{pool}_precision"] = round(float(y[sug].mean()), 2) if sug else None
                if pool == "all":
                    true = [i for i in pick if y[i] > 0]
                    cells[f"{name}_recall"] = round(
                        sum(score[i] >= th and not meta[i][3] for i in true) / max(len(true), 1), 2
                    )
        table[f"{th:.3f}"] = cells
    return table


def _fit_rows(name: str) -> list[tuple[dict[str, Any], float]]:
    rows = []
    for prefix, weight in FIT_SAMPLES.items():
        for line in (LABELS / f"mentions-{prefix}{name}.jsonl").open():
            row = json.loads(line)
            if row.get("label") is not None:
                row["_sample"] = prefix.rstrip("-") or "tuning"
                rows.append((row, weight))
    return rows


def _tuning(name: str) -> list[dict[str, Any]]:
    rows = []
    for file in (f"mentions-{name}.jsonl", f"mentions-heldout-{name}.jsonl"):
        rows += [json.loads(x) for x in (LABELS / file).open()]
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", action="append")
    parser.add_argument("--draw", type=int, help="write a fresh unlabelled sample of N per pool")
    parser.add_argument("--seed", type=int, default=3333)
    parser.add_argument("--draw-all", type=int, help="rows of the recall pool (default: --draw)")
    parser.add_argument("--sample", default="fresh", help="name of the drawn sample's file")
    parser.add_argument("--fit", action="store_true", help="fit the score's weights on tuning")
    args = parser.parse_args()
    out: dict[str, Any] = {}
    if args.fit:
        names = args.corpus or ["vaultofknowledge", "silverbullet-docs"]
        opened = {n: Vault.open(cached_vault(CORPORA / n, log=log), writer=False) for n in names}
        try:
            out["fit"] = fit(opened)
        finally:
            for vault in opened.values():
                vault.close()
        emit(out)
        return 0
    for name in args.corpus or ["vaultofknowledge", "silverbullet-docs"]:
        root = cached_vault(CORPORA / name, log=log)
        with Vault.open(root, writer=False) as vault:
            if args.draw:
                out[name] = str(draw(vault, name, args.draw, args.seed, args.sample, args.draw_all))
                continue
            entry: dict[str, Any] = {"tuning": evaluate(vault, _tuning(name))}
            pooled: list[dict[str, Any]] = []
            for sample in (
                "fresh",
                "fresh2",
                "fresh3",
                "fresh4",
                "fresh5",
                "fresh6",
                "fresh7",
                "fresh8",
                "fresh9",
                "fresh10",
            ):
                file = LABELS / f"mentions-{sample}-{name}.jsonl"
                if file.is_file():
                    rows = [json.loads(x) for x in file.open()]
                    entry[f"{sample}_precision"] = evaluate(vault, rows, "shown")
                    entry[f"{sample}_recall"] = evaluate(vault, rows, "all")
                    pooled += rows
            entry["pooled_recall_fresh_all"] = evaluate(vault, pooled, "all")
            entry["list_size"] = list_sizes(vault)
            out[name] = entry
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
