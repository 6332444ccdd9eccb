"""Heading anchors: the slugs GitHub, VS Code and Obsidian give headings in `[x](note.md#slug)`.

A slug is the heading's visible text lower-cased, punctuation dropped, each space a hyphen;
the second heading with the same slug gets `-1`, the third `-2` (GitHub's rule, which VS Code's
Markdown language server and Obsidian's exporters follow).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from vault_core.parse.markdown import visible_text

_DROP_RE = re.compile(r"[^\w\- ]", re.UNICODE)


def slugify(heading: str) -> str:
    """GitHub's slug of one heading (no duplicate suffix)."""
    text = _DROP_RE.sub("", visible_text(heading).strip().lower())
    return text.replace(" ", "-")


def heading_slugs(headings: Iterable[str]) -> list[str]:
    """Slugs of a note's headings in order, with `-1`, `-2` suffixes for repeats."""
    seen: dict[str, int] = {}
    out: list[str] = []
    for text in headings:
        base = slug = slugify(text)
        while slug in seen:
            seen[base] += 1
            slug = f"{base}-{seen[base]}"
        seen.setdefault(slug, 0)
        out.append(slug)
    return out
