"""Wiki lint's models, the fix-plan builders and what every check reads (lint.py runs them).

A fix is the exact call of an MCP write tool (issue 29's write path) as a dry-run plan, so an
agent can preview it and a person can approve it; lint itself never writes.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, get_args

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from vault_core.index.catalog import NoteFacts
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

LintKind = Literal[
    "broken_link",
    "orphan",
    "no_outgoing_links",
    "duplicate",
    "missing_page",
    "index_drift",
    "stale_sources",
    "unlinked_mention",
    "contradiction_candidate",
]
KINDS: tuple[str, ...] = get_args(LintKind)
WriteTool = Literal["create_note", "append", "replace_text", "add_link", "move_note", "delete_note"]


class LintLocation(BaseModel):
    line: int = Field(description="1-based")
    start_col: int | None = Field(default=None, description="0-based, inclusive")
    end_col: int | None = Field(default=None, description="0-based, exclusive")


class FixPlan(BaseModel):
    """One call of a write tool, as a dry run: `arguments` always holds `dry_run: true`."""

    tool: WriteTool
    arguments: dict[str, Any]


class LintFinding(BaseModel):
    kind: LintKind
    note: str = Field(description="the note the finding belongs to (vault-relative path)")
    location: LintLocation | None = None
    message: str
    fix: FixPlan | None = Field(description="the write that would fix it (dry run); None: none can")
    related: list[str] = Field(default_factory=list, description="other notes involved")
    severity: Literal["info", "hint"] = "info"


class LintReport(BaseModel):
    scope: str | None = Field(description="the note or folder linted; None: the whole vault")
    notes_checked: int
    kinds: list[str]
    counts: dict[str, int]
    findings: list[LintFinding]
    notices: list[str] = Field(
        default_factory=list, description="what limits this report (e.g. vectors still missing)"
    )


# -- fix plans: the write tools' names and arguments (vault_mcp write tools, issue 29) ---------
def create_note(path: str, content: str) -> FixPlan:
    return FixPlan(
        tool="create_note", arguments={"path": path, "content": content, "dry_run": True}
    )


def append(path: str, content: str, heading: list[str] | None = None) -> FixPlan:
    args = {"path": path, "content": content, "heading": heading, "dry_run": True}
    return FixPlan(tool="append", arguments=args)


def replace_text(path: str, old: str, new: str, expected_count: int, version: str) -> FixPlan:
    args = {
        "path": path,
        "old": old,
        "new": new,
        "expected_count": expected_count,
        "version": version,
        "dry_run": True,
    }
    return FixPlan(tool="replace_text", arguments=args)


def add_link(path: str, target: str, version: str) -> FixPlan:
    args = {"path": path, "target": target, "version": version, "dry_run": True}
    return FixPlan(tool="add_link", arguments=args)


def delete_note(path: str, version: str, force: bool = False) -> FixPlan:
    args = {"path": path, "version": version, "force": force, "dry_run": True}
    return FixPlan(tool="delete_note", arguments=args)


# -- what every check reads ----------------------------------------------------------------------
@dataclass
class LintContext:
    """The vault's notes, link sets and file texts for one lint run (texts read once)."""

    vault: ReadModel
    scope: str | None
    graph: LinkGraph = field(init=False)
    notes: dict[str, NoteFacts] = field(init=False)  # small fields, frontmatter decoded
    out: dict[str, set[str]] = field(init=False)
    inc: dict[str, set[str]] = field(init=False)
    notices: list[str] = field(default_factory=list)
    _texts: dict[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.graph = self.vault.graph
        # from the catalog's columns and the graph's link columns: no record decoded, no
        # link resolved again (a walk over every record took 25 s at 100k notes)
        facts = self.graph.notes.facts(frontmatter=True)
        self.notes = {f.path: f for f in facts if f.kind == "note" and not f.error}
        self.out, self.inc = self.graph.link_sets()

    @cached_property
    def by_folder(self) -> dict[str, list[str]]:
        """Notes per folder (directly in it), sorted."""
        found: dict[str, list[str]] = defaultdict(list)
        for path in sorted(self.notes):
            found[posixpath.dirname(path)].append(path)
        return found

    def in_scope(self, path: str) -> bool:
        if self.scope is None:
            return True
        return path == self.scope or path.startswith(self.scope.rstrip("/") + "/")

    def scoped(self) -> list[str]:
        return sorted(p for p in self.notes if self.in_scope(p))

    def text(self, path: str) -> str | None:
        """The note's file as it is now (None when it is gone or unreadable)."""
        if path not in self._texts:
            try:
                self._texts[path] = (Path(self.vault.root) / path).read_text(
                    encoding="utf-8", errors="replace"
                )
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def version(self, path: str) -> str:
        """sha256 hex of the file's raw bytes, as the index last saw it (the write's precondition)."""
        return self.graph.notes[path].sha256

    def link_text(self, path: str) -> str:
        return self.graph.shortest_link_text(path)
