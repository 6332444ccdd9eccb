"""Breaking nvault the way users do, and checking what is left: real processes on real files.

`nvault(...)` runs the command line in a subprocess; `corrupt(kind, index_dir)` damages the index
files on disk like a crash, a bad disk or a stray tool would; `census(root)` compares the index
with the folder (note rows = files, no duplicate or stale chunks, every unique token findable).
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import lancedb
from index_check import index_problems

from vault_core.index.terms import terms_text

CORRUPTIONS = (
    "truncated-chunks-data",
    "garbage-chunks-manifest",
    "garbage-notes-data",
    "garbage-index-json",
    "garbage-index-json-and-copy",
    "garbage-fts-files",
)
TOKEN = "uniqtok"


def write_vault(root: Path, n: int = 40, seed: int = 7) -> dict[str, str]:
    """n notes, each with one token no other note has; returns path -> token."""
    rng = random.Random(seed)
    words = [f"w{rng.randint(0, 500)}" for _ in range(2000)]
    tokens: dict[str, str] = {}
    for i in range(n):
        rel = f"{'sub/' if i % 3 == 0 else ''}note{i}.md"
        token = f"{TOKEN}{i}x"
        body = " ".join(rng.choice(words) for _ in range(120))
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Note {i}\n\n{body} {token}.\n\n## More\n\n{body[:300]}\n")
        tokens[rel] = token
    return tokens


def nvault(root: Path | str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "vault_cli.main", "--root", str(root), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def spawn(root: Path, *args: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "vault_cli.main", "--root", str(root), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


PROGRESS_LINE = re.compile(r"^(reading|embedding): \d+(\.\d+)?/\d+ ")


def sentences(stderr: str) -> list[str]:
    """What the user was told: stderr joined back into lines (rich wraps at the console width),
    without `nvault index`'s plain progress lines (`reading: 40/40 files, ...`)."""
    kept = "\n".join(line for line in stderr.splitlines() if not PROGRESS_LINE.match(line))
    text = re.sub(r"\n(?=\S)", " ", kept.strip()) if kept.strip() else ""
    return [line for line in re.split(r"(?<=\.)\s+(?=[A-Z]|error:)", text) if line.strip()]


def assert_told_clearly(done: subprocess.CompletedProcess[str], most: int = 1) -> None:
    """No traceback, no raw Lance text, and at most `most` sentences on stderr."""
    assert "Traceback" not in done.stderr, done.stderr
    assert "LanceError" not in done.stderr and "/rustc/" not in done.stderr, done.stderr
    told = [s for s in sentences(done.stderr) if s.strip()]
    assert len(told) <= most, told


def corrupt(kind: str, index_dir: Path) -> None:
    lance = index_dir / "lance"
    if kind == "truncated-chunks-data":
        # the newest data file: older ones may belong only to versions compaction left behind
        newest = max((lance / "chunks.lance" / "data").glob("*.lance"), key=os.path.getmtime)
        with newest.open("r+b") as fh:
            fh.truncate(100)
    elif kind == "garbage-chunks-manifest":
        manifests = list((lance / "chunks.lance" / "_versions").glob("*.manifest"))
        newest = min(manifests, key=lambda p: int(p.stem))  # v2 names: u64::MAX - version
        newest.write_bytes(os.urandom(500))
    elif kind == "garbage-notes-data":
        for data in (lance / "notes.lance" / "data").glob("*.lance"):
            data.write_bytes(os.urandom(3000))
    elif kind == "garbage-index-json":
        (index_dir / "index.json").write_bytes(os.urandom(100))
    elif kind == "garbage-index-json-and-copy":
        (index_dir / "index.json").write_bytes(os.urandom(100))
        (lance / "index.json").write_text("{")
    elif kind == "garbage-fts-files":
        for part in (lance / "chunks.lance" / "_indices").glob("*/*"):
            if not part.name.startswith("page_"):  # BTree indexes keep page_*; FTS the rest
                part.write_bytes(os.urandom(3000))
    else:
        raise ValueError(kind)


def census(root: Path, tokens: dict[str, str] | None = None) -> dict[str, list[str]]:
    """The index against the folder (`index_check.index_problems`), and each note's unique token
    searched for; every problem found is listed (empty lists: equal)."""
    table = lancedb.connect(str(root / ".nvault" / "lance")).open_table("chunks")
    missing_tokens = []
    for path, token in (tokens or {}).items():
        if not (root / path).is_file():
            continue
        hits = (
            table.search(terms_text(token), query_type="fts", fts_columns="terms")
            .limit(5)
            .to_arrow()["path"]
            .to_pylist()
        )
        if path not in hits:
            missing_tokens.append(token)
    return {"problems": index_problems(root), "missing_tokens": missing_tokens}


def assert_census(root: Path, tokens: dict[str, str] | None = None) -> None:
    found = census(root, tokens)
    assert all(not v for v in found.values()), found


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[bool]:
    """A small tmpfs at `path` (True), or False where mounting is not allowed (CI, non-root)."""
    path.mkdir(parents=True, exist_ok=True)
    mounted = (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
            capture_output=True,
        ).returncode
        == 0
    )
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)


def remount(path: Path, options: str) -> bool:
    done = subprocess.run(["mount", "-o", f"remount,{options}", str(path)], capture_output=True)
    return done.returncode == 0


@contextlib.contextmanager
def read_only_bind(path: Path) -> Iterator[bool]:
    """`path` bind-mounted over itself read-only (True), or False where mount is not allowed."""
    ok = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
    mounted = ok.returncode == 0
    if mounted and not remount(path, "ro,bind"):
        subprocess.run(["umount", str(path)], capture_output=True)
        mounted = False
    try:
        yield mounted
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(path)], capture_output=True)
