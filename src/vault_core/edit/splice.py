"""A note's raw bytes and splices on them: the only way the write path changes a file.

The text is decoded once (UTF-8, BOM kept aside); targets are found on the text and turned into
byte spans, and everything outside a span is copied byte for byte (CRLF, trailing spaces, the
frontmatter as written). Each splice carries the bytes it expects to replace.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass

from vault_core.errors import WriteRefused

BOM = b"\xef\xbb\xbf"
MAX_DIFF_CHARS = 8_000


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Splice:
    """Replace raw[start:end] (which must equal `old`) with `new`."""

    start: int
    end: int
    old: bytes
    new: bytes


class RawNote:
    """One file's bytes with text positions mapped to byte offsets."""

    def __init__(self, path: str, raw: bytes) -> None:
        self.path = path
        self.raw = raw
        self.bom = raw.startswith(BOM)
        body = raw[3:] if self.bom else raw
        try:
            self.text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WriteRefused(
                f"{path} is not valid UTF-8 (byte {exc.start}); nvault edits only UTF-8 notes "
                "and wrote nothing: fix its encoding in an editor first."
            ) from None
        self.lines = self.text.split("\n")
        starts = [0]
        for line in self.lines[:-1]:
            starts.append(starts[-1] + len(line) + 1)
        self.line_starts = starts  # character offset of each 0-based line
        crlf = sum(1 for line in self.lines[:-1] if line.endswith("\r"))
        self.eol = "\r\n" if crlf and crlf * 2 >= len(self.lines) - 1 else "\n"
        self.version = sha256(raw)

    def byte_at(self, char_offset: int) -> int:
        """Byte offset in `raw` of a character offset in `text`."""
        return len(self.text[:char_offset].encode("utf-8")) + (3 if self.bom else 0)

    def line_offset(self, line0: int) -> int:
        """Character offset where 0-based line `line0` starts (len(text) past the end)."""
        return self.line_starts[line0] if line0 < len(self.line_starts) else len(self.text)

    def splice(self, start_char: int, end_char: int, new_text: str) -> Splice:
        start, end = self.byte_at(start_char), self.byte_at(end_char)
        return Splice(start, end, self.raw[start:end], new_text.encode("utf-8"))

    def lines_text(self, content: str) -> str:
        """`content` as whole lines in this file's line ending (what nvault inserts)."""
        body = content.replace("\r\n", "\n")
        if not body.endswith("\n"):
            body += "\n"
        return body.replace("\n", self.eol)


def apply_splices(raw: bytes, splices: list[Splice]) -> bytes:
    """`raw` with every splice applied; refuses overlaps and spans whose bytes moved."""
    out: list[bytes] = []
    at = 0
    for s in sorted(splices, key=lambda s: (s.start, s.end)):
        if s.start < at:
            raise WriteRefused("two edits overlap; nothing was written: make one edit at a time")
        if raw[s.start : s.end] != s.old:
            raise WriteRefused(
                "the text to change is no longer where it was; nothing was written: read the "
                "note again and retry"
            )
        out.append(raw[at : s.start])
        out.append(s.new)
        at = s.end
    out.append(raw[at:])
    return b"".join(out)


def changed_lines(before: bytes, after: bytes) -> list[tuple[int, int]]:
    """1-based inclusive line ranges of `after` that differ from `before`."""
    a = before.decode("utf-8", "replace").split("\n")
    b = after.decode("utf-8", "replace").split("\n")
    ranges: list[tuple[int, int]] = []
    for tag, _i1, _i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        if j2 > j1:
            ranges.append((j1 + 1, j2))
        else:  # a pure deletion: the line where it happened
            ranges.append((max(j1, 1), max(j1, 1)))
    return ranges


def unified_diff(path: str, before: bytes | None, after: bytes | None) -> str:
    a = (before or b"").decode("utf-8", "replace").splitlines(keepends=True)
    b = (after or b"").decode("utf-8", "replace").splitlines(keepends=True)
    old = f"a/{path}" if before is not None else "/dev/null"
    new = f"b/{path}" if after is not None else "/dev/null"
    return "".join(difflib.unified_diff(a, b, old, new, n=2))


def bounded(diff: str, limit: int = MAX_DIFF_CHARS) -> tuple[str, bool]:
    if len(diff) <= limit:
        return diff, False
    return diff[:limit] + f"\n... diff cut at {limit} characters\n", True
