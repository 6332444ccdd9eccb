"""`](` paths like a file picker: the entries of the folder typed so far (relative to this
note; `/` is the vault root), filtered by the last segment. Folders insert `name/` and ask again."""

from __future__ import annotations

import os
import posixpath
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from lsprotocol import types

from vault_lsp.documents import Doc
from vault_lsp.features.completion.context import MAX_ITEMS, LinkOpen, item
from vault_lsp.matcher import fuzzy

if TYPE_CHECKING:
    from vault_core.vault import Vault

IGNORED_DIRS = {".git", ".nvault", ".obsidian", ".trash", "node_modules"}


class PathCompleter:
    """Once a `/` is typed (`./`, `../`, `/`, `folder/`): that folder's entries, by segment."""

    def complete(self, vault: Vault, doc: Doc, link: LinkOpen) -> types.CompletionList:
        segment = link.range(doc, link.start + link.inner.rfind("/") + 1)
        return types.CompletionList(
            is_incomplete=True, items=path_items(vault, doc, link.inner, segment, link.closing, 0)
        )


def path_items(
    vault: Vault,
    doc: Doc,
    typed: str,
    rng: types.Range,
    closing: str,
    first_rank: int,
    notes: bool = True,
) -> list[types.CompletionItem]:
    """Entries of the folder `typed` names, filtered by its last segment; `notes=False` leaves
    out Markdown files (the ranked note items already cover them)."""
    folder, _, prefix = unquote(typed).rpartition("/")
    base = "" if folder.startswith("/") else posixpath.dirname(doc.rel or "")
    rel_dir = posixpath.normpath(posixpath.join(base, folder.lstrip("/")))
    if rel_dir == ".." or rel_dir.startswith("../"):
        return []  # outside the vault
    root = vault.root.resolve()
    full = (root / ("" if rel_dir == "." else rel_dir)).resolve()
    if not full.is_relative_to(root) or not full.is_dir():
        return []
    try:
        entries = sorted(os.scandir(full), key=lambda e: (not e.is_dir(), e.name.casefold()))
    except OSError:
        return []
    query = prefix.casefold()
    items: list[types.CompletionItem] = []
    for entry in entries:
        name = entry.name
        is_dir = entry.is_dir()
        if name in IGNORED_DIRS or name.startswith(".") or fuzzy(query, name.casefold()) <= 0:
            continue
        if not notes and not is_dir and name.lower().endswith(".md"):
            continue
        rank = first_rank + len(items)
        if is_dir:
            items.append(
                item(
                    f"{name}/",
                    f"{quote(name)}/",
                    rng,
                    rank,
                    kind=types.CompletionItemKind.Folder,
                    command=types.Command(title="", command="editor.action.triggerSuggest"),
                )
            )
        else:
            items.append(
                item(name, quote(name) + closing, rng, rank, kind=types.CompletionItemKind.File)
            )
        if len(items) >= MAX_ITEMS:
            break
    return items
