"""Which files of the vault are indexed: the walk, the ignore rules, and what could not be followed.

Dot-entries (`.env.md`, `.stversions/`, `logseq/.recycle/`, `.claude/`) are skipped like Obsidian
hides them: they hold secrets, tool state, or deleted and old copies. A vault may name ones to
index (`include_hidden`: its own data, so no leak), except `.nvault`, `.git`, `.obsidian` and
`.trash`, never indexed. How many were skipped is saved for `status`.

What a walk cannot follow (symlinked folders, symlink loops, paths too long, unreadable folders)
is reported with a reason, saved beside the index for `status`, never silently dropped.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
from pathlib import Path

from vault_core.config import NEVER_INDEXED, VaultConfig
from vault_core.globs import glob_matches
from vault_core.location import IndexFiles
from vault_core.parse.extract import supported_extensions

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
SCAN_ISSUES = "scan-issues.json"  # what the last full scan could not follow, for `status`
HIDDEN_SKIPPED = "hidden-skipped.json"  # how many dot-entries the last full scan skipped


class Scanner:
    """The vault's indexable files, by the configured ignore globs and the known extensions."""

    def __init__(self, config: VaultConfig) -> None:
        self.config = config  # read on every call: the ignore globs are the config's
        self.root = config.root
        self.extensions = MARKDOWN_EXTENSIONS | supported_extensions()
        self.hidden_skipped = 0  # dot-entries the last scan skipped
        index_dir = config.index_path.resolve()
        self._index_rel = (
            index_dir.relative_to(self.root).as_posix()
            if index_dir.is_relative_to(self.root)
            else None
        )

    def is_hidden(self, rel: str) -> bool:
        """A dot-entry (or inside one) that is not opted in, or one never indexed."""
        opted = set(self.config.include_hidden)
        for part in rel.split("/"):
            if part.startswith(".") and (part.casefold() in NEVER_INDEXED or part not in opted):
                return True
        return False

    def _counts_as_hidden(self, name: str) -> bool:
        """A skipped dot-entry worth counting in `status` (nvault's and git's own are not)."""
        return (
            name.startswith(".")
            and name.casefold() not in NEVER_INDEXED
            and name not in self.config.include_hidden
        )

    def is_ignored(self, rel: str) -> bool:
        if self._index_rel and (rel == self._index_rel or rel.startswith(self._index_rel + "/")):
            return True
        if self.is_hidden(rel):
            return True
        parts = rel.split("/")
        for pattern in self.config.ignore_globs:
            if glob_matches(rel, pattern) or any(glob_matches(p, pattern) for p in parts):
                return True
        return False

    def wants(self, rel: str) -> bool:
        return not self.is_ignored(rel) and Path(rel).suffix.lower() in self.extensions

    def scan(self, under: str = "") -> tuple[dict[str, tuple[float, int]], dict[str, str]]:
        """(every indexable file below `under` -> (mtime, size), what could not be followed ->
        why); `under` is vault-relative, '' for the whole vault."""
        found: dict[str, tuple[float, int]] = {}
        issues: dict[str, str] = {}
        start = self.root / under if under else self.root
        stack = [start]
        hidden = 0
        while stack:
            folder = stack.pop()
            try:
                entries = list(os.scandir(folder))
            except OSError as exc:
                issues[Path(folder).relative_to(self.root).as_posix() or "."] = _scan_reason(exc)
                continue
            for entry in entries:
                rel = Path(entry.path).relative_to(self.root).as_posix()
                if self.is_ignored(rel):
                    hidden += self._counts_as_hidden(entry.name)
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_symlink() and entry.is_dir():
                        issues[rel] = (
                            "symlinked folder: not followed (nvault indexes only what is inside the vault folder)"
                        )
                    elif entry.is_file() and Path(rel).suffix.lower() in self.extensions:
                        stat = entry.stat()
                        found[rel] = (stat.st_mtime, stat.st_size)
                    elif (
                        entry.is_symlink()
                        and not os.path.exists(entry.path)
                        and Path(rel).suffix.lower() in self.extensions
                    ):
                        os.stat(entry.path)  # raises: a loop or a dangling link, say which
                except OSError as exc:
                    issues[rel] = _scan_reason(exc)
        self.hidden_skipped = hidden
        return found, issues


def save_scan_issues(files: IndexFiles, issues: dict[str, str], hidden: int = 0) -> None:
    with contextlib.suppress(OSError):  # a read-only or full disk: status misses them
        files.write_text(SCAN_ISSUES, json.dumps(issues))
        files.write_text(HIDDEN_SKIPPED, json.dumps({"count": hidden}))


def load_hidden_skipped(files: IndexFiles) -> int:
    """How many dot-entries the writer's last full scan skipped (0 when unknown)."""
    try:
        count = json.loads(files.read_text(HIDDEN_SKIPPED) or "{}").get("count", 0)
    except (OSError, ValueError, AttributeError):
        return 0
    return count if isinstance(count, int) else 0


def load_scan_issues(files: IndexFiles) -> dict[str, str]:
    """What the writer's last full scan could not follow (any process can show it)."""
    try:
        issues = json.loads(files.read_text(SCAN_ISSUES) or "{}")
    except (OSError, ValueError):
        return {}
    return issues if isinstance(issues, dict) else {}


def _scan_reason(exc: OSError) -> str:
    reasons = {
        errno.ELOOP: "symlink loop: not followed",
        errno.ENAMETOOLONG: "path longer than the system allows (PATH_MAX): not indexed",
        errno.ENOENT: "dangling symlink: its target does not exist",
        errno.EACCES: "unreadable: permission denied",
    }
    return reasons.get(exc.errno or 0, f"skipped: {exc.strerror or exc}")
