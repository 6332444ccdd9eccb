"""`nvault eval`: how well does `related()` find the links this vault's writer made?

No labels needed: every note with >= 3 links is a test case (its links hidden, the notes it really
links are the answers). Reports link recovery (recall@10, MRR) of the shipped link model and of a
model fitted on this vault's own links, each note judged by a model that never saw it; `--save`
stores the decision in the index so `related()` (CLI, MCP, LSP) uses the vault's model only where
it won.
"""

from __future__ import annotations

import argparse

from vault_cli.common import Commands, console, emit_json, err_console, open_vault

COMMANDS: Commands = {}  # the subcommands this module adds; main.py merges them


def cmd_eval(args: argparse.Namespace) -> int:
    from vault_core.linking.vault_fit import save_fit  # heavy: not for `nvault --help`
    from vault_core.linking.vault_fitting import fit_vault

    with open_vault(args) as vault:
        if args.save and not vault.is_writer:
            err_console.print(
                "error: --save writes to the index, and another process is its writer; "
                "stop it (or run without --save to only measure)",
                markup=False,
            )
            return 2
        err_console.print(  # progress, on stderr: stdout stays one JSON object with --json
            "hiding each linked note's links and asking related() for them ...", markup=False
        )
        result = fit_vault(vault, name=vault.root.name)
        if args.save:
            save_fit(vault, result)
    if args.json:
        emit_json(result.model_dump(exclude={"model"}) | {"saved": args.save})
        return 0
    console.print(f"labelled notes (>= 3 links): {result.labelled_notes}", markup=False)
    if result.default and result.fitted:
        for name, s in (("shipped model", result.default), ("this vault's model", result.fitted)):
            console.print(
                f"  {name:<20} recall@10 {s.recall_at_10:.3f}  MRR {s.mrr:.3f}  ({s.notes} notes,"
                " held out)",
                markup=False,
            )
    console.print(
        f"chosen: {result.chosen} ({result.reason}); {result.seconds:.1f} s", markup=False
    )
    if args.save:
        console.print("saved: related() uses the chosen model on this vault", markup=False)
    return 0


def setup_eval(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--save", action="store_true", help="store the decision so related() uses the winner"
    )
    p.add_argument("--json", action="store_true")


COMMANDS["eval"] = (cmd_eval, setup_eval, "measure link recovery on this vault (no labels needed)")
