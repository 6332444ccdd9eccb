"""Go to definition (link -> file, heading or block) and find references (backlinks).

References on a link: every link to the same note (and heading, if the link names one).
Elsewhere: links to this note, or to the heading under the cursor when it is on a heading line
(any level; only the H1 that is the note's title stands for the whole note).
Sources are re-parsed from their current text (open buffer or disk), so positions are exact.
A `#fragment` lands where `anchor_heading` says (heading text, or a Markdown link's slug).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.index.link_graph import anchor_heading, heading_key
from vault_core.parse.markdown import Heading, Link
from vault_lsp.documents import Doc

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.server import VaultLanguageServer

log = logging.getLogger("vault_lsp")


def headings_of(server: VaultLanguageServer, vault: Vault, path: str) -> Sequence[Heading]:
    """The note's headings as currently written (open buffer or disk), else as indexed."""
    doc = server.docs.for_rel(path)
    if doc is not None and doc.parsed is not None:
        return doc.parsed.headings
    note = vault.catalog.get(path)
    return note.headings if note else []


def target_line(server: VaultLanguageServer, vault: Vault, path: str, link: Link) -> int:
    """0-based line a link lands on (its heading or block; else the first line)."""
    if link.heading:
        found = anchor_heading(headings_of(server, vault, path), link)
        return found.line - 1 if found else 0
    note = vault.catalog.get(path)
    if link.block and note is not None:
        found_b = next((b for b in note.blocks if b.id == link.block), None)
        return found_b.line - 1 if found_b else 0
    return 0


def definition(
    server: VaultLanguageServer, vault: Vault, doc: Doc, pos: types.Position
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
    line = target_line(server, vault, res.target, link)
    target = server.docs.for_rel(res.target)
    rng = (
        target.text.range(line, 0)
        if target
        else types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=0)
        )
    )
    return [types.Location(uri=server.docs.uri_of(res.target), range=rng)]


def links_to(
    server: VaultLanguageServer, vault: Vault, path: str, heading: str | None = None
) -> list[tuple[Doc, list[Link]]]:
    """Every link (as currently written) that resolves to `path` (and lands on the heading
    with text `heading`, if given: by text or by slug)."""
    graph = vault.graph
    sources = {r.source for r in graph.backlinks(path)} | {path}
    for uri in server.docs.open_uris():  # unsaved buffers may link it too
        rel = server.docs.rel_of(uri)
        if rel is not None:
            sources.add(rel)
    wanted = heading_key(heading) if heading else None
    headings = headings_of(server, vault, path) if heading else []
    out: list[tuple[Doc, list[Link]]] = []
    for source in sorted(sources):
        doc = server.docs.for_rel(source)
        if doc is None or doc.parsed is None:
            continue
        found: list[Link] = []
        for link in doc.parsed.links:
            if graph.resolve(link, source).target != path:
                continue
            if wanted is not None and not _lands_on(headings, link, wanted):
                continue
            found.append(link)
        if found:
            out.append((doc, found))
    return out


def _lands_on(headings: Sequence[Heading], link: Link, wanted: str) -> bool:
    if not link.heading:
        return False
    landed = anchor_heading(headings, link)
    return heading_key(landed.text if landed else link.heading) == wanted


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
    server: VaultLanguageServer, vault: Vault, doc: Doc, pos: types.Position
) -> list[types.Location]:
    link = doc.link_at(pos)
    if link is not None:
        res = vault.graph.resolve(link, doc.rel or "")
        if res.target is None:
            return []
        path, heading = res.target, link.heading
        if heading:
            landed = anchor_heading(headings_of(server, vault, path), link)
            heading = landed.text if landed else heading
    else:
        if doc.rel is None:
            return []
        section = section_at(doc, pos)
        path, heading = doc.rel, section.text if section else None
    return [
        types.Location(uri=d.uri, range=d.link_range(link))
        for d, links in links_to(server, vault, path, heading)
        for link in links
    ]


def setup(server: VaultLanguageServer) -> None:
    @server.document_request(types.TEXT_DOCUMENT_DEFINITION, default=list)
    def on_definition(
        params: types.DefinitionParams, doc: Doc, vault: Vault
    ) -> list[types.Location]:
        return definition(server, vault, doc, params.position)

    @server.document_request(types.TEXT_DOCUMENT_REFERENCES, default=list)
    def on_references(
        params: types.ReferenceParams, doc: Doc, vault: Vault
    ) -> list[types.Location]:
        return references(server, vault, doc, params.position)
