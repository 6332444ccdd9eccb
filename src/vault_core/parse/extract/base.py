"""What every extractor returns: sections of text, each with a locator a citation can point at."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vault_core.errors import VaultError


class ExtractError(VaultError):
    """A file that cannot be read as its format; the message is what `status` shows."""


class Locator(BaseModel):
    """Where a run of text came from, for citations.

    `heading_path` is the breadcrumb below the document title; the other locators are set when the
    format has them (lines for text formats, page for PDF, sheet and rows for spreadsheets).
    """

    heading_path: list[str] = Field(default_factory=list)
    start_line: int = 0
    end_line: int = 0
    page: int | None = None
    sheet: str | None = None
    row_start: int | None = None
    row_end: int | None = None


class Section(Locator):
    """One run of text with where it came from."""

    text: str
    atomic: bool = False  # True for table row batches: the chunker must not split or merge them


class Extracted(BaseModel):
    """A whole attachment: its title and sections, plus warnings (truncation, pages needing OCR)."""

    title: str
    sections: list[Section]
    warnings: list[str] = Field(default_factory=list)
