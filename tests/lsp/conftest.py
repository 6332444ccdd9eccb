"""Fixtures for the language-server tests: the silverbullet-docs corpus indexed ONCE per session.

Indexing its 225 pages takes minutes, so the session builds one index and every test that needs
a vault gets a copy of that folder, `.nvault` included (so the server starts already current).
`NVAULT_LSP_CACHE=<dir>` keeps the built index between sessions (handy while developing).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def shared_vault(copy_vault: Callable[[], Path]) -> Path:
    """One copy per test module, for tests that only read."""
    return copy_vault()
