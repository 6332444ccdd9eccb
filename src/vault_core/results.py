"""What the `Vault` facade returns about itself and about a note's text."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class IndexProgress(BaseModel):
    active: bool = False
    done: int = 0
    total: int = 0
    phase: str = "idle"  # idle | repairing | indexing | watching


class FileIssue(BaseModel):
    path: str
    reason: str


class VaultStatus(BaseModel):
    root: str
    index_dir: str
    role: Literal["writer", "reader"]
    notes: int
    attachments: int
    chunks: int
    model: str
    dim: int
    indexing: IndexProgress
    catching_up: bool
    last_sync: datetime | None = None
    last_sync_seconds: float | None = None
    last_error: str | None = None
    watcher: str = "off"
    skipped: list[FileIssue] = Field(default_factory=list)
    warnings: list[FileIssue] = Field(default_factory=list)


class NoteContent(BaseModel):
    path: str
    title: str
    start_line: int
    end_line: int
    total_lines: int
    text: str

    def numbered(self) -> str:
        lines = self.text.split("\n")
        width = len(str(self.end_line))
        return "\n".join(f"{self.start_line + i:>{width}}  {line}" for i, line in enumerate(lines))
