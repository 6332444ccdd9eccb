"""DOCX (python-docx): paragraphs and tables in document order; Word headings become breadcrumbs.

Tables become their own atomic sections (header row + batches of rows) under the current heading,
so a table row is never cut in half and always travels with its column names.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vault_core.config import Limits
from vault_core.parse.extract._common import (
    Row,
    check_ooxml,
    check_readable,
    mb,
    one_line,
    row_sections,
)
from vault_core.parse.extract.base import Extracted, ExtractError, Section

EXTENSIONS = (".docx", ".docm")

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)


def _style_name(paragraph: Any, cache: dict[str, str]) -> str:
    """The paragraph's style name; looked up once per style id (python-docx resolves it slowly)."""
    p_pr = paragraph._p.pPr
    style_id = p_pr.pStyle.val if p_pr is not None and p_pr.pStyle is not None else ""
    if style_id not in cache:
        try:
            style = paragraph.style
            cache[style_id] = style.name if style is not None and style.name else ""
        except Exception:
            cache[style_id] = ""
    return cache[style_id]


def _table_rows(table: Any) -> list[Row]:
    rows: list[Row] = []
    for number, row in enumerate(table.rows, start=1):
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # a merged cell repeats; keep it once
                continue
            previous = cell._tc
            cells.append(" ".join(cell.text.split()))
        rows.append(Row(number, cells))
    return rows


class _Builder:
    def __init__(self, title: str, limits: Limits) -> None:
        self.title = title
        self.limits = limits
        self.stack: list[tuple[int, str]] = []
        self.paras: list[str] = []
        self.sections: list[Section] = []
        self.chars = 0
        self.table_rows = 0
        self.warnings: list[str] = []

    @property
    def path(self) -> list[str]:
        path = [text for _, text in self.stack]
        if path and path[0].casefold() == self.title.casefold():
            path = path[1:]
        return path

    @property
    def full(self) -> bool:
        return self.chars >= self.limits.max_file_bytes

    def flush(self) -> None:
        text = "\n\n".join(self.paras).strip()
        self.paras = []
        if text:
            self.sections.append(Section(text=text, heading_path=self.path))
            self.chars += len(text)

    def heading(self, level: int, text: str) -> None:
        self.flush()
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        self.stack.append((level, text))

    def table(self, table: Any) -> None:
        self.flush()
        budget = self.limits.max_rows - self.table_rows
        if budget <= 0:
            self.warnings.append(f"truncated at {self.limits.max_rows} table rows")
            return
        sections, taken, truncated = row_sections(
            _table_rows(table), prefix="", heading_path=self.path, sheet=None, max_rows=budget
        )
        self.table_rows += taken
        for section in sections:
            # row numbers within one of several tables would cite as "spec.docx rows 2-21",
            # which points nowhere; the heading path is this section's locator
            section.row_start = section.row_end = None
        if truncated:
            self.warnings.append(f"truncated at {self.limits.max_rows} table rows")
        self.sections.extend(sections)
        self.chars += sum(len(s.text) for s in sections)


def extract(path: Path, limits: Limits) -> Extracted:
    import docx

    check_readable(path)
    check_ooxml(path, "word/document.xml", ".docx")
    try:
        document = docx.Document(str(path))
    except Exception as exc:
        raise ExtractError(f"not a readable .docx: {one_line(exc)}") from exc

    title = ""
    try:
        title = " ".join((document.core_properties.title or "").split())
    except Exception:
        title = ""
    styles: dict[str, str] = {}
    first_heading = ""
    items: list[tuple[str, Any]] = []
    try:
        for item in document.iter_inner_content():
            if item.__class__.__name__ == "Table":
                items.append(("table", item))
                continue
            text = item.text.strip()
            if not text:
                continue
            style = _style_name(item, styles)
            if style.casefold() == "title":
                first_heading = first_heading or text
                items.append(("title", text))
            elif m := _HEADING_STYLE.match(style):
                first_heading = first_heading or text
                items.append((f"h{m.group(1)}", text))
            else:
                items.append(("p", text))
    except Exception as exc:
        raise ExtractError(f"not a readable .docx: {one_line(exc)}") from exc

    title = title or first_heading or path.stem
    out = _Builder(title, limits)
    for kind, value in items:
        if out.full:
            out.warnings.append(f"truncated at {mb(limits.max_file_bytes)} of text")
            break
        if kind == "table":
            out.table(value)
        elif kind == "title":
            if value.casefold() != title.casefold():
                out.paras.append(value)
        elif kind.startswith("h"):
            out.heading(int(kind[1:]), value)
        else:
            out.paras.append(value)
    out.flush()
    return Extracted(title=title, sections=out.sections, warnings=list(dict.fromkeys(out.warnings)))
