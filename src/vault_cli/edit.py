"""`nvault mv`, `nvault undo`, `nvault journal`: the write path from the terminal.

The person at the terminal asked for the change, so the CLI may write anywhere in the vault
(agents write only in the folders the user enabled). Every write is journaled like an agent's,
and `nvault undo` reverses it while the files are unchanged since.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape

from vault_cli.common import Commands, console, emit_json, open_vault

if TYPE_CHECKING:  # annotations only: building the parser imports no engine module
    from vault_core.edit.models import Receipt
    from vault_core.vault import Vault

COMMANDS: Commands = {}
WHOLE_VAULT = ["."]


def _rel(vault: Vault, path: str) -> str:
    """A path as typed: relative to the current folder when it lies there, else to the root."""
    here = (Path.cwd() / path).expanduser()
    if Path(path).is_absolute() or (here.resolve().is_relative_to(vault.root) and here.exists()):
        return vault.relpath(here)
    return vault.relpath(path)


def _show(receipt: Receipt, as_json: bool) -> None:
    if as_json:
        emit_json(receipt)
        return
    verb = "would change" if receipt.dry_run else "changed"
    for f in receipt.files:
        where = f"{f.path} -> {f.new_path}" if f.new_path else f.path
        console.print(f"{verb} {escape(where)}")
    if receipt.links_rewritten:
        notes = len({r.source for r in receipt.links_rewritten})
        console.print(f"rewrote {len(receipt.links_rewritten)} link(s) in {notes} note(s)")
    if receipt.message:
        console.print(escape(receipt.message))
    if receipt.dry_run:
        console.print(receipt.diff, markup=False, highlight=False)
    else:
        console.print(f"write id {receipt.write_id} (undo: nvault undo {receipt.write_id})")


def cmd_mv(args: argparse.Namespace) -> int:
    with open_vault(args) as vault:
        old, new = _rel(vault, args.old), _rel(vault, args.new)
        version = vault.version_of(old)
        receipt = vault.editor(allow=WHOLE_VAULT).move_note(old, new, version, args.dry_run)
        _show(receipt, args.json)
    return 0


def setup_mv(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="the note to move")
    p.add_argument("new", help="its new path (folders are created)")
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--json", action="store_true")


def cmd_undo(args: argparse.Namespace) -> int:
    root_arg = getattr(args, "root_arg", None)
    if args.write_id is None and root_arg and not Path(root_arg).expanduser().is_dir():
        args.write_id, args.root_arg = root_arg, None  # `nvault undo ID`: one word, the id
    with open_vault(args) as vault:
        receipt = vault.editor(allow=WHOLE_VAULT).undo(args.write_id, args.dry_run)
        _show(receipt, args.json)
    return 0


def setup_undo(p: argparse.ArgumentParser) -> None:
    p.add_argument("write_id", nargs="?", help="from `nvault journal` (default: the last write)")
    p.add_argument("--dry-run", action="store_true", help="show the changes, write nothing")
    p.add_argument("--json", action="store_true")


def cmd_journal(args: argparse.Namespace) -> int:
    with open_vault(args) as vault:
        entries = vault.editor(allow=[]).journal.entries()[-args.limit :]
        if args.json:
            emit_json([e.model_dump(mode="json", exclude={"blobs"}) for e in entries])
            return 0
        if not entries:
            console.print("no writes yet")
        for e in entries:
            paths = ", ".join(loc.path for loc in e.locations)
            extra = f" ({len(e.links_rewritten)} links rewritten)" if e.links_rewritten else ""
            console.print(
                f"{e.write_id}  {e.created:%Y-%m-%d %H:%M:%S}  {e.operation:<15} {e.state:<11} "
                f"{escape(paths)}{extra}"
            )
    return 0


def setup_journal(p: argparse.ArgumentParser) -> None:
    p.add_argument("--limit", type=int, default=50, help="the last N writes (default 50)")
    p.add_argument("--json", action="store_true")


COMMANDS["mv"] = (cmd_mv, setup_mv, "move or rename a note and rewrite every link to it")
COMMANDS["undo"] = (cmd_undo, setup_undo, "undo a write (default: the last one)")
COMMANDS["journal"] = (cmd_journal, setup_journal, "the writes nvault made, newest last")
