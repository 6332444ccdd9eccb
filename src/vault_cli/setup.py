"""`nvault setup CLIENT`: print (or `--write`) an MCP client's or editor's config for this vault.

Only argparse here: `nvault --help` must not pay for the models in clients.py.
"""

from __future__ import annotations

import argparse
import sys

from vault_cli.common import CLIENTS, Commands, console, vault_config

COMMANDS: Commands = {}


def cmd_setup(args: argparse.Namespace) -> int:
    from vault_cli.clients import client_setup, write_setup

    root = vault_config(args).root
    setup = client_setup(args.client, root)
    if args.json:
        print(setup.model_dump_json(indent=2))
        return 0
    if not args.write:
        print(f"# {setup.note}\n# file: {setup.file}", file=sys.stderr)
        print(setup.text, end="")
        return 0
    diff, backup = write_setup(setup)
    if not diff:
        console.print(f"{setup.file} already holds this configuration", markup=False)
        return 0
    print(diff, end="")
    kept = f"; the old file is kept as {backup}" if backup else ""
    console.print(f"wrote {setup.file}{kept}", markup=False)
    return 0


def setup_setup(p: argparse.ArgumentParser) -> None:
    p.add_argument("client", choices=CLIENTS)
    p.add_argument(
        "--write",
        action="store_true",
        help="merge it into the client's config file (shows the diff, keeps a backup)",
    )
    p.add_argument("--json", action="store_true", help="the file, keys and entry as JSON")


COMMANDS["setup"] = (
    cmd_setup,
    setup_setup,
    "print (or --write) an MCP client's or editor's config for this vault",
)
