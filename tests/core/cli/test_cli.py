"""The `nvault` command as a person runs it: a real subprocess on a real folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cli_runner import nvault
from vault_files import write_files

FILES = {
    "Inbox.md": "# Inbox\nRemember [[Recipes]] and [[Nowhere]].\n",
    "Recipes.md": "# Recipes\nSourdough bread needs a lively starter and a long cold proof.\n",
    "bad.md": b"# Bad\n\xff\xfe not utf8",
}


def test_index_search_status_links(tmp_path: Path) -> None:
    write_files(tmp_path, FILES)
    done = nvault(tmp_path, "index", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert sorted(report["added"]) == ["Inbox.md", "Recipes.md", "bad.md"]
    assert "invalid UTF-8" in report["errors"]["bad.md"]
    # every chunk has its vector, and the final compaction (run after the model is freed)
    # folded phase 2's rewritten rows into every index
    import lancedb

    chunks = lancedb.connect(str(tmp_path / ".nvault" / "lance")).open_table("chunks")
    assert chunks.count_rows() > 0 and chunks.count_rows("vector IS NULL") == 0
    assert all(ix.num_unindexed_rows == 0 for ix in chunks.list_indices())

    found = nvault(tmp_path, "search", "how to bake bread", "--json", "--limit", "2")
    hits = json.loads(found.stdout)
    assert hits[0]["path"] == "Recipes.md" and hits[0]["start_line"] == 2

    readable = nvault(tmp_path, "search", "sourdough starter")
    assert "Recipes.md:2 " in readable.stdout

    status = json.loads(nvault(tmp_path, "status", "--json").stdout)
    assert status["notes"] == 3 and status["skipped"][0]["path"] == "bad.md"

    links = json.loads(nvault(tmp_path, "links", "Inbox", "--json").stdout)
    assert [(link["target"], link["broken"]) for link in links] == [
        ("Recipes.md", False),
        (None, True),
    ]
    back = nvault(tmp_path, "backlinks", "recipes")
    assert "Inbox.md:2  [[Recipes]]" in back.stdout


def test_unknown_note_is_a_clear_error(tmp_path: Path) -> None:
    write_files(tmp_path, FILES)
    cmd = [sys.executable, "-m", "vault_cli.main", "index", str(tmp_path)]  # ROOT as an argument
    assert subprocess.run(cmd, capture_output=True, text=True, timeout=300).returncode == 0
    result = nvault(tmp_path, "links", "Recipies")
    assert result.returncode == 2
    assert "No note matches 'Recipies'" in result.stderr and "Recipes.md" in result.stderr


def test_every_command_takes_the_vault_the_same_way(tmp_path: Path) -> None:
    """A leading ROOT works for every command, as `--root` does (`nvault search VAULT "q"`)."""
    write_files(tmp_path, FILES)
    run = [sys.executable, "-m", "vault_cli.main"]
    assert subprocess.run([*run, "index", str(tmp_path)], capture_output=True).returncode == 0
    for args in (
        ["search", str(tmp_path), "sourdough starter", "--json"],
        ["links", str(tmp_path), "Inbox", "--json"],
        ["mentions", str(tmp_path), "Inbox", "--json"],
        ["status", str(tmp_path), "--json"],
    ):
        done = subprocess.run([*run, *args], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, (args, done.stderr)
        json.loads(done.stdout)
    found = json.loads(nvault(tmp_path, "search", "sourdough starter", "--json").stdout)
    assert found and found[0]["path"] == "Recipes.md"  # one argument is still the query


def test_not_found_names_cli_commands_and_doctor_passes_without_the_llm(tmp_path: Path) -> None:
    write_files(tmp_path, FILES)
    assert nvault(tmp_path, "index").returncode == 0
    missing = nvault(tmp_path, "links", "Nowhere at all")
    assert missing.returncode == 2
    assert "nvault search" in missing.stderr and "list_notes" not in missing.stderr
    doctor = nvault(tmp_path, "doctor")  # no Ollama on this machine's default port in CI
    assert doctor.returncode == 0, doctor.stdout
    report = json.loads(nvault(tmp_path, "doctor", "--json").stdout)  # JSON only on stdout
    assert set(report) == {"vault", "llm"}
