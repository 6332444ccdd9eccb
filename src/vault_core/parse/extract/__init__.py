"""Attachment extractors, one module per format, looked up by file extension.

Markdown is not here: notes are parsed by `vault_core.parse.markdown` (links, tags, frontmatter).
Each format module defines `EXTENSIONS` and `extract(path, limits)`; the bottom of this file
registers them. Heavy libraries (pymupdf, python-docx, openpyxl, trafilatura) are imported inside
the extract functions, so importing this package stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from vault_core.config import Limits
from vault_core.parse.extract.base import Extracted, ExtractError, Section

Extractor = Callable[[Path, Limits], Extracted]

# extension (lower case, with dot) -> extractor; filled in by the format modules below
EXTRACTORS: dict[str, Extractor] = {}


def supported_extensions() -> frozenset[str]:
    return frozenset(EXTRACTORS)


def extract_file(path: Path, limits: Limits) -> Extracted:
    """Extract one attachment; raises ExtractError with a readable reason when it cannot."""
    extractor = EXTRACTORS.get(path.suffix.lower())
    if extractor is None:
        raise ExtractError(f"unsupported file type {path.suffix!r}")
    try:
        return extractor(path, limits)
    except ExtractError:
        raise
    except MemoryError as exc:
        raise ExtractError("out of memory while reading the file") from exc
    except Exception as exc:  # a library tripping on bad input is a bad file, not a crash
        reason = " ".join(str(exc).split())[:200] or type(exc).__name__
        raise ExtractError(f"cannot read {path.suffix.lower()} file: {reason}") from exc


def _register() -> None:
    from vault_core.parse.extract import delimited, pdf, plaintext, spreadsheet, webpage, word

    for module in (pdf, word, spreadsheet, delimited, webpage, plaintext):
        for ext in module.EXTENSIONS:
            EXTRACTORS[ext] = module.extract


_register()

__all__ = [
    "EXTRACTORS",
    "ExtractError",
    "Extracted",
    "Section",
    "extract_file",
    "supported_extensions",
]
