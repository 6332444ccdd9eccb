"""Snippets show the match: a snippet holds a matched word whenever its chunk does (issue 26).

Checked over every chunk of a real corpus, with the words a chunk ends on (the case the old
window loop never reached), begins with, and has in the middle.
"""

from __future__ import annotations

import re
from pathlib import Path

from vault_core.config import Limits
from vault_core.index.terms import tokenize
from vault_core.parse.chunk import chunk_sections, markdown_sections
from vault_core.parse.markdown import parse_note
from vault_core.query.matching import SNIPPET_CHARS, body, make_snippet, query_terms, term_spans

WORD = re.compile(r"[A-Za-z]{5,}")


def _chunks(root: Path) -> list[str]:
    limits = Limits()
    texts = []
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        note = parse_note(text, path.relative_to(root).as_posix())
        drafts = chunk_sections(
            note.title, markdown_sections(text, note), limits.chunk_chars, limits.chunk_overlap
        )
        texts.extend(d.text for d in drafts)
    return texts


def test_a_snippet_holds_a_matched_word_whenever_the_chunk_does(corpora: Path) -> None:
    chunks = _chunks(corpora / "silverbullet-docs")
    assert len(chunks) > 500
    checked = long_ones = 0
    for text in chunks:
        flat = " ".join(body(text).split())
        words = WORD.findall(flat)
        if not words:
            continue
        long_ones += len(flat) > SNIPPET_CHARS
        for query in {words[-1], words[0], words[len(words) // 2]}:
            if not term_spans(flat, query_terms(query)):
                continue  # a stopword-like word: no BM25 term to match
            snippet = make_snippet(text, query)
            checked += 1
            assert snippet.match_spans, (query, flat, snippet.text)
            assert len(snippet.text) <= SNIPPET_CHARS + 4
            for start, end in snippet.match_spans:
                assert query_terms(query) & set(tokenize(snippet.text[start:end]))
    assert checked > 1500 and long_ones > 100  # the property was exercised on long chunks


def test_a_term_at_the_very_end_of_a_long_paragraph_is_in_the_snippet() -> None:
    """The case from the issue: a 367-character paragraph ending in the query term."""
    paragraph = ("Notes about the garden and what grew there this year, " * 6)[:350] + " zucchini"
    snippet = make_snippet("Garden\n\n" + paragraph, "zucchini")
    assert snippet.text.endswith("zucchini")
    start, end = snippet.match_spans[-1]
    assert snippet.text[start:end] == "zucchini"


def test_matched_words_are_found_by_their_stem() -> None:
    snippet = make_snippet("T\n\nWe held meetings about the meeting room.", "meeting")
    assert [snippet.text[a:b] for a, b in snippet.match_spans] == ["meetings", "meeting"]
