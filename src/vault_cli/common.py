"""What every `nvault` command module shares: the consoles, opening the vault, JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal

from rich.markup import escape

from vault_core.places import index_state_dir
from vault_core.query.socket_server import ask
from vault_core.terminal import stderr_console, stdout_console

if TYPE_CHECKING:
    from vault_core.config import VaultConfig
    from vault_core.vault import Vault

console = stdout_console()
err_console = stderr_console()
Command = Callable[[argparse.Namespace], int]
Commands = dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]]


ProgressStyle = Literal["auto", "bar", "plain", "json", "none"]
PROGRESS_STYLES: tuple[ProgressStyle, ...] = ("auto", "bar", "plain", "json", "none")
CLIENTS = ("claude-code", "claude-desktop", "cursor", "vscode", "codex", "zed", "neovim")
CREATING_COMMANDS = frozenset({"index", "watch"})  # the only commands that start a first index


def vault_config(args: argparse.Namespace) -> VaultConfig:
    # Imported here, not at the top: `nvault --help` and a search answered over the query socket
    # never load pydantic or LanceDB (seconds on a busy machine).
    from vault_core.config import VaultConfig

    root = getattr(args, "root_arg", None) or getattr(args, "root", None)
    return VaultConfig.load(
        root, index=getattr(args, "index", None), endpoint_url=getattr(args, "endpoint_url", None)
    )


def ask_running(args: argparse.Namespace, request: dict[str, Any]) -> dict[str, Any] | None:
    """A running `nvault watch` or server's answer (None: nobody serves this vault), found
    with the standard library only: no pydantic, no LanceDB (query/socket_server.py)."""
    try:
        where = index_state_dir(
            getattr(args, "root_arg", None) or getattr(args, "root", None),
            index=getattr(args, "index", None),
            endpoint_url=getattr(args, "endpoint_url", None),
        )
    except (OSError, ValueError):
        return None  # the validated config (vault_config) will say what is wrong
    return ask(where, request)


def open_vault(args: argparse.Namespace) -> Vault:
    """Open the vault for a command; a read command on a folder never indexed is an error.

    A repair done while opening is said here, once, in one sentence; after a rebuild a read
    command first brings the names and keywords back (phase 1, reusing the salvaged vectors).
    """
    from vault_core.vault import Vault

    create = getattr(args, "command", "") in CREATING_COMMANDS
    config = vault_config(args)
    # On object storage only `index` and `watch` take the write lease: a reader elsewhere never
    # holds it for the length of one search.
    writer = not getattr(args, "read_only", False) and (create or not config.index_location.remote)
    vault = Vault.open(config=config, create=create, writer=writer)
    if vault.notice:
        err_console.print(f"[yellow]{escape(vault.notice)}[/]", soft_wrap=True)
        if vault.is_writer and not create and vault.recovery and vault.recovery.action != "fts":
            vault.sync(embed=False)
    return vault


def emit_json(model: Any) -> None:
    if hasattr(model, "model_dump_json"):
        print(model.model_dump_json(indent=2))
    else:
        print(
            json.dumps(
                model,
                indent=2,
                default=lambda o: o.model_dump() if hasattr(o, "model_dump") else str(o),
            )
        )
