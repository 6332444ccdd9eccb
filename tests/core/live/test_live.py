"""The live index's parts (vault_core/live/): a cancelled sync, a reader taking over, the watcher's
callback. Real vaults in tmp_path, real LanceDB, the real embedded model; no fakes."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes.ollama import FakeOllama

from vault_core.config import EmbedderConfig, LLMConfig, VaultConfig
from vault_core.errors import SyncCancelled
from vault_core.vault import Vault

NOTES = {
    "Alpha.md": "# Alpha\n\nThe first note links to [[Beta]].\n",
    "Beta.md": "# Beta\n\nThe second note, about orchards and pruning.\n",
}


def _raise(exc: Exception) -> Callable[[int, int, str], None]:
    def progress(done: int, total: int, path: str) -> None:
        raise exc

    return progress


def test_a_cancelled_sync_is_no_failure_and_the_next_sync_finishes(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(NOTES)
    (vault.root / "Gamma.md").write_text("# Gamma\n\nA third note.\n", encoding="utf-8")

    with pytest.raises(RuntimeError):
        vault.sync(progress=_raise(RuntimeError("disk on fire")), embed=False)
    assert vault.last_error == "RuntimeError: disk on fire"  # a real failure is recorded

    with pytest.raises(SyncCancelled):
        vault.sync(progress=_raise(SyncCancelled()), embed=False)
    assert vault.last_error == "RuntimeError: disk on fire"  # a cancel is not a failure
    assert not vault.status().indexing.active

    vault.sync(embed=False)
    assert vault.last_error is None
    assert "Gamma.md" in vault.catalog


def test_a_reader_takes_over_when_the_writer_closes_and_tells_its_listeners(
    tmp_path: Path, make_vault: Callable[..., Vault]
) -> None:
    writer = make_vault(NOTES)
    reader = Vault.open(writer.root)
    try:
        assert writer.is_writer and not reader.is_writer and reader.indexer is None
        assert sorted(reader.catalog) == ["Alpha.md", "Beta.md"]  # it reads the writer's commits
        told: list[bool] = []
        reader.upkeep.promoted.append(lambda: told.append(reader.is_writer))
        writer.close()
        deadline = time.monotonic() + 30
        while not reader.is_writer and time.monotonic() < deadline:
            reader.refresh(force=True)  # promotion is tried at most every PROMOTE_INTERVAL_S
            time.sleep(0.2)
        assert reader.is_writer and told == [True]
        (reader.root / "Gamma.md").write_text("# Gamma\n\nNew under the new writer.\n", "utf-8")
        report = reader.sync(["Gamma.md"])
        assert report.added == ["Gamma.md"]
        assert reader.search("Gamma", mode="keyword")[0].path == "Gamma.md"
    finally:
        reader.close()


def test_the_watcher_reports_a_failure_through_its_callback(tmp_path: Path) -> None:
    """The embedding server goes away under a watching writer: the watcher's failed step reaches
    `last_error` through its `on_error` callback (the watcher holds no index state)."""
    root = tmp_path / "vault"
    root.mkdir()
    for name, text in NOTES.items():
        (root / name).write_text(text, encoding="utf-8")
    with FakeOllama(models=["fake-embed"]) as fake:
        config = VaultConfig(
            root=root,
            embedder=EmbedderConfig(provider="ollama", model="fake-embed"),
            llm=LLMConfig(host=fake.url),
        )
        vault = Vault.open(config=config)
        try:
            vault.sync(embed=False)  # phase 1 only: phase 2 is left to the watcher
            assert vault.last_error is None and vault.progress.embedding_pending
            fake.models.remove("fake-embed")  # the server now refuses the model: phase 2 fails
            vault.start_watching()
            deadline = time.monotonic() + 60
            while vault.last_error is None and time.monotonic() < deadline:
                time.sleep(0.1)
            assert vault.last_error is not None, (vault.watch_state(), vault.progress)
            assert "fake-embed" in vault.last_error
            assert vars(vault.watcher).get("last_error") is None  # reported, not kept
        finally:
            vault.close()
