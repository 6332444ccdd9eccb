"""Document symbols (the heading tree of the buffer) and workspace symbols (notes and headings).

Workspace symbols merge title matches with hybrid `vault.search` hits aggregated by note, so a
query finds a note by its name or by what it is about; then every heading in the vault whose
text contains the query (as a word start or substring), located on its line.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_lsp.common import guard
from vault_lsp.documents import Doc, Documents
from vault_lsp.matcher import fuzzy
from vault_lsp.server import Feature

if TYPE_CHECKING:
    from vault_core.index.columnar import Catalog
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
MAX_SYMBOLS = 100


def heading_tree(doc: Doc) -> list[types.DocumentSymbol]:
    if doc.parsed is None:
        return []
    headings = doc.parsed.headings
    last_line = len(doc.text.lines) - 1
    roots: list[types.DocumentSymbol] = []
    stack: list[tuple[int, types.DocumentSymbol]] = []
    for i, heading in enumerate(headings):
        line0 = heading.line - 1
        end = next((h.line - 2 for h in headings[i + 1 :] if h.level <= heading.level), last_line)
        end = max(end, line0)
        symbol = types.DocumentSymbol(
            name=heading.text or "(empty heading)",
            detail="#" * heading.level,
            kind=types.SymbolKind.String if heading.level > 1 else types.SymbolKind.File,
            range=doc.text.range(line0, 0, end, len(doc.text.line(end))),
            selection_range=doc.text.line_range(line0),
            children=[],
        )
        while stack and stack[-1][0] >= heading.level:
            stack.pop()
        if stack:
            stack[-1][1].children.append(symbol)  # type: ignore[union-attr]
        else:
            roots.append(symbol)
        stack.append((heading.level, symbol))
    return roots


def workspace_symbols(docs: Documents, vault: Vault, query: str) -> list[types.WorkspaceSymbol]:
    q = query.strip().casefold()
    catalog = vault.catalog
    # the catalog's columns: a query at 100k notes decodes no record (25 s when it did)
    notes = [n for n in catalog.facts() if n.kind == "note"]
    titles = {n.path: n.title for n in notes}
    ranked: dict[str, float] = {}
    for note in notes:
        score = max(fuzzy(q, name.casefold()) for name in [note.title, *note.aliases, note.stem])
        if score > 0:
            ranked[note.path] = score * 10 if q else 0.0
    if len(q) >= 3:
        hits = vault.search(query, mode="hybrid", limit=30)
        for rank, path in enumerate(dict.fromkeys(h.path for h in hits)):
            if path in titles:
                ranked[path] = ranked.get(path, 0.0) + 10.0 / (rank + 1)
    order = sorted(ranked, key=lambda p: (-ranked[p], titles[p].casefold()))
    out = [
        _symbol(docs, titles[p], types.SymbolKind.File, p, 0, _folder(p))
        for p in order[:MAX_SYMBOLS]
    ]
    if q:
        out.extend(heading_symbols(docs, catalog, titles, q, MAX_SYMBOLS - len(out)))
    return out


def heading_symbols(
    docs: Documents, catalog: Catalog, titles: dict[str, str], q: str, limit: int
) -> list[types.WorkspaceSymbol]:
    """Headings containing `q` (casefolded), word-start matches first; not a note's title H1.
    `titles`: the notes to look in (path -> title); only rows whose headings may hold `q`
    are decoded (`Catalog.heading_lists`)."""
    found: list[tuple[float, str, str, int, str]] = []
    for path, headings in catalog.heading_lists(containing=q):
        title = titles.get(path)
        if title is None:
            continue
        for heading in headings:
            key = heading.text.casefold()
            score = fuzzy(q, key)
            if score >= 2.0 and not (heading.level == 1 and heading.text == title):
                found.append((-score, key, path, heading.line, heading.text))
    found.sort()
    return [
        _symbol(docs, text, types.SymbolKind.String, path, line - 1, titles[path])
        for _, _, path, line, text in found[: max(limit, 0)]
    ]


def _folder(path: str) -> str:
    return path.rsplit("/", 1)[0] if "/" in path else ""


def _symbol(
    docs: Documents,
    name: str,
    kind: types.SymbolKind,
    path: str,
    line: int,
    container: str,
) -> types.WorkspaceSymbol:
    at = types.Position(line=max(line, 0), character=0)
    return types.WorkspaceSymbol(
        name=name,
        kind=kind,
        location=types.Location(uri=docs.uri_of(path), range=types.Range(start=at, end=at)),
        container_name=container,
    )


class Symbols(Feature):
    """Document symbols (the buffer's headings) and workspace symbols (notes and headings)."""

    def register(self) -> None:
        server = self.server
        server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)(
            server.thread()(guard(list)(self.document_symbols))
        )
        server.feature(types.WORKSPACE_SYMBOL)(server.thread()(guard(list)(self.workspace_symbols)))

    def document_symbols(self, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        doc = self.server.docs.get(params.text_document.uri)
        return heading_tree(doc) if doc else []

    def workspace_symbols(self, params: types.WorkspaceSymbolParams) -> list[types.WorkspaceSymbol]:
        vault = self.server.session.get(timeout=5)
        if vault is None:
            return []
        return workspace_symbols(self.server.docs, vault, params.query or "")
