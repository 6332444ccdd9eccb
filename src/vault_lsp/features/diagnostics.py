"""Link diagnostics of open documents: broken, ambiguous and dangling-heading links, plus a
'related notes not linked' hint. Published by the server's `Publisher` (publisher.py).

Links come from the open buffer (parsed per version) and resolve against `vault.graph`, so they
are right while typing; they are recomputed when the notes they may point to change.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vault_lsp.documents import Doc
from vault_lsp.publisher import SOURCE
from vault_lsp.server import Feature

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
HINT_COUNT = 3


def _link_warning(
    rng: types.Range, code: str, message: str, data: dict[str, Any]
) -> types.Diagnostic:
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
        code=code,
        data=data,
    )


def link_diagnostics(vault: Vault, doc: Doc) -> list[types.Diagnostic]:
    if doc.parsed is None or doc.rel is None:
        return []
    graph = vault.graph
    names_complete = vault.names_complete  # while files are still being read, absence means little
    out: list[types.Diagnostic] = []
    for link in doc.parsed.links:
        res = graph.resolve(link, doc.rel)
        rng = doc.link_range(link)
        shown = link.target or doc.rel
        if res.broken and not names_complete:
            continue
        if res.broken:
            message = f"Broken link: no note named {link.target!r}"
            out.append(_link_warning(rng, "broken-link", message, {"target": link.target}))
        elif res.ambiguous:
            names = ", ".join(res.candidates[:5])
            message = f"Ambiguous link: {shown!r} matches {names} (resolves to {res.target})"
            data = {"target": link.target, "candidates": res.candidates}
            out.append(_link_warning(rng, "ambiguous-link", message, data))
        elif not res.heading_found:
            anchor = f"^{link.block}" if link.block else f"{link.heading}"
            message = f"{res.target} has no {'block' if link.block else 'heading'} {anchor!r}"
            out.append(_link_warning(rng, "missing-anchor", message, {"target": res.target}))
    return out


class LinkDiagnostics(Feature):
    """Link warnings from the buffer (quick) and the see-also hint (slow), for the publisher."""

    def register(self) -> None:
        diagnostics = self.server.diagnostics
        diagnostics.add_provider(self.related_hint)  # first in the list the client gets
        diagnostics.add_provider(link_diagnostics, quick=True)

    def related_hint(self, vault: Vault, doc: Doc) -> list[types.Diagnostic]:
        """'N related notes not linked' on the title line, when the note is indexed."""
        if not self.server.session.options.features.seeAlso:
            return []
        if doc.rel is None or doc.rel not in vault.catalog:
            return []
        items = self.server.suggestions.related(vault, doc.rel, limit=HINT_COUNT)
        if not items:
            return []
        names = ", ".join(i.title for i in items)
        noun = "note" if len(items) == 1 else "notes"
        return [
            types.Diagnostic(
                range=doc.text.line_range(doc.title_line()),
                message=f"{len(items)} related {noun} not linked: {names}",
                severity=types.DiagnosticSeverity.Information,
                source=SOURCE,
                code="related-not-linked",
                data={"paths": [i.path for i in items]},
            )
        ]
