"""What every MCP tool module shares: the read-only annotation, the note argument and resolving
it inside the vault.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from mcp_types import ToolAnnotations
from pydantic import Field

if TYPE_CHECKING:
    from vault_core.vault import Vault

READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False, idempotent_hint=True)
NoteArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        description="a note path ('folder/note.md'), name, alias, title or [[wikilink]]",
    ),
]


def resolve(vault: Vault, name: str) -> str:
    """The note `name` means, refused if its file is a symlink leading out of the vault."""
    path = vault.resolve(name).path
    vault.relpath(path)
    return path
