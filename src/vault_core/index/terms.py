"""BM25 tokenizer for the keyword side of search.

The BM25 index itself is LanceDB's native full-text index over the `terms` column of `chunks`
(see docs/benchmarks.md for why): it lives in the same table, so it is always in lockstep with the
vectors, commits atomically with them, and readers see the writer's commits with no extra work.
This module decides what a term is: code identifiers (`snake_case`, `CamelCase`, `v2.1`, `§3`)
keep their whole form and their parts, Latin words are stemmed, CJK text becomes character bigrams.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

TERM_WORD_RE = re.compile(r"§\s?\d+(?:\.\d+)*|[^\W_](?:[\w]|[.\-'’](?=\w))*", re.UNICODE)
CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
    ]
)

_stemmer = Stemmer.Stemmer("english")
# Distinct words per cache: vaultofknowledge's 684k words are 59k distinct ones; 16k entries
# keep ~88% of the hits (tokenizing its 8,312 chunks: 1.34 s, 1.19 s with every word cached) in
# ~2 MB a cache instead of growing with the vocabulary in a long-running server.
WORD_CACHE = 16_384


@lru_cache(maxsize=WORD_CACHE)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def _cjk_terms(run: str) -> list[str]:
    chars = [c for c in run if CJK_RE.match(c)]
    if len(chars) == 1:
        return chars
    return [chars[i] + chars[i + 1] for i in range(len(chars) - 1)]


@lru_cache(maxsize=WORD_CACHE)
def _word_terms(word: str) -> tuple[str, ...]:
    """A word's terms; cached, since a vault repeats its words (phase 1 spent most of its time
    here: 684k words, far fewer distinct ones, on vaultofknowledge)."""
    return tuple(_split_word(word))


def _split_word(word: str) -> list[str]:
    lower = word.casefold()
    if CJK_RE.search(word):
        return _cjk_terms(word)
    if lower in STOPWORDS:
        return []
    parts: list[str] = []
    if any(sep in word for sep in "_.-'’") or (
        word[:1].islower() and any(c.isupper() for c in word)
    ):
        parts = [p for p in re.split(r"[_.\-'’]+", word) if p]
    elif any(c.isupper() for c in word[1:]) and not word.isupper():
        parts = CAMEL_RE.findall(word)
    if parts:
        expanded: list[str] = []
        for part in parts:
            expanded.extend(CAMEL_RE.findall(part) if part != part.lower() else [part])
        sub = [_stem(p.casefold()) for p in expanded if p.casefold() not in STOPWORDS]
        # a code identifier's joined form as a plain word reads it (`cleandatabases` ->
        # "cleandatabas"), so a lower-case query finds `cleanDatabases` and `clean_databases`;
        # not for prose compounds (`T-cell`, `don't`: SciFact keyword nDCG@10 -0.004 with them)
        joined = "".join(p.casefold() for p in expanded)
        code = "_" in word or (any(c.isupper() for c in word[1:]) and not word.isupper())
        wordlike = code and joined.isascii() and joined.isalpha() and len(expanded) > 1
        extra = [_stem(joined)] if wordlike and _stem(joined) != lower else []
        return list(dict.fromkeys([lower, *[s for s in sub if s != lower], *extra]))
    return [_stem(lower) if lower.isascii() and lower.isalpha() else lower]


def tokenize(text: str) -> list[str]:
    """Terms for BM25, in order, duplicates kept (term frequency matters)."""
    text = unicodedata.normalize("NFKC", text)
    terms: list[str] = []
    for word in TERM_WORD_RE.findall(text):
        if word[0] == "§":
            terms.append(word.replace(" ", "").casefold())
        else:
            terms.extend(_word_terms(word))
    return terms


@lru_cache(maxsize=WORD_CACHE)
def word_terms(word: str) -> tuple[str, ...]:
    """`tokenize` of one word as written in a note, cached: for callers that walk a text's
    words themselves (`related()` keeps each word's surface form)."""
    return tuple(tokenize(word))


def terms_text(text: str) -> str:
    """The whitespace-joined term string stored in the `terms` column."""
    return " ".join(tokenize(text))
