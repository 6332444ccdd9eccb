"""`add_link`: a link in the vault's own style, in a "See also"-style section.

The style is learned from the vault's links (wiki or Markdown, whichever most notes use), the
list marker from the section's own items. A missing section is created at the end of the note
(the call asked for a link, and the section is where links of this kind live).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Literal

from vault_core.edit.links import md_dest
from vault_core.edit.splice import RawNote, Splice
from vault_core.edit.targets import sections
from vault_core.errors import WriteRefused
from vault_core.index.link_graph import LinkGraph, heading_key
from vault_core.parse.markdown import parse_note

SEE_ALSO = re.compile(
    r"^(see also|related|related notes|links|references|further reading|siehe auch|voir aussi)$"
)
ITEM_RE = re.compile(r"^(\s*)([-*+])\s+")


def link_style(graph: LinkGraph) -> Literal["wiki", "markdown"]:
    counts: Counter[str] = Counter()
    for note in graph.notes.values():
        for link in note.links:
            if not link.embed:
                counts[link.kind] += 1
    return "markdown" if counts["markdown"] > counts["wiki"] else "wiki"


def link_text(graph: LinkGraph, source: str, target: str) -> str:
    if link_style(graph) == "markdown":
        note = graph.notes[target]
        return f"[{note.title}]({md_dest(target, source)})"
    return f"[[{graph.shortest_link_text(target)}]]"


def plan_add_link(graph: LinkGraph, note: RawNote, target: str) -> list[Splice]:
    parse = parse_note(note.text, note.path)
    for link in parse.links:
        if graph.resolve(link, note.path).target == target and not link.embed:
            raise WriteRefused(
                f"{note.path} already links to {target} at line {link.line}; nothing was written"
            )
    text = link_text(graph, note.path, target)
    found = [s for s in sections(note, parse) if SEE_ALSO.match(heading_key(s.path[-1]))]
    if found:
        section = found[-1]
        end = section.last_content_line(note)
        marker = "-"
        for line in note.lines[section.heading_line + 1 : end]:
            item = ITEM_RE.match(line)
            if item:
                marker = item.group(2)
        at = note.line_offset(end)
        new = note.lines_text(f"{marker} {text}")
        if at >= len(note.text) and note.text and not note.text.endswith("\n"):
            new = note.eol + new
        if end == section.heading_line + 1:
            new = note.eol + new  # a blank line under the heading, as Markdown lists want
        return [note.splice(at, at, new)]
    lead = "" if not note.text or note.text.endswith("\n") else note.eol
    if note.text.strip() and not note.text.endswith(note.eol * 2):
        lead += note.eol
    block = note.lines_text(f"## See also\n\n- {text}")
    return [note.splice(len(note.text), len(note.text), lead + block)]
