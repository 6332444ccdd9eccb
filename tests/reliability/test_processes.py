"""The index folder vanishing under a running writer, kill -9 during the first index, clocks
that jump, and typos in the vault path: real `nvault` processes on real folders."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import poll
import pytest
from faults import (
    TOKEN,
    assert_census,
    assert_told_clearly,
    census,
    nvault,
    spawn,
    write_vault,
)
from index_check import rm_rf_under_a_writer

WAIT_S = 120.0


def wait_for(check: Callable[[], bool]) -> bool:
    """poll.wait_for, patient (a whole cold index) and looking again while the index is being
    rebuilt under us."""
    return poll.wait_for(check, WAIT_S, every=0.5, ignore=(Exception,))


def keyword_hit(root: Path, token: str, path: str) -> bool:
    found = nvault(root, "search", token, "--mode", "keyword", "--json")
    return found.returncode == 0 and any(h["path"] == path for h in json.loads(found.stdout))


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=60)
    except Exception:
        process.kill()
        _, err = process.communicate()
    return err


@pytest.mark.parametrize("how", ["deleted", pytest.param("replaced", marks=pytest.mark.stress)])
def test_index_folder_vanishing_under_watch(
    how: str, indexed: Callable[[], tuple[Path, dict[str, str]]], tmp_path: Path
) -> None:
    root, tokens = indexed()
    backup = tmp_path / "backup.nvault"
    shutil.copytree(root / ".nvault", backup, ignore=shutil.ignore_patterns("writer.lock"))
    watch = spawn(root, "watch")
    try:
        # no other process may race `watch` for the writer lock: read its own log until it
        # watches (polling `nvault status` here could take the lock first)
        assert watch.stderr is not None
        started, deadline = [], time.monotonic() + 120
        while not any("watching" in line for line in started):
            assert time.monotonic() < deadline and watch.poll() is None, started
            started.append(watch.stderr.readline())
        assert ": writer" in started[0], started
        rm_rf_under_a_writer(root / ".nvault")
        if how == "replaced":  # restored from a backup, as `git checkout` or a sync tool would
            shutil.copytree(backup, root / ".nvault")
        # the watcher rebuilds the folder and takes the writer lock again before anyone else
        assert wait_for(lambda: (root / ".nvault" / "writer.lock").exists())
        second = nvault(root, "index")
        assert second.returncode == 1 and "Another nvault process" in second.stderr, second
        assert wait_for(lambda: (root / ".nvault" / "lance").is_dir())
        (root / "after.md").write_text(f"# After\n\nwritten after the rebuild {TOKEN}after9x\n")
        tokens["after.md"] = f"{TOKEN}after9x"
        assert wait_for(lambda: keyword_hit(root, f"{TOKEN}after9x", "after.md"))
        status = nvault(root, "status", "--json")  # `watch` serves its socket in the new folder
        assert json.loads(status.stdout)["role"] == "writer"
    finally:
        err = stop(watch)
    assert "Traceback" not in err, err
    assert "was deleted" in err or "was replaced" in err, err
    assert_census(root, tokens)


@pytest.mark.parametrize("seed", [1, pytest.param(2, marks=pytest.mark.stress)])
def test_kill9_during_first_index_converges(seed: int, tmp_path: Path) -> None:
    kill_and_converge(tmp_path, seed, rounds=2)


@pytest.mark.stress
@pytest.mark.parametrize("seed", range(10, 20))
def test_kill9_stress(seed: int, tmp_path: Path) -> None:
    kill_and_converge(tmp_path, seed, rounds=6, notes=200)


def kill_and_converge(tmp_path: Path, seed: int, rounds: int, notes: int = 60) -> None:
    """kill -9 `nvault index` at random moments (phase 1 reading, phase 2 embedding)."""
    rng = random.Random(seed)
    root = tmp_path / "vault"
    root.mkdir()
    tokens = write_vault(root, n=notes, seed=seed)
    for _ in range(rounds):
        process = spawn(root, "index")
        time.sleep(rng.uniform(2.0, 9.0))  # imports take ~2 s, then phase 1, then phase 2
        process.send_signal(signal.SIGKILL)
        process.communicate()
        victim = root / rng.choice(sorted(tokens))  # the user edits meanwhile
        victim.write_text(victim.read_text() + "\nedited after a crash\n")
    done = nvault(root, "index", "--json")
    assert done.returncode == 0, done.stderr
    assert_told_clearly(done, most=0)
    assert_census(root, tokens)
    again = json.loads(nvault(root, "index", "--json").stdout)
    assert again["added"] == again["updated"] == [] and again["embedded"] == 0, again


def test_mtimes_in_the_future_and_past(indexed: Callable[[], tuple[Path, dict[str, str]]]) -> None:
    root, tokens = indexed()
    future, past = time.time() + 10 * 365 * 86400, 86400.0 * 365  # 2036 and 1971
    a, b = root / "note1.md", root / "note2.md"
    a.write_text(a.read_text().replace(tokens["note1.md"], "uniqtokfuture1x"))
    os.utime(a, (future, future))
    b.write_text(b.read_text().replace(tokens["note2.md"], "uniqtokpast2x"))
    os.utime(b, (past, past))
    tokens["note1.md"], tokens["note2.md"] = "uniqtokfuture1x", "uniqtokpast2x"
    done = nvault(root, "index", "--json")
    assert sorted(json.loads(done.stdout)["updated"]) == ["note1.md", "note2.md"]
    # the clock comes back: an edit now has an mtime *older* than the stored one
    a.write_text(a.read_text().replace("uniqtokfuture1x", "uniqtokback1x"))
    tokens["note1.md"] = "uniqtokback1x"
    done = nvault(root, "index", "--json")
    assert json.loads(done.stdout)["updated"] == ["note1.md"]
    assert_census(root, tokens)


@pytest.mark.parametrize(
    "command",
    [
        "status",
        *(pytest.param(c, marks=pytest.mark.stress) for c in ("search", "index", "links", "watch")),
    ],
)
def test_missing_vault_folder_is_one_sentence_and_creates_nothing(
    command: str, tmp_path: Path
) -> None:
    missing = tmp_path / "no" / "such" / "vault"
    args = {"search": ["proof of stake"], "links": ["x"]}.get(command, [])
    done = nvault(missing, command, *args, timeout=60)
    assert done.returncode == 2, done
    assert_told_clearly(done)
    assert "There is no folder at" in done.stderr
    assert not (tmp_path / "no").exists()


def test_read_commands_never_start_a_first_index(tmp_path: Path) -> None:
    write_vault(tmp_path, n=3)
    for args in (["search", "proof of stake"], ["status"], ["backlinks", "note1"]):
        done = nvault(tmp_path, *args, timeout=60)
        assert done.returncode == 2 and "has no nvault index yet" in done.stderr, done
        assert_told_clearly(done)
    assert not (tmp_path / ".nvault").exists()


def test_census_sees_what_it_must(indexed: Callable[[], tuple[Path, dict[str, str]]]) -> None:
    """The census itself is honest: a file added behind the index's back is reported."""
    root, tokens = indexed()
    (root / "unseen.md").write_text("# Unseen\n\nuniqtokunseenx\n")
    tokens["unseen.md"] = "uniqtokunseenx"
    found = census(root, tokens)
    assert found["problems"] == ["not indexed: unseen.md"]
    assert found["missing_tokens"] == ["uniqtokunseenx"]
