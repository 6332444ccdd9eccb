"""Query shape: how much a hybrid search leans on meaning vs. keywords.

An identifier (`parse_frontmatter`, `TokenStream`, `src/app.py`, `a.b()`) or a quoted phrase is
looked up by its exact spelling, which the keyword retriever matches and the embedder blurs; a
long natural-language question is matched by meaning, where BM25's word overlap is noisier. Each
shape gets its own dense weight for score fusion (fusion.py). Each weight was chosen on the tune
half of a labelled set and reported on the other half (docs/benchmarks.md): `question` on the
SciFact claims (bench/measure/scifact_fusion.py), `identifier` and `plain` on identifier and
note-title queries built from three real vaults (bench/measure/query_shape.py). Identifiers do
best on keywords alone (weight 0: nDCG@10 0.949 on the test half, vs 0.905 at 0.6 and 0.807
with rank fusion).
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from vault_core.query.filters import SearchFilters

QueryShape = Literal["identifier", "question", "plain"]
QUESTION_MIN_WORDS = 6  # fewer words is a lookup ("sleep memory"), not a question or a claim

IDENTIFIER_RE = re.compile(
    r"""
      [A-Za-z0-9]+_[A-Za-z0-9_]*[A-Za-z0-9]         # snake_case, SCREAMING_CASE
    | [a-z]+[A-Z][a-z]                             # camelCase
    | \b[A-Z][a-z]+[A-Z][a-z]                       # CamelCase
    | [\w.-]*\w/[\w.-]+/                           # a path with two or more parts
    | \b\w[\w-]*\.(?:md|py|js|ts|json|toml|ya?ml|txt|sh|rs|go|java|c|h|cpp|html|css)\b
    | [A-Za-z_]\w*\.[A-Za-z_]\w*\(                 # a call on an attribute: a.b(
    | \w\(\)                                       # f()
    | `|::|->|=>|[{}<>=;]                          # code punctuation, backticks
    """,
    re.VERBOSE,
)


def query_shape(query: str, filters: SearchFilters | None = None) -> QueryShape:
    """A quoted phrase or a short query with an identifier in it; else a long question or a
    plain short lookup. A sentence that names a gene or a function (`PrimPol degrades short
    DNA ...`) is still a sentence: 9 of SciFact's 809 claims hold such a word."""
    if filters is not None and filters.phrases:
        return "identifier"
    if len(query.split()) >= QUESTION_MIN_WORDS:
        return "question"
    return "identifier" if IDENTIFIER_RE.search(query) else "plain"


class FusionWeights(BaseModel):
    """The dense weight per query shape (the keyword weight is one minus it)."""

    identifier: float = Field(0.0, ge=0.0, le=1.0, description="identifiers, quoted phrases")
    question: float = Field(0.65, ge=0.0, le=1.0, description="6+ words of plain language")
    plain: float = Field(0.6, ge=0.0, le=1.0, description="a short plain lookup")

    def dense_weight(self, query: str, filters: SearchFilters | None = None) -> float:
        return float(getattr(self, query_shape(query, filters)))
