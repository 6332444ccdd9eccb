"""Go to definition (link -> file, heading or block) and find references (backlinks).

References on a link: every link to the same note (and heading, if the link names one).
Elsewhere: links to this note, or to the heading under the cursor when it is on a heading line
(any level; only the H1 that is the note's title stands for the whole note).
Sources are re-parsed from their current text (open buffer or disk), so positions are exact.
A `#fragment` lands where `anchor_heading` says (heading text, or a Markdown link's slug).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.index.link_graph import anchor_heading
from vault_core.parse.markdown import Heading
from vault_lsp.documents import Doc, Documents
from vault_lsp.link_places import headings_of, links_to, target_line
from vault_lsp.server import Feature

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")


def definition(
    docs: Documents, vault: Vault, doc: Doc, pos: types.Position
) -> list[types.Location]:
    link = doc.link_at(pos)
    if link is None:
        return []
    res = vault.graph.resolve(link, doc.rel or "")
    if res.target is None:
        return []
    if not link.target and doc.parsed is not None:  # [[#Heading]] in this buffer
        heading = anchor_heading(doc.parsed.headings, link)
        line = (
            heading.line - 1
            if heading
            else next((b.line - 1 for b in doc.parsed.blocks if b.id == link.block), 0)
        )
        return [types.Location(uri=doc.uri, range=doc.text.range(line, 0))]
    line = target_line(docs, vault, res.target, link)
    target = docs.for_rel(res.target)
    rng = (
        target.text.range(line, 0)
        if target
        else types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
    )
    return [types.Location(uri=docs.uri_of(res.target), range=rng)]


def section_at(doc: Doc, pos: types.Position) -> Heading | None:
    """The heading on the cursor's line, unless it is the note's title (then: the note)."""
    if doc.parsed is None:
        return None
    return next(
        (
            h
            for h in doc.parsed.headings
            if h.line - 1 == pos.line and h.line != doc.parsed.title_line
        ),
        None,
    )


def references(
    docs: Documents, vault: Vault, doc: Doc, pos: types.Position
) -> list[types.Location]:
    link = doc.link_at(pos)
    if link is not None:
        res = vault.graph.resolve(link, doc.rel or "")
        if res.target is None:
            return []
        path, heading = res.target, link.heading
        if heading:
            landed = anchor_heading(headings_of(docs, vault, path), link)
            heading = landed.text if landed else heading
    else:
        if doc.rel is None:
            return []
        section = section_at(doc, pos)
        path, heading = doc.rel, section.text if section else None
    return [
        types.Location(uri=d.uri, range=d.link_range(link))
        for d, links in links_to(docs, vault, path, heading)
        for link in links
    ]


class Navigation(Feature):
    """Go to definition and find references."""

    def register(self) -> None:
        request = self.server.document_request
        request(types.TEXT_DOCUMENT_DEFINITION, default=list)(self.definition)
        request(types.TEXT_DOCUMENT_REFERENCES, default=list)(self.references)

    def definition(
        self, params: types.DefinitionParams, doc: Doc, vault: Vault
    ) -> list[types.Location]:
        return definition(self.server.docs, vault, doc, params.position)

    def references(
        self, params: types.ReferenceParams, doc: Doc, vault: Vault
    ) -> list[types.Location]:
        return references(self.server.docs, vault, doc, params.position)
