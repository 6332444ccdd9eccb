"""Where a write may land: inside a folder the user enabled, never in nvault's or an app's
own folders, with a file name every OS can hold.

Paths are resolved (`..`, symlinks, case) before the allowlist is checked, so a symlink inside
an allowed folder that leads elsewhere is refused like the path it leads to.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path, PurePosixPath

from vault_core.errors import BadNotePath, WritesNotAllowed

RESERVED_DIRS = (".nvault", ".git", ".obsidian", ".trash")
WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com[0-9¹²³]|lpt[0-9¹²³])(\..*)?$", re.IGNORECASE)
BAD_CHARS = set('<>:"\\|?*')
MAX_NAME_BYTES = 255


class WritePolicy:
    """The folders (relative to `root`) where writes are allowed; '.' or '' is the whole vault."""

    def __init__(self, root: Path, allow: list[str]) -> None:
        self.root = root.resolve()
        self.allow = [self._folder(a) for a in allow]

    def _folder(self, raw: str) -> Path:
        full = (self.root / raw.strip().strip("/")).resolve()
        if not full.is_relative_to(self.root):
            raise WritesNotAllowed(f"allowed folder {raw!r} is outside the vault {self.root}")
        return full

    @property
    def enabled(self) -> bool:
        return bool(self.allow)

    def describe(self) -> str:
        if not self.allow:
            return "no folder"
        return ", ".join((p.relative_to(self.root).as_posix() or ".") + "/" for p in self.allow)

    def check(self, path: str, *, new: bool = False) -> str:
        """The vault-relative POSIX path of `path`, if a write there is allowed."""
        if not self.allow:
            raise WritesNotAllowed(
                "writes are off for this vault: the user enables them per folder "
                "(vault-mcp --allow-writes FOLDER); nothing was written"
            )
        rel = _validate_name(path)
        full = (self.root / rel).resolve()
        if not full.is_relative_to(self.root):
            raise WritesNotAllowed(f"{path!r} is outside the vault; nothing was written")
        resolved = full.relative_to(self.root).as_posix()
        first = resolved.split("/", 1)[0].casefold()
        if first in RESERVED_DIRS or any(
            part.casefold() in RESERVED_DIRS for part in resolved.split("/")
        ):
            raise WritesNotAllowed(
                f"{path!r} is in a folder nvault never writes ({', '.join(RESERVED_DIRS)}); "
                "nothing was written"
            )
        if not any(full.is_relative_to(folder) and full != folder for folder in self.allow):
            raise WritesNotAllowed(
                f"{resolved!r} is outside the folders where writes are enabled "
                f"({self.describe()}); nothing was written: write there instead, or ask the "
                "user to enable this folder"
            )
        if new:
            _no_case_twin(full)
        return resolved


def _validate_name(path: str) -> str:
    """Refuse names no OS should hold; returns the path as POSIX."""
    if not path or not path.strip():
        raise BadNotePath("empty path: pass a note path like 'folder/note.md'")
    if any(unicodedata.category(c) == "Cc" for c in path):
        raise BadNotePath(f"{path!r} has control characters; pick a plain name")
    posix = path.replace("\\", "/")
    if posix.startswith("/") or re.match(r"^[A-Za-z]:", posix):
        raise WritesNotAllowed(f"{path!r} is absolute: pass a path relative to the vault root")
    for part in PurePosixPath(posix).parts:
        if part in ("..", "."):
            continue
        if WINDOWS_RESERVED.match(part):
            raise BadNotePath(f"{part!r} is a name Windows reserves; pick another name")
        if BAD_CHARS & set(part):
            raise BadNotePath(
                f"{part!r} has a character Windows forbids ({''.join(sorted(BAD_CHARS))}); "
                "pick another name"
            )
        if part.endswith((" ", ".")):
            raise BadNotePath(f"{part!r} ends with a space or dot; Windows cannot hold it")
        if len(part.encode("utf-8")) > MAX_NAME_BYTES:
            raise BadNotePath(f"a name in {path!r} is longer than {MAX_NAME_BYTES} bytes")
    return posix


def _no_case_twin(full: Path) -> None:
    """Refuse a new name that differs only in case from one already there (any folder level)."""
    cur = full
    while True:
        parent = cur.parent
        if not parent.is_dir():
            cur = parent
            continue
        try:
            names = os.listdir(parent)
        except OSError:
            return
        twins = [n for n in names if n.casefold() == cur.name.casefold() and n != cur.name]
        if twins:
            raise BadNotePath(
                f"{cur.name!r} differs only in case from {twins[0]!r} in the same folder; "
                "on macOS and Windows they are one file: use the existing name"
            )
        return
