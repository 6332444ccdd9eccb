"""Sections -> chunks: breadcrumb prefix, ~1,000 chars with ~100 overlap, code fences kept whole."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel

from vault_core.parse.extract.base import Locator, Section
from vault_core.parse.markdown import FENCE_RE, ParsedNote, code_mask

SENTENCE_END_RE = re.compile(r"(?<=[.!?。！？])\s+")


FRONTMATTER_WEIGHT = 2  # frontmatter words count twice in BM25: a description is a summary
FRONTMATTER_MAX_CHARS = 4_000
SKIP_FRONTMATTER_KEYS = frozenset({"title"})  # already the breadcrumb of every chunk


def hash_text(text: str) -> str:
    """A chunk's `text_hash`: what stored vectors and token vectors are keyed by."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class ChunkDraft(Locator):
    """A chunk before it has a vector; `text` (breadcrumb + body) is embedded and hashed.

    `keywords` (the note's frontmatter values, on its first chunk) go to the BM25 terms only, so
    frontmatter is searchable by keyword without changing the embedded text or its vector.
    """

    text: str
    body: str
    keywords: str = ""

    @property
    def keyword_text(self) -> str:
        """What the `terms` column is built from."""
        return f"{self.text}\n{self.keywords}" if self.keywords else self.text

    @property
    def text_hash(self) -> str:
        return hash_text(self.text)


class _Block(BaseModel):
    text: str
    start_line: int
    end_line: int
    atomic: bool = False


def markdown_sections(text: str, note: ParsedNote) -> list[Section]:
    """One section per heading (breadcrumb = the heading stack), plus the text before the first.

    The H1 that is the note's title is left out of both: the breadcrumb already starts with it.
    """
    lines = text.split("\n")
    heading_at = {h.line: h for h in note.headings}
    title_line = next(
        (
            h.line
            for h in note.headings
            if h.level == 1 and h.text == note.title and _opens(lines, note, h.line)
        ),
        None,
    )
    sections: list[Section] = []
    stack: list[tuple[int, str]] = []
    start = note.body_start_line
    current: list[str] = []
    current_path: list[str] = []

    def flush(end_line: int) -> None:
        body = "\n".join(current).strip("\n")
        has_text = any(
            line.strip() for i, line in enumerate(current) if start + i not in heading_at
        )
        if has_text:
            first = start + next(i for i, line in enumerate(current) if line.strip())
            sections.append(
                Section(text=body, heading_path=current_path, start_line=first, end_line=end_line)
            )

    for line_no in range(note.body_start_line, len(lines) + 1):
        heading = heading_at.get(line_no)
        if line_no == title_line:
            flush(line_no - 1)
            start, current, current_path = line_no + 1, [], []
            continue
        if heading is not None:
            flush(line_no - 1)
            while stack and stack[-1][0] >= heading.level:
                stack.pop()
            stack.append((heading.level, heading.text))
            current_path = [text for _, text in stack]
            start, current = line_no, []
        current.append(lines[line_no - 1])
    last = len(lines)
    while last > start and not lines[last - 1].strip():
        last -= 1
    flush(last)
    return sections


def _opens(lines: list[str], note: ParsedNote, line_no: int) -> bool:
    """True when only blank lines stand between the frontmatter and `line_no`."""
    return all(not lines[i].strip() for i in range(note.body_start_line - 1, line_no - 1))


def _blocks(section: Section) -> list[_Block]:
    """Paragraphs (blank-line separated) and whole code fences, with their line numbers."""
    if section.atomic:
        return [
            _Block(
                text=section.text,
                start_line=section.start_line,
                end_line=section.end_line,
                atomic=True,
            )
        ]
    lines = section.text.split("\n")
    mask = code_mask(lines)
    blocks: list[_Block] = []
    buf: list[str] = []
    buf_start = 0
    in_fence = False
    for i, line in enumerate(lines):
        opens_fence = mask[i] and not in_fence and FENCE_RE.match(line) is not None
        if ((not line.strip() and not mask[i]) or opens_fence) and buf:
            blocks.append(_make_block(buf, buf_start, section, in_fence))
            buf = []
        if opens_fence:
            in_fence = True
        if line.strip() or mask[i]:
            if not buf:
                buf_start = i
            buf.append(line)
        if in_fence and (i + 1 >= len(lines) or not mask[i + 1]):
            blocks.append(_make_block(buf, buf_start, section, True))
            buf, in_fence = [], False
    if buf:
        blocks.append(_make_block(buf, buf_start, section, in_fence))
    return blocks


def _make_block(buf: list[str], offset: int, section: Section, atomic: bool) -> _Block:
    start = section.start_line + offset if section.start_line else 0
    end = start + len(buf) - 1 if section.start_line else 0
    return _Block(text="\n".join(buf), start_line=start, end_line=end, atomic=atomic)


def _split_long(block: _Block, size: int) -> list[_Block]:
    """A block longer than `size` split at line ends, then at sentence ends, then hard."""
    if block.atomic or len(block.text) <= size:
        return [block]
    units: list[tuple[str, int, str]] = []  # (text, line offset, joiner to the previous unit)
    for offset, line in enumerate(block.text.split("\n")):
        joiner = "\n"
        for sentence in SENTENCE_END_RE.split(line) if len(line) > size else [line]:
            for start in range(0, max(len(sentence), 1), size):
                units.append((sentence[start : start + size], offset, joiner))
                joiner = " "
    pieces: list[_Block] = []
    buf, first, last = "", 0, 0
    for text, offset, joiner in units:
        if buf and len(buf) + len(text) + 1 > size:
            pieces.append(_line_piece(block, buf, first, last))
            buf = ""
        if not buf:
            buf, first = text, offset
        else:
            buf = f"{buf}{joiner}{text}"
        last = offset
    if buf:
        pieces.append(_line_piece(block, buf, first, last))
    return pieces


def _line_piece(block: _Block, text: str, first: int, last: int) -> _Block:
    if not block.start_line:
        return _Block(text=text, start_line=0, end_line=0)
    return _Block(text=text, start_line=block.start_line + first, end_line=block.start_line + last)


def _overlap_tail(text: str, overlap: int) -> str:
    """The last sentences of `text` that fit in `overlap` chars (whole sentences only)."""
    if overlap <= 0:
        return ""
    tail = ""
    for sentence in reversed(SENTENCE_END_RE.split(text.strip())):
        candidate = f"{sentence} {tail}".strip()
        if len(candidate) > overlap:
            break
        tail = candidate
    return tail


def _make_chunk(section: Section, breadcrumb: str, group: list[_Block], carry: str) -> ChunkDraft:
    body = "\n\n".join(b.text for b in group)
    if carry:
        body = f"{carry}\n\n{body}"
    return ChunkDraft(
        text=f"{breadcrumb}\n\n{body}",
        body=body,
        heading_path=section.heading_path,
        start_line=group[0].start_line,
        end_line=group[-1].end_line,
        page=section.page,
        sheet=section.sheet,
        row_start=section.row_start,
        row_end=section.row_end,
    )


def chunk_sections(
    title: str, sections: list[Section], size: int, overlap: int
) -> list[ChunkDraft]:
    """Pack each section's blocks into chunks; every chunk starts with its breadcrumb."""
    chunks: list[ChunkDraft] = []
    for section in sections:
        breadcrumb = " > ".join([title, *section.heading_path])
        blocks = [piece for block in _blocks(section) for piece in _split_long(block, size)]
        group: list[_Block] = []
        carry = ""
        for block in blocks:
            length = sum(len(b.text) + 2 for b in group) + len(carry)
            if group and length + len(block.text) > size:
                chunks.append(_make_chunk(section, breadcrumb, group, carry))
                last = group[-1]
                carry = "" if last.atomic else _overlap_tail(last.text, overlap)
                group = []
            group.append(block)
        if group:
            chunks.append(_make_chunk(section, breadcrumb, group, carry))
    return chunks


def frontmatter_values(frontmatter: dict[str, Any]) -> str:
    """Every scalar value of the frontmatter (nested lists and maps too), as plain text."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value:
                walk(item)
        elif value is not None and not isinstance(value, bool):
            out.append(str(value))

    walk({k: v for k, v in frontmatter.items() if str(k).casefold() not in SKIP_FRONTMATTER_KEYS})
    return " ".join(out)[:FRONTMATTER_MAX_CHARS]


def with_frontmatter(drafts: list[ChunkDraft], note: ParsedNote) -> list[ChunkDraft]:
    """The note's chunks with its frontmatter values as keywords of the first one; a note that is
    only frontmatter gets one chunk for it (lines 1 to the closing `---`)."""
    values = frontmatter_values(note.frontmatter)
    if not values:
        return drafts
    keywords = " ".join([values] * FRONTMATTER_WEIGHT)
    if drafts:
        drafts[0] = drafts[0].model_copy(update={"keywords": keywords})
        return drafts
    text = f"{note.title}\n\n{values}"
    end = max(note.body_start_line - 1, 1)
    return [ChunkDraft(text=text, body=values, start_line=1, end_line=end, keywords=keywords)]
