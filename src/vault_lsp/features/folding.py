"""Folding ranges: frontmatter, headings (to the next heading of the same or a higher level),
fenced code blocks and list items with nested lines.

Computed from the buffer's lines alone (no parse, no vault), so it works on any Markdown file,
inside the vault or not, and stays linear on a multi-megabyte document.
"""

from __future__ import annotations

import re

from lsprotocol import types

from vault_core.parse.markdown import FENCE_RE, HEADING_RE
from vault_lsp.common import guard
from vault_lsp.server import Feature, VaultLanguageServer

LIST_ITEM_RE = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
STRUCTURE_START = frozenset("#`~-*+0123456789 \t")  # what a fence, heading or list item starts with
MAX_RANGES = 5000  # clients cap what they show anyway; a huge list must not flood the pipe


def _indent(line: str) -> int:
    return len(line.expandtabs(4)) - len(line.expandtabs(4).lstrip())


def _frontmatter_end(lines: list[str]) -> int | None:
    if not lines or lines[0].strip() != "---":
        return None
    return next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)


def folding_ranges(lines: list[str]) -> list[types.FoldingRange]:
    """One pass with two stacks (open headings, open list items): linear in the lines."""
    out: list[types.FoldingRange] = []
    start = 0
    front_end = _frontmatter_end(lines)
    if front_end is not None and front_end > 0:
        out.append(types.FoldingRange(start_line=0, end_line=front_end, kind="imports"))
        start = front_end + 1
    headings: list[tuple[int, int]] = []  # open sections: (line, level)
    items: list[tuple[int, int]] = []  # open list items: (line, indent)
    last_text = start - 1  # last non-blank line seen

    def close(open_line: int, kind: str | None = None) -> None:
        if last_text > open_line:
            out.append(types.FoldingRange(start_line=open_line, end_line=last_text, kind=kind))

    fence: tuple[int, str] | None = None
    for i in range(start, len(lines)):
        line = lines[i]
        if fence is None and not items and line[:1] not in STRUCTURE_START:
            if line and not line.isspace():
                last_text = i  # plain prose: the common case, decided by its first character
            continue
        match = FENCE_RE.match(line)
        if fence is not None:
            mark = match.group(1) if match else ""
            closes = mark and mark[0] == fence[1][0] and len(mark) >= len(fence[1])
            if closes and not line.strip()[len(mark) :].strip():
                out.append(types.FoldingRange(start_line=fence[0], end_line=i))
                fence = None
            last_text = i
            continue
        if not line.strip():
            continue
        heading = None if match else HEADING_RE.match(line)
        indent = _indent(line)
        while items and (heading or indent <= items[-1][1]):
            close(items.pop()[0])
        if heading:
            level = len(heading.group(1))
            while headings and headings[-1][1] >= level:
                close(headings.pop()[0], "region")
            headings.append((i, level))
        elif match:
            fence = (i, match.group(1))
        elif item := LIST_ITEM_RE.match(line):
            items.append((i, _indent(item.group(1))))
        last_text = i
    while items:
        close(items.pop()[0])
    while headings:
        close(headings.pop()[0], "region")
    out.sort(key=lambda r: (r.start_line, -r.end_line))
    return out[:MAX_RANGES]


class Folding(Feature):
    """`textDocument/foldingRange`, remembered per document version (editors ask often)."""

    def __init__(self, server: VaultLanguageServer) -> None:
        super().__init__(server)
        self.last: dict[str, tuple[int, list[types.FoldingRange]]] = {}  # uri -> (version, ranges)

    def register(self) -> None:
        self.server.feature(types.TEXT_DOCUMENT_FOLDING_RANGE)(
            self.server.thread()(guard(list)(self.folding_range))
        )

    def folding_range(self, params: types.FoldingRangeParams) -> list[types.FoldingRange]:
        doc = self.server.docs.get(params.text_document.uri)
        if doc is None:
            return []
        hit = self.last.get(doc.uri)
        if hit is not None and doc.version is not None and hit[0] == doc.version:
            return hit[1]
        ranges = folding_ranges(doc.text.lines)
        if doc.version is not None:
            if len(self.last) > 16:
                self.last.clear()
            self.last[doc.uri] = (doc.version, ranges)
        return ranges
