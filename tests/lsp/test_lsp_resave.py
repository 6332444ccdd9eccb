"""A word added to an existing note is found by the search sent right after each save (the
VS Code e2e's flow: the quick pick asks ONCE, in hybrid mode, and only watches its list).

The server reads back the saves the client sent before a request (session.settle_saves), so one
search must do; polling here would hide a search answered before the save's sync. The stress
variant repeats the flow under two CPU burners (`pytest -m stress tests/lsp/test_lsp_resave.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from lsp_support import lsp_client, open_doc
from lsprotocol import types
from poll import await_for
from pytest_lsp import LanguageClient

REL = "docs/Authentication.md"
STRESS_SAVES = 30


async def _ready(c: LanguageClient) -> bool:
    status = await c.protocol.send_request_async("nvault/status", {})
    return bool(status and status.notes >= 200)


async def _save_then_search_once(
    client: LanguageClient, root: Path, doc: str, text: str, word: str, delay: float = 0.0
) -> tuple[str, list[str], str | None]:
    """Append `word`, save (didSave), wait `delay`, search once: (text, hit paths, message)."""
    text += f"\nA {word} appears here.\n"
    (root / REL).write_text(text, encoding="utf-8")
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    if delay:
        await asyncio.sleep(delay)
    result = await client.protocol.send_request_async(
        "nvault/search", {"query": word, "mode": "hybrid", "limit": 20}
    )
    return text, [h.path for h in result.hits], getattr(result, "message", None)


async def test_a_word_saved_into_an_existing_note_is_found_by_the_next_search(
    copy_vault: Callable[[], Path],
) -> None:
    root = copy_vault()
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = (root / REL).read_text(encoding="utf-8")
        doc = open_doc(client, root, REL, text)
        for word in ("seealsoquokka", "zorblequixote"):
            text, paths, message = await _save_then_search_once(client, root, doc, text, word)
            assert REL in paths, f"{word!r} not found right after its save ({message})"


@contextlib.contextmanager
def cpu_burners(count: int = 2) -> Iterator[None]:
    """`yes > /dev/null` x `count`: the CI box's load while the e2e runs; stopped by pid."""
    burners = [subprocess.Popen(["yes"], stdout=subprocess.DEVNULL) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


@pytest.mark.stress
@pytest.mark.timeout(900)
async def test_every_save_is_found_by_the_next_search_under_load(
    copy_vault: Callable[[], Path],
) -> None:
    """A miss must be said ("still indexing", past the 10 s wait: the first saves race the
    lazy open's catch-up) and then be found; a silent miss, or a save never found, fails."""
    root = copy_vault()
    rng = random.Random(5)
    missed: list[str] = []
    said: list[str] = []
    with cpu_burners():
        async with lsp_client(root) as client:  # lazy open: saves race the catch-up too
            text = (root / REL).read_text(encoding="utf-8")
            doc = open_doc(client, root, REL, text)
            for i in range(STRESS_SAVES):
                word = f"quixstress{i:02d}" + "".join(rng.choices("bcdfghjklmnpqrstvwxz", k=6))
                delay = rng.choice([0.0, 0.0, 0.1, 0.3, 1.0])
                text, paths, message = await _save_then_search_once(
                    client, root, doc, text, word, delay
                )
                if REL in paths:
                    continue
                if not (message or "").startswith("still indexing"):
                    missed.append(f"{word} (delay {delay}: {message})")
                    continue
                said.append(word)

                async def found(word: str = word) -> bool:
                    result = await client.protocol.send_request_async(
                        "nvault/search", {"query": word, "mode": "hybrid", "limit": 20}
                    )
                    return any(h.path == REL for h in result.hits)

                await await_for(found, timeout=60, every=0.5)  # late, but not lost
    assert not missed, f"{len(missed)} of {STRESS_SAVES} saves missed silently: {missed}"
    print(f"{len(said)} of {STRESS_SAVES} saves were still indexing after the 10 s wait: {said}")
