"""`#heading` and `#^block` after a link target: the linked note's anchors, or this buffer's
for `[[#`. Markdown links insert the heading's GitHub slug."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from lsprotocol import types

from vault_core.parse.anchors import heading_slugs
from vault_lsp.documents import Doc
from vault_lsp.features.completion.context import LinkOpen, item

if TYPE_CHECKING:
    from vault_core.vault import Vault


class AnchorCompleter:
    def complete(self, vault: Vault, doc: Doc, link: LinkOpen) -> types.CompletionList:
        target, frag = link.inner.split("#", 1)
        rng = link.range(doc, link.start + len(target) + 1)
        if not target.strip():
            headings = doc.parsed.headings if doc.parsed else []
            blocks = doc.parsed.blocks if doc.parsed else []
        else:
            res_paths = vault.graph.candidates(
                unquote(target) if link.md else target, doc.rel or ""
            )
            note = vault.catalog.get(res_paths[0]) if res_paths else None
            headings = note.headings if note else []
            blocks = note.blocks if note else []
        closing = link.closing
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
            slugs = heading_slugs(h.text for h in headings) if link.md else []
            for i, heading in enumerate(headings):
                text = quote(slugs[i], safe="-_") if link.md else heading.text
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
