"""Completion: one completer per trigger, markdown-oxide style.

`[[` / `](` open a link (context.py finds it): `#` in it completes the target's headings and
`^` blocks (anchors.py), a `](` destination typed as a path completes like a file picker
(paths.py), anything else completes note names ranked by the paragraph (notes.py). Outside a
link, `#` completes the vault's tags (tags.py). All of them filter with the one fuzzy match
(vault_lsp/matcher.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lsprotocol import types

from vault_lsp.documents import Doc
from vault_lsp.features.completion.anchors import AnchorCompleter
from vault_lsp.features.completion.context import Cursor, LinkOpen
from vault_lsp.features.completion.notes import NoteCompleter
from vault_lsp.features.completion.paths import PathCompleter
from vault_lsp.features.completion.tags import TagCompleter
from vault_lsp.server import Feature, VaultLanguageServer

if TYPE_CHECKING:
    from vault_core.vault import Vault

TRIGGERS = ["[", "(", "#", "^"]


class Completion(Feature):
    """`textDocument/completion`, dispatched to the completer of the trigger at the cursor."""

    def __init__(self, server: VaultLanguageServer) -> None:
        super().__init__(server)
        self.notes = NoteCompleter()
        self.anchors = AnchorCompleter()
        self.paths = PathCompleter()
        self.tags = TagCompleter()

    def register(self) -> None:
        self.server.document_request(
            types.TEXT_DOCUMENT_COMPLETION,
            types.CompletionOptions(trigger_characters=TRIGGERS),
            enabled=lambda: self.server.session.options.features.completion,
            interactive=True,
        )(self.complete)

    def complete(
        self, params: types.CompletionParams, doc: Doc, vault: Vault
    ) -> types.CompletionList | None:
        cursor = Cursor.at(doc, params.position)
        link = LinkOpen.at(cursor)
        if link is None:
            return self.tags.complete(vault, doc, cursor)
        if link.labelled:
            return None
        if link.anchored:
            return self.anchors.complete(vault, doc, link)
        if link.path_like:
            return self.paths.complete(vault, doc, link)
        return self.notes.complete(vault, doc, link)
