"""Screen candidate features for the ranked-mention score (issue 33) before building one.

Usage:
    python -m bench.fit.mention_screen [--related]

For every labelled mention of bench/measure/mentions.FIT_SAMPLES it takes the score's own
features (mention_rank.FEATURES) and a set of candidate features computed here, then refits the
logistic model with each candidate added, scoring each fresh round by a fit on the others
(leave one round out). Per candidate it prints the left-out AUC on the fresh rounds and, at the
lowest threshold where left-out precision is >= 0.85 in the shown and the all pools of both
vaults, the recall of each vault's all pool. A candidate pays only if it moves those beyond the
noise (earlier rounds: +-0.01 AUC). `--related` adds "the target is in related()'s top 20 for
the note" (one related() call per labelled note: minutes). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from typing import Any

import numpy as np

from bench.harness import CORPORA, emit, log
from bench.measure.linking import cached_vault
from bench.measure.mentions import FIT_L2, _fit_rows, _logistic
from vault_core.linking.mention_evidence import link_habits
from vault_core.linking.mention_names import _name_key
from vault_core.linking.mention_rank import FEATURES, ranked_mentions
from vault_core.linking.related_index import note_index
from vault_core.vault import Vault

VAULTS = ("vaultofknowledge", "silverbullet-docs")
DEFINES_RE = re.compile(
    r"\b(is|are|was|were|called|known as|refers? to|means|defined|kind of|type of)\b", re.I
)
LIST_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
MODIFIED_RE = re.compile(r"^ +(?!(?:and|or|of|in|on|to|is|are|the|a|an|for|with|as|by)\b)[a-z]{2,}")
Row = dict[str, Any]


def _candidates(vault: Vault, row: Row, hit: Any, related: dict[str, list[str]]) -> dict:
    """Candidate features of one labelled mention (0-1 each)."""
    idx, habits = note_index(vault), link_habits(vault)
    path, target = row["path"], hit.target
    lines = (vault.root / path).read_text(encoding="utf-8", errors="replace").split("\n")
    line = lines[hit.line - 1] if 0 < hit.line <= len(lines) else ""
    before, after = line[: hit.start_col], line[hit.end_col :]
    s, t = idx.pos.get(path), idx.pos.get(target)
    rank = 999
    if s is not None and t is not None and idx.has_vector[s] and idx.has_vector[t]:
        sims = idx.note_matrix @ idx.note_matrix[s]
        sims[s] = -9.0
        rank = int((sims > sims[t]).sum())
    title = idx.records[path].title if path in idx.records else ""
    key = _name_key(hit.text) or ()
    words = {w for w in key if w[0].isalnum()}
    linkers = len(idx.inc[target] - {path}) if target in idx.inc else 0
    out_links = len(idx.out[path]) if path in idx.out else 0
    stop = after.find(". ")
    sentence = line[max(before.rfind(". "), 0) : len(line) if stop < 0 else hit.end_col + stop]
    found = {
        "note_cosine_rank": 1 - math.log1p(min(rank, 999)) / math.log1p(999),
        "source_title_has_word": float(bool(words & set(re.findall(r"\w+", title.casefold())))),
        "defining_sentence": float(bool(DEFINES_RE.search(sentence))),
        "list_item": float(bool(LIST_RE.match(line))),
        "emphasised": float(before.endswith(("*", "_"))),
        "in_parentheses": float(before.count("(") > before.count(")")),
        "in_quote": float(line.lstrip().startswith(">")),
        "modifies_a_noun": float(bool(MODIFIED_RE.match(after)) and hit.text[:1].isupper()),
        "capital_word_after": float(bool(re.match(r"^ +[A-Z]", after))),
        "linked_by_this_word": math.log1p(habits.linked_by(key, target, path) if key else 0)
        / math.log(20),
        "target_in_degree": math.log1p(linkers) / math.log1p(max(int(idx.in_degree.max()), 1)),
        "link_density": min(out_links / max(sum(len(x.split()) for x in lines), 1) * 20, 1.0),
        "line_position": hit.line / max(len(lines), 1),
        "empty_target": float(t is None or not idx.has_vector[t]),
    }
    if related:
        found["in_related_top20"] = float(target in related.get(path, []))
    return found


def collect(with_related: bool) -> list[Row]:
    """One row per labelled mention the matcher still finds: label, features, candidates."""
    rows: list[Row] = []
    for name in VAULTS:
        with Vault.open(cached_vault(CORPORA / name, log=log), writer=False) as vault:
            cache: dict[str, list[Any]] = {}
            related: dict[str, list[str]] = {}
            for row, weight in _fit_rows(name):
                path = row["path"]
                if path not in cache:
                    cache[path] = ranked_mentions(vault, path, show_all=True)
                    if with_related:
                        related[path] = [r.path for r in vault.related(path, 20)]
                hit = next((r for r in cache[path] if r.target == row["target"]), None)
                if hit is None:
                    continue
                rows.append(
                    {
                        "vault": name,
                        "round": row["_sample"],
                        "pool": row.get("pool", ""),
                        "label": float(row["label"]),
                        "weight": weight,
                        "blocked": hit.already_linked,
                        "floor": hit.features["link_rate"],
                        "base": [hit.features[k] for k in FEATURES],
                        "extra": _candidates(vault, row, hit, related),
                    }
                )
    return rows


def left_out(rows: list[Row], extra: list[str]) -> dict[str, Any]:
    """Left-out AUC and the recall at the precision rule's lowest threshold, with `extra`."""
    x = np.array([r["base"] + [r["extra"][k] for k in extra] for r in rows])
    y = np.array([r["label"] for r in rows])
    wt = np.array([r["weight"] for r in rows])
    rounds = np.array([r["round"] for r in rows])
    fresh = np.array([r["round"].startswith("fresh") for r in rows])
    held = np.zeros(len(y))
    for name in set(rounds[fresh]):
        fit_on = rounds != name
        w, b = _logistic(x[fit_on], y[fit_on], wt[fit_on], FIT_L2, 4000)
        held[~fit_on] = 1 / (1 + np.exp(-(x[~fit_on] @ w + b)))
    score = np.maximum(held, [r["floor"] for r in rows])
    pos, neg = score[fresh & (y > 0)], score[fresh & (y == 0)]
    auc = float((pos[:, None] > neg[None, :]).mean() + 0.5 * (pos[:, None] == neg[None, :]).mean())
    for th in np.arange(0.45, 0.81, 0.025):
        shown = (score >= th) & ~np.array([r["blocked"] for r in rows])
        cells, ok = {}, True
        for v in VAULTS:
            for pool in ("shown", "all"):
                pick = fresh & (np.array([r["vault"] == v and r["pool"] == pool for r in rows]))
                if (pick & shown).any() and y[pick & shown].mean() < 0.85:
                    ok = False
                if pool == "all":
                    cells[f"{v}_recall"] = round(float(shown[pick & (y > 0)].mean()), 2)
        if ok:
            return {"auc": round(auc, 4), "threshold": round(float(th), 3), **cells}
    return {"auc": round(auc, 4), "threshold": None}


def generic_words(rows: list[Row]) -> dict[str, Any]:
    """Per vault, on the fresh all pools: how many candidates worth linking are generic words
    (mention_rank's `generic`), and the best share of true rows among generic candidates in any
    band of `habit` or `topic`: if it stays far below 0.85, these can only be found by giving
    up the precision goal, and recall's ceiling is the share of the other candidates."""
    g, h, tp = (FEATURES.index(k) for k in ("generic", "habit", "topic"))
    out: dict[str, Any] = {}
    for v in VAULTS:
        pool = [r for r in rows if r["vault"] == v and r["round"].startswith("fresh")]
        pool = [r for r in pool if r["pool"] == "all" and not r["blocked"]]
        true = [r for r in pool if r["label"]]
        generic = [r for r in pool if r["base"][g]]
        bands = []
        for i in (h, tp):
            for lo in (0.0, 0.25, 0.5, 0.75):
                band = [r["label"] for r in generic if lo <= r["base"][i] < lo + 0.25 + 1e-9]
                if len(band) >= 5:
                    bands.append(round(float(np.mean(band)), 2))
        out[v] = {
            "worth_linking": len(true),
            "of_them_generic": sum(1 for r in true if r["base"][g]),
            "recall_ceiling_without_generic": round(
                1 - sum(1 for r in true if r["base"][g]) / max(len(true), 1), 2
            ),
            "best_true_share_of_a_generic_band": max(bands, default=None),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--related", action="store_true", help="add related()'s top 20 (slow)")
    args = parser.parse_args()
    rows = collect(args.related)
    names: list[str] = sorted(rows[0]["extra"]) if rows else []
    emit(
        {
            "rows": len(rows),
            "base": left_out(rows, []),
            "generic_words": generic_words(rows),
            "with_one_candidate": {name: left_out(rows, [name]) for name in names},
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
