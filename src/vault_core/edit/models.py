"""What the write path hands back: document maps, link rewrites and receipts (pydantic)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from vault_core.parse.markdown import Link

Operation = Literal[
    "create_note",
    "append",
    "insert",
    "replace_section",
    "replace_text",
    "set_frontmatter",
    "add_link",
    "move_note",
    "delete_note",
    "undo",
]


class HeadingEntry(BaseModel):
    path: list[str] = Field(description="the heading and its parents, outermost first")
    level: int
    line: int = Field(description="1-based line of the heading")
    end_line: int = Field(description="last line of its section (next heading of level <= it)")


class BlockEntry(BaseModel):
    id: str
    line: int


class DocumentMap(BaseModel):
    """Every target an edit can name in one note, and the version to pass back."""

    path: str
    version: str = Field(description="sha256 of the file's bytes: pass it to the next edit")
    lines: int
    line_ending: Literal["\n", "\r\n"]
    bom: bool
    frontmatter_keys: list[str]
    headings: list[HeadingEntry]
    blocks: list[BlockEntry]


class LinkRewrite(BaseModel):
    """One link to a moved note, rewritten in place. Columns are code points on the line."""

    source: str = Field(description="the note holding the link (its path before the move)")
    line: int
    start_col: int
    end_col: int
    old: str
    new: str

    @classmethod
    def of(cls, source: str, link: Link, new: str) -> LinkRewrite:
        """`link`, parsed in `source`, written as `new` in the same place."""
        span = {k: getattr(link, k) for k in ("line", "start_col", "end_col")}
        return cls(source=source, old=link.raw, new=new, **span)


class FileChange(BaseModel):
    path: str
    new_path: str | None = None
    version_before: str | None = Field(description="sha256 before; None: the file was created")
    version_after: str | None = Field(description="sha256 after; None: the file was removed")
    changed_lines: list[tuple[int, int]] = Field(
        default_factory=list, description="1-based inclusive line ranges in the new text"
    )


class Receipt(BaseModel):
    """What a write did (or, with dry_run, would do)."""

    write_id: str
    operation: Operation
    dry_run: bool
    files: list[FileChange]
    links_rewritten: list[LinkRewrite] = Field(default_factory=list)
    diff: str = Field(description="unified diff, cut at a bounded size")
    diff_truncated: bool = False
    indexed: bool = Field(
        default=False, description="the touched files were re-indexed before this returned"
    )
    message: str = ""
