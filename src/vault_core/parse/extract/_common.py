"""Helpers the format modules share: bounded reads, text decoding, cell formatting, row batching."""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from vault_core.config import Limits
from vault_core.parse.extract.base import ExtractError, Section

ROWS_PER_SECTION = 20
_BINARY_PROBE = 8192


def one_line(exc: BaseException) -> str:
    """A library exception as one short human line (no traceback, no multi-line dumps)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def mb(n_bytes: int) -> str:
    """A byte count for people: 1001 bytes, 8.2 KB, 10 MB."""
    if n_bytes < 1024:
        return f"{n_bytes} bytes"
    for unit, scale in (("KB", 1024), ("MB", 1024**2), ("GB", 1024**3)):
        value = n_bytes / scale
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{n_bytes} bytes"


def check_readable(path: Path) -> int:
    """The file's size, or ExtractError when it cannot be opened at all."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or one_line(exc)}") from exc
    if not path.is_file():
        raise ExtractError("not a regular file")
    if size == 0:
        raise ExtractError("empty file")
    return size


def check_ooxml(path: Path, main_part: str, kind: str) -> None:
    """ExtractError unless `path` is a ZIP package holding `main_part` (an Office file's core)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise ExtractError(
            f"not a readable {kind}: not a ZIP package (truncated, or not a {kind} file)"
        ) from exc
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or one_line(exc)}") from exc
    if main_part not in names:
        raise ExtractError(f"not a readable {kind}: the package has no {main_part}")


def read_capped(path: Path, limits: Limits) -> tuple[bytes, list[str]]:
    """At most `max_file_bytes` of the file, plus a truncation warning when it was longer."""
    size = check_readable(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_file_bytes)
    except OSError as exc:
        raise ExtractError(f"cannot read file: {exc.strerror or one_line(exc)}") from exc
    warnings: list[str] = []
    if size > limits.max_file_bytes:
        warnings.append(f"truncated at {mb(limits.max_file_bytes)} (file is {mb(size)})")
    return data, warnings


def decode_text(data: bytes) -> str:
    """Bytes of a text file as str: BOM, then strict UTF-8, then charset-normalizer's best guess.

    Never fails on odd bytes (they become U+FFFD); refuses content that is plainly binary.
    """
    for bom, encoding in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    if b"\x00" in data[:_BINARY_PROBE]:
        raise ExtractError("binary content (NUL bytes), not a text file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the size limit is not a reason to distrust UTF-8
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[: exc.start].decode("utf-8")
    from charset_normalizer import from_bytes

    best = from_bytes(data[:262_144]).best()
    encoding = best.encoding if best is not None else "cp1252"
    try:
        return data.decode(encoding, errors="replace")
    except LookupError:
        return data.decode("cp1252", errors="replace")


def format_cell(value: object) -> str:
    """A spreadsheet value as it would read in the sheet: 1200 not 1200.0, dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.10g}"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return " ".join(str(value).split())


def join_cells(cells: Sequence[str]) -> str:
    """One row as `a | b | c`, trailing empty cells dropped."""
    end = len(cells)
    while end and not cells[end - 1]:
        end -= 1
    return " | ".join(cells[:end])


class Row:
    """One table row with where it sits in the source (1-based row and line numbers)."""

    __slots__ = ("cells", "end_line", "number", "start_line")

    def __init__(
        self, number: int, cells: list[str], start_line: int = 0, end_line: int = 0
    ) -> None:
        self.number = number
        self.cells = cells
        self.start_line = start_line
        self.end_line = end_line


def row_sections(
    rows: Iterable[Row],
    *,
    prefix: str,
    heading_path: list[str],
    sheet: str | None,
    max_rows: int,
    batch: int = ROWS_PER_SECTION,
) -> tuple[list[Section], int, bool]:
    """Header row + batches of `batch` data rows, each an atomic Section that repeats the header.

    The first non-empty row is the header; blank rows are skipped but keep their numbers. Returns
    the sections, the number of data rows taken, and whether rows were left after `max_rows`.
    """
    header: Row | None = None
    header_text = ""
    pending: list[tuple[Row, str]] = []
    sections: list[Section] = []
    consumed = 0

    def section(batch_rows: list[tuple[Row, str]]) -> Section:
        first, last = batch_rows[0][0], batch_rows[-1][0]
        body = [text for _, text in batch_rows]
        return Section(
            text="\n".join([p for p in (prefix, header_text) if p] + body).rstrip(),
            heading_path=list(heading_path),
            sheet=sheet,
            row_start=first.number,
            row_end=last.number,
            start_line=first.start_line,
            end_line=last.end_line,
            atomic=True,
        )

    for row in rows:
        text = join_cells(row.cells)
        if not text.strip(" |"):
            continue
        if header is None:
            header, header_text = row, text
            continue
        if consumed >= max_rows:
            if pending:
                sections.append(section(pending))
            return sections, consumed, True
        pending.append((row, text))
        consumed += 1
        if len(pending) >= batch:
            sections.append(section(pending))
            pending = []
    if pending:
        sections.append(section(pending))
    elif header is not None and consumed == 0:
        # a table that is only a header row still says something: its column names
        sections.append(section([(header, "")]))
    return sections, consumed, False
