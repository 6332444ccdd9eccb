"""Per-vault link model: does refitting on a vault's own links beat the shipped model there?

Usage:
    python bench/vault_fit.py CORPUS [CORPUS ...] [--cache DIR] [--model FILE]

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

from linking import DEFAULT_CACHE, cached_vault

from vault_core.linking.link_model import LinkModel
from vault_core.linking.vault_fitting import fit_vault
from vault_core.vault import Vault


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
            result = fit_vault(vault, base, name=corpus.name, reembed=args.reembed)
        out["vaults"][corpus.name] = result.model_dump(exclude={"model"})
        print(json.dumps({corpus.name: out["vaults"][corpus.name]}), file=sys.stderr)
    out["command"] = "python " + " ".join(["bench/vault_fit.py", *sys.argv[1:]])
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
