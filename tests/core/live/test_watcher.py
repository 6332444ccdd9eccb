"""Live sync with real files, a real inotify observer, real LanceDB and real processes.

Notes here keep their chunk text in a small pool (the revision lives in frontmatter, which is not
chunked), so hundreds of files cost only a handful of embeddings while every write still changes
the file's sha256. Waits poll the index with a timeout; nothing asserts on timings.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from index_check import disk_files, index_problems, rm_rf_under_a_writer
from poll import wait_for
from vault_files import write_files

from vault_core.config import VaultConfig
from vault_core.query.search import SearchFilters
from vault_core.vault import Vault

NVAULT_MAIN = "import sys; from vault_cli.main import main; sys.exit(main(sys.argv[1:]))"
BODIES = [
    f"{a} notes about {b} and the {c}."
    for a, b, c in (
        ("Short", "rivers", "sea"),
        ("Long", "bridges", "city"),
        ("Odd", "lanterns", "night"),
        ("Plain", "gardens", "spring"),
        ("Dense", "engines", "factory"),
        ("Brief", "comets", "sky"),
    )
]


def pooled(rev: int, body: int, extra: str = "") -> str:
    return f"---\ntitle: Pooled\nrev: {rev}\n---\n{BODIES[body % len(BODIES)]}\n{extra}"


def settled(vault: Vault, root: Path) -> Callable[[], bool]:
    """Index equals disk and the writer has nothing in flight."""

    def check() -> bool:
        watcher = vault.watcher
        busy = vault.progress.active or (watcher is not None and watcher._pending)
        if busy:
            return False
        try:
            return index_problems(root) == []
        except ValueError:  # a table not there yet: the writer is re-creating the index
            return False

    return check


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], tuple[Vault, Path]]]:
    """Write files, open a watching writer, and wait for its catch-up sync."""
    opened: list[Vault] = []

    def factory(files: dict[str, str]) -> tuple[Vault, Path]:
        root = write_files(tmp_path / "vault", files)
        vault = Vault.open(root, watch=True)
        opened.append(vault)
        wait_for(lambda: vault.watcher.syncs >= 1, what="catch-up sync")
        assert vault.watcher.describe() == "watching (inotify)"
        return vault, root

    yield factory
    for vault in opened:
        vault.close()


def test_atomic_save_delete_and_create_are_picked_up(live: Callable) -> None:
    vault, root = live({"a.md": "# A\n\nalpha text [[b]]\n", "b.md": "# B\n\nbravo text\n"})
    # An editor's atomic save: write a temp file beside it, then rename over the note.
    tmp = root / ".a.md.swp~"
    tmp.write_text("# A\n\nalpha rewritten with zebracorn [[b]]\n", encoding="utf-8")
    os.replace(tmp, root / "a.md")
    wait_for(lambda: vault.search("zebracorn", mode="keyword"), what="atomic save")
    (root / "b.md").unlink()
    (root / "c.md").write_text("# C\n\ncharlie mentions quokkafish\n", encoding="utf-8")
    wait_for(settled(vault, root), what="delete and create")
    assert "b.md" not in vault.catalog
    assert [h.path for h in vault.search("quokkafish", mode="keyword")] == ["c.md"]
    assert [r.broken for r in vault.links("a.md")] == [True]  # b.md is gone
    assert vault.status().watcher == "watching (inotify)"
    # Its own index writes never trigger it: every sync after catch-up changed something.
    assert all(r.changed_paths for r in list(vault.watcher.history)[1:])


def test_saves_are_compacted_once_the_vault_is_quiet(live: Callable, monkeypatch) -> None:
    """A save's rows are searchable at once (unindexed); the keyword index takes them in when
    the vault has been quiet for COMPACT_QUIET_S, not on the save."""
    monkeypatch.setattr("vault_core.index.indexer.OPTIMIZE_AFTER", 1)
    monkeypatch.setattr("vault_core.watcher.COMPACT_QUIET_S", 1.0)
    vault, root = live({"a.md": "# A\n\nalpha text\n", "b.md": "# B\n\nbravo text\n"})
    (root / "a.md").write_text("# A\n\nalpha meets the xylocarp\n", encoding="utf-8")
    wait_for(lambda: vault.search("xylocarp", mode="keyword"), what="the save")

    def unindexed() -> int:
        return vault.store.chunks.index_stats("terms_idx").num_unindexed_rows

    wait_for(lambda: unindexed() == 0 and not vault.compaction_due, what="the quiet compaction")
    assert [h.path for h in vault.search("xylocarp", mode="keyword")] == ["a.md"]
    assert vault.last_error is None


def test_the_periodic_rescan_finds_what_the_os_did_not_report(tmp_path: Path) -> None:
    """The light rescan walks the folder off the sync thread and queues what differs, like
    events: an edit and a deletion made while the observer was stopped are indexed."""
    files = {"a.md": "# A\n\nalpha\n", "b.md": "# B\n\nbravo\n", "c.md": "# C\n\ncharlie\n"}
    root = write_files(tmp_path / "vault", files)
    config = VaultConfig.load(root, rescan_interval_s=1.0)
    vault = Vault(config, watch=True)
    try:
        wait_for(lambda: vault.watcher.syncs >= 1, what="catch-up sync")
        vault.watcher._observer.stop()  # the OS stops telling us anything
        (root / "a.md").write_text("# A\n\nalpha met a quetzal\n", encoding="utf-8")
        (root / "b.md").unlink()
        wait_for(lambda: vault.search("quetzal", mode="keyword"), what="the rescan's sync")
        wait_for(lambda: "b.md" not in vault.catalog, what="the deletion")
        assert index_problems(root) == []
        synced = [r for r in vault.watcher.history if r.changed_paths]
        # path syncs of what changed (a whole sync would count c.md unchanged)
        assert len(synced) > 1 and all(r.unchanged == 0 for r in synced[1:])
    finally:
        vault.close()


def test_burst_of_writes_converges(live: Callable) -> None:
    files = {f"f{i // 50}/n{i:03d}.md": pooled(0, i) for i in range(200)}
    vault, root = live(files)
    rng = random.Random(5)
    names = sorted(files)
    for n in range(1000):  # 1,000 writes across 200 files, some as atomic saves
        rel = rng.choice(names)
        text = pooled(n + 1, rng.randrange(6))
        if n % 4 == 0:
            tmp = root / f"{rel}.tmp{n}"
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, root / rel)
        else:
            (root / rel).write_text(text, encoding="utf-8")
        if n % 100 == 0:
            time.sleep(0.2)  # spread the burst over a few seconds
    wait_for(settled(vault, root), what="burst to be indexed")
    assert vault.last_error is None
    assert vault.watcher.syncs < 200, "events were not coalesced"


def test_folder_rename_reuses_vectors_and_keeps_links(live: Callable) -> None:
    files = {
        f"projects/p{i:02d}.md": f"# Project {i}\n\nplan {i} for the work\n" for i in range(50)
    }
    files["index.md"] = "# Index\n\nSee [[p07]] and [[p42#Project 42]].\n"
    files["archive/README.md"] = "# Archive\n\nold things\n"
    vault, root = live(files)
    before = vault.watcher.syncs
    os.rename(root / "projects", root / "archive" / "projects")
    wait_for(settled(vault, root), what="folder rename")
    reports = list(vault.watcher.history)[-(vault.watcher.syncs - before) :]
    assert sum(r.embedded for r in reports) == 0
    assert sum(len(r.moved) for r in reports) == 50  # old and new paths in one sync
    assert not any(p.startswith("projects/") for p in vault.catalog)
    backlinks = vault.backlinks("archive/projects/p07.md")
    assert [b.source for b in backlinks] == ["index.md"]
    assert not [r for r in vault.graph.outgoing("index.md") if r.broken]


def test_a_deleted_index_folder_is_rebuilt_without_embedding_again(live: Callable) -> None:
    """`rm -rf .nvault` under a running writer: the rebuild takes its vectors from the search's
    vector matrix (no second copy of every vector is kept for this), so nothing is embedded."""
    files = {
        f"n{i:02d}.md": f"# Note {i}\n\nplain words number {i} on theme {i * 7}\n"
        for i in range(12)
    }
    vault, root = live(files)
    wait_for(settled(vault, root), what="first index")
    wait_for(
        lambda: vault.embedding_state().chunks_embedded == vault.embedding_state().chunks_total
    )
    vault.search("theme", mode="semantic")  # the matrix is built for search
    wait_for(lambda: len(vault.searcher.matrix.vectors_by_text_hash()) == len(files))
    embedded: list[int] = []
    embed_documents = vault.embedder.embed_documents

    def counting(texts: list[str]) -> Any:
        embedded.append(len(texts))
        return embed_documents(texts)

    vault.embedder.embed_documents = counting  # type: ignore[method-assign]
    rm_rf_under_a_writer(root / ".nvault")
    wait_for(lambda: vault.notice is not None, what="the writer to notice")
    wait_for(settled(vault, root), what="the rebuild")
    state = vault.embedding_state()
    assert state.chunks_total == len(files) and state.chunks_embedded == state.chunks_total
    assert sum(embedded) == 0, embedded
    assert "was deleted" in (vault.notice or "")


def test_an_idle_writer_frees_the_model_and_a_search_reloads_it(
    live: Callable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NVAULT_MODEL_IDLE_S", "0.5")
    files = {"a.md": "# A\n\nriver boats sail to the sea\n", "b.md": "# B\n\nmountain goats\n"}
    vault, root = live(files)
    wait_for(settled(vault, root), what="first index")
    state = vault.embedding_state
    wait_for(lambda: state().chunks_embedded == state().chunks_total > 0, what="phase 2")
    embedder: Any = vault.embedder
    wait_for(lambda: embedder._session is None, timeout=30, what="the idle model to be freed")
    hits = vault.search("ships on the ocean", mode="semantic")
    assert hits[0].path == "a.md"
    assert embedder._session is not None  # the query loaded it again


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def test_git_checkout_of_another_branch(live: Callable, tmp_path: Path) -> None:
    files = {f"d{i % 7}/n{i:03d}.md": pooled(0, i) for i in range(300)}
    root = write_files(tmp_path / "vault", files)
    (root / ".gitignore").write_text(".nvault/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "main")
    _git(root, "checkout", "-q", "-b", "other")
    names = sorted(files)
    for rel in names[:150]:
        (root / rel).write_text(pooled(1, hash(rel)), encoding="utf-8")
    for rel in names[150:250]:
        (root / rel).unlink()
    for i in range(120):
        (root / "added" / f"x{i:03d}.md").parent.mkdir(exist_ok=True)
        (root / "added" / f"x{i:03d}.md").write_text(pooled(2, i), encoding="utf-8")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "other")
    _git(root, "checkout", "-q", "main")
    vault, _ = live({})
    assert len(vault.catalog) == 300
    _git(root, "checkout", "-q", "other")
    wait_for(settled(vault, root), what="checkout of 'other'")
    assert len(vault.catalog) == 320
    _git(root, "checkout", "-q", "main")
    wait_for(settled(vault, root), what="checkout back to 'main'")
    assert len(vault.catalog) == 300


def test_searches_during_catch_up_never_fail(tmp_path: Path) -> None:
    """Another thread (an MCP or LSP request) reads while the watcher indexes."""
    root = tmp_path / "vault"
    for i in range(240):
        (root / f"g{i % 4}").mkdir(parents=True, exist_ok=True)
        (root / f"g{i % 4}" / f"n{i:03d}.md").write_text(
            pooled(i, i, f"#tag{i % 3} [[n{(i + 1) % 240:03d}]]\n"), encoding="utf-8"
        )
    errors: list[BaseException] = []
    with Vault.open(root, watch=True) as vault:
        while vault.watcher.syncs < 1:
            try:
                vault.search("rivers", filters=SearchFilters(tags=["tag1"]))
                vault.status()
                _ = vault.graph.broken()
            except Exception as exc:
                errors.append(exc)
        wait_for(settled(vault, root), what="catch-up")
    assert errors == []


def _start_writer_process(root: Path) -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", NVAULT_MAIN, "--root", str(root), "watch"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    lines: list[str] = []

    def pump() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)

    threading.Thread(target=pump, daemon=True).start()
    wait_for(lambda: any("watching (" in line for line in lines), what="writer process")
    return proc, lines


def test_reader_process_follows_writer_and_takes_over(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    root.mkdir()
    for i in range(20):
        (root / f"n{i:02d}.md").write_text(pooled(0, i), encoding="utf-8")
    proc, lines = _start_writer_process(root)
    try:
        reader = Vault.open(root, watch=True)
        assert not reader.is_writer and reader.watcher.describe() == "following writer"
        heard: list[str] = []
        reader.on_change(heard.extend)
        errors: list[BaseException] = []
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                try:
                    reader.search("rivers sea")
                    reader.status()
                except Exception as exc:
                    errors.append(exc)

        thread = threading.Thread(target=hammer)
        thread.start()
        rng = random.Random(3)
        for n in range(120):
            (root / f"n{rng.randrange(25):02d}.md").write_text(
                pooled(n + 1, rng.randrange(6)), encoding="utf-8"
            )
            if n % 30 == 0:
                time.sleep(0.3)

        def reader_converged() -> bool:
            return {p: r.sha256 for p, r in reader.catalog.items()} == disk_files(root)

        wait_for(reader_converged, what="reader to converge")
        stop.set()
        thread.join()
        assert errors == []
        assert heard
        assert index_problems(root) == []
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    assert any("synced" in line for line in lines)
    # The writer is gone: the reader promotes itself and keeps the folder live.
    wait_for(lambda: reader.is_writer, what="promotion")
    (root / "late.md").write_text("# Late\n\nwombatine arrives late\n", encoding="utf-8")
    wait_for(lambda: reader.search("wombatine", mode="keyword"), what="promoted writer")
    assert reader.watcher.describe() == "watching (inotify)"
    reader.close()
