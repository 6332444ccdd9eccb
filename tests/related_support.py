"""Shared by the `related()` parts tests: wait for the writer's background parts rewrite."""

from __future__ import annotations

from vault_core.linking import related_parts
from vault_core.vault import Vault


def saved(vault: Vault) -> None:
    """Return once the vault's background parts rewrite (if any) has written its files."""
    thread = related_parts._REWRITING.get(vault)
    if thread is not None:
        thread.join(timeout=60)
