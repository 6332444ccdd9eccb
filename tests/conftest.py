"""Shared fixtures: tmp vaults written from dicts, and the real corpora (skipped when absent)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vault_core.vault import Vault

REPO = Path(__file__).resolve().parents[1]


def corpora_dir() -> Path | None:
    """`$NVAULT_CORPORA`, else `../shared/corpora` beside the repo (where CI puts it)."""
    candidates = [os.environ.get("NVAULT_CORPORA"), REPO.parent / "shared" / "corpora"]
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def corpora() -> Path:
    found = corpora_dir()
    if found is None:
        pytest.skip(
            "real corpora not found: set NVAULT_CORPORA or put shared/corpora beside the repo"
        )
    return found


def write_files(root: Path, files: dict[str, str | bytes]) -> None:
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


@pytest.fixture
def make_vault(tmp_path: Path) -> Iterator[Callable[..., Vault]]:
    """`make_vault({"a.md": "..."})` writes the files, opens a writer Vault and syncs it."""
    opened: list[Vault] = []

    def factory(files: dict[str, str | bytes], sync: bool = True, **open_kw: object) -> Vault:
        root = tmp_path / "vault"
        root.mkdir(exist_ok=True)
        write_files(root, files)
        vault = Vault.open(root, **open_kw)
        opened.append(vault)
        if sync:
            vault.sync()
        return vault

    yield factory
    for vault in opened:
        vault.close()
