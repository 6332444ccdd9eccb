"""Per-vault link model: does refitting on a vault's own links beat the shipped model there?

Usage:
    python -m bench.measure.vault_fit CORPUS [CORPUS ...] [--cache DIR] [--model FILE]

For each corpus (indexed once in the bench cache, as bench/linking.py does), runs
`vault_core.linking.vault_fitting.fit_vault`: the notes with >= 3 links are split in two folds by
a hash of their path; each fold is ranked by the shipped model and by a model fitted on the other
fold's notes (strict + unwrapped protocols pooled, L2 toward the shipped weights), both scored
with the note's links hidden from the graph and the keyword query; the semantic side uses the
stored chunk vectors (fast, what related() uses), or with `--reembed` the chunks embedded again
without their links (bench/linking.py's strict headline; minutes).
`--model` replaces the shipped model as the baseline and prior (e.g. one fitted without the vault
by bench/fit_link_model.py --save-held-out, so the baseline never saw the vault). Prints one
JSON object: per vault, the decision, both held-out figures, and the seconds the fit took.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from bench.measure.linking import DEFAULT_CACHE, cached_vault
from vault_core.linking.link_model import LinkModel, default_model
from vault_core.linking.vault_fitting import (
    UNWRAPPED_WEIGHT,
    collect,
    fit_vault,
    labelled_notes,
    two_fold,
)
from vault_core.vault import Vault


def fit_variants(vault: Vault, base: LinkModel | None, reembed: bool, name: str) -> dict[str, Any]:
    """Other ways to fit, on one collection of candidates: recall@10 / MRR of the own model."""
    default = base or default_model()
    notes = labelled_notes(vault)
    strict = collect(vault, notes, reembed=reembed)
    unwrapped = collect(vault, notes, True, UNWRAPPED_WEIGHT, reembed)
    out: dict[str, Any] = {}
    shapes: dict[str, dict[str, Any]] = {
        "prior_l2_0.01": {"l2": 0.01},
        "prior_l2_0.1 (shipped rule)": {"l2": 0.1},
        "prior_l2_1": {"l2": 1.0},
        "from_zero_l2_0.1": {"l2": 0.1, "prior": False},
    }
    for label, kw in shapes.items():
        shipped, own = two_fold(strict, unwrapped, default, name=name, **kw)
        out[label] = [own.recall_at_10, own.mrr]
        out["shipped"] = [shipped.recall_at_10, shipped.mrr]
    _, own = two_fold(strict, [], default, name=name)
    out["prior_l2_0.1_strict_rows_only"] = [own.recall_at_10, own.mrr]
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--model", type=Path, help="baseline and prior (default: shipped)")
    parser.add_argument(
        "--reembed",
        action="store_true",
        help="strict protocol: embed each note again without its links (default: stored vectors,"
        " as nvault eval does)",
    )
    parser.add_argument(
        "--fit-variants",
        action="store_true",
        help="also score other fits on the same collected candidates (L2 around the shipped "
        "weights 0.01 / 0.1 / 1, from zero, strict rows only)",
    )
    args = parser.parse_args()
    base = LinkModel.model_validate_json(args.model.read_text()) if args.model else None
    out: dict[str, Any] = {
        "baseline": str(args.model or "shipped"),
        "protocol": "strict (re-embedded)" if args.reembed else "stored vectors",
        "vaults": {},
    }
    for corpus in args.corpora:
        root = cached_vault(corpus, args.cache, log=lambda m: print(m, file=sys.stderr))
        with Vault.open(root, writer=False) as vault:
            if args.fit_variants:  # one collection, several fits (no decision)
                entry = {"fit_variants": fit_variants(vault, base, args.reembed, corpus.name)}
            else:
                result = fit_vault(vault, base, name=corpus.name, reembed=args.reembed)
                entry = result.model_dump(exclude={"model"})
        out["vaults"][corpus.name] = entry
        print(json.dumps({corpus.name: out["vaults"][corpus.name]}), file=sys.stderr)
    out["command"] = "python " + " ".join(["bench/vault_fit.py", *sys.argv[1:]])
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
