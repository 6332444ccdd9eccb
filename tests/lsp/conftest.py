"""Fixtures for the language-server tests: the silverbullet-docs corpus indexed ONCE per session.

Indexing its 225 pages takes minutes, so the session builds one index and every test that needs
a vault gets a copy of that folder, `.nvault` included (so the server starts already current).
`NVAULT_LSP_CACHE=<dir>` keeps the built index between sessions (handy while developing).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import filelock
import pytest

from vault_core.vault import Vault

CORPUS = "silverbullet-docs"
MARKER = "lsp-tests-synced"


def _build(src: Path, dest: Path) -> Path:
    if not (dest / ".nvault" / MARKER).is_file():
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".git", ".nvault"))
        with Vault.open(dest) as vault:
            vault.sync()
        (dest / ".nvault" / MARKER).write_text("ok", encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def indexed_corpus(corpora: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = corpora / CORPUS
    if not src.is_dir():
        pytest.skip(f"{src} is missing")
    cache = os.environ.get("NVAULT_LSP_CACHE")
    if cache:
        Path(cache).mkdir(parents=True, exist_ok=True)
        with filelock.FileLock(str(Path(cache) / f"{CORPUS}.lock")):
            return _build(src, Path(cache) / CORPUS)
    return _build(src, tmp_path_factory.mktemp("indexed") / CORPUS)


@pytest.fixture(scope="session")
def copy_vault(
    indexed_corpus: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[], Path]:
    """`copy_vault()` -> a fresh copy of the indexed corpus (files and index) to edit freely."""

    def factory() -> Path:
        dest = tmp_path_factory.mktemp("vault") / CORPUS
        shutil.copytree(indexed_corpus, dest, ignore=shutil.ignore_patterns("writer.lock"))
        return dest

    return factory


@pytest.fixture(scope="module")
def shared_vault(copy_vault: Callable[[], Path]) -> Path:
    """One copy per test module, for tests that only read."""
    return copy_vault()
