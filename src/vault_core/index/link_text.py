"""Where a link's `#fragment` lands in a note's headings, and a note's text without its links.

Kept apart from the resolver (index/link_graph.py, which re-exports these names): they read
one note's headings or text and know nothing of the other notes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from vault_core.parse.anchors import heading_slugs
from vault_core.parse.markdown import Heading, Link


def heading_key(text: str) -> str:
    return " ".join(text.casefold().replace("#", " ").split())


def anchor_heading(headings: Sequence[Heading], link: Link) -> Heading | None:
    """The heading `link`'s `#fragment` lands on, or None.

    By text first (Obsidian: `[[Note#Boot modes]]`, `[x](Note.md#Boot%20modes)`); then, for
    Markdown links, by GitHub slug with its duplicate suffix (`#boot-modes`, `#boot-modes-1`).
    """
    if not link.heading:
        return None
    wanted = heading_key(link.heading)
    found = next((h for h in headings if heading_key(h.text) == wanted), None)
    if found is not None or link.kind != "markdown":
        return found
    slug = link.heading.strip().lower()
    slugs = heading_slugs(h.text for h in headings)
    return next((h for h, s in zip(headings, slugs, strict=True) if s == slug), None)


def uses_slug(headings: Sequence[Heading], link: Link) -> bool:
    """True when `link` reaches its heading by slug rather than by the heading's text."""
    if link.kind != "markdown" or not link.heading:
        return False
    wanted = heading_key(link.heading)
    return not any(heading_key(h.text) == wanted for h in headings) and (
        anchor_heading(headings, link) is not None
    )


LINK_SPAN_RE = re.compile(
    r"!?\[\[([^\[\]\n]+?)\]\]|!?\[([^\[\]\n]*)\]\(\s*(?:<[^>\n]+>|[^)\s]+)[^)\n]*\)"
)


def strip_links(text: str, keep_words: bool = False) -> str:
    """Text without its links, for asking which links a note should have (link recovery).

    `[[t|label]]` and `[label](t)` keep the label; embeds go. A bare `[[t]]` goes too, or with
    `keep_words` leaves the note name it shows (`[[folder/Note#Part]]` -> "Note"), as if the
    writer had typed the words and never linked them.
    """

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1)
        if inner is None:
            return m.group(2) or ""
        if "|" in inner:
            return inner.split("|", 1)[1]
        if not keep_words or m.group(0).startswith("!"):
            return ""
        name = re.split(r"[#^]", inner, maxsplit=1)[0].rsplit("/", 1)[-1]
        return re.sub(r"\.md$", "", name, flags=re.IGNORECASE)

    return LINK_SPAN_RE.sub(repl, text)
