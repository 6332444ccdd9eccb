"""One way for benches to run a real vault-lsp over stdio with a real LSP client (pytest-lsp)."""

from __future__ import annotations

import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import LanguageClient, make_test_lsp_client


@dataclass
class LspSession:
    client: LanguageClient
    started: float  # perf_counter() when `initialize` was sent
    initialize_ms: float  # the `initialize` handshake alone


@asynccontextmanager
async def vault_lsp(root: Path) -> AsyncIterator[LspSession]:
    """`python -m vault_lsp --root ROOT`, initialized as VS Code would, shut down on exit."""
    client = make_test_lsp_client()
    await client.start_io(
        sys.executable, "-m", "vault_lsp", "--root", str(root), "--log-level", "WARNING"
    )
    started = time.perf_counter()
    await client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    )
    try:
        yield LspSession(client, started, (time.perf_counter() - started) * 1000)
    finally:
        await client.shutdown_session()
        await client.stop()
