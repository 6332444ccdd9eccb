"""A server opens lazily: while its catalog is still being read, keyword, hybrid and name
queries are answered from the store (query/on_disk.py), with the same answers and the same
ambiguity; whatever needs every note waits for the catalog, and "not found" is only said by it.

The catalog read is held back by wrapping the real `Catalog` read in a wait, so the window
a 100k-note vault has (5-10 s) exists on a tiny one too."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from index_check import index_problems
from poll import wait_for
from vault_files import write_files

import vault_core.live.opened as opened_module
import vault_core.live.upkeep as upkeep_module
from vault_core.errors import NoteNotFound
from vault_core.query.filters import SearchFilters
from vault_core.query.names import AmbiguousNote
from vault_core.vault import Vault

FILES = {
    "a.md": "# Alpha\n\nAlpha talks about [[b]] and zebras.\n",
    "b.md": "# Beta\n\nBeta is about quantum gravity and black holes.\n",
    "sub/c.md": "---\naliases: [Gamma ray]\n---\n# Gamma\n\nGamma covers [[a]].\n",
    "one/same.md": "# Same\n\nfirst of two notes named same\n",
    "two/same.md": "# Same\n\nsecond of two notes named same\n",
}


@pytest.fixture
def held(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Vault, threading.Event]]:
    """An indexed vault reopened as a server whose catalog read waits for the event."""
    root = write_files(tmp_path / "vault", FILES)
    with Vault.open(root) as vault:
        vault.sync()
    release = threading.Event()
    real = opened_module.Catalog

    def held_back(*args):  # type: ignore[no-untyped-def]
        if args:  # the catalog read from the table (an empty one is made at once)
            release.wait(60)
        return real(*args)

    monkeypatch.setattr(opened_module, "Catalog", held_back)
    vault = Vault.open(root, watch=True)
    try:
        yield vault, release
    finally:
        release.set()
        vault.close()


def test_answers_come_from_the_store_while_the_catalog_loads(held) -> None:
    vault, release = held
    assert not vault.opened.catalog_ready
    hits = vault.search("zebras", mode="keyword")
    assert [(h.path, h.title) for h in hits] == [("a.md", "Alpha")]
    hybrid = vault.search("quantum gravity black holes")
    assert hybrid[0].path == "b.md" and hybrid[0].title == "Beta"
    assert vault.resolve("Beta").path == "b.md"  # by file name
    assert vault.lookup("gamma ray").note.path == "sub/c.md"  # by alias
    assert vault.lookup("sub/c.md").matched_by == "path"
    with pytest.raises(AmbiguousNote) as ambiguous:
        vault.resolve("same")
    assert sorted(c.path for c in ambiguous.value.candidates) == ["one/same.md", "two/same.md"]
    assert not vault.opened.catalog_ready  # every answer above came without the catalog
    release.set()
    with pytest.raises(NoteNotFound):  # said by the whole catalog, once it is read
        vault.resolve("no such note")
    assert vault.opened.catalog_ready
    assert vault.search("zebras", mode="keyword")[0].path == "a.md"


def test_a_filtered_search_and_a_save_wait_for_the_catalog(held) -> None:
    """A filter needs every note's metadata; the writer's sync (and its repair) starts only
    after the catalog is read, and then indexes the save."""
    vault, release = held
    outcome: list[object] = []

    def filtered() -> None:
        hits = vault.search("covers", mode="keyword", filters=SearchFilters(path="sub"))
        outcome.append([h.path for h in hits])

    worker = threading.Thread(target=filtered)
    worker.start()
    worker.join(1.0)
    assert worker.is_alive() and not outcome  # waiting for the catalog
    (vault.root / "b.md").write_text("# Beta\n\nBeta now mentions xylophones.\n", encoding="utf-8")
    release.set()
    worker.join(30)
    assert outcome == [["sub/c.md"]]
    wait_for(lambda: vault.search("xylophones", mode="keyword"), what="the save")


class SlowToTake:
    """An RLock that the catalog loader's thread is slow to take, as under load: the window
    in which another thread could take it first."""

    def __init__(self) -> None:
        self.lock = threading.RLock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if threading.current_thread().name == "nvault-catalog":
            time.sleep(0.5)
        return self.lock.acquire(blocking, timeout)

    def release(self) -> None:
        self.lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def test_a_sync_the_moment_the_open_returns_waits_instead_of_deadlocking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The catalog loader holds the write lock before a lazy open returns: a sync that took
    it first would wait under it for the catalog while the loader waited for the lock."""
    root = write_files(tmp_path / "vault", FILES)
    with Vault.open(root) as vault:
        vault.sync()
    monkeypatch.setattr(upkeep_module, "threading", SimpleNamespace(RLock=SlowToTake))
    vault = Vault.open(root, watch=True)
    try:
        taken = vault.upkeep.write_mutex.acquire(blocking=False)
        if taken:
            vault.upkeep.write_mutex.release()
        assert not taken  # the loader has it (or the catalog is read and it is released)
        (root / "a.md").write_text("# Alpha\n\nAlpha now plays the marimba.\n", "utf-8")
        saved = threading.Thread(target=lambda: vault.sync(["a.md"]), daemon=True)
        saved.start()
        saved.join(60)
        assert not saved.is_alive()  # before the fix: a deadlock
        assert vault.search("marimba", mode="keyword")[0].path == "a.md"
    finally:
        vault.close()


@pytest.mark.parametrize(
    "kind", ["garbage-fts-files", "truncated-chunks-data", "garbage-notes-data"]
)
def test_a_lazily_opened_writer_still_finds_and_repairs_damage(tmp_path: Path, kind: str) -> None:
    """The health probe moved from the open to the catch-up sync: damage that lets the tables
    open is still found, repaired and said, and the index answers again."""
    from reliability.faults import corrupt

    root = write_files(tmp_path / "vault", FILES)
    with Vault.open(root) as vault:
        vault.sync()
    corrupt(kind, root / ".nvault")
    vault = Vault.open(root, watch=True)
    try:
        wait_for(lambda: vault.notice is not None, timeout=120, what="the catch-up's repair")
        assert "repaired" in (vault.notice or "")
        wait_for(lambda: vault.search("zebras", mode="keyword"), timeout=120, what="answers")
        assert vault.search("zebras", mode="keyword")[0].path == "a.md"
        assert index_problems(root) == []
    finally:
        vault.close()
