"""`nvault search --format ...`, the query language's errors and `nvault get`, as a person runs
them: real subprocesses on one real folder indexed once."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from cli_runner import nvault
from vault_files import write_files

FILES = {
    "garden/tomatoes.md": "# Tomatoes\n\nWater tomatoes deeply twice a week.\n"
    "Hornworms eat the leaves; pick them off at dusk.\n",
    "garden/roses.md": "# Roses\n\nPrune roses in late winter, above an outward bud.\n",
    "plans/a/Plan.md": "# Plan A\n\nBuild a raised bed for tomatoes.\n",
    "plans/b/Plan.md": "# Plan B\n\nMove the roses to the sunny corner.\n",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli-output")
    write_files(folder, FILES)
    done = nvault(folder, "index")
    assert done.returncode == 0, done.stderr
    return folder


def test_each_format_prints_the_same_hits(root: Path) -> None:
    query = ["search", "hornworms leaves", "--mode", "keyword"]
    lines = nvault(root, *query, "--format", "jsonl").stdout.splitlines()
    hits = [json.loads(line) for line in lines]
    assert [h["citation"] for h in hits] == ["garden/tomatoes.md:3-4"]
    assert [hits[0]["snippet"][a:b] for a, b in hits[0]["match_spans"]] == ["Hornworms", "leaves"]
    assert nvault(root, *query, "--format", "files").stdout == "garden/tomatoes.md\n"
    rows = list(csv.DictReader(io.StringIO(nvault(root, *query, "--format", "csv").stdout)))
    assert rows[0]["citation"] == "garden/tomatoes.md:3-4" and "Hornworms" in rows[0]["snippet"]
    md = nvault(root, *query, "--format", "md").stdout
    assert md.startswith("1. [garden/tomatoes.md:3-4](garden/tomatoes.md) Tomatoes")
    assert "**Hornworms** eat the **leaves**" in md
    # ripgrep's --vimgrep: path:line:col at the first matched word of the passage
    vim = nvault(root, *query, "--format", "vimgrep").stdout
    assert vim == "garden/tomatoes.md:4:1:Hornworms eat the leaves; pick them off at dusk.\n"
    text = nvault(root, *query).stdout
    assert "1. garden/tomatoes.md:3-4" in text and "Hornworms eat the leaves" in text


def test_nothing_matched_goes_to_stderr_in_machine_formats(root: Path) -> None:
    done = nvault(root, "search", "%%% ###", "--format", "json")
    assert done.returncode == 0 and json.loads(done.stdout) == []
    assert "Nothing in the notes matches" in done.stderr


def test_query_operators_and_min_score(root: Path) -> None:
    both = nvault(root, "search", "tomatoes OR roses path:garden/", "--format", "files").stdout
    assert sorted(both.split()) == ["garden/roses.md", "garden/tomatoes.md"]
    none = nvault(root, "search", "tomatoes", "--min-score", "1", "--format", "files")
    assert none.returncode == 0 and none.stdout == ""


def test_a_syntax_error_points_at_the_position(root: Path) -> None:
    done = nvault(root, "search", 'roses "late winter')
    assert done.returncode == 2
    assert "position 7" in done.stderr and "never closed" in done.stderr
    assert 'roses "late winter\n        ^' in done.stderr  # the caret under the quote


def test_get_prints_a_note_or_a_passage(root: Path) -> None:
    whole = nvault(root, "get", "Tomatoes")
    assert whole.returncode == 0 and whole.stdout == (root / "garden/tomatoes.md").read_text()
    lines = nvault(root, "get", "garden/tomatoes.md:3-4")
    assert (
        lines.stdout
        == "Water tomatoes deeply twice a week.\nHornworms eat the leaves; pick them off at dusk.\n"
    )
    one = nvault(root, "get", "Roses:3", "-n")
    assert one.stdout == "3  Prune roses in late winter, above an outward bud.\n"


def test_get_lists_the_candidates_of_an_ambiguous_name(root: Path) -> None:
    done = nvault(root, "get", "Plan")
    assert done.returncode == 2 and done.stdout == ""
    assert "ambiguous" in done.stderr
    assert "plans/a/Plan.md" in done.stderr and "plans/b/Plan.md" in done.stderr
    bad = nvault(root, "get", "Roses:9-3")
    assert bad.returncode == 2 and "bad line range" in bad.stderr
