"""A read-only index folder, a full disk, and the files a scan cannot follow: each is one
sentence, and nothing already indexed is lost."""

from __future__ import annotations

import json
import os
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import (
    assert_census,
    assert_told_clearly,
    nvault,
    read_only_bind,
    remount,
    tmpfs,
    write_vault,
)


def test_read_only_index_folder_makes_a_reader(
    indexed: Callable[[], tuple[Path, dict[str, str]]],
) -> None:
    root, tokens = indexed()
    with read_only_bind(root / ".nvault") as mounted:
        if not mounted:
            pytest.skip("bind mounts are not allowed here")
        status = nvault(root, "status", "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["role"] == "reader", status
        found = nvault(root, "search", tokens["note4.md"], "--mode", "keyword", "--json")
        assert json.loads(found.stdout)[0]["path"] == "note4.md"
        index = nvault(root, "index")
        assert index.returncode == 1 and "read-only" in index.stderr, index
        assert_told_clearly(index)


@pytest.mark.stress  # embeds 3,000 chunks after space is freed; CI runners rarely allow mounts
@pytest.mark.timeout(1800)
def test_disk_full_is_one_sentence_and_the_partial_index_stays_searchable(tmp_path: Path) -> None:
    root = tmp_path / "small-disk"
    with tmpfs(root, "8m") as mounted:
        if not mounted:
            pytest.skip("tmpfs mounts are not allowed here")
        rng = random.Random(3)
        tokens = {}
        for i in range(1500):
            rel = f"n{i}.md"
            words = " ".join(f"word{rng.randint(0, 9999)}" for _ in range(200))
            (root / rel).write_text(f"# N{i}\n\n{words} uniqtok{i}x\n")
            tokens[rel] = f"uniqtok{i}x"
        full = nvault(root, "index")
        assert full.returncode != 0
        assert_told_clearly(full)
        assert "The disk is full" in full.stderr, full.stderr
        status = nvault(root, "status", "--json")
        indexed_notes = json.loads(status.stdout)["notes"]
        assert indexed_notes > 0, status
        found = nvault(root, "search", "uniqtok0x", "--mode", "keyword", "--json")
        assert found.returncode == 0 and json.loads(found.stdout)[0]["path"] == "n0.md"
        if not remount(root, "size=256m"):
            pytest.skip("tmpfs cannot be resized here")
        done = nvault(root, "index", "--json")
        assert done.returncode == 0, done.stderr
        assert_census(root, tokens)


def test_scan_problems_are_reported_in_status(tmp_path: Path) -> None:
    write_vault(tmp_path, n=3)
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (outside / "elsewhere.md").write_text("# Elsewhere\n")
    (tmp_path / "linked-folder").symlink_to(outside, target_is_directory=True)
    (tmp_path / "loop.md").symlink_to(tmp_path / "loop.md")
    deep = make_deeper_than_path_max(tmp_path / "deep")
    empty_xlsx = tmp_path / "empty.xlsx"
    openpyxl = pytest.importorskip("openpyxl")
    openpyxl.Workbook().save(empty_xlsx)
    assert nvault(tmp_path, "index").returncode == 0
    status = nvault(tmp_path, "status", "--json")
    report = json.loads(status.stdout)
    skipped = {i["path"]: i["reason"] for i in report["skipped"]}
    warnings = {i["path"]: i["reason"] for i in report["warnings"]}
    assert "symlinked folder" in skipped["linked-folder"]
    assert "symlink loop" in skipped["loop.md"]
    assert "no text found" in warnings["empty.xlsx"]
    if deep:
        assert any("PATH_MAX" in reason for reason in skipped.values()), skipped
    shutil.rmtree(outside)


def make_deeper_than_path_max(base: Path) -> bool:
    """Folders nested (relative to each other, via dir_fd) past PATH_MAX, with a note inside."""
    base.mkdir()
    fd = os.open(base, os.O_RDONLY)
    try:
        for _ in range(25):  # 25 x 200 characters > 4096
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        note = os.open("deep.md", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(note, b"# Deep\n")
        os.close(note)
    except OSError:
        return False  # this filesystem refuses before PATH_MAX: the loop and the link remain
    finally:
        os.close(fd)
    return True


def test_a_huge_single_line_note_is_capped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / ".nvault").mkdir()
    (tmp_path / ".nvault" / "config.toml").write_text("[limits]\nmax_chunks_per_file = 20\n")
    rng = random.Random(5)
    line = " ".join(f"tok{rng.randint(0, 99999)}" for _ in range(400_000))  # ~4 MB, one line
    (tmp_path / "dump.md").write_text(f"# Dump\n\n{line}\n")
    (tmp_path / "small.md").write_text("# Small\n\nuniqtoksmallx\n")
    done = nvault(tmp_path, "index", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["embedded"] <= 21
    status = json.loads(nvault(tmp_path, "status", "--json").stdout)
    assert status["chunks"] == 21
    warnings = [w["reason"] for w in status["warnings"] if w["path"] == "dump.md"]
    assert warnings and "only the first 20" in warnings[0]
    assert_census(tmp_path, {"small.md": "uniqtoksmallx"})
