"""HTML: the main text without navigation chrome (trafilatura), headings kept as breadcrumbs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vault_core.config import Limits
from vault_core.parse.extract._common import one_line, read_capped
from vault_core.parse.extract.base import Extracted, ExtractError
from vault_core.parse.extract.plaintext import split_text

EXTENSIONS = (".html", ".htm", ".xhtml")

_BLOCKS = ("p", "div", "li", "tr", "br", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article")
_CHROME = ("script", "style", "noscript", "nav", "header", "footer", "aside", "form", "template")


def _fallback_text(tree: Any) -> str:
    """Visible text minus obvious chrome, for pages where trafilatura finds no main content."""
    for element in tree.xpath("|".join(f"//{tag}" for tag in _CHROME)):
        parent = element.getparent()
        if parent is not None:
            parent.remove(element)
    body = tree.find(".//body")
    root = body if body is not None else tree
    for element in root.iter(*_BLOCKS):
        element.tail = "\n\n" + (element.tail or "")
    raw = "".join(part for part in root.itertext() if isinstance(part, str))
    lines = (" ".join(line.split()) for line in raw.split("\n"))
    return "\n".join(lines)


def extract(path: Path, limits: Limits) -> Extracted:
    import trafilatura

    data, warnings = read_capped(path, limits)
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractError("binary content (NUL bytes), not an HTML file")
    try:
        tree = trafilatura.load_html(data)
    except Exception as exc:
        raise ExtractError(f"unreadable HTML: {one_line(exc)}") from exc
    if tree is None:
        raise ExtractError("unreadable HTML: no document could be parsed")
    title = " ".join((tree.findtext(".//title") or "").split()) or path.stem

    try:
        markdown = trafilatura.extract(
            data,
            output_format="markdown",
            include_formatting=True,
            include_tables=True,
            include_comments=False,
            include_links=False,
            include_images=False,
        )
    except Exception as exc:  # trafilatura's heuristics can trip on odd markup
        warnings.append(f"main-text extraction failed ({one_line(exc)}); using all visible text")
        markdown = None
    if markdown and markdown.strip():
        sections = split_text(
            markdown, "markdown", target_chars=limits.chunk_chars, keep_lines=False, title=title
        )
    else:
        sections = split_text(
            _fallback_text(tree), "plain", target_chars=limits.chunk_chars, keep_lines=False
        )
    return Extracted(title=title, sections=sections, warnings=warnings)
