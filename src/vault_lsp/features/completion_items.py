"""Completion items that need no ranking: the fuzzy match every list filters by, `#` headings
and `^` blocks of a linked note, and `](` paths like a file picker."""

from __future__ import annotations

import os
import posixpath
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from lsprotocol import types

from vault_core.parse.anchors import heading_slugs
from vault_lsp.documents import Doc

if TYPE_CHECKING:
    from vault_core.vault import Vault

MAX_ITEMS = 100  # the list is incomplete: the client asks again as the user types


def fuzzy(query: str, name: str) -> float:
    """0 for no match; higher is better (prefix > word start > substring > subsequence)."""
    if not query:
        return 1.0
    if name.startswith(query):
        return 4.0
    if re.search(r"(?:^|[\s_\-/.])" + re.escape(query), name):
        return 3.0
    if query in name:
        return 2.0
    it = iter(name)
    return 1.0 if all(ch in it for ch in query) else 0.0


def item(label: str, new_text: str, rng: types.Range, rank: int, **kw: Any) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        text_edit=types.TextEdit(range=rng, new_text=new_text),
        sort_text=f"{rank:05d}",
        filter_text=kw.pop("filter_text", label),
        **kw,
    )


def anchor_items(
    vault: Vault, doc: Doc, target: str, frag: str, rng: types.Range, md: bool, closing: str
) -> types.CompletionList:
    """Headings (`#`) or blocks (`#^`) of the linked note, or of this buffer for `[[#`."""
    if not target.strip():
        headings = doc.parsed.headings if doc.parsed else []
        blocks = doc.parsed.blocks if doc.parsed else []
    else:
        res_paths = vault.graph.candidates(unquote(target) if md else target, doc.rel or "")
        note = vault.catalog.get(res_paths[0]) if res_paths else None
        headings = note.headings if note else []
        blocks = note.blocks if note else []
    items: list[types.CompletionItem] = []
    if frag.startswith("^"):
        for i, block in enumerate(blocks):
            items.append(
                item(
                    f"^{block.id}",
                    f"^{block.id}{closing}",
                    rng,
                    i,
                    kind=types.CompletionItemKind.Reference,
                    detail=f"line {block.line}",
                )
            )
    else:
        slugs = heading_slugs(h.text for h in headings) if md else []
        for i, heading in enumerate(headings):
            text = quote(slugs[i], safe="-_") if md else heading.text
            items.append(
                item(
                    heading.text,
                    text + closing,
                    rng,
                    i,
                    kind=types.CompletionItemKind.Module,
                    detail=f"{'#' * heading.level} line {heading.line}",
                )
            )
    return types.CompletionList(is_incomplete=False, items=items)


IGNORED_DIRS = {".git", ".nvault", ".obsidian", ".trash", "node_modules"}


def path_items(
    vault: Vault,
    doc: Doc,
    typed: str,
    rng: types.Range,
    closing: str,
    first_rank: int,
    notes: bool = True,
) -> list[types.CompletionItem]:
    """Entries of the folder `typed` names (relative to this note; `/` = the vault root),
    filtered by its last segment. Folders insert `name/` and ask again; `notes=False` leaves
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
