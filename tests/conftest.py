"""Shared fixtures: tmp vaults written from dicts, and the real corpora (skipped when absent)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import filelock
import pytest
from vault_files import write_files

from vault_core.vault import Vault

REPO = Path(__file__).resolve().parents[1]


def corpora_dir() -> Path | None:
    """`$NVAULT_CORPORA`, else `../shared/corpora` beside the repo (where CI puts it)."""
    candidates = [os.environ.get("NVAULT_CORPORA"), REPO.parent / "shared" / "corpora"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def _env_folder(factory: pytest.TempPathFactory, variable: str) -> Iterator[Path]:
    """A fresh folder in `variable` for the whole session, the old value back afterwards."""
    folder = factory.mktemp(variable.lower())
    old = os.environ.get(variable)
    os.environ[variable] = str(folder)
    yield folder
    if old is None:
        os.environ.pop(variable, None)
    else:
        os.environ[variable] = old


@pytest.fixture(scope="session", autouse=True)
def handshake_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Servers started by tests cache their `initialize` answers here, not in ~/.cache."""
    yield from _env_folder(tmp_path_factory, "XDG_CACHE_HOME")


@pytest.fixture(scope="session", autouse=True)
def user_config_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test reads the developer's own ~/.config/nvault (user-only settings, trust.py)."""
    yield from _env_folder(tmp_path_factory, "XDG_CONFIG_HOME")


@pytest.fixture(scope="session")
def corpora() -> Path:
    found = corpora_dir()
    if found is None:
        pytest.skip(
            "real corpora not found: set NVAULT_CORPORA or put shared/corpora beside the repo"
        )
    return found


@pytest.fixture
def make_vault(tmp_path: Path) -> Iterator[Callable[..., Vault]]:
    """`make_vault({"a.md": "..."})` writes the files, opens a writer Vault and syncs it."""
    opened: list[Vault] = []

    def factory(files: dict[str, str | bytes], sync: bool = True, **open_kw: object) -> Vault:
        vault = Vault.open(write_files(tmp_path / "vault", files), **open_kw)
        opened.append(vault)
        if sync:
            vault.sync()
        return vault

    yield factory
    for vault in opened:
        vault.close()


# -- silverbullet-docs indexed ONCE per session (the LSP tests and the linking evaluation share it).
# Indexing its 225 pages takes minutes, so every test that needs it gets a copy of the folder,
# `.nvault` included. `NVAULT_LSP_CACHE=<dir>` keeps the built index between sessions.
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
