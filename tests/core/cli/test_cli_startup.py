"""`nvault --help` loads none of the heavy modules (issue 26, item 7).

Timings live in bench/measure/startup.py; this checks the cause they depend on: building the parser must
not import LanceDB, pyarrow, numpy, onnxruntime or pydantic (together seconds of CPU), so any
import added at the top of a command module shows up here, not as a slow `--help` weeks later.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HEAVY = ("lancedb", "pyarrow", "numpy", "onnxruntime", "tokenizers", "pydantic", "mcp", "pygls")
PROBE = """
import json, sys
from vault_cli.main import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in %r)))
"""


def loaded_after(*argv: str) -> list[str]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY,), *argv],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def test_help_and_every_command_help_import_nothing_heavy() -> None:
    assert loaded_after("--help") == []
    for command in ("index", "search", "status", "related", "graph", "quiz", "setup"):
        assert loaded_after(command, "--help") == [], command


def test_an_unknown_signal_is_a_usage_error(tmp_path: Path) -> None:
    argv = ["related", "--root", str(tmp_path), "--signal", "bogus", "note"]
    done = subprocess.run(
        [sys.executable, "-m", "vault_cli.main", *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2 and "unknown --signal bogus" in done.stderr, done.stderr
    assert "graph, keyword, semantic" in done.stderr
