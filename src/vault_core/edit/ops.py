"""Single-note edits as splices: append, insert, replace a section or text, frontmatter keys.

Each function reads a `RawNote` and returns the splices that make the change; nothing here
touches the disk. Inserted text takes the file's line ending; everything else stays as written.
"""

from __future__ import annotations

from typing import Any, Literal

import yaml

from vault_core.edit.splice import RawNote, Splice
from vault_core.edit.targets import (
    body_start,
    find_block,
    find_section,
    frontmatter_keys,
    frontmatter_span,
)
from vault_core.errors import CountMismatch, TargetNotFound, WriteRefused

Position = Literal["start", "end"]


def _at_line(note: RawNote, line0: int, content: str) -> Splice:
    """Insert whole lines before 0-based `line0` (at the end: after a final newline)."""
    at = note.line_offset(line0)
    text = note.lines_text(content)
    if at >= len(note.text) and note.text and not note.text.endswith("\n"):
        text = note.eol + text  # the last line had no newline: end it first
    return note.splice(min(at, len(note.text)), min(at, len(note.text)), text)


def append(
    note: RawNote, content: str, heading: list[str] | None = None, block: str | None = None
) -> list[Splice]:
    return insert(note, content, heading=heading, block=block, position="end")


def insert(
    note: RawNote,
    content: str,
    heading: list[str] | None = None,
    block: str | None = None,
    position: Position = "end",
) -> list[Splice]:
    if heading and block:
        raise WriteRefused("pass either heading or block, not both; nothing was written")
    if block:
        line0 = find_block(note, block)
        return [_at_line(note, line0 if position == "start" else line0 + 1, content)]
    if heading:
        section = find_section(note, heading)
        line0 = section.heading_line + 1 if position == "start" else section.last_content_line(note)
        return [_at_line(note, line0, content)]
    if position == "start":
        return [_at_line(note, body_start(note), content)]
    return [_at_line(note, len(note.lines), content)]


def replace_section(note: RawNote, heading: list[str], content: str) -> list[Splice]:
    """The section's body (after its heading line, up to its last non-blank line) replaced."""
    section = find_section(note, heading)
    start = note.line_offset(section.heading_line + 1)
    end = note.line_offset(section.last_content_line(note))
    text = note.lines_text(content) if content.strip() else ""
    if start >= len(note.text) and text and not note.text.endswith("\n"):
        text = note.eol + text
    return [note.splice(start, max(start, end), text)]


def replace_text(note: RawNote, old: str, new: str, expected_count: int) -> list[Splice]:
    if not old:
        raise WriteRefused("`old` is empty; nothing was written: pass the exact text to replace")
    offsets: list[int] = []
    at = note.text.find(old)
    while at >= 0:
        offsets.append(at)
        at = note.text.find(old, at + len(old))
    if len(offsets) != expected_count:
        lines = sorted({note.text.count("\n", 0, o) + 1 for o in offsets})
        where = f" (on lines {', '.join(map(str, lines[:20]))})" if lines else ""
        raise CountMismatch(
            f"{note.path} contains that text {len(offsets)} time(s){where}, you expected "
            f"{expected_count}; nothing was written: "
            + (
                "check the exact text with read_note (whitespace and case count)."
                if not offsets
                else f"pass expected_count={len(offsets)} to change them all, or a longer `old`."
            )
        )
    return [note.splice(o, o + len(old), new) for o in offsets]


def _yaml_lines(key: str, value: Any, eol: str) -> str:
    dumped = yaml.safe_dump(
        {key: value}, default_flow_style=False, allow_unicode=True, sort_keys=False, width=1000
    )
    return dumped.replace("\n", eol)


def set_frontmatter(note: RawNote, set_: dict[str, Any], delete: list[str]) -> list[Splice]:
    """Set or delete top-level keys, touching only their own lines."""
    clash = set(set_) & set(delete)
    if clash:
        raise WriteRefused(f"keys both set and deleted: {sorted(clash)}; nothing was written")
    if not set_ and not delete:
        raise WriteRefused("nothing to set or delete; nothing was written")
    keys = frontmatter_keys(note)
    missing = [k for k in delete if k not in keys]
    if missing:
        raise TargetNotFound(note.path, f"frontmatter key(s) {missing}", list(keys))
    span = frontmatter_span(note)
    splices: list[Splice] = []
    for key in delete:
        a, b = keys[key]
        splices.append(note.splice(note.line_offset(a), note.line_offset(b), ""))
    new_keys = ""
    for key, value in set_.items():
        text = _yaml_lines(key, value, note.eol)
        if key in keys:
            a, b = keys[key]
            splices.append(note.splice(note.line_offset(a), note.line_offset(b), text))
        else:
            new_keys += text
    if new_keys:
        if span is None:
            block = f"---{note.eol}{new_keys}---{note.eol}"
            splices.append(note.splice(0, 0, block))
        else:
            at = note.line_offset(span[1])
            splices.append(note.splice(at, at, new_keys))
    return splices
