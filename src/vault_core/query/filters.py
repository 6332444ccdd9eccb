"""Which notes and which passages may answer a search.

Note-level filters (path, tags, frontmatter, dates, file type) narrow the candidates before
retrieval; passage-level ones (required phrases, `a OR b`, excluded words) are checked on each
candidate chunk's text, since a keyword or meaning match alone does not promise the exact words.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, Field

from vault_core.globs import glob_matches, is_glob
from vault_core.index.catalog import NoteFacts, NoteRecord
from vault_core.query.matching import has_phrase, has_term


@lru_cache(maxsize=64)
def path_matcher(pattern: str) -> Callable[[str], bool]:
    """The one place a `path` filter becomes a test on a note's path: a folder prefix, or a glob
    (`*`, `?`, `[...]`) matched against the whole vault-relative path."""
    pattern = pattern.strip("/")
    if is_glob(pattern):
        return lambda path: glob_matches(path, pattern)
    return lambda path: path == pattern or path.startswith(pattern + "/")


def _text_has(text: str, item: str) -> bool:
    """A multi-word item is a phrase; one word matches by its stem."""
    return has_phrase(text, item) if len(item.split()) > 1 else has_term(text, item)


class SearchFilters(BaseModel):
    """Which notes may answer. `path` is a folder prefix or a glob; tags match hierarchically."""

    path: str | None = None
    tags: list[str] = Field(default_factory=list)
    where: dict[str, Any] = Field(
        default_factory=dict, description="frontmatter field equals value"
    )
    modified_since: datetime | None = None
    modified_before: datetime | None = None
    kind: Literal["note", "attachment"] | None = None
    types: list[str] = Field(
        default_factory=list, description="file extensions without the dot, e.g. ['pdf', 'md']"
    )
    phrases: list[str] = Field(
        default_factory=list, description="each must appear in the passage, word for word"
    )
    any_of: list[list[str]] = Field(
        default_factory=list, description="`a OR b`: each group needs one of its items"
    )
    exclude: list[str] = Field(
        default_factory=list, description="no passage holding one of these words or phrases"
    )

    def active(self) -> bool:
        """Some note-level filter narrows the candidates."""
        return bool(
            self.path
            or self.tags
            or self.where
            or self.modified_since
            or self.modified_before
            or self.kind
            or self.types
        )

    def text_active(self) -> bool:
        """Some passage-level filter must be checked on each chunk."""
        return bool(self.phrases or self.any_of or self.exclude)

    def admits(self, note: NoteRecord | NoteFacts) -> bool:
        if self.kind and note.kind != self.kind:
            return False
        if self.types and note.path.rsplit(".", 1)[-1].casefold() not in self.types:
            return False
        if self.path and not path_matcher(self.path)(note.path):
            return False
        if self.tags:
            have = {t.casefold() for t in note.tags}
            for tag in self.tags:
                want = tag.lstrip("#").casefold()
                if want not in have and not any(h.startswith(want + "/") for h in have):
                    return False
        for key, value in self.where.items():
            actual = note.frontmatter.get(key)
            if isinstance(actual, list):
                if value not in actual and str(value) not in [str(a) for a in actual]:
                    return False
            elif actual != value and str(actual) != str(value):
                return False
        if self.modified_before and note.mtime >= self.modified_before.timestamp():
            return False
        return not (self.modified_since and note.mtime < self.modified_since.timestamp())

    def admits_text(self, text: str) -> bool:
        """The passage holds every required phrase, one item of each OR group, no excluded one."""
        if any(not has_phrase(text, p) for p in self.phrases):
            return False
        if any(not any(_text_has(text, item) for item in group) for group in self.any_of):
            return False
        return not any(_text_has(text, item) for item in self.exclude)
