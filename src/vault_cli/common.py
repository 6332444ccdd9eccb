"""What every `nvault` command module shares: the consoles, opening the vault, JSON output."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from rich.console import Console

from vault_core.config import VaultConfig
from vault_core.vault import Vault

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False)
Command = Callable[[argparse.Namespace], int]
Commands = dict[str, tuple[Command, Callable[[argparse.ArgumentParser], None], str]]


def vault_config(args: argparse.Namespace) -> VaultConfig:
    root = getattr(args, "root_arg", None) or getattr(args, "root", None)
    return VaultConfig.load(root)


def open_vault(args: argparse.Namespace) -> Vault:
    return Vault.open(config=vault_config(args))


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
