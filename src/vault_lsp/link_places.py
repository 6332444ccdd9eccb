"""Where a link lands (the line of its heading or block) and every link that lands on a note or
heading, on the text the user sees (open buffers win over disk).

Navigation, document links and rename all ask these questions; the answers agree with
`anchor_heading` (heading text, or a Markdown link's slug), so click, hover, definition,
references and rename land in the same place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from vault_core.index.link_graph import anchor_heading, heading_key
from vault_core.parse.markdown import Heading, Link
from vault_lsp.documents import Doc, Documents

if TYPE_CHECKING:
    from vault_core.vault import Vault


def headings_of(docs: Documents, vault: Vault, path: str) -> Sequence[Heading]:
    """The note's headings as currently written (open buffer or disk), else as indexed."""
    doc = docs.for_rel(path)
    if doc is not None and doc.parsed is not None:
        return doc.parsed.headings
    note = vault.catalog.get(path)
    return note.headings if note else []


def target_line(docs: Documents, vault: Vault, path: str, link: Link) -> int:
    """0-based line a link lands on (its heading or block; else the first line)."""
    if link.heading:
        found = anchor_heading(headings_of(docs, vault, path), link)
        return found.line - 1 if found else 0
    note = vault.catalog.get(path)
    if link.block and note is not None:
        found_b = next((b for b in note.blocks if b.id == link.block), None)
        return found_b.line - 1 if found_b else 0
    return 0


def links_to(
    docs: Documents, vault: Vault, path: str, heading: str | None = None
) -> list[tuple[Doc, list[Link]]]:
    """Every link (as currently written) that resolves to `path` (and lands on the heading
    with text `heading`, if given: by text or by slug)."""
    graph = vault.graph
    sources = {r.source for r in graph.backlinks(path)} | {path}
    for uri in docs.open_uris():  # unsaved buffers may link it too
        rel = docs.rel_of(uri)
        if rel is not None:
            sources.add(rel)
    wanted = heading_key(heading) if heading else None
    headings = headings_of(docs, vault, path) if heading else []
    out: list[tuple[Doc, list[Link]]] = []
    for source in sorted(sources):
        doc = docs.for_rel(source)
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
