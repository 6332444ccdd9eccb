"""Hover on a link: title, a short summary, tags, backlink count, related notes.

Never the raw file: a heading link shows where the section starts and its first lines, a block
link the block's line. Summaries and related notes come from caches (see summaries.py), so a
hover costs a link resolution and one file read.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.index.link_graph import anchor_heading
from vault_lsp.documents import Doc, Documents
from vault_lsp.link_suggestions import LinkSuggestions
from vault_lsp.server import Feature, VaultLanguageServer
from vault_lsp.summaries import Summaries, clip, first_paragraph

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
RELATED_SHOWN = 3


def render(
    docs: Documents,
    summaries: Summaries,
    suggestions: LinkSuggestions,
    vault: Vault,
    doc: Doc,
    position: types.Position,
) -> str | None:
    link = doc.link_at(position)
    if link is None:
        return None
    res = vault.graph.resolve(link, doc.rel or "")
    if res.target is None and not vault.names_complete:
        p = vault.progress
        return (
            f"**`{link.target}`**: nvault is still reading the vault ({p.done:,}/{p.total:,} "
            "files); hover again in a moment."
        )
    if res.target is None:
        return f"**No note named `{link.target}`**\n\nUse the quick fix *Create note* to create it."
    note = vault.catalog.get(res.target)
    if note is None:
        return None
    target_doc = docs.for_rel(note.path)
    lines = target_doc.text.lines if target_doc else []
    parts = [f"**{note.title}**  ·  `{note.path}`"]
    if res.ambiguous:
        parts.append(f"⚠ ambiguous: also {', '.join(res.candidates[1:4])}")
    if link.heading:
        heading = anchor_heading(
            target_doc.parsed.headings if target_doc and target_doc.parsed else note.headings, link
        )
        if heading is None:
            parts.append(f"§ {link.heading}: no such heading")
        else:
            parts.append(f"§ **{heading.text}** (line {heading.line})")
            section = first_paragraph(lines, heading.line)
            if section:
                parts.append(f"> {section}")
    elif link.block:
        block = next((b for b in note.blocks if b.id == link.block), None)
        if block is None:
            parts.append(f"^{link.block}: no such block")
        elif 0 < block.line <= len(lines):
            parts.append(f"^{block.id} (line {block.line})\n\n> {clip(lines[block.line - 1])}")
    if note.kind == "note":
        summary, source = summaries.summary(vault, note, lines)
        if summary:
            parts.append(
                f"{summary}" + ("" if source == "first paragraph" else f"  *({source} summary)*")
            )
    facts: list[str] = []
    if note.tags:
        facts.append(" ".join(f"#{t}" for t in note.tags[:8]))
    sources = {r.source for r in vault.backlinks(note.path)}
    facts.append(f"{len(sources)} backlink{'s' if len(sources) != 1 else ''}")
    parts.append("  ·  ".join(facts))
    related = suggestions.peek(vault, note.path, RELATED_SHOWN)
    if related:
        parts.append("Related: " + ", ".join(f"[[{r.link_text}]]" for r in related))
    return "\n\n".join(parts)


class Hover(Feature):
    """Hover on links; owns the summaries, warmed for what each checked document links to."""

    def __init__(self, server: VaultLanguageServer) -> None:
        super().__init__(server)
        self.summaries = Summaries(server.suggestions, server.activity)

    def register(self) -> None:
        self.server.diagnostics.after_check(self.summaries.warm_links)
        self.server.document_request(
            types.TEXT_DOCUMENT_HOVER,
            enabled=lambda: self.server.session.options.features.hover,
            interactive=True,
        )(self.hover)

    def hover(self, params: types.HoverParams, doc: Doc, vault: Vault) -> types.Hover | None:
        server = self.server
        text = render(server.docs, self.summaries, server.suggestions, vault, doc, params.position)
        if text is None:
            return None
        link = doc.link_at(params.position)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text),
            range=doc.link_range(link) if link else None,
        )
