"""A word added to an existing note is found right after each save (the VS Code e2e's flow:
the same note saved twice, searched in hybrid mode)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from lsp_support import lsp_client, open_doc
from lsprotocol import types
from poll import await_for
from pytest_lsp import LanguageClient


async def _ready(c: LanguageClient) -> bool:
    status = await c.protocol.send_request_async("nvault/status", {})
    return bool(status and status.notes >= 200)


async def test_a_word_saved_into_an_existing_note_is_found_after_each_save(
    copy_vault: Callable[[], Path],
) -> None:
    root = copy_vault()
    rel = "docs/Authentication.md"
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = (root / rel).read_text(encoding="utf-8")
        doc = open_doc(client, root, rel, text)
        for word in ("seealsoquokka", "zorblequixote"):
            text += f"\nA {word} appears here.\n"
            (root / rel).write_text(text, encoding="utf-8")
            client.text_document_did_save(
                types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
            )

            async def found(word: str = word) -> bool:
                result = await client.protocol.send_request_async(
                    "nvault/search", {"query": word, "mode": "hybrid", "limit": 20}
                )
                return any(h.path == rel for h in result.hits)

            await await_for(found, timeout=30, every=0.5)
