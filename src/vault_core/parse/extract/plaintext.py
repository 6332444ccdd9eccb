"""Plain text (.txt, .rst, .org): paragraphs grouped into sections with 1-based line ranges.

reStructuredText and Org headings become breadcrumbs; so do Markdown `#` headings, which the HTML
extractor produces. Nothing here parses inline markup: the text is indexed as written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from vault_core.config import Limits
from vault_core.parse.extract._common import decode_text, read_capped
from vault_core.parse.extract.base import Extracted, Section

Style = Literal["plain", "rst", "org", "markdown"]

EXTENSIONS: dict[str, Style] = {".txt": "plain", ".text": "plain", ".rst": "rst", ".org": "org"}

_ORG_HEADING = re.compile(r"^(\*+)\s+(.*?)(?:\s+:[\w@#%:]+:)?\s*$")
_ORG_TITLE = re.compile(r"^#\+title:\s*(.+?)\s*$", re.IGNORECASE)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
_RST_ADORNMENT = re.compile(r"^([=\-~^\"'`#*+:._])\1+\s*$")


@dataclass
class _Builder:
    """Accumulates paragraphs under the current heading and cuts sections near `target` chars."""

    target: int
    keep_lines: bool
    drop_heading: str = ""
    sections: list[Section] = field(default_factory=list)
    stack: list[tuple[int, str]] = field(default_factory=list)
    paras: list[tuple[int, int, str]] = field(default_factory=list)
    size: int = 0

    def heading(self, level: int, title: str) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, title))

    def paragraph(self, start: int, end: int, text: str) -> None:
        if self.paras and self.size + len(text) > self.target:
            self.flush()
        self.paras.append((start, end, text))
        self.size += len(text) + 2

    def flush(self) -> None:
        if not self.paras:
            return
        path = [title for _, title in self.stack]
        if path and path[0].casefold() == self.drop_heading.casefold():
            path = path[1:]  # the document title is already the breadcrumb's root
        self.sections.append(
            Section(
                text="\n\n".join(text for _, _, text in self.paras),
                heading_path=path,
                start_line=self.paras[0][0] if self.keep_lines else 0,
                end_line=self.paras[-1][1] if self.keep_lines else 0,
            )
        )
        self.paras, self.size = [], 0


def _rst_heading(lines: list[str], i: int) -> tuple[str, str, int] | None:
    """(adornment style, title, lines used) when a reST section title starts at line i."""
    line = lines[i].strip()
    over = _RST_ADORNMENT.match(line)
    if over and i + 2 < len(lines):
        title, under = lines[i + 1].strip(), lines[i + 2].strip()
        if title and under == line and not _RST_ADORNMENT.match(title):
            return "over" + line[0], title, 3
    if line and not over and i + 1 < len(lines):
        under = lines[i + 1].rstrip()
        if _RST_ADORNMENT.match(under) and len(under.strip()) >= min(len(line), 3):
            return under.strip()[0], line, 2
    return None


def split_text(
    text: str, style: Style, *, target_chars: int, keep_lines: bool = True, title: str = ""
) -> list[Section]:
    """Sections of `text`: blank-line paragraphs, grouped up to ~target_chars, cut at headings."""
    lines = text.splitlines()
    builder = _Builder(target=target_chars, keep_lines=keep_lines, drop_heading=title)
    rst_levels: dict[str, int] = {}
    para_start = -1
    i = 0

    def end_paragraph(end: int) -> None:
        nonlocal para_start
        if para_start >= 0:
            body = "\n".join(lines[para_start:end]).strip()
            if body:
                builder.paragraph(para_start + 1, end, body)
        para_start = -1

    while i < len(lines):
        line = lines[i]
        heading: tuple[int, str] | None = None
        used = 1
        if (style == "org" and (m := _ORG_HEADING.match(line))) or (
            style == "markdown" and (m := _MD_HEADING.match(line))
        ):
            heading = (len(m.group(1)), m.group(2))
        elif (
            style == "rst"
            and (para_start < 0 or i == para_start)
            and (found := _rst_heading(lines, i))
        ):
            adornment, title_text, used = found
            level = rst_levels.setdefault(adornment, len(rst_levels) + 1)
            heading = (level, title_text)
        if heading is not None and heading[1]:
            end_paragraph(i)
            builder.heading(*heading)
            i += used
            continue
        if line.strip():
            if para_start < 0:
                para_start = i
        else:
            end_paragraph(i)
        i += 1
    end_paragraph(len(lines))
    builder.flush()
    return builder.sections


def extract(path: Path, limits: Limits) -> Extracted:
    data, warnings = read_capped(path, limits)
    text = decode_text(data)
    style = EXTENSIONS.get(path.suffix.lower(), "plain")
    title = path.stem
    if style == "org":
        for line in text.splitlines()[:50]:
            if m := _ORG_TITLE.match(line):
                title = m.group(1)
                break
        # Org keywords (#+TITLE:, #+OPTIONS: ...) are settings, not prose
        text = "\n".join("" if ln.startswith("#+") else ln for ln in text.splitlines())
    elif style == "rst":
        lines = text.splitlines()
        top = next((i for i, line in enumerate(lines) if line.strip()), None)
        if top is not None and (found := _rst_heading(lines, top)):
            title = found[1]  # like docutils: a title at the very top names the document
    sections = split_text(text, style, target_chars=limits.chunk_chars, title=title)
    return Extracted(title=title, sections=sections, warnings=warnings)
