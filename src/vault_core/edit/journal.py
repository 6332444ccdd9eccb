"""The write journal in `<root>/.nvault/journal`: every write's before and after bytes.

An entry lists file locations, each with the sha256 it had before and has after (None: no
file). Applying makes each location match `after`; undo and recovery make it match `before`.
Each entry's bytes sit in one pack file next to it (`<id>.pack`, one fsync per write). An entry is written as `pending` before any
file is touched and marked `done` after, so a process killed midway leaves a pending entry:
the next start rolls it back (every location that still holds the write's before or after
bytes gets its before bytes) and marks it `rolled_back`.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from vault_core.edit.atomic import read_or_none, remove, sweep_temps, write_atomic, write_many
from vault_core.edit.models import LinkRewrite, Operation
from vault_core.edit.splice import sha256

State = Literal["pending", "done", "undone", "rolled_back"]


class Location(BaseModel):
    path: str
    before: str | None
    after: str | None


class Entry(BaseModel):
    write_id: str
    operation: Operation
    created: datetime
    state: State = "pending"
    locations: list[Location]
    links_rewritten: list[LinkRewrite] = Field(default_factory=list)
    undoes: str | None = None
    note: str = ""
    blobs: dict[str, tuple[int, int]] = Field(
        default_factory=dict, description="sha256 -> (offset, length) in the entry's pack"
    )


def new_write_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{secrets.token_hex(3)}"


class Journal:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.folder = root / ".nvault" / "journal"

    # -- storage --------------------------------------------------------------------------
    def _entry_path(self, write_id: str) -> Path:
        return self.folder / f"{write_id}.json"

    def save_pack(self, entry: Entry, contents: list[bytes]) -> None:
        """Every before/after content of `entry` in its pack file (before the entry itself)."""
        parts: list[bytes] = []
        at = 0
        for data in contents:
            digest = sha256(data)
            if digest in entry.blobs:
                continue
            entry.blobs[digest] = (at, len(data))
            parts.append(data)
            at += len(data)
        write_atomic(self.folder / f"{entry.write_id}.pack", b"".join(parts), 0o600)

    def blob(self, entry: Entry, digest: str) -> bytes:
        offset, length = entry.blobs[digest]
        with (self.folder / f"{entry.write_id}.pack").open("rb") as fh:
            fh.seek(offset)
            return fh.read(length)

    def save(self, entry: Entry) -> None:
        write_atomic(self._entry_path(entry.write_id), entry.model_dump_json(indent=1).encode())

    def load(self, write_id: str) -> Entry | None:
        if "/" in write_id or "\\" in write_id or write_id.startswith("."):
            return None
        path = self._entry_path(write_id)
        if not path.is_file():
            return None
        return Entry.model_validate_json(path.read_bytes())

    def entries(self) -> list[Entry]:
        if not self.folder.is_dir():
            return []
        out = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                out.append(Entry.model_validate_json(path.read_bytes()))
            except ValueError:
                continue  # a torn entry cannot exist (atomic), a foreign file is skipped
        return out

    # -- applying -------------------------------------------------------------------------
    def current(self, loc: Location) -> str | None:
        data = read_or_none(self.root / loc.path)
        return None if data is None else sha256(data)

    def make(self, entry: Entry, side: Literal["before", "after"], skip: set[str]) -> None:
        """Each location to its `side` bytes: files that appear first, removals last."""
        wanted = [(loc, getattr(loc, side)) for loc in entry.locations if loc.path not in skip]
        write_many(
            [
                (self.root / loc.path, self.blob(entry, digest))
                for loc, digest in wanted
                if digest is not None and self.current(loc) != digest
            ]
        )
        for loc, digest in wanted:
            if digest is None:
                remove(self.root / loc.path)

    def recover(self) -> list[str]:
        """Roll back writes a killed process left pending; one sentence per entry."""
        said = []
        if self.folder.is_dir():  # killed before its entry existed: no file was touched yet
            sweep_temps(self.folder, ["x"])
            for pack in self.folder.glob("*.pack"):
                if not pack.with_suffix(".json").exists():
                    pack.unlink(missing_ok=True)
        for entry in self.entries():
            if entry.state != "pending":
                continue
            sweep_temps(self.root, [loc.path for loc in entry.locations])
            kept = []
            for loc in entry.locations:
                now = self.current(loc)
                if now not in (loc.before, loc.after):
                    kept.append(loc.path)  # changed by someone else since: left as it is
            self.make(entry, "before", set(kept))
            entry.state = "rolled_back"
            entry.note = "interrupted; rolled back at the next start" + (
                f" (left alone, changed since: {', '.join(kept)})" if kept else ""
            )
            self.save(entry)
            said.append(
                f"nvault rolled back write {entry.write_id} ({entry.operation}), which was "
                f"interrupted: {', '.join(loc.path for loc in entry.locations)} hold their "
                "bytes from before it."
            )
        return said
