"""What every extractor returns: sections of text, each with a locator a citation can point at."""

from __future__ import annotations

from pydantic import BaseModel, Field

from vault_core.errors import VaultError
from vault_core.wire import Locator

__all__ = ["ExtractError", "Extracted", "Locator", "Section"]


class ExtractError(VaultError):
    """A file that cannot be read as its format; the message is what `status` shows."""


class Section(Locator):
    """One run of text with where it came from."""

    text: str
    atomic: bool = False  # True for table row batches: the chunker must not split or merge them


class Extracted(BaseModel):
    """A whole attachment: its title and sections, plus warnings (truncation, pages needing OCR)."""

    title: str
    sections: list[Section]
    warnings: list[str] = Field(default_factory=list)
