"""`nvault search` answered by a running vault prints exactly what it prints alone, and asking
imports nothing heavy (issue 26, item 7).

The running vault is a real writer watching a real folder in this process, its query socket
real; the CLI runs as real subprocesses. The same cases run once while the socket answers and
once after it stops (the CLI then opens the index itself), and the bytes must be equal.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_check import wait_until_indexed
from vault_files import write_files

from vault_core.vault import Vault

HEAVY = ("pydantic", "numpy", "pyarrow", "lancedb", "onnxruntime", "tokenizers")
FILES = {
    "garden/tomatoes.md": "# Tomatoes\n\nWater tomatoes deeply twice a week.\n"
    "Hornworms eat the leaves; pick them off at dusk.\n",
    "garden/roses.md": "# Roses\n\nPrune roses in late winter, above an outward bud.\n",
    "plans/a/Plan.md": "# Plan A\n\nBuild a raised bed for tomatoes.\n",
    "plans/b/Plan.md": "# Plan B\n\nMove the [[roses]] to the sunny corner.\n",
}
FORMATS = ("text", "json", "jsonl", "csv", "md", "files", "vimgrep")
# Each case's argv after `search`; every format, nothing matched, a syntax error, a bad value.
CASES: dict[str, list[str]] = {
    **{f: ["hornworms leaves", "--mode", "keyword", "--format", f] for f in FORMATS},
    "hybrid": ["tomatoes roses", "--limit", "3"],
    "filtered": ["tomatoes path:garden/", "--mode", "keyword", "--json"],
    "nothing": ["%%% ###", "--format", "json"],
    "nothing_text": ["zyzzyvaquux", "--mode", "keyword"],
    "syntax": ["tomatoes OR", "--mode", "keyword"],
    "bad_limit": ["tomatoes", "--limit", "0"],
}
# Runs every case through `main` in one process; says whether the engine was imported.
DRIVER = """
import contextlib, io, json, sys
from vault_cli.main import main
root, cases = sys.argv[1], json.loads(sys.argv[2])
out = {}
for name, argv in cases.items():
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        code = main(["--root", root, "search", *argv])
    out[name] = [code, stdout.getvalue(), stderr.getvalue()]
heavy = sorted(m for m in sys.modules if m.split(".")[0] in %r)
print(json.dumps({"cases": out, "heavy": heavy}))
"""


def run_cases(root: Path, cases: dict[str, list[str]], **env: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", DRIVER % (HEAVY,), str(root), json.dumps(cases)],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


@pytest.fixture(scope="module")
def watched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Vault]:
    root = tmp_path_factory.mktemp("watched")
    write_files(root, FILES)
    vault = Vault.open(root, watch=True)
    try:
        wait_until_indexed(vault, timeout=300)
        yield vault
    finally:
        vault.close()


def test_a_watcher_answered_search_imports_nothing_heavy(watched: Vault) -> None:
    probe = run_cases(watched.root, {"q": ["hornworms", "--mode", "keyword", "--json"]})
    code, out, _ = probe["cases"]["q"]  # type: ignore[index]
    assert code == 0 and [h["path"] for h in json.loads(out)] == ["garden/tomatoes.md"]
    assert probe["heavy"] == [], "the client must need only the standard library and rich"


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"COLUMNS": "60"}, list(CASES)),  # piped; the width a wrapped note uses is the asker's
        ({"FORCE_COLOR": "1", "COLUMNS": "100"}, ["text", "nothing_text", "syntax"]),
    ],
    ids=["piped", "terminal"],
)
def test_the_socket_prints_what_the_cli_prints_alone(
    watched: Vault, env: dict[str, str], names: list[str]
) -> None:
    cases = {name: CASES[name] for name in names}
    fast = run_cases(watched.root, cases, **env)
    assert fast["heavy"] == [], "these cases were answered over the socket"
    watched.service.stop()  # nobody answers now: the CLI opens the index itself (a reader)
    try:
        cold = run_cases(watched.root, cases, **env)
    finally:
        assert watched.service.start()
    assert "lancedb" in cold["heavy"], "these cases were answered by the CLI itself"
    for name in names:
        assert fast["cases"][name] == cold["cases"][name], name  # type: ignore[index]
    answers = fast["cases"]  # type: ignore[assignment]
    if "json" in answers:
        assert json.loads(answers["json"][1])[0]["citation"] == "garden/tomatoes.md:3-4"
        assert answers["nothing"][1] == "[]\n" and "nothing" in answers["nothing"][2].lower()
        assert answers["bad_limit"][0] == 1 and "SearchRequest" in answers["bad_limit"][2]
    assert answers["syntax"][0] == 2 and "^" in answers["syntax"][2]
    if env.get("FORCE_COLOR"):
        assert "\x1b[" in answers["text"][1], "a terminal gets the matched words marked"
