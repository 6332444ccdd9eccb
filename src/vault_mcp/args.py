"""What every MCP tool module shares: the read-only annotation, the note argument, and checking
note and folder arguments against the vault root with ambiguity surfaced (vault_core.query.names);
files that are symlinks leading out of the vault are never shown.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from vault_core.globs import GlobError, check_glob, is_glob
from vault_mcp.models import NameCandidate
from vault_mcp.quoting import block, name_lines, said

if TYPE_CHECKING:
    from vault_core.query.names import NameMatch
    from vault_core.vault import Vault

PATH_MAX = 1000  # a folder or glob argument; globs are bounded further (vault_core.globs)
NAME_MAX = 500  # a tag or heading
TagArg = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
READ_ONLY = ToolAnnotations(
    read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)
NoteArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=1000,
        description="a note path ('folder/note.md'), name, alias, title or [[wikilink]]",
    ),
]


def inside(vault: Vault, path: str) -> str:
    """A folder filter or glob checked against the vault root (no `..`, nothing absolute) and
    against the glob limits (vault_core.globs), so matching it costs bounded time."""
    if is_glob(path):
        parts = path.replace("\\", "/").split("/")
        if path.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ToolError(f"{said(path)} is outside the vault; pass a glob relative to the root")
        try:
            check_glob(path)
        except GlobError as exc:
            raise ToolError(f"`path`: {exc}; pass a folder or a simpler glob") from None
        return path
    return vault.relpath(path)


def lookup(vault: Vault, name: str) -> NameMatch:
    """The note `name` means (AmbiguousNote when unclear), refused if its file is a symlink
    leading out of the vault."""
    found = vault.lookup(name)
    vault.relpath(found.note.path)
    return found


def candidates(found: NameMatch) -> list[NameCandidate]:
    return [NameCandidate.model_validate(c.model_dump()) for c in found.ambiguous]


def also_matches(ambiguous: list[NameCandidate]) -> str:
    """The line (and quoted list) that says which other notes a name could have meant."""
    if not ambiguous:
        return ""
    return (
        f"\nThe name also matches {len(ambiguous)} other note(s), less strongly; pass a path to "
        "pick one of them instead (also in `ambiguous`):\n"
        + block("note-names", {}, names=name_lines(ambiguous))
    )


def within(vault: Vault, path: str) -> bool:
    """False for an indexed file that is a symlink leading out of the root (never shown)."""
    try:
        vault.relpath(path)
    except Exception:
        return False
    return True


def outside(vault: Vault, paths: Iterable[str]) -> set[str]:
    """The paths `within` refuses, each folder resolved and listed once (its symlinks read
    from one `scandir`) and a file resolved only when it is a symlink: resolving every path
    of a listing took 35 s at 100k notes."""
    folders: dict[str, tuple[bool, set[str]]] = {}
    found: set[str] = set()
    for path in paths:
        folder, _, name = path.rpartition("/")
        known = folders.get(folder)
        if known is None:
            known = folders[folder] = (
                not folder or within(vault, folder),
                _symlinks(vault, folder),
            )
        inside, links = known
        if not inside or (name in links and not within(vault, path)):
            found.add(path)
    return found


def _symlinks(vault: Vault, folder: str) -> set[str]:
    """Names of the symlinks directly in `folder` (no stat a file: scandir's entry types)."""
    try:
        with os.scandir(vault.root / folder) as entries:
            return {e.name for e in entries if e.is_symlink()}
    except OSError:
        return set()
