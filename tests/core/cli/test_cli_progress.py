"""`nvault index` says how far it is where there is no terminal (issue 26, item 5).

With stderr a pipe (CI logs, an agent, `nohup`) a rich bar draws nothing; the CLI prints plain
lines instead, JSON lines with `--progress=json`, nothing with `--quiet`.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from vault_files import write_files

from vault_cli.progress import PhaseLine, sync_with_progress
from vault_core.vault import Vault

pytestmark = pytest.mark.timeout(900)

NOTES = {
    f"topic {i}.md": f"# Topic {i}\n\nA note about subject {i}, linked to [[topic {i + 1}]].\n\n"
    + "Some more words about spaced repetition and memory. " * 5
    for i in range(12)
}
NVAULT = "import sys; from vault_cli.main import main; sys.exit(main(sys.argv[1:]))"
ANSI = re.compile(r"\x1b\[")


def nvault(*args: str) -> subprocess.CompletedProcess[str]:
    """The CLI as an agent runs it: stdout and stderr are pipes, not a terminal."""
    return subprocess.run(
        [sys.executable, "-c", NVAULT, *args], capture_output=True, text=True, timeout=600
    )


def test_plain_lines_without_a_terminal_then_json_then_quiet(tmp_path: Path) -> None:
    write_files(tmp_path, NOTES)
    done = nvault("index", str(tmp_path))
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert not ANSI.search(done.stderr), done.stderr  # no bar, no cursor movement
    assert "reading: 12/12 files" in lines[0] and lines[0].endswith("done"), lines
    embedded = [line for line in lines if line.startswith("embedding: ")]
    assert embedded and embedded[-1].endswith("done"), lines
    total = int(re.search(r"/(\d+) chunks", embedded[-1]).group(1))  # type: ignore[union-attr]
    assert total >= 12 and f"{total}/{total} chunks" in embedded[-1]
    assert "indexed 12 new" in done.stdout

    (tmp_path / "topic 0.md").write_text("# Topic 0\n\nRewritten about sleep.\n", encoding="utf-8")
    done = nvault("index", str(tmp_path), "--progress", "json")
    assert done.returncode == 0, done.stderr
    rows = [PhaseLine.model_validate(json.loads(line)) for line in done.stderr.splitlines()]
    assert [(r.phase, r.final) for r in rows if r.final] == [
        ("reading", True),
        ("embedding", True),
    ]
    assert rows[0].done == rows[0].total == 12 and rows[0].unit == "files"

    (tmp_path / "topic 1.md").write_text("# Topic 1\n\nRewritten again.\n", encoding="utf-8")
    done = nvault("index", str(tmp_path), "--quiet")
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert "1 changed" in done.stdout


def test_lines_come_at_most_every_interval(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Every file's update reaches the reporter; it prints one line per phase per interval, and
    always each phase's last line."""
    for name, every, expect_many in (("a", 0.0, True), ("b", 3600.0, False)):
        root = tmp_path / name
        write_files(root, NOTES)
        with Vault.open(root) as vault:
            sync_with_progress(vault, style="plain", every=every)
        printed = capsys.readouterr().err.splitlines()
        reading = [line for line in printed if line.startswith("reading: ")]
        assert reading[-1].startswith("reading: 12/12 files") and reading[-1].endswith("done")
        assert printed[-1].startswith("embedding: ") and printed[-1].endswith("done")
        if expect_many:
            assert len(reading) >= 13, printed  # each of 12 files, then the last line
        else:
            assert len(printed) == 2, printed
