"""The one way a test runs the `nvault` CLI: a real subprocess on a vault folder."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def nvault(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`nvault --root ROOT ARGS...` with output captured as text."""
    cmd = [sys.executable, "-m", "vault_cli.main", "--root", str(root), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=300)
