"""XLSX (openpyxl, read-only, cached formula values): per sheet, header row + 20-row batches.

Every section starts with `[Sheet: name]` and the header row, so a batch found by search says which
sheet and which columns it belongs to; row_start/row_end are the sheet's own 1-based row numbers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vault_core.config import Limits
from vault_core.parse.extract._common import (
    Row,
    check_ooxml,
    check_readable,
    format_cell,
    one_line,
    row_sections,
)
from vault_core.parse.extract.base import Extracted, ExtractError, Section

EXTENSIONS = (".xlsx", ".xlsm")


def _rows(sheet: Any) -> Iterator[Row]:
    # rows come gap-filled from row 1, so the position is the sheet's row number
    for number, values in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        yield Row(number, [format_cell(v) for v in values])


def extract(path: Path, limits: Limits) -> Extracted:
    import openpyxl

    check_readable(path)
    check_ooxml(path, "xl/workbook.xml", ".xlsx")
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise ExtractError(f"not a readable .xlsx: {one_line(exc)}") from exc
    sections: list[Section] = []
    warnings: list[str] = []
    rows_left = limits.max_rows
    try:
        for sheet in workbook.worksheets:
            if rows_left <= 0:
                warnings.append(
                    f"truncated at {limits.max_rows} rows (sheet {sheet.title!r} skipped)"
                )
                continue
            sheet.reset_dimensions()  # stored dimensions are often wrong; read what is there
            try:
                found, taken, truncated = row_sections(
                    _rows(sheet),
                    prefix=f"[Sheet: {sheet.title}]",
                    heading_path=[],
                    sheet=sheet.title,
                    max_rows=rows_left,
                )
            except Exception as exc:
                warnings.append(f"sheet {sheet.title!r} unreadable: {one_line(exc)}")
                continue
            rows_left -= taken
            sections.extend(found)
            if truncated:
                warnings.append(f"truncated at {limits.max_rows} rows (in sheet {sheet.title!r})")
    except Exception as exc:
        raise ExtractError(f"not a readable .xlsx: {one_line(exc)}") from exc
    finally:
        workbook.close()
    return Extracted(title=path.stem, sections=sections, warnings=warnings)
