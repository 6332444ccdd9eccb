"""Which words of a text match a query, and the snippet that shows them.

A word matches when one of its BM25 terms (index/terms.py: stemmed, code identifiers split) is a
term of the query, so the words marked in a snippet are the ones the keyword retriever matched.
Phrases match word for word, in order, ignoring case and punctuation.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from pydantic import BaseModel, Field

from vault_core.index.terms import TERM_WORD_RE, tokenize, word_terms

SNIPPET_CHARS = 280
_WORD_RE = re.compile(r"\w+")


class Snippet(BaseModel):
    """A window of a chunk, with where the query's words are in it."""

    text: str
    match_spans: list[tuple[int, int]] = Field(
        default_factory=list, description="[start, end) character offsets of matched words"
    )


def query_terms(query: str) -> frozenset[str]:
    """The query's BM25 terms: what a word of a note must have to count as a match."""
    return frozenset(tokenize(query))


def term_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """`[start, end)` of each word in `text` that shares a term with `terms`."""
    wanted = frozenset(terms)
    if not wanted:
        return []
    spans = []
    for m in TERM_WORD_RE.finditer(text):
        word = m.group()
        if word[0] == "§" or not unicodedata.is_normalized("NFKC", word):
            found = bool(wanted.intersection(tokenize(word)))
        else:
            found = bool(wanted.intersection(word_terms(word)))
        if found:
            spans.append((m.start(), m.end()))
    return spans


def words_of(text: str) -> str:
    """` w1 w2 … `: casefolded words with single spaces, for in-order phrase tests."""
    return " " + " ".join(_WORD_RE.findall(text.casefold())) + " "


def has_phrase(text: str, phrase: str) -> bool:
    """`phrase`'s words appear in `text` in order and next to each other."""
    wanted = words_of(phrase)
    return wanted.strip() != "" and wanted in words_of(text)


def has_term(text: str, word: str) -> bool:
    """`text` has a word sharing a BM25 term with `word` (`meeting` matches `meetings`)."""
    terms = query_terms(word)
    if not terms:  # a stopword alone: match it as a whole word
        return has_phrase(text, word)
    return bool(terms.intersection(tokenize(text)))


def body(text: str) -> str:
    """Chunk text without its breadcrumb line."""
    return text.split("\n\n", 1)[1] if "\n\n" in text else text


def passage_key(text: str) -> str:
    """What two chunks must share to be the same passage: the body without the heading line
    it starts with, whitespace folded (a template repeated under each day's heading)."""
    lines = body(text).strip().split("\n")
    while lines and (lines[0].startswith("#") or not lines[0].strip()):
        lines.pop(0)
    return " ".join(" ".join(lines).split())


def make_snippet(text: str, query: str, width: int = SNIPPET_CHARS) -> Snippet:
    """The window of the chunk body holding the most matched words, cut on word boundaries.

    Every start is a candidate, the last partial window included, and the cut never drops a
    matched word: the snippet holds a matched word whenever the body does.
    """
    flat = " ".join(body(text).split())
    spans = term_spans(flat, query_terms(query))
    if len(flat) <= width:
        return Snippet(text=flat, match_spans=spans)
    start = _best_start(flat, spans, width)
    end = min(start + width, len(flat))
    inside = [s for s in spans if s[0] >= start and s[1] <= end]
    first_hit = inside[0][0] if inside else end
    last_hit = inside[-1][1] if inside else start
    if start > 0:  # begin on a word, without passing the first match
        space = flat.find(" ", start, min(start + 30, first_hit))
        start = space + 1 if space >= 0 else start
    if end < len(flat):  # end on a word, without dropping the last match
        space = flat.rfind(" ", max(last_hit, start + 1), end)
        end = space if space >= 0 else end
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(flat) else ""
    shift = len(prefix) - start
    kept = [(a + shift, b + shift) for a, b in spans if a >= start and b <= end]
    return Snippet(text=prefix + flat[start:end] + suffix, match_spans=kept)


def _best_start(flat: str, spans: list[tuple[int, int]], width: int) -> int:
    """The window start that holds the most whole matched words (earliest on a tie)."""
    if not spans:
        return 0
    last = len(flat) - width
    lead = width // 6  # some context before the first match
    candidates = sorted({min(max(a - lead, 0), last) for a, _ in spans} | {0, last})
    best, best_count = 0, -1
    for start in candidates:
        count = sum(1 for a, b in spans if a >= start and b <= start + width)
        if count > best_count:
            best, best_count = start, count
    return best
