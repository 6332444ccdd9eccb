"""workspace/symbol over a real LSP client reads the catalog's columns (titles, aliases, and only
the heading rows that can hold the query) and answers what it answered from whole records:
notes by name, by meaning, and headings, non-ASCII and escaped text included."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_support import lsp_client, uri
from lsprotocol import types
from poll import await_for

from vault_core.vault import Vault
from vault_lsp.matcher import fuzzy

FILES = {
    "Coffee.md": "# Coffee\n\nEspresso and beans.\n\n## Brewing coffee\n\nHot water.\n",
    "food/Tea.md": "---\naliases: [Chai]\n---\n# Tea\n\n## Straße des Tees\n\nGreen tea.\n",
    "food/Café.md": "# Café au lait\n\n## Milk and coffee\n\nWarm milk.\n",
    "notes/Boot.md": '# Boot modes\n\n## Say "safe" boot\n\n## Level up\n\nText.\n',
    "cover.pdf.md": "# Cover\n\n## Line art\n\nNothing.\n",
}
QUERIES = ["", "coffee", "strasse", "café", "boot", '"safe"', "chai", "line", "zzqx"]


def from_records(vault: Vault, query: str) -> list[tuple[str, str, str, int]]:
    """What workspace/symbol answered when it decoded every record (the code it replaced)."""
    q = query.strip().casefold()
    notes = [n for n in vault.catalog.values() if n.kind == "note"]
    ranked: dict[str, float] = {}
    for note in notes:
        score = max(fuzzy(q, name.casefold()) for name in [note.title, *note.aliases, note.stem])
        if score > 0:
            ranked[note.path] = score * 10 if q else 0.0
    if len(q) >= 3:
        hits = vault.search(query, mode="hybrid", limit=30)
        for rank, path in enumerate(dict.fromkeys(h.path for h in hits)):
            if path in vault.catalog and vault.catalog[path].kind == "note":
                ranked[path] = ranked.get(path, 0.0) + 10.0 / (rank + 1)
    order = sorted(ranked, key=lambda p: (-ranked[p], vault.catalog[p].title.casefold()))
    out = [(vault.catalog[p].title, "file", p, 0) for p in order[:100]]
    if q:
        found = []
        for note in notes:
            for h in note.headings:
                score = fuzzy(q, h.text.casefold())
                if score >= 2.0 and not (h.level == 1 and h.text == note.title):
                    found.append((-score, h.text.casefold(), note.path, h.line, h.text))
        found.sort()
        out += [(t, "heading", p, line - 1) for _, _, p, line, t in found[: 100 - len(out)]]
    return out


def _seen(root: Path, symbols: Any) -> list[tuple[str, str, str, int]]:
    by_uri = {uri(root, p): p for p in FILES}
    return [
        (
            s.name,
            "file" if s.kind == types.SymbolKind.File else "heading",
            by_uri[s.location.uri],
            s.location.range.start.line,
        )
        for s in symbols
    ]


async def test_workspace_symbols_answer_what_the_records_gave(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    with Vault.open(root) as vault:
        vault.sync()
    with Vault.open(root, writer=False) as vault:
        expected = {q: from_records(vault, q) for q in QUERIES}
    async with lsp_client(root) as client:

        async def ask(q: str) -> list[tuple[str, str, str, int]]:
            params = types.WorkspaceSymbolParams(query=q)
            return _seen(root, await client.workspace_symbol_async(params) or [])

        await await_for(lambda: ask(""), timeout=60)  # the catalog is read
        for q in QUERIES:
            assert await ask(q) == expected[q], q
    assert ("Straße des Tees", "heading", "food/Tea.md", 5) in expected["strasse"]
    assert ('Say "safe" boot', "heading", "notes/Boot.md", 2) in expected['"safe"']
    assert [s for s in expected["zzqx"] if s[1] == "heading"] == []
