"""`nvault lint`: the wiki lint report, and `--write-index FOLDER`'s index note (planned by code)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from vault_cli.common import Commands, console, emit_json, err_console, open_vault

if TYPE_CHECKING:  # annotations only: building the parser imports no engine module
    from vault_core.vault import Vault

COMMANDS: Commands = {}


def cmd_lint(args: argparse.Namespace) -> int:
    from vault_core.linking.index_note import plan_index_note
    from vault_core.linking.lint import KINDS, lint
    from vault_core.linking.lint_models import LintContext

    unknown = sorted(set(args.kind or ()) - set(KINDS))
    if unknown:
        err_console.print(f"unknown --kind {', '.join(unknown)}; the kinds are: {', '.join(KINDS)}")
        return 2
    root_arg = getattr(args, "root_arg", None)
    if (
        args.path is None
        and root_arg
        and (getattr(args, "root", None) or not (Path(root_arg) / ".nvault").is_dir())
    ):
        args.path, args.root_arg = root_arg, None  # `nvault lint PATH`: one word is the path
    with open_vault(args) as vault:
        if args.write_index is not None:
            plan = plan_index_note(LintContext(vault, None), args.write_index)
            if args.apply:  # the user asked, for this folder: the one write path, with a receipt
                receipt = vault.carry_out(plan.fix, allow=[args.write_index.strip("/") or "."])
                if args.json:
                    emit_json(receipt)
                    return 0
                console.print(
                    f"wrote {plan.path} ({plan.notes} notes); undo with `nvault undo "
                    f"{receipt.write_id}`",
                    markup=False,
                )
                console.print(receipt.diff, markup=False)
                return 0
            if args.json:
                emit_json(plan)
                return 0
            verb = "update" if plan.exists else "create"
            console.print(
                f"would {verb} {plan.path} ({plan.notes} notes, {plan.subfolders} subfolders); "
                "nothing written (dry run; --apply writes it):",
                markup=False,
            )
            console.print(plan.block, markup=False)
            console.print(json.dumps(plan.fix.model_dump(), ensure_ascii=False), markup=False)
            return 0
        scope = _scope(vault, args.path) if args.path else None
        report = lint(vault, scope, args.kind or None)
        if args.json:
            emit_json(report)
            return 0
        where = f" under {scope}" if scope else ""
        counts = ", ".join(f"{k.replace('_', ' ')} {n}" for k, n in report.counts.items() if n)
        console.print(
            f"{len(report.findings)} findings in {report.notes_checked} notes{where}"
            + (f": {counts}" if counts else ""),
            markup=False,
        )
        for notice in report.notices:
            console.print(f"note: {notice}", markup=False)
        for f in report.findings[: args.limit or None]:
            at = f":{f.location.line}" if f.location else ""
            console.print(f"{f.note}{at}  [{f.kind}] {f.message}", markup=False)
            if f.fix is not None:
                console.print(
                    "    fix: " + json.dumps(f.fix.model_dump(), ensure_ascii=False)[:300],
                    markup=False,
                )
        if args.limit and len(report.findings) > args.limit:
            console.print(
                f"... {len(report.findings) - args.limit} more (--limit 0 or --json for all)",
                markup=False,
            )
    return 0


def _scope(vault: Vault, path: str) -> str:
    """A folder or note path as given, else a note's name, title or alias."""
    rel = vault.relpath(path)
    return rel if (vault.root / rel).exists() else vault.resolve(path).path


def setup_lint(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", help="a note or folder to lint (default: the whole vault)")
    p.add_argument("--kind", action="append", help="only this kind of finding (repeatable)")
    p.add_argument("--limit", type=int, default=50, help="findings printed (0: all)")
    p.add_argument(
        "--write-index",
        metavar="FOLDER",
        help="plan FOLDER's index note (computed by code, never by an LLM); prints it",
    )
    p.add_argument(
        "--apply",
        action="store_true",
        help="with --write-index: write the planned index note (journalled; `nvault undo`)",
    )
    p.add_argument("--json", action="store_true")


COMMANDS["lint"] = (cmd_lint, setup_lint, "wiki lint: what to fix, each with its write call")
