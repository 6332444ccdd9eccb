"""CSV/TSV: header row + 20-row batches, delimiter sniffed, encoding detected (charset-normalizer).

row_start/row_end count records (the header is row 1); start_line/end_line are the file's lines,
which differ from records only when a quoted field spans lines.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

from vault_core.config import Limits
from vault_core.parse.extract._common import Row, decode_text, one_line, read_capped, row_sections
from vault_core.parse.extract.base import Extracted, ExtractError

EXTENSIONS = (".csv", ".tsv")

_SNIFF_CHARS = 32_768
_DELIMITERS = ",;\t|"


def _dialect(text: str, suffix: str) -> type[csv.Dialect] | csv.Dialect:
    sample = text[:_SNIFF_CHARS]
    if len(text) > _SNIFF_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut last line would confuse the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS)
    except csv.Error:
        return csv.excel_tab if suffix == ".tsv" else csv.excel


def _records(
    text: str, dialect: type[csv.Dialect] | csv.Dialect, errors: list[str]
) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    line = 0
    number = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            errors.append(f"stopped at line {reader.line_num}: malformed CSV ({one_line(exc)})")
            return
        number += 1
        yield Row(number, [" ".join(c.split()) for c in cells], line + 1, reader.line_num)
        line = reader.line_num


def extract(path: Path, limits: Limits) -> Extracted:
    data, warnings = read_capped(path, limits)
    text = decode_text(data)
    if not text.strip():
        raise ExtractError("empty file")
    if len(data) >= limits.max_file_bytes and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # drop the record the size limit cut in half
    dialect = _dialect(text, path.suffix.lower())
    errors: list[str] = []
    sections, _, truncated = row_sections(
        _records(text, dialect, errors),
        prefix="",
        heading_path=[],
        sheet=None,
        max_rows=limits.max_rows,
    )
    if truncated:
        warnings.append(f"truncated at {limits.max_rows} rows")
    warnings.extend(errors)
    return Extracted(title=path.stem, sections=sections, warnings=warnings)
