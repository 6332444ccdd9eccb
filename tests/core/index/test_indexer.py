"""Sync lifecycle on a real LanceDB: add, edit, delete, move, no-op, interrupted write, bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from poll import wait_for

from vault_core.store.schema import ChunkRow
from vault_core.store.store import Store
from vault_core.vault import Vault

LONG = "# Long note\n\n" + "\n\n".join(
    f"## Part {i}\n" + " ".join(f"Paragraph {i} sentence {j} about topic{i}." for j in range(6))
    for i in range(6)
)
FILES = {
    "a.md": "# Alpha\nAlpha talks about [[b]] and zebras.\n",
    "b.md": "# Beta\nBeta is about quantum gravity.\n",
    "sub/c.md": "# Gamma\nGamma covers [[a|the alpha note]].\n",
    "long.md": LONG,
}


def index_matches_disk(vault: Vault) -> None:
    """Every file has a notes row with its sha256 and exactly its chunks; nothing else is stored."""
    disk = {
        p.relative_to(vault.root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in vault.root.rglob("*.md")
        if ".nvault" not in p.parts
    }
    rows = {r["path"]: r for r in vault.store.all_notes()}
    assert {p: r["sha256"] for p, r in rows.items()} == disk
    census = vault.store.chunk_census()
    for path, row in rows.items():
        count, shas = census.get(path, (0, set()))
        assert count == row["chunk_count"]
        if count:
            assert shas == {row["sha256"]}
    assert set(census) <= set(rows)
    ids = vault.store.scan_columns(["id"])["id"].to_pylist()
    assert len(ids) == len(set(ids))


def test_add_then_noop(make_vault) -> None:
    vault = make_vault(FILES)
    report = vault.last_report
    assert sorted(report.added) == sorted(FILES)
    assert report.embedded == report.chunks_written > 0
    index_matches_disk(vault)
    again = vault.sync()
    assert again.unchanged == len(FILES) and again.embedded == 0 and again.chunks_written == 0


def test_editing_one_paragraph_reembeds_one_chunk(make_vault) -> None:
    vault = make_vault(FILES)
    path = vault.root / "long.md"
    path.write_text(
        LONG.replace("Paragraph 3 sentence 2", "Paragraph 3 sentence two"), encoding="utf-8"
    )
    report = vault.sync()
    assert report.updated == ["long.md"]
    assert report.embedded == 1 and report.reused == vault.note("long.md").chunk_count - 1
    index_matches_disk(vault)


def test_touch_without_change_embeds_nothing(make_vault) -> None:
    vault = make_vault(FILES)
    os.utime(vault.root / "a.md", (1, 1))
    report = vault.sync()
    assert report.touched == 1 and report.updated == [] and report.embedded == 0
    assert vault.note("a.md").mtime == 1


def test_delete_and_move(make_vault) -> None:
    vault = make_vault(FILES)
    (vault.root / "b.md").unlink()
    (vault.root / "archive").mkdir()
    (vault.root / "sub" / "c.md").rename(vault.root / "archive" / "c.md")
    report = vault.sync()
    assert report.deleted == ["b.md"]
    assert report.moved == [("sub/c.md", "archive/c.md")]
    assert report.embedded == 0
    assert "b.md" not in vault.catalog and "archive/c.md" in vault.catalog
    assert [r.source for r in vault.backlinks("a.md")] == ["archive/c.md"]
    assert vault.links("a.md")[0].broken
    index_matches_disk(vault)


def test_sync_paths_handles_folders_and_deletions(make_vault) -> None:
    vault = make_vault(FILES)
    (vault.root / "sub" / "c.md").unlink()
    (vault.root / "sub" / "d.md").write_text("# Delta\nnew note\n", encoding="utf-8")
    report = vault.sync(["sub"])
    assert report.added == ["sub/d.md"] and report.deleted == ["sub/c.md"]
    (vault.root / "a.md").unlink()
    assert vault.sync(["a.md"]).deleted == ["a.md"]
    index_matches_disk(vault)


def test_interrupted_write_is_repaired_on_next_open(make_vault) -> None:
    """Chunks of a new version written, the notes row not (a kill between the two commits)."""
    vault = make_vault(FILES)
    root = vault.root
    old_rows = vault.store.chunk_rows(["a.md"])
    half_written = [ChunkRow(**{**r, "id": r["id"] + "x", "note_sha": "f" * 64}) for r in old_rows]
    vault.store.replace_chunks(["a.md"], half_written)
    (root / "a.md").write_text("# Alpha\nchanged on disk meanwhile\n", encoding="utf-8")
    vault.close()
    reopened = Vault.open(root)
    assert "a.md" not in reopened.catalog  # repair dropped the inconsistent note
    reopened.sync()
    index_matches_disk(reopened)
    assert reopened.search("changed on disk meanwhile", mode="keyword")[0].path == "a.md"
    reopened.close()


def test_bad_input_is_recorded_and_the_rest_indexed(make_vault) -> None:
    files: dict[str, str | bytes] = {
        **FILES,
        "latin1.md": "# Caf\xe9\n".encode("latin-1"),
        "binary.md": b"\x00\x01\x02PNG\x00" * 50,
        "empty.md": "",
        "broken-fm.md": "---\ntitle: [oops\n---\n# Still indexed\nfrontmatterword\n",
    }
    vault = make_vault(files)
    status = vault.status()
    skipped = {i.path: i.reason for i in status.skipped}
    assert "invalid UTF-8" in skipped["latin1.md"]
    assert "binary" in skipped["binary.md"]
    warnings = {i.path: i.reason for i in status.warnings}
    assert "empty" in warnings["empty.md"]
    assert "broken frontmatter" in warnings["broken-fm.md"]
    assert vault.search("frontmatterword", mode="keyword")[0].path == "broken-fm.md"
    assert status.notes == len(files)
    # a good note that turns bad keeps its last good version searchable
    (vault.root / "b.md").write_bytes(b"\xff\xfe broken now")
    vault.sync()
    assert "invalid UTF-8" in vault.note("b.md").error
    assert vault.search("quantum gravity", mode="keyword")[0].path == "b.md"


def test_oversized_file_is_skipped_with_reason(make_vault, tmp_path: Path) -> None:
    vault = make_vault(FILES, sync=False)
    vault.config.limits.max_file_bytes = 200
    (vault.root / "huge.md").write_text("# Huge\n" + "word " * 100, encoding="utf-8")
    vault.sync()
    assert "over the" in vault.note("huge.md").error


def test_other_model_rebuilds_the_index(make_vault) -> None:
    vault = make_vault(FILES)
    index_dir = vault.config.index_path
    vault.close()
    other = Store(index_dir, "another-model", 8, writer=True)
    assert other.count_chunks() == 0 and other.all_notes() == []


def test_new_parser_version_reparses_without_reembedding(make_vault, monkeypatch) -> None:
    vault = make_vault(FILES)
    root = vault.root
    vault.close()
    monkeypatch.setattr("vault_core.store.index_meta.PARSER_VERSION", 999)
    reopened = Vault.open(root)
    assert reopened.store.reparse_needed
    report = reopened.sync()
    assert sorted(report.updated) == sorted(FILES) and report.embedded == 0
    assert not reopened.store.reparse_needed
    assert reopened.sync().unchanged == len(FILES)
    reopened.close()


def test_symlink_leading_outside_the_vault_is_not_indexed(make_vault, tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\nprivatetoken outside the vault\n", encoding="utf-8")
    vault = make_vault(FILES, sync=False)
    (vault.root / "escape.md").symlink_to(secret)
    vault.sync()
    assert "outside the vault" in vault.note("escape.md").error
    assert vault.search("privatetoken", mode="keyword") == []


def test_reader_follows_the_rows_that_changed(make_vault) -> None:

    writer = make_vault(
        {"a.md": "# A\n\nalpha\n", "b.md": "# B\n\nbeta\n", "c.md": "# C\n\ngamma\n"}
    )
    reader = Vault.open(writer.root, writer=False)
    try:
        before = dict(reader.catalog)
        (writer.root / "a.md").write_text("# A\n\nalpha, edited\n", encoding="utf-8")
        (writer.root / "c.md").unlink()
        (writer.root / "d.md").write_text("# D\n\ndelta\n", encoding="utf-8")
        writer.sync()
        wait_for(lambda: "d.md" in reader.catalog, 30, what="the reader to follow")
        after = reader.catalog
        assert set(after) == {"a.md", "b.md", "d.md"}
        assert after["b.md"] == before["b.md"]  # unchanged row: the same record
        assert after["a.md"] is not before["a.md"]
        assert after["a.md"].sha256 == writer.catalog["a.md"].sha256 != before["a.md"].sha256
        assert after == writer.catalog
    finally:
        reader.close()


def _counted(vault: Vault) -> tuple[int, int]:
    """(chunks, embedded chunks) as the writer's progress carries them between saves."""
    state = vault.embedding_state()
    return state.chunks_total, state.chunks_embedded


def _recounted(vault: Vault) -> tuple[int, int]:
    return vault.store.count_chunks(), vault.store.count_embedded()


def test_saves_keep_the_counts_without_recounting(make_vault) -> None:
    """A sync of a few paths moves the progress counts by what it wrote (no scan of every
    vector); grown, shrunk, unembedded and deleted notes all land on the true counts."""
    vault = make_vault(FILES)
    assert _counted(vault) == _recounted(vault)
    root = vault.root
    steps = [
        ("long.md", LONG.split("## Part 3")[0], True, "topic5"),  # shrinks: its tail goes
        ("long.md", LONG, True, ""),  # grows back
        ("new.md", LONG.replace("topic", "subject"), False, ""),  # added, no vectors yet
        ("b.md", None, True, "quantum"),  # deleted
        ("new.md", "# New\n\nnow short\n", True, "subject2"),  # replaces unembedded rows
    ]
    for path, text, embed, gone in steps:
        if text is None:
            (root / path).unlink()
        else:
            (root / path).write_text(text, encoding="utf-8")
        report = vault.sync([path], embed=embed)
        assert report.changed_paths == [path]
        assert _counted(vault) == _recounted(vault), path
        index_matches_disk(vault)
        assert not gone or vault.search(gone, mode="keyword") == []


def test_a_kill_between_upsert_and_tail_delete_is_repaired(make_vault) -> None:
    """The first of a shrinking note's two commits landed (new head, old tail, old notes row):
    the next open's repair drops the note and one sync writes it whole."""
    vault = make_vault(FILES)
    root = vault.root
    old = sorted(vault.store.chunk_rows(["long.md"]), key=lambda r: r["ordinal"])
    assert len(old) > 2
    head = [ChunkRow(**{**r, "note_sha": "f" * 64, "text": "half written"}) for r in old[:2]]
    vault.store.chunks.merge_insert("id").when_matched_update_all().execute(
        vault.store._chunk_table(head)
    )
    (root / "long.md").write_text("# Long note\n\nshort now\n", encoding="utf-8")
    vault.close()
    reopened = Vault.open(root)
    assert "long.md" not in reopened.catalog  # repair saw two versions' chunks
    reopened.sync()
    index_matches_disk(reopened)
    assert reopened.search("short now", mode="keyword")[0].path == "long.md"
    assert reopened.search("half written", mode="keyword") == []
    reopened.close()


def test_a_save_leaves_compaction_to_the_owner(make_vault, monkeypatch) -> None:
    """A path sync writes rows the keyword index searches unindexed, without compacting on the
    save; `compact` (the watcher's quiet-time job) folds them in."""
    monkeypatch.setattr("vault_core.index.indexer.OPTIMIZE_AFTER", 1)
    vault = make_vault(FILES)
    assert not vault.compaction_due  # the whole sync compacted inline
    (vault.root / "b.md").write_text("# Beta\n\nBeta is about zanzibarite.\n", encoding="utf-8")
    vault.sync(["b.md"])
    assert vault.compaction_due
    stats = vault.store.chunks.index_stats("terms_idx")
    assert stats.num_unindexed_rows > 0
    assert vault.search("zanzibarite", mode="keyword")[0].path == "b.md"
    vault.compact()
    assert not vault.compaction_due
    assert vault.store.chunks.index_stats("terms_idx").num_unindexed_rows == 0
    assert vault.search("zanzibarite", mode="keyword")[0].path == "b.md"
