"""Parse one Markdown note: frontmatter, title, aliases, tags, headings, block ids and links.

Lines are 1-based (they end up in `path:line` citations); columns are 0-based character offsets.
Nothing inside fenced code blocks or inline code counts as a link, tag or heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote

import yaml
from markdown_it import MarkdownIt
from pydantic import BaseModel, Field

FENCE_RE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
HEADING_RE = re.compile(r"^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
WIKILINK_RE = re.compile(r"(!?)\[\[([^\[\]\n]+?)\]\]")
MDLINK_RE = re.compile(r"(!?)\[([^\[\]\n]*)\]\(\s*(<[^>\n]+>|[^)\s]+)(?:\s+\"[^\"\n]*\")?\s*\)")
INLINE_CODE_RE = re.compile(r"(`+)(.+?)\1")
TAG_RE = re.compile(r"(?<![\w/#&])#([\w][\w/\-]*)", re.UNICODE)
BLOCK_ID_RE = re.compile(r"(?:^|\s)\^([A-Za-z0-9\-]+)\s*$")
MD_TEXT_RE = re.compile(r"!?\[([^\[\]]*)\]\([^)]*\)")  # a Markdown link, for its text only
SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.\-]*:")


def visible_text(text: str, keep_section: bool = True) -> str:
    """Link syntax reduced to the words a reader sees: a wikilink's label (else its target,
    with or without `#section`), a Markdown link's text. For matching and slugs, never quotes."""

    def label(match: re.Match[str]) -> str:
        target, _, alias = match.group(2).partition("|")
        if alias:
            return alias
        return target if keep_section else target.split("#", 1)[0]

    return MD_TEXT_RE.sub(lambda m: m.group(1), WIKILINK_RE.sub(label, text))


# Headings, block ids and links are plain slotted dataclasses, not pydantic models: a catalog
# holds one per heading and link of the vault, and a model instance cost ~1 KB against ~120 B
# (the models that contain them still validate them).


@dataclass(slots=True, kw_only=True)
class Heading:
    level: int
    text: str
    line: int


@dataclass(slots=True, kw_only=True)
class Block:
    id: str
    line: int


@dataclass(slots=True, kw_only=True)
class Link:
    """One link as written. `target` is the note part ('' for same-note `[[#Heading]]`)."""

    kind: Literal["wiki", "markdown"]
    target: str
    heading: str | None = None
    block: str | None = None
    label: str | None = None
    embed: bool = False
    line: int
    start_col: int
    end_col: int
    raw: str


class NoteMeta(BaseModel):
    """What a file says about itself: shared by a freshly parsed note and its catalog row."""

    title: str
    aliases: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    headings: list[Heading] = Field(default_factory=list)
    blocks: list[Block] = Field(default_factory=list)
    links: list[Link] = Field(default_factory=list)
    frontmatter: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)


class ParsedNote(NoteMeta):
    body_start_line: int = 1  # first line after the frontmatter
    title_line: int | None = None  # the H1 that is the note's title; other H1s are sections


def _as_str_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[,\n]", value) if part.strip()]
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    return [str(value)]


def body_start_line(lines: list[str]) -> int:
    """The 1-based first line after the frontmatter block (1 when there is none); no YAML parse."""
    if not lines or lines[0].strip() != "---":
        return 1
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return i + 2
    return 1


def split_frontmatter(text: str) -> tuple[dict[str, Any], int, str | None]:
    """(frontmatter, first body line, warning). Broken YAML yields {} and a warning, never an error."""
    lines = text.split("\n")
    start = body_start_line(lines)
    if start == 1:
        return {}, 1, None
    raw = "\n".join(lines[1 : start - 2])
    try:
        data = yaml.safe_load(raw) if raw.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 2}" if mark is not None else ""
        return {}, start, f"broken frontmatter{where}: {getattr(exc, 'problem', exc)}"
    if not isinstance(data, dict):
        return {}, start, "frontmatter is not a key: value mapping"
    return data, start, None


def code_mask(lines: list[str]) -> list[bool]:
    """True for every line that is inside (or delimits) a fenced code block."""
    mask: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = FENCE_RE.match(line)
        if fence is None:
            if match:
                fence = match.group(1)
                mask.append(True)
                continue
            mask.append(False)
        else:
            mask.append(True)
            closes = match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence)
            if closes and not line.strip()[len(match.group(1)) :].strip():
                fence = None
    return mask


# CommonMark's block parser (inline parsing off): which lines are indented code or raw HTML
_BLOCKS = MarkdownIt("commonmark").disable(["inline", "text_join"])
_MAYBE_RAW_RE = re.compile(r"^(?: {4}|\t| {0,3}<)", re.MULTILINE)


def raw_block_mask(lines: list[str], start: int = 1) -> list[bool]:
    """True for every line of a code block (fenced or indented) or a raw HTML block (a multi-line
    `<!-- comment -->` too): text a reader never sees as prose. Lines before the 1-based `start`
    (frontmatter) are left to the caller. Indented code follows CommonMark (not inside a list
    item, not continuing a paragraph), so the library decides, not a regex."""
    mask = code_mask(lines)
    body = "\n".join(lines[start - 1 :])
    if not _MAYBE_RAW_RE.search(body):
        return mask  # no line could open indented code or HTML: skip the parse
    for token in _BLOCKS.parse(body):
        if token.type in ("code_block", "fence", "html_block") and token.map:
            a, b = token.map
            for i in range(start - 1 + a, min(start - 1 + b, len(lines))):
                mask[i] = True
    return mask


def blank_inline_code(line: str) -> str:
    """The line with inline code spans replaced by spaces, so offsets stay valid."""
    return INLINE_CODE_RE.sub(lambda m: " " * len(m.group(0)), line)


def _wiki_link(match: re.Match[str], line_no: int) -> Link:
    inner = match.group(2)
    label = None
    if "|" in inner:
        inner, label = inner.split("|", 1)
        label = label.strip() or None
    target, heading, block = inner, None, None
    if "#" in inner:
        target, frag = inner.split("#", 1)
        if frag.startswith("^"):
            block = frag[1:].strip()
        else:
            heading = frag.strip() or None
    return Link(
        kind="wiki",
        target=target.strip(),
        heading=heading,
        block=block,
        label=label,
        embed=match.group(1) == "!",
        line=line_no,
        start_col=match.start(),
        end_col=match.end(),
        raw=match.group(0),
    )


def _markdown_link(match: re.Match[str], line_no: int) -> Link | None:
    dest = match.group(3).strip("<>")
    if SCHEME_RE.match(dest) or dest.startswith("#"):
        return None  # URLs and same-page anchors are not links to notes
    dest = unquote(dest)
    target, heading = dest, None
    if "#" in dest:
        target, heading = dest.split("#", 1)
    block = heading[1:] if heading and heading.startswith("^") else None
    if block:
        heading = None
    return Link(
        kind="markdown",
        target=target,
        heading=heading or None,
        block=block,
        label=match.group(2) or None,
        embed=match.group(1) == "!",
        line=line_no,
        start_col=match.start(),
        end_col=match.end(),
        raw=match.group(0),
    )


def _leading_h1(lines: list[str], body_start: int, headings: list[Heading]) -> Heading | None:
    """The H1 that opens the note (only blank lines before it) and is its only H1: a document
    title. A note whose H1s are "# Tools", "# To Refer", "# Notes" uses them as sections, and
    its title is its file name (163 of the 252 notes opening with an H1 in vaultofknowledge)."""
    first_content = next(
        (i + 1 for i in range(body_start - 1, len(lines)) if lines[i].strip()), None
    )
    h1s = [h for h in headings if h.level == 1]
    if len(h1s) != 1 or h1s[0].line != first_content:
        return None
    return h1s[0]


def parse_note(text: str, path: str) -> ParsedNote:
    """Parse Markdown `text` of the note at vault-relative `path`."""
    frontmatter, body_start, warning = split_frontmatter(text)
    lines = text.split("\n")
    mask = code_mask(lines)
    headings: list[Heading] = []
    blocks: list[Block] = []
    links: list[Link] = []
    inline_tags: list[str] = []
    for idx in range(body_start - 1, len(lines)):
        if mask[idx]:
            continue
        line_no = idx + 1
        line = blank_inline_code(lines[idx])
        heading = HEADING_RE.match(line)
        if heading:
            heading_text = BLOCK_ID_RE.sub("", heading.group(2)).strip()
            headings.append(Heading(level=len(heading.group(1)), text=heading_text, line=line_no))
        for match in WIKILINK_RE.finditer(line):
            links.append(_wiki_link(match, line_no))
        scrubbed = WIKILINK_RE.sub(lambda m: " " * len(m.group(0)), line)
        for match in MDLINK_RE.finditer(scrubbed):
            link = _markdown_link(match, line_no)
            if link is not None:
                links.append(link)
        scrubbed = MDLINK_RE.sub(lambda m: " " * len(m.group(0)), scrubbed)
        text_part = scrubbed[heading.start(2) :] if heading else scrubbed
        for match in TAG_RE.finditer(text_part):
            tag = match.group(1).rstrip("/-")
            if tag and not tag.replace("/", "").isdigit():
                inline_tags.append(tag)
        block = BLOCK_ID_RE.search(line)
        if block:
            blocks.append(Block(id=block.group(1), line=line_no))
    links.sort(key=lambda link: (link.line, link.start_col))
    tags = [t.lstrip("#") for t in _as_str_list(frontmatter.get("tags") or frontmatter.get("tag"))]
    for tag in inline_tags:
        if tag not in tags:
            tags.append(tag)
    aliases = _as_str_list(frontmatter.get("aliases") or frontmatter.get("alias"))
    title = str(frontmatter.get("title") or "").strip()
    title_h1 = None if title else _leading_h1(lines, body_start, headings)
    if not title:
        title = title_h1.text if title_h1 else PurePosixPath(path).stem
    return ParsedNote(
        title=title,
        aliases=aliases,
        tags=list(dict.fromkeys(tags)),
        headings=headings,
        blocks=blocks,
        links=links,
        frontmatter=frontmatter,
        body_start_line=body_start,
        title_line=title_h1.line if title_h1 else None,
        warnings=[warning] if warning else [],
    )
