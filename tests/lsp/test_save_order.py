"""A save is read back by the search sent after it, whatever holds the writer meanwhile.

In-process, with the language server's real `Session` over a real `Vault` opened as vault-lsp
opens it (lazy: the catalog read and repair on a thread). The interleavings the code-server
e2e hit by chance are forced here: the writer's mutex is held (as a phase-2 step, a compaction
or the watcher's own sync holds it), or the lazy catalog read is held back, while a save
arrives and a search follows it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from poll import wait_for
from vault_files import write_files

import vault_core.live.opened as opened_module
from vault_core.query.answer import SearchRequest
from vault_core.vault import Vault
from vault_lsp.session import Session

FILES = {
    "a.md": "# Alpha\n\nAlpha talks about [[b]] and zebras.\n",
    "b.md": "# Beta\n\nBeta is about quantum gravity and black holes.\n",
    "c.md": "# Gamma\n\nGamma covers [[a]] and rivers.\n",
}
WORD = "zorblequixote"


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    root = write_files(tmp_path / "vault", FILES)
    with Vault.open(root) as vault:
        vault.sync()
    return root


@contextmanager
def session_on(root: Path, *, start: bool = True) -> Iterator[Session]:
    """vault-lsp's session on `root` (no client: notifications go nowhere)."""
    session = Session()
    session.choose_root({"vaultRoot": str(root)}, None)
    if start:
        session.start(lambda method, params: None)
    try:
        yield session
    finally:
        session.close()


def opened(session: Session) -> Vault:
    vault = session.get(timeout=60)
    assert vault is not None, session.vault_error
    return vault


def found(vault: Vault, rel: str = "a.md") -> bool:
    answer = vault.find(SearchRequest(query=WORD, mode="hybrid", limit=10))
    return any(hit.path == rel for hit in answer.hits)


def save_word(root: Path, rel: str = "a.md") -> None:
    path = root / rel
    path.write_text(path.read_text(encoding="utf-8") + f"\nA {WORD} appears here.\n", "utf-8")


def search_after(session: Session, vault: Vault) -> tuple[threading.Thread, dict[str, Any]]:
    """`nvault/search`'s order on a thread: settle the saves, then search."""
    result: dict[str, Any] = {}

    def run() -> None:
        result["left"] = session.settle_saves(timeout=60)
        result["found"] = found(vault)

    thread = threading.Thread(target=run, name="search-after-save")
    thread.start()
    return thread, result


def test_a_search_after_a_save_waits_for_its_sync_while_the_writer_is_busy(
    indexed: Path,
) -> None:
    with session_on(indexed) as session:
        vault = opened(session)
        wait_for(lambda: vault.watch_state().startswith("watching"), 60, what="catch-up")
        save_word(indexed)
        with vault.upkeep.write_mutex:  # what a phase-2 step or a compaction holds
            assert session.index(["a.md"]) is not None  # didSave
            assert not found(vault)  # the race: asked now, the save is not in yet
            assert session.settle_saves(timeout=0.2) == ["a.md"]  # and that is said
            thread, result = search_after(session, vault)
            thread.join(0.5)
            assert thread.is_alive()  # the search waits for the save
        thread.join(60)
        assert result == {"left": [], "found": True}


def test_a_save_while_the_lazy_catalog_read_runs_is_read_back(
    indexed: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    release = threading.Event()
    real = opened_module.Catalog

    def held_back(*args: Any) -> Any:  # the catalog read from the table waits for `release`
        if args:
            release.wait(60)
        return real(*args)

    monkeypatch.setattr(opened_module, "Catalog", held_back)
    try:
        with session_on(indexed) as session:
            vault = opened(session)
            assert not vault.opened.catalog_ready  # the background read is held
            save_word(indexed)
            assert session.index(["a.md"]) is not None
            thread, result = search_after(session, vault)
            thread.join(0.5)
            assert thread.is_alive()
            release.set()
            thread.join(60)
            assert result == {"left": [], "found": True}
    finally:
        release.set()


def test_a_save_before_the_vault_is_open_is_synced_once_it_is(indexed: Path) -> None:
    with session_on(indexed, start=False) as session:
        save_word(indexed)
        assert session.index(["a.md"]) is None  # nothing open to index it yet
        assert session.settle_saves(timeout=0) == ["a.md"]  # said while it cannot be
        session.start(lambda method, params: None)
        vault = opened(session)
        assert session.settle_saves(timeout=60) == []
        assert found(vault)
