"""The search query language every front end takes (CLI, MCP `search`, the editor's search).

    sleep memory                 words: ranked by meaning and keywords (not all required)
    "spaced repetition"          a phrase: required, word for word
    -flashcards  -"to do"        excluded words or phrases
    recall OR retrieval          at least one of them is required (words or phrases)
    tag:learning                 only notes with this tag (or a sub-tag, `tag:a` matches `a/b`)
    path:projects/  path:*.pdf   a folder, or a glob over the vault-relative path
    type:pdf  type:md            file type (extension); several `type:` = any of them
    after:2025-01-01 before:...  modified on or after / before that day (local time)

Anything else with a colon (`10:30`, `http://x`) is an ordinary word. A mistake is a
`QuerySyntaxError` that names the position and what to write instead.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from vault_core.errors import VaultError
from vault_core.query.filters import SearchFilters

FILTER_KEYS = ("tag", "path", "type", "after", "before")
TYPE_ALIASES = {"note": "md", "notes": "md", "markdown": "md", "htm": "html", "text": "txt"}


class QuerySyntaxError(VaultError):
    """The query cannot be read; the message points at the position (0-based) and says why."""

    def __init__(self, query: str, position: int, problem: str) -> None:
        self.query, self.position, self.problem = query, position, problem
        super().__init__(
            f"bad query at position {position + 1}: {problem}\n  {query}\n  {' ' * position}^"
        )


class Token(BaseModel):
    kind: Literal["word", "phrase", "or", "filter"]
    value: str
    position: int
    negated: bool = False
    key: str | None = None


class ParsedQuery(BaseModel):
    """A query split into what ranks, what is required, what is excluded and what narrows."""

    raw: str
    text: str = Field(description="the words and phrases that rank the hits (no operators)")
    words: list[str] = Field(default_factory=list)
    phrases: list[str] = Field(default_factory=list, description="required, word for word")
    any_of: list[list[str]] = Field(default_factory=list, description="`a OR b` groups")
    exclude: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    path: str | None = None
    types: list[str] = Field(default_factory=list)
    after: datetime | None = None
    before: datetime | None = None

    def filters(self, base: SearchFilters | None = None) -> SearchFilters:
        """`base` (a front end's own filter arguments) narrowed by this query's operators."""
        merged = (base or SearchFilters()).model_copy(deep=True)
        merged.tags = [*merged.tags, *self.tags]
        if self.path and merged.path and self.path.strip("/") != merged.path.strip("/"):
            raise VaultError(
                f"two folders given: path:{self.path} in the query and {merged.path!r} as a "
                "filter; give the folder once (a glob like 'a/*/b/' can combine them)"
            )
        merged.path = self.path or merged.path
        merged.types = sorted({*merged.types, *self.types})
        merged.phrases = [*merged.phrases, *self.phrases]
        merged.any_of = [*merged.any_of, *self.any_of]
        merged.exclude = [*merged.exclude, *self.exclude]
        if self.after and (merged.modified_since is None or self.after > merged.modified_since):
            merged.modified_since = self.after
        if self.before and (merged.modified_before is None or self.before < merged.modified_before):
            merged.modified_before = self.before
        return merged


def parse_query(query: str) -> ParsedQuery:
    """Read `query` (grammar in the module docstring); QuerySyntaxError on a mistake."""
    tokens = _tokens(query)
    parsed = ParsedQuery(raw=query, text="")
    ranking: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.kind == "or":
            raise QuerySyntaxError(query, token.position, "OR needs a word or phrase before it")
        if token.kind == "filter":
            _apply_filter(parsed, token, query)
            i += 1
            continue
        if token.negated:
            parsed.exclude.append(token.value)
            i += 1
            continue
        group = [token]
        while i + 1 < len(tokens) and tokens[i + 1].kind == "or":
            after = tokens[i + 2] if i + 2 < len(tokens) else None
            if after is None or after.kind not in ("word", "phrase") or after.negated:
                where = after.position if after else len(query.rstrip())
                raise QuerySyntaxError(
                    query, where, "OR needs a word or phrase after it (not a filter or -word)"
                )
            group.append(after)
            i += 2
        i += 1
        ranking.extend(t.value for t in group)
        if len(group) > 1:
            parsed.any_of.append([t.value for t in group])
        elif token.kind == "phrase":
            parsed.phrases.append(token.value)
        else:
            parsed.words.append(token.value)
    if not ranking:
        raise QuerySyntaxError(
            query,
            0,
            "nothing to search for: add words or a quoted phrase (filters and -words only "
            "narrow a search)",
        )
    parsed.text = " ".join(ranking)
    return parsed


def _tokens(query: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(query)
    while i < n:
        if query[i].isspace():
            i += 1
            continue
        start, negated = i, False
        if query[i] == "-":
            if i + 1 >= n or query[i + 1].isspace():
                raise QuerySyntaxError(
                    query, i, 'a lone "-": write -word or -"phrase" to exclude something'
                )
            negated, i = True, i + 1
        if query[i] == '"':
            value, i = _quoted(query, i)
            tokens.append(Token(kind="phrase", value=value, position=start, negated=negated))
            continue
        end = i
        while end < n and not query[end].isspace():
            end += 1
        word = query[i:end]
        key, colon, rest = word.partition(":")
        if colon and key.casefold() in FILTER_KEYS:
            if negated:
                raise QuerySyntaxError(
                    query, start, f"-{key}: is not supported: filters narrow, they cannot exclude"
                )
            value_at = i + len(key) + 1
            if rest.startswith('"'):
                rest, end = _quoted(query, value_at)
            if not rest.strip():
                raise QuerySyntaxError(
                    query, value_at, f"{key}: needs a value, e.g. {_example(key.casefold())}"
                )
            tokens.append(Token(kind="filter", key=key.casefold(), value=rest, position=start))
        elif word == "OR" and not negated:
            tokens.append(Token(kind="or", value=word, position=start))
        else:
            tokens.append(Token(kind="word", value=word, position=start, negated=negated))
        i = end
    return tokens


def _quoted(query: str, at: int) -> tuple[str, int]:
    """The text between the quote at `at` and its partner, and the index after the partner."""
    close = query.find('"', at + 1)
    if close < 0:
        raise QuerySyntaxError(query, at, 'this quote is never closed: add a closing "')
    value = query[at + 1 : close].strip()
    if not value:
        raise QuerySyntaxError(query, at, 'an empty phrase "": put words between the quotes')
    return " ".join(value.split()), close + 1


def _example(key: str) -> str:
    return {
        "tag": "tag:learning",
        "path": "path:projects/",
        "type": "type:pdf",
        "after": "after:2025-01-01",
        "before": "before:2025-12-31",
    }[key]


def _apply_filter(parsed: ParsedQuery, token: Token, query: str) -> None:
    key, value = str(token.key), token.value
    at = token.position + len(key) + 1  # the value's position
    if key == "tag":
        parsed.tags.append(value.lstrip("#"))
    elif key == "path":
        if parsed.path is not None:
            raise QuerySyntaxError(
                query, at, "only one path: per query; use a glob like path:*/2025/*"
            )
        parsed.path = value
    elif key == "type":
        ext = value.lstrip(".").casefold()
        if not ext.isalnum():
            raise QuerySyntaxError(
                query, at, f"type: takes a file type like pdf or md, not {value!r}"
            )
        parsed.types.append(TYPE_ALIASES.get(ext, ext))
    else:
        try:
            when = datetime.fromisoformat(value)
        except ValueError:
            raise QuerySyntaxError(
                query,
                at,
                f"{key}: takes a date like {_example(key)[len(key) + 1 :]}, not {value!r}",
            ) from None
        if key == "after":
            parsed.after = when
        else:
            parsed.before = when
