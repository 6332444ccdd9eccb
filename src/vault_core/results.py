"""What the `Vault` facade returns about itself, a note's text and the notes related to it.

Plain pydantic models with no engine imports, so the front ends (MCP, LSP) can reuse or derive
their wire shapes from them without loading the engine.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, Field

from vault_core.wire import Location

Phase = Literal["starting", "repairing", "scanning", "indexing", "embedding", "watching", "idle"]


class IndexProgress(BaseModel):
    """The one progress model every front end shows (CLI bar, status, MCP, LSP).

    Phase 1 (`scanning`, `indexing`) reads and parses every file: names, links and keywords are
    exact once it ends. Phase 2 (`embedding`) fills in vectors; until it ends semantic ranking
    covers `chunks_embedded` of `chunks_total` chunks. File counts are for the whole vault.
    """

    phase: Phase = "idle"
    active: bool = Field(default=False, description="phase 1 is running: names may be missing")
    done: int = Field(default=0, description="files looked at so far (unchanged ones count)")
    total: int = Field(default=0, description="files in the vault; 0 while still counting")
    chunks_total: int = 0
    chunks_embedded: int = 0
    rate: float | None = Field(default=None, description="chunks embedded per second")
    eta_s: float | None = Field(default=None, description="seconds until fully embedded")

    @property
    def reading(self) -> bool:
        """Phase 1 is not over: a name that does not resolve may just be unread yet."""
        return self.active or self.phase in ("starting", "scanning", "repairing")

    @property
    def catching_up(self) -> bool:
        """Phase 1 is running or phase 2 has chunks left: answers may miss some matches."""
        return self.reading or self.embedding_pending > 0

    @property
    def embedding_pending(self) -> int:
        return max(self.chunks_total - self.chunks_embedded, 0)

    @property
    def embedded_fraction(self) -> float:
        return 1.0 if not self.chunks_total else self.chunks_embedded / self.chunks_total

    def describe(self) -> str:
        """One line for people: what is happening and how far it is."""
        if self.phase in ("starting", "repairing") or (self.active and not self.total):
            return "scanning the vault" if self.phase != "repairing" else "checking the index"
        if self.active:
            return f"reading files {self.done:,}/{self.total:,}"
        if self.embedding_pending:
            eta = f", about {_duration(self.eta_s)} left" if self.eta_s is not None else ""
            rate = f" at {self.rate:.0f}/s" if self.rate else ""
            return (
                f"embedding {self.chunks_embedded:,}/{self.chunks_total:,} chunks"
                f" ({self.embedded_fraction:.0%}){rate}{eta}; names and keywords are complete"
            )
        return "up to date"


def _duration(seconds: float | None) -> str:
    s = int(seconds or 0)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


class FileIssue(BaseModel):
    path: str
    reason: str


class IndexLag(BaseModel):
    """A reader's distance from the writer's newest commit (shown for an index on object storage)."""

    versions_behind: int = 0
    seconds_behind: float = Field(default=0.0, description="since the oldest commit not yet seen")
    last_commit_age_s: float | None = Field(default=None, description="since the newest commit")
    writer: str | None = Field(default=None, description="who holds the write lease, if anyone")
    poll_interval_s: float | None = Field(default=None, description="the reader's current backoff")


class AnnState(BaseModel):
    """What the writer built and measured; readers take their query settings from it."""

    index_type: str = "IVF_SQ"
    provisional: bool = Field(
        default=False, description="the index exists but the writer has not calibrated it yet"
    )
    partitions: int
    trained_rows: int = Field(description="chunks with a vector when the index was trained")
    nprobes: int = Field(description="partitions a query probes: the cheapest setting measured")
    refine_factor: int = Field(
        default=10, description="rows rescored on float32: this x the depth (0: none)"
    )
    calibration: int = Field(
        default=1, description="how it was calibrated: 1 probes only, 2 probes and refine_factor"
    )
    recall_at_10: float | None = Field(
        default=None, description="overlap with the exact top 10, mean over the sample queries"
    )
    recall_queries: int = 0
    query_ms_p50: float | None = None
    build_seconds: float = 0.0
    built_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class VaultStatus(BaseModel):
    root: str
    index_dir: str
    role: Literal["writer", "reader"]
    notes: int
    attachments: int
    chunks: int
    chunks_embedded: int = 0
    model: str
    dim: int
    indexing: IndexProgress
    catching_up: bool
    last_sync: datetime | None = None
    last_sync_seconds: float | None = None
    last_error: str | None = None
    notice: str | None = Field(
        default=None, description="what nvault repaired on its own (a damaged or vanished index)"
    )
    watcher: str = "off"
    lag: IndexLag | None = Field(default=None, description="readers of an index on object storage")
    skipped: list[FileIssue] = Field(default_factory=list)
    warnings: list[FileIssue] = Field(default_factory=list)
    hidden_skipped: int = Field(
        default=0, description="dot-files and dot-folders not indexed (include_hidden opts in)"
    )
    config_warnings: list[str] = Field(
        default_factory=list,
        description="settings the vault's own config may not make (user-only), ignored",
    )
    vector_search: Literal["exact in memory", "ann index"] = Field(
        default="exact in memory",
        description="past ~150k chunks an ANN index replaces the in-memory matrix (`ann` says "
        "how well it agrees with exact search)",
    )
    ann: AnnState | None = None
    rerank: str = Field(
        default="off",
        description="the MaxSim re-ranking stage of hybrid search: active, partial or off, and why",
    )


class NoteContent(BaseModel):
    path: str
    title: str
    start_line: int
    end_line: int
    total_lines: int
    text: str
    from_index: bool = Field(
        default=False,
        description="the file is not on this machine: the indexed chunks' text (line numbers "
        "are not the file's, and chunk edges may repeat a little)",
    )

    @property
    def location(self) -> Location:
        return Location(path=self.path, start_line=self.start_line, end_line=self.end_line)

    def numbered(self) -> str:
        lines = self.text.split("\n")
        width = len(str(self.end_line))
        return "\n".join(f"{self.start_line + i:>{width}}  {line}" for i, line in enumerate(lines))
