"""PDF (pymupdf): page by page, every section keeps its page number.

Headings come from the outline (bookmarks) when the PDF has one, otherwise from font sizes clearly
above the body text. A page with almost no text but an image is presumed scanned: it is OCRed when
Tesseract is installed, and reported in `warnings` when it is not.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vault_core.config import Limits
from vault_core.parse.extract._common import check_readable, mb, one_line
from vault_core.parse.extract.base import Extracted, ExtractError, Section

EXTENSIONS = (".pdf",)

SCANNED_PAGE_CHARS = 50  # fewer visible characters than this on a page with an image: scanned
OCR_WARNINGS_LISTED = 20  # per-page OCR warnings before they are summarised in one line
_HEADING_RATIO = 1.15  # a line this much larger than the body size may be a heading
_SAMPLE_PAGES = 30  # pages sampled to learn the body font size and heading sizes
_TEXT_FLAGS = 0  # no images, no ligature/whitespace preservation: plain text lines


@dataclass
class _Line:
    text: str
    size: float


@dataclass
class _Block:
    lines: list[_Line]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class _Outline:
    """Outline entries by 0-based page: (level, title)."""

    by_page: dict[int, list[tuple[int, str]]] = field(default_factory=dict)


@functools.cache
def _tessdata() -> str | None:
    """Tesseract's language folder, or None when Tesseract is not installed (looked up once)."""
    import pymupdf

    try:
        return str(pymupdf.get_tessdata())
    except Exception:
        return None


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", text).strip().casefold()


def _open(path: Path) -> Any:
    import pymupdf

    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:
        raise ExtractError(f"not a readable PDF: {one_line(exc)}") from exc
    if doc.needs_pass:
        doc.close()
        raise ExtractError("PDF is encrypted (password required)")
    if doc.page_count == 0:
        doc.close()
        raise ExtractError("PDF has no pages (corrupt or empty)")
    return doc


def _blocks(page: Any) -> list[_Block]:
    """Text blocks of a page in content-stream order, each line with its largest font size."""
    data = page.get_text("dict", flags=_TEXT_FLAGS)  # content order: sort=True mixes columns
    blocks: list[_Block] = []
    for block in data.get("blocks", ()):
        lines: list[_Line] = []
        for line in block.get("lines", ()):
            spans = line.get("spans", ())
            text = "".join(span.get("text", "") for span in spans).strip()
            if text:
                size = max((span.get("size", 0.0) for span in spans), default=0.0)
                lines.append(_Line(" ".join(text.split()), round(size, 1)))
        if lines:
            blocks.append(_Block(lines))
    return blocks


def _font_levels(pages: list[list[_Block]]) -> tuple[float, list[float]]:
    """Body font size (most characters) and the larger sizes that mark headings, largest first."""
    weight: Counter[float] = Counter()
    for blocks in pages:
        for block in blocks:
            for line in block.lines:
                weight[line.size] += len(line.text)
    if not weight:
        return 0.0, []
    body = weight.most_common(1)[0][0]
    larger = sorted((s for s in weight if s >= body * _HEADING_RATIO), reverse=True)
    return body, larger[:6]


def _font_heading(block: _Block, body: float, levels: list[float]) -> tuple[int, str] | None:
    """(level, text) when a block is a short run of lines in a heading-sized font."""
    if body <= 0 or len(block.lines) > 3:
        return None
    size = min(line.size for line in block.lines)
    text = " ".join(line.text for line in block.lines)
    if size < body * _HEADING_RATIO or not (2 <= len(text) <= 160) or text.isdigit():
        return None
    level = 1 + sum(1 for s in levels if s > size + 0.05)
    return min(level, 6), text


def _outline(doc: Any) -> _Outline:
    outline = _Outline()
    try:
        toc = doc.get_toc(simple=True)
    except Exception:
        return outline
    for level, title, page in toc:
        title = " ".join(str(title).split())
        if title and page >= 1:
            outline.by_page.setdefault(page - 1, []).append((int(level), title))
    return outline


def _title(doc: Any, outline: _Outline, path: Path) -> str:
    meta = doc.metadata or {}
    title = " ".join(str(meta.get("title") or "").split())
    title = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", title)
    if title and title.casefold() not in {"untitled", "untitled document"}:
        return title
    for page in sorted(outline.by_page):
        return outline.by_page[page][0][1]
    return path.stem


class _Sections:
    """Cuts a page's blocks into sections at headings; the heading stack runs across pages."""

    def __init__(self, title: str) -> None:
        self.title = title
        self.stack: list[tuple[int, str]] = []
        self.sections: list[Section] = []
        self.chars = 0

    def heading(self, level: int, text: str) -> None:
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def add(self, page: int, texts: list[str]) -> None:
        body = "\n".join(t for t in texts if t).strip()
        if not body:
            return
        path = [t for _, t in self.stack]
        if path and _norm(path[0]) == _norm(self.title):
            path = path[1:]
        self.sections.append(Section(text=body, heading_path=path, page=page))
        self.chars += len(body)


def _page_sections(
    out: _Sections,
    pno: int,
    blocks: list[_Block],
    entries: list[tuple[int, str]],
    body: float,
    levels: list[float],
) -> None:
    """Sections for one page: outline entries (when any) or font-size headings cut it."""
    # outline entries whose title is not found on the page apply from the top of the page
    pending = list(entries)
    matched: dict[int, list[tuple[int, str]]] = {}
    cursor = 0
    for entry in entries:
        key = _norm(entry[1])
        for i in range(cursor, len(blocks)):
            if key and _norm(blocks[i].text).startswith(key):
                matched.setdefault(i, []).append(entry)
                pending.remove(entry)
                cursor = i
                break
    for level, text in pending:
        out.heading(level, text)
    run: list[str] = []
    for i, block in enumerate(blocks):
        cut: list[tuple[int, str]] = matched.get(i, [])
        skip = False
        if cut:
            skip = _norm(block.text) == _norm(cut[-1][1])
        elif not entries and levels and (found := _font_heading(block, body, levels)):
            cut, skip = [found], True
        if cut:
            out.add(pno + 1, run)
            run = []
            for level, text in cut:
                out.heading(level, text)
        if not skip:
            run.append(block.text)
    out.add(pno + 1, run)


def _ocr_text(page: Any, tessdata: str) -> str:
    textpage = page.get_textpage_ocr(full=True, dpi=200, tessdata=tessdata)
    return str(page.get_text("text", textpage=textpage))


def extract(path: Path, limits: Limits) -> Extracted:
    check_readable(path)  # a large PDF is fine; max_file_bytes caps the text extracted from it
    doc = _open(path)
    warnings: list[str] = []
    try:
        n_pages = doc.page_count
        last = min(n_pages, limits.max_pages)
        if n_pages > last:
            warnings.append(f"truncated at {last} pages (of {n_pages})")
        outline = _outline(doc)
        title = _title(doc, outline, path)
        use_fonts = not outline.by_page
        sample: dict[int, list[_Block]] = {}
        body, levels = 0.0, []
        if use_fonts:
            for pno in range(min(last, _SAMPLE_PAGES)):
                try:
                    sample[pno] = _blocks(doc[pno])
                except Exception:
                    sample[pno] = []
            body, levels = _font_levels(list(sample.values()))
        out = _Sections(title)
        needs_ocr: list[int] = []
        failed: list[str] = []
        for pno in range(last):
            if out.chars >= limits.max_file_bytes:
                warnings.append(
                    f"truncated at page {pno} ({mb(limits.max_file_bytes)} of text extracted)"
                )
                break
            try:
                page = doc[pno]
                blocks = sample.pop(pno) if pno in sample else _blocks(page)
                visible = sum(len(b.text) for b in blocks)
                if visible < SCANNED_PAGE_CHARS and page.get_images(full=False):
                    tessdata = _tessdata()
                    if tessdata is None:
                        needs_ocr.append(pno + 1)
                    else:
                        text = _ocr_text(page, tessdata)
                        blocks = [_Block([_Line(t, body) for t in text.splitlines() if t.strip()])]
            except Exception as exc:
                failed.append(f"page {pno + 1} unreadable: {one_line(exc)}")
                continue
            _page_sections(out, pno, blocks, outline.by_page.get(pno, []), body, levels)
        for pno in needs_ocr[:OCR_WARNINGS_LISTED]:
            warnings.append(f"page {pno} needs OCR (tesseract not found)")
        if len(needs_ocr) > OCR_WARNINGS_LISTED:
            more = len(needs_ocr) - OCR_WARNINGS_LISTED
            warnings.append(f"{more} more pages need OCR (tesseract not found)")
        warnings.extend(failed[:OCR_WARNINGS_LISTED])
        if failed and len(failed) == last:
            raise ExtractError(f"no page of the PDF could be read ({failed[0]})")
        return Extracted(title=title, sections=out.sections, warnings=warnings)
    finally:
        doc.close()
