"""Fixtures for the language-server tests: the silverbullet-docs corpus indexed ONCE per session.

Indexing its 225 pages takes minutes, so the session builds one index and every test that needs
a vault gets a copy of that folder, `.nvault` included (so the server starts already current).
`NVAULT_LSP_CACHE=<dir>` keeps the built index between sessions (handy while developing).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_support import lsp_client
from poll import await_for
from pytest_lsp import LanguageClient


@pytest.fixture(scope="module")
def shared_vault(copy_vault: Callable[[], Path]) -> Path:
    """One copy per test module, for tests that only read."""
    return copy_vault()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def client(shared_vault: Path) -> AsyncIterator[LanguageClient]:
    """One server per module on its shared copy, once its catch-up has read the corpus (on a
    busy machine the server answers `status` while that catch-up still runs)."""
    async with lsp_client(shared_vault, via="options") as c:
        await await_for(lambda: _indexed(c), timeout=120)
        yield c


async def _indexed(c: LanguageClient) -> bool:
    status = await c.protocol.send_request_async("nvault/status", {})
    return bool(status and status.notes >= 200 and not status.indexing.active)
