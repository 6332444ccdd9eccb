"""`nvault mv`, `nvault journal`, `nvault undo` as a person runs them (a real subprocess)."""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import nvault
from vault_files import write_files


def test_mv_rewrites_links_and_undo_restores_every_byte(tmp_path: Path) -> None:
    root = tmp_path / "v"
    files = {
        "top.md": "# Top\r\n\r\nsee [[b#Part|part]] and [x](a/b.md) and ![[b]]\r\n",
        "a/b.md": "# B\n\n## Part\n\nback to [top](../top.md)\n",
        "other.md": "# Other\n\n[[top]] only\n",
    }
    write_files(root, files)
    assert nvault(root, "index").returncode == 0
    before = {p: (root / p).read_bytes() for p in files}
    dry = nvault(root, "mv", "a/b.md", "c/bee.md", "--dry-run")
    assert dry.returncode == 0 and "+see [[bee#Part|part]]" in dry.stdout
    assert {p: (root / p).read_bytes() for p in files} == before
    moved = nvault(root, "mv", "a/b.md", "c/bee.md", "--json")
    assert moved.returncode == 0, moved.stderr
    receipt = json.loads(moved.stdout)
    assert (root / "top.md").read_bytes() == (
        b"# Top\r\n\r\nsee [[bee#Part|part]] and [x](c/bee.md) and ![[bee]]\r\n"
    )
    assert (root / "c/bee.md").read_text() == "# B\n\n## Part\n\nback to [top](../top.md)\n"
    assert (root / "other.md").read_bytes() == before["other.md"]
    journal = json.loads(nvault(root, "journal", "--json").stdout)
    assert journal[-1]["write_id"] == receipt["write_id"] and journal[-1]["state"] == "done"
    assert nvault(root, "undo").returncode == 0
    assert {p: (root / p).read_bytes() for p in files} == before
    assert not (root / "c/bee.md").exists()
    again = nvault(root, "undo", receipt["write_id"])
    assert again.returncode == 2 and "undone" in again.stderr


def test_mv_onto_an_existing_note_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "v"
    write_files(root, {"a.md": "# A\n", "b.md": "# B\n"})
    assert nvault(root, "index").returncode == 0
    out = nvault(root, "mv", "a.md", "b.md")
    assert out.returncode == 2 and "already exists" in out.stderr
    assert (root / "a.md").read_text() == "# A\n" and (root / "b.md").read_text() == "# B\n"
