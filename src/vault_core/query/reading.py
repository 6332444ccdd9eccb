"""A note's text cut to what was asked (whole, one heading's section, a line range).

Line numbers are the file's own, so what an agent quotes can be found again in the editor.
"""

from __future__ import annotations

from typing import Any

from vault_core.errors import FileNotHere, NoSuchHeading, VaultError
from vault_core.index.catalog import NoteRecord
from vault_core.results import NoteContent


def cut_text(
    note: NoteRecord,
    text: str,
    section: str | None = None,
    start_line: int | None = None,
    end_line: int | None = None,
) -> NoteContent:
    lines = text.split("\n")
    first, last = 1, len(lines)
    if section:
        first, last = section_range(note, section, len(lines))
    if start_line is not None:
        first = max(first, start_line)
    if end_line is not None:
        last = min(last, end_line)
    if first > last:
        raise VaultError(f"line range {first}-{last} is empty; the note has {len(lines)} lines")
    return NoteContent(
        path=note.path,
        title=note.title,
        start_line=first,
        end_line=last,
        total_lines=len(lines),
        text="\n".join(lines[first - 1 : last]),
    )


def section_range(note: NoteRecord, section: str, total: int) -> tuple[int, int]:
    """Lines of the heading named `section` up to the next heading of its level or higher."""
    wanted = section.lstrip("#").strip().casefold()
    for i, heading in enumerate(note.headings):
        if heading.text.casefold() == wanted:
            end = next(
                (h.line - 1 for h in note.headings[i + 1 :] if h.level <= heading.level), total
            )
            return heading.line, end
    raise NoSuchHeading(note.path, section, [h.text for h in note.headings])


def indexed_text(
    note: NoteRecord,
    chunks: list[dict[str, Any]],
    section: str | None = None,
    start_line: int | None = None,
    end_line: int | None = None,
) -> NoteContent:
    """A note whose file is not on this machine (a reader of an index in a bucket): its chunks'
    text, which the index carries. A section or line range needs the file's own lines."""
    if section or start_line is not None or end_line is not None:
        raise FileNotHere(
            f"{note.path} is not on this machine (only its index is): a section or line range "
            "needs the file, so read the whole note instead."
        )
    text = "\n\n".join(str(c["text"]) for c in chunks)
    total = len(text.split("\n"))
    return NoteContent(
        path=note.path,
        title=note.title,
        start_line=1,
        end_line=total,
        total_lines=total,
        text=text,
        from_index=True,
    )
