"""A damaged index under the language server: one window/showMessage says it was repaired."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

from lsp_support import lsp_client
from poll import await_for


async def test_repair_is_shown_once(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    index_dir = root / ".nvault"
    for part in (index_dir / "lance" / "chunks.lance" / "_indices").glob("*/*"):
        if not part.name.startswith("page_"):  # the FTS index's files (BTree ones are page_*)
            part.write_bytes(os.urandom(2048))
    async with lsp_client(root) as client:
        await await_for(lambda: any("repaired" in m.message for m in client.messages), 120)
        said = [m for m in client.messages if "repaired" in m.message]
        assert len(said) == 1 and "keyword index" in said[0].message, said
    shutil.rmtree(root, ignore_errors=True)
