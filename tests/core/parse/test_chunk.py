"""Chunking: one chunk per heading section with breadcrumbs, long sections split, fences whole."""

from __future__ import annotations

import itertools

from vault_core.parse.chunk import chunk_sections, markdown_sections
from vault_core.parse.markdown import parse_note


def chunks_of(text: str, size: int = 1000, overlap: int = 100):
    note = parse_note(text, "n.md")
    return chunk_sections(note.title, markdown_sections(text, note), size, overlap)


def test_one_chunk_per_section_with_breadcrumbs_and_lines() -> None:
    text = (
        "# Title\nintro line\n\n## Section A\nalpha text\n\n### Sub\nsub text\n## Section B\nbeta\n"
    )
    chunks = chunks_of(text)
    # the title H1 is the breadcrumb's first element, not repeated as a heading or in the body
    assert [c.heading_path for c in chunks] == [
        [],
        ["Section A"],
        ["Section A", "Sub"],
        ["Section B"],
    ]
    assert chunks[0].text == "Title\n\nintro line"
    assert chunks[2].text.startswith("Title > Section A > Sub\n\n")
    lines = text.split("\n")
    for chunk in chunks:
        assert lines[chunk.start_line - 1].strip() == chunk.body.split("\n")[0].strip()
        assert lines[chunk.end_line - 1].strip() == chunk.body.split("\n")[-1].strip()


def test_long_section_splits_with_overlap_at_sentence_boundaries() -> None:
    paragraphs = [
        " ".join(f"Sentence {p}.{i} says something useful." for i in range(8)) for p in range(6)
    ]
    text = "# Long\n\n" + "\n\n".join(paragraphs) + "\n"
    chunks = chunks_of(text, size=400, overlap=100)
    assert len(chunks) > 3
    assert all(len(c.body) <= 400 + 100 + 2 for c in chunks)
    for before, after in itertools.pairwise(chunks):
        tail = before.body.split(". ")[-1]
        assert tail.rstrip(".") in after.body  # the overlap carries the last sentence over
    assert chunks[0].start_line == 3 and chunks[-1].end_line == 3 + 2 * (len(paragraphs) - 1)


def test_code_fence_is_never_split() -> None:
    code = "\n".join(f"line_{i} = {i}  # some code here" for i in range(80))
    text = f"# Code\n\nbefore\n\n```python\n{code}\n```\n\nafter\n"
    chunks = chunks_of(text, size=300)
    fence_chunks = [c for c in chunks if "line_0 =" in c.body]
    assert len(fence_chunks) == 1
    assert "line_79 = 79" in fence_chunks[0].body and fence_chunks[0].body.count("```") == 2


def test_frontmatter_is_not_chunked_and_empty_sections_are_skipped() -> None:
    chunks = chunks_of("---\ntitle: T\n---\n# Empty\n## Full\ncontent\n")
    assert [c.heading_path for c in chunks] == [
        ["Empty", "Full"]
    ]  # an H1 that is not the title stays
    assert chunks[0].start_line == 5
