"""Which files of the vault are indexed: the walk, the ignore rules, and what could not be followed.

What a walk cannot follow (symlinked folders, symlink loops, paths too long, unreadable folders)
is reported with a reason, saved beside the index for `status`, never silently dropped.
"""

from __future__ import annotations

import contextlib
import errno
import fnmatch
import json
import os
from pathlib import Path

from vault_core.config import VaultConfig
from vault_core.location import IndexFiles
from vault_core.parse.extract import supported_extensions

MARKDOWN_EXTENSIONS = frozenset({".md", ".markdown"})
SCAN_ISSUES = "scan-issues.json"  # what the last full scan could not follow, for `status`


class Scanner:
    """The vault's indexable files, by the configured ignore globs and the known extensions."""

    def __init__(self, config: VaultConfig) -> None:
        self.config = config  # read on every call: the ignore globs are the config's
        self.root = config.root
        self.extensions = MARKDOWN_EXTENSIONS | supported_extensions()
        index_dir = config.index_path.resolve()
        self._index_rel = (
            index_dir.relative_to(self.root).as_posix()
            if index_dir.is_relative_to(self.root)
            else None
        )

    def is_ignored(self, rel: str) -> bool:
        if self._index_rel and (rel == self._index_rel or rel.startswith(self._index_rel + "/")):
            return True
        parts = rel.split("/")
        for pattern in self.config.ignore_globs:
            if fnmatch.fnmatch(rel, pattern) or any(fnmatch.fnmatch(p, pattern) for p in parts):
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
        return found, issues


def save_scan_issues(files: IndexFiles, issues: dict[str, str]) -> None:
    with contextlib.suppress(OSError):  # a read-only or full disk: status misses them
        files.write_text(SCAN_ISSUES, json.dumps(issues))


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
