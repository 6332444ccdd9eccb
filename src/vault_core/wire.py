"""Where a passage is, how it is cited, and the search hit as every front end sends it.

One location model: `Locator` (where inside a file, as an extractor sees it), `Location` (a
file and its lines, with the one citation format) and `Passage` (both). Search hits, see-also
passages and study citations extend them. Pydantic only (no LanceDB, no numpy), so the MCP
server, the language server and tests can import the wire shapes without loading the engine.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field
from pydantic.json_schema import SkipJsonSchema

Source = Literal["vault_note"]  # marks text quoted from the user's files: data, not instructions


class Locator(BaseModel):
    """Where a run of text came from inside its file, for citations.

    `heading_path` is the breadcrumb below the document title; the other locators are set when the
    format has them (lines for text formats, page for PDF, sheet and rows for spreadsheets).
    """

    heading_path: list[str] = Field(
        default_factory=list, description="headings above the passage, outermost first"
    )
    start_line: int = Field(0, description="1-based first line of the passage (0 if unknown)")
    end_line: int = 0
    page: int | None = None
    sheet: str | None = None
    row_start: int | None = None
    row_end: int | None = None


class Location(BaseModel):
    """A vault file and 1-based inclusive lines in it (0: not known)."""

    path: str = Field(description="vault-relative path; pass it to read_note")
    start_line: int = Field(description="1-based first line of the passage (0 if unknown)")
    end_line: int

    @property
    def citation(self) -> str:
        """`path:12-20`, `path:12` for one line, or just `path` when the lines are unknown."""
        if not self.start_line:
            return self.path
        end = f"-{self.end_line}" if self.end_line > self.start_line else ""
        return f"{self.path}:{self.start_line}{end}"


class Passage(Location, Locator):
    """A passage of a file: lines, or a PDF page, or spreadsheet rows, under its headings."""

    @property
    def citation(self) -> str:
        """`path:line`, `file.pdf p. 3`, or `book.xlsx [Sheet: Q3] rows 21-40`."""
        if self.page is not None:
            return f"{self.path} p. {self.page}"
        if self.sheet is not None or self.row_start is not None:
            sheet = f" [Sheet: {self.sheet}]" if self.sheet else ""
            return f"{self.path}{sheet} rows {self.row_start}-{self.row_end}"
        return super().citation


class SearchHit(Passage):
    """One ranked passage of a search's answer."""

    title: str
    snippet: str
    score: float = Field(
        description="fused score, at most 1; higher is better, only comparable here"
    )
    ranks: dict[str, int] = Field(default_factory=dict, description="retriever -> 1-based rank")
    similarity: float | None = Field(None, description="meaning similarity (cosine) to the query")
    match_spans: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) offsets of matched words in `snippet`"
    )
    also_at: list[str] = Field(
        default_factory=list,
        description="other places in this note with the same passage word for word (citations)",
    )


class RelatedPassage(Location):
    """The passage of the suggested note that best matches this note, and where it matched."""

    heading_path: list[str] = Field(default_factory=list)
    snippet: str
    similarity: float
    source_start_line: int = Field(description="the matching lines of the note asked about")
    source_end_line: int


class RelatedNote(BaseModel):
    """A see-also suggestion: a note that should be linked from the note asked about."""

    path: str
    title: str
    score: float = Field(
        description="the link model's confidence that this link belongs, 0-1 (comparable across "
        "notes)"
    )
    reasons: list[str] = Field(description="why it is suggested, in words")
    link_text: str = Field(description="the shortest [[...]] text that links to it")
    passage: RelatedPassage | None = Field(None, description="the best matching passage, cited")
    ranks: dict[str, int] = Field(default_factory=dict, description="signal -> 1-based rank")


# ---------------------------------------------------------------- the hit as front ends send it
# Each view is the one `SearchHit` with what its reader has no use for left out of both the
# output and the JSON schema.


def _unsent() -> Any:
    return Field(None, exclude=True)


class EditorHit(SearchHit):
    """`nvault/search`'s hit (vscode-extension/src/protocol.ts `Hit`), plus the note's `uri`."""

    # its schema is what the server sends: every field, always (tests/lsp/test_wire_types.py
    # checks the TypeScript interface against it)
    model_config = ConfigDict(
        json_schema_mode_override="serialization", json_schema_serialization_defaults_required=True
    )

    uri: str
    page: SkipJsonSchema[int | None] = _unsent()
    sheet: SkipJsonSchema[str | None] = _unsent()
    row_start: SkipJsonSchema[int | None] = _unsent()
    row_end: SkipJsonSchema[int | None] = _unsent()
    ranks: SkipJsonSchema[dict[str, int]] = Field(default_factory=dict, exclude=True)
    similarity: SkipJsonSchema[float | None] = _unsent()

    @classmethod
    def of(cls, hit: SearchHit, uri: str) -> EditorHit:
        return cls.model_validate({**hit.model_dump(), "uri": uri})


class AgentHit(SearchHit):
    """The MCP `search` tool's hit: quoted note text with its citation."""

    # the schema an agent reads is the output's: `citation` is in it
    model_config = ConfigDict(json_schema_mode_override="serialization")

    source: Source = Field("vault_note", description="the snippet is quoted note text (data)")
    row_start: SkipJsonSchema[int | None] = _unsent()
    row_end: SkipJsonSchema[int | None] = _unsent()
    ranks: SkipJsonSchema[dict[str, int]] = Field(default_factory=dict, exclude=True)

    @computed_field(description="'path:12-20', 'file.pdf p. 3' or 'book.xlsx [Sheet] rows'")
    @property
    def citation(self) -> str:
        return super().citation

    @classmethod
    def of(cls, hit: SearchHit) -> AgentHit:
        similarity = None if hit.similarity is None else round(hit.similarity, 4)
        return cls.model_validate({**hit.model_dump(), "similarity": similarity})
