"""`SearchAnswer`: the one shape of a search's answer, for every front end.

The CLI, the query socket, the MCP `search` tool and the editor's `nvault/search` all return
this: the parsed query, only the hits that matched (the relevance floor, relevance.py), and a
sentence when nothing did. Each front end only renders it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, Field

from vault_core.query.relevance import Relevance, assess, confident_hits
from vault_core.query.search import Mode, SearchFilters, SearchHit
from vault_core.query.syntax import ParsedQuery, parse_query
from vault_core.query.syntax_help import SYNTAX_HELP
from vault_core.results import IndexProgress

__all__ = ["SYNTAX_HELP", "SearchAnswer", "SearchRequest", "build_answer"]


class SearchRequest(BaseModel):
    """What a front end asks (also the query socket's JSON request)."""

    query: str = Field(min_length=1)
    mode: Mode = "hybrid"
    limit: int = Field(default=10, ge=1, le=1000)
    filters: SearchFilters = Field(default_factory=SearchFilters)
    per_note: int | None = Field(default=None, ge=1)
    min_score: float | None = Field(default=None, description="drop hits with a lower `score`")

    @classmethod
    def from_plain(cls, plain: dict[str, Any]) -> SearchRequest:
        """From plain JSON values, built the way the CLI builds it (filters first), so a bad
        value gets the same error in the CLI and in a watcher answering for it."""
        filters = SearchFilters(**plain.get("filters", {}))
        return cls(**{**plain, "filters": filters})

    def parsed(self) -> ParsedQuery:
        return parse_query(self.query)


class SearchAnswer(BaseModel):
    query: str
    parsed: ParsedQuery
    mode: Mode
    hits: list[SearchHit] = Field(description="only hits that matched, best first")
    relevance: Relevance
    model: str
    progress: IndexProgress

    @property
    def catching_up(self) -> bool:
        return self.progress.catching_up

    def message(self, browse: str = "") -> str | None:
        """The sentence to show when nothing matched confidently (None when something did);
        `browse` is the front end's own way to list notes."""
        if self.relevance.confident:
            return None
        return self.relevance.explain(self.query, browse=browse)


def build_answer(
    request: SearchRequest,
    search: Callable[[str, SearchFilters], list[SearchHit]],
    model: str,
    progress: Callable[[], IndexProgress],
    admit: Callable[[str], bool] | None = None,
) -> SearchAnswer:
    """Parse, search (`search(text, filters)`), keep what `admit` allows, apply the floor."""
    parsed = request.parsed()
    found = search(parsed.text, parsed.filters(request.filters))
    if admit is not None:
        found = [h for h in found if admit(h.path)]
    relevance = assess(found, model, parsed.text)
    hits = confident_hits(found, model, parsed.text)
    if request.min_score is not None:
        hits = [h for h in hits if h.score >= request.min_score]
    return SearchAnswer(
        query=request.query,
        parsed=parsed,
        mode=request.mode,
        hits=hits,
        relevance=relevance,
        model=model,
        progress=progress(),
    )
