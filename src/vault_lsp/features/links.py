"""Document links: every wiki link and Markdown link to a note made clickable, in any editor.

The target is the note's file URI, with `#L<line>` when the link names a heading or block (the
line `anchor_heading` lands on, so click, hover, definition and diagnostics agree). Broken links
get no target: there is nothing to open.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_lsp.common import guard
from vault_lsp.documents import Doc
from vault_lsp.features.navigation import target_line

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.server import VaultLanguageServer

log = logging.getLogger("vault_lsp")


def document_links(server: VaultLanguageServer, vault: Vault, doc: Doc) -> list[types.DocumentLink]:
    if doc.parsed is None:
        return []
    graph = vault.graph
    out: list[types.DocumentLink] = []
    lines: dict[str, int] = {}
    for link in doc.parsed.links:
        res = graph.resolve(link, doc.rel or "")
        if res.target is None:
            continue
        target_uri = doc.uri if not link.target else server.docs.uri_of(res.target)
        line = 0
        if link.heading or link.block:
            key = f"{res.target}#{link.heading}#{link.block}#{link.kind}"
            if key not in lines:
                lines[key] = target_line(server, vault, res.target, link)
            line = lines[key]
        note = vault.catalog.get(res.target)
        out.append(
            types.DocumentLink(
                range=doc.link_range(link),
                target=f"{target_uri}#L{line + 1}" if line else target_uri,
                tooltip=f"{note.title} ({res.target})" if note else res.target,
            )
        )
    return out


def setup(server: VaultLanguageServer) -> None:
    @server.feature(
        types.TEXT_DOCUMENT_DOCUMENT_LINK, types.DocumentLinkOptions(resolve_provider=False)
    )
    @server.thread()
    @guard(list)
    @server.on_document(list)
    def on_document_link(
        params: types.DocumentLinkParams, doc: Doc, vault: Vault
    ) -> list[types.DocumentLink]:
        return document_links(server, vault, doc)
