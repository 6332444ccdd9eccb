"""Where an edit lands: heading paths, block ids and frontmatter lines, failing closed.

A heading path (`["Project", "Risks"]`) names a heading and its ancestors; it may start at any
level. A path that matches nothing, or more than one section, is an error listing candidates:
nvault never guesses and never adds a section nobody asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from vault_core.edit.models import BlockEntry, DocumentMap, HeadingEntry
from vault_core.edit.splice import RawNote
from vault_core.errors import AmbiguousTarget, TargetNotFound
from vault_core.index.link_graph import heading_key
from vault_core.parse.markdown import ParsedNote, code_mask, parse_note

FM_KEY_RE = re.compile(r"^([^\s#:\-'\"][^:]*?|'[^']*'|\"[^\"]*\")\s*:(\s|$)")


@dataclass(frozen=True, slots=True)
class Section:
    """0-based lines: the heading line, and one past the section's last line."""

    heading_line: int
    end: int
    path: tuple[str, ...]

    def last_content_line(self, note: RawNote) -> int:
        """One past the last non-blank line of the section (blank lines before the next
        heading stay where they are)."""
        end = self.end
        while end > self.heading_line + 1 and not note.lines[end - 1].strip():
            end -= 1
        return end


def parsed(note: RawNote) -> ParsedNote:
    return parse_note(note.text, note.path)


def sections(note: RawNote, parse: ParsedNote | None = None) -> list[Section]:
    parse = parse or parsed(note)
    heads = parse.headings
    total = len(note.lines) - (1 if note.lines and note.lines[-1] == "" else 0)
    out: list[Section] = []
    stack: list[tuple[int, str]] = []
    for i, h in enumerate(heads):
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        stack.append((h.level, h.text))
        end = next((n.line - 1 for n in heads[i + 1 :] if n.level <= h.level), total)
        out.append(Section(h.line - 1, max(end, h.line), tuple(t for _, t in stack)))
    return out


def frontmatter_span(note: RawNote) -> tuple[int, int] | None:
    """0-based (first key line, closing `---` line) of the frontmatter, None without one."""
    lines = note.lines
    if not lines or lines[0].rstrip("\r").strip() != "---":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r").strip() in ("---", "..."):
            return 1, i
    return None


def frontmatter_keys(note: RawNote) -> dict[str, tuple[int, int]]:
    """Top-level key -> 0-based [start, end) lines it occupies (its value lines included)."""
    span = frontmatter_span(note)
    if span is None:
        return {}
    keys: dict[str, tuple[int, int]] = {}
    current: str | None = None
    start = 0
    for i in range(span[0], span[1] + 1):
        line = note.lines[i].rstrip("\r") if i < span[1] else ""
        if current is not None and line.strip() and (line[0].isspace() or line.startswith("- ")):
            continue  # the value of the key above: indented lines, a block list
        if current is not None:
            keys[current] = (start, i)
            current = None
        match = FM_KEY_RE.match(line)
        if match and i < span[1]:
            current, start = match.group(1).strip("'\""), i
    return keys


def document_map(note: RawNote) -> DocumentMap:
    parse = parsed(note)
    return DocumentMap(
        path=note.path,
        version=note.version,
        lines=len(note.lines) - (1 if note.lines[-1] == "" else 0),
        line_ending="\r\n" if note.eol == "\r\n" else "\n",
        bom=note.bom,
        frontmatter_keys=list(frontmatter_keys(note)),
        headings=[
            HeadingEntry(path=list(s.path), level=h.level, line=h.line, end_line=s.end)
            for s, h in zip(sections(note, parse), parse.headings, strict=True)
        ],
        blocks=[BlockEntry(id=b.id, line=b.line) for b in parse.blocks],
    )


def _describe(s: Section) -> str:
    return f"{' > '.join(s.path)} (line {s.heading_line + 1})"


def find_section(note: RawNote, heading: list[str]) -> Section:
    """The one section whose heading path ends with `heading` (each step a descendant)."""
    wanted = [heading_key(h.lstrip("#").strip()) for h in heading if h.strip()]
    label = "heading " + " > ".join(repr(h) for h in heading)
    if not wanted:
        raise TargetNotFound(note.path, "empty heading path", [])
    all_sections = sections(note)
    found = [s for s in all_sections if _ends_with(s.path, wanted)]
    if not found:
        raise TargetNotFound(note.path, label, [_describe(s) for s in all_sections])
    if len(found) > 1:
        raise AmbiguousTarget(note.path, label, [_describe(s) for s in found])
    return found[0]


def _ends_with(path: tuple[str, ...], wanted: list[str]) -> bool:
    """The last heading matches the last step, and the earlier steps are ancestors in order."""
    keys = [heading_key(p) for p in path]
    if not keys or keys[-1] != wanted[-1]:
        return False
    it = iter(keys[:-1])
    return all(any(k == w for k in it) for w in wanted[:-1])


def find_block(note: RawNote, block: str) -> int:
    """0-based line of block id `^block`."""
    wanted = block.lstrip("^").strip()
    blocks = parsed(note).blocks
    found = [b for b in blocks if b.id == wanted]
    if not found:
        raise TargetNotFound(note.path, f"block ^{wanted}", [f"^{b.id}" for b in blocks])
    if len(found) > 1:
        raise AmbiguousTarget(note.path, f"block ^{wanted}", [f"line {b.line}" for b in found])
    return found[0].line - 1


def body_start(note: RawNote) -> int:
    """0-based first line after the frontmatter."""
    span = frontmatter_span(note)
    return span[1] + 1 if span else 0


def in_code(note: RawNote) -> list[bool]:
    return code_mask(note.lines)
