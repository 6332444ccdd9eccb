"""Each way the index was found damaged: the next command repairs it, says so in one sentence,
and the index equals the folder again; vectors that can still be read are not embedded again."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from faults import CORRUPTIONS, assert_census, assert_told_clearly, corrupt, nvault

# Corruptions that leave the stored vectors readable: the rebuild must embed nothing.
VECTORS_READABLE = {
    "garbage-notes-data",
    "garbage-index-json",
    "garbage-index-json-and-copy",
    "garbage-fts-files",
}


IN_CI = {"garbage-chunks-manifest", "garbage-fts-files"}  # the rest run under `-m stress`


@pytest.mark.parametrize(
    "kind", [k if k in IN_CI else pytest.param(k, marks=pytest.mark.stress) for k in CORRUPTIONS]
)
def test_damaged_index_heals_on_the_next_command(
    kind: str, indexed: Callable[[], tuple[Path, dict[str, str]]]
) -> None:
    root, tokens = indexed()
    corrupt(kind, root / ".nvault")

    status = nvault(root, "status", "--json")
    assert status.returncode == 0, status.stderr
    assert_told_clearly(status)
    report = json.loads(status.stdout)
    if kind != "garbage-index-json":  # restored silently from its copy? no: said once too
        assert "repaired" in status.stderr, status.stderr
    assert report["notice"], report

    again = nvault(root, "status")
    assert again.returncode == 0 and "repaired" not in again.stderr, again.stderr

    index = nvault(root, "index", "--json")
    assert index.returncode == 0, index.stderr
    assert_told_clearly(index, most=0)
    if kind in VECTORS_READABLE:
        assert json.loads(index.stdout)["embedded"] == 0, index.stdout
    assert_census(root, tokens)

    found = nvault(root, "search", tokens["note4.md"], "--mode", "keyword", "--json")
    assert found.returncode == 0 and json.loads(found.stdout)[0]["path"] == "note4.md"


@pytest.mark.stress
def test_damaged_copy_is_kept_for_a_bug_report_and_pruned(
    indexed: Callable[[], tuple[Path, dict[str, str]]],
) -> None:
    root, _ = indexed()
    for _ in range(5):
        corrupt("garbage-index-json-and-copy", root / ".nvault")
        assert nvault(root, "status").returncode == 0
    kept = sorted((root / ".nvault").glob("corrupt-*"))
    assert 1 <= len(kept) <= 3, kept
    assert (kept[-1] / "lance").is_dir()


def test_doctor_repair_on_demand(indexed: Callable[[], tuple[Path, dict[str, str]]]) -> None:
    root, tokens = indexed()
    doctor = nvault(root, "doctor")
    assert "index" in doctor.stdout and "bad" not in doctor.stdout
    corrupt("garbage-fts-files", root / ".nvault")
    fixed = nvault(root, "doctor", "--repair")
    assert_told_clearly(fixed)
    assert "keyword index" in " ".join((fixed.stderr + fixed.stdout).split())
    assert_census(root, tokens)
