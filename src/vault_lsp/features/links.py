"""Document links: every wiki link and Markdown link to a note made clickable, in any editor.

The target is the note's file URI, with `#L<line>` when the link names a heading or block (the
line `anchor_heading` lands on, so click, hover, definition and diagnostics agree). Broken links
get no target: there is nothing to open. Each distinct link text is resolved once per request,
and the answer is kept per (document version, link graph): editors ask again on every scroll.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.parse.markdown import Link
from vault_lsp.documents import Doc, Documents
from vault_lsp.link_places import target_line
from vault_lsp.server import Feature, VaultLanguageServer

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")


def document_links(docs: Documents, vault: Vault, doc: Doc) -> list[types.DocumentLink]:
    if doc.parsed is None:
        return []
    graph = vault.graph
    out: list[types.DocumentLink] = []
    targets: dict[tuple[str, str, str | None, str | None], tuple[str, str] | None] = {}
    for link in doc.parsed.links:
        key = (link.kind, link.target, link.heading, link.block)
        if key not in targets:
            targets[key] = _target(
                docs, vault, doc, link, graph.resolve(link, doc.rel or "").target
            )
        found = targets[key]
        if found is not None:
            out.append(
                types.DocumentLink(range=doc.link_range(link), target=found[0], tooltip=found[1])
            )
    return out


def _target(
    docs: Documents, vault: Vault, doc: Doc, link: Link, path: str | None
) -> tuple[str, str] | None:
    """(target URI, tooltip) for a link resolving to `path`; None for a broken link."""
    if path is None:
        return None
    target_uri = doc.uri if not link.target else docs.uri_of(path)
    line = target_line(docs, vault, path, link) if link.heading or link.block else 0
    note = vault.catalog.get(path)
    return (
        f"{target_uri}#L{line + 1}" if line else target_uri,
        f"{note.title} ({path})" if note else path,
    )


class AnswerCache:
    """The last answers per document, valid while its version and the link graph are the same."""

    def __init__(self, size: int = 16) -> None:
        self._size = size
        self._answers: dict[str, tuple[object, int | None, object, list[types.DocumentLink]]] = {}
        self._lock = threading.Lock()

    def get(self, doc: Doc, graph: object) -> list[types.DocumentLink] | None:
        with self._lock:
            hit = self._answers.get(doc.uri)
        if hit and doc.version is not None and hit[1] == doc.version and hit[2] is graph:
            return hit[3]
        return None

    def put(self, doc: Doc, graph: object, answer: list[types.DocumentLink]) -> None:
        with self._lock:
            if len(self._answers) >= self._size:
                self._answers.pop(next(iter(self._answers)))
            self._answers[doc.uri] = (doc.uri, doc.version, graph, answer)


class DocumentLinks(Feature):
    """`textDocument/documentLink`, answered from the last answers while nothing changed."""

    def __init__(self, server: VaultLanguageServer) -> None:
        super().__init__(server)
        self.answers = AnswerCache()

    def register(self) -> None:
        self.server.document_request(
            types.TEXT_DOCUMENT_DOCUMENT_LINK,
            types.DocumentLinkOptions(resolve_provider=False),
            list,
        )(self.document_link)

    def document_link(
        self, params: types.DocumentLinkParams, doc: Doc, vault: Vault
    ) -> list[types.DocumentLink]:
        graph = vault.graph
        answer = self.answers.get(doc, graph)
        if answer is None:
            answer = document_links(self.server.docs, vault, doc)
            self.answers.put(doc, graph, answer)
        return answer
