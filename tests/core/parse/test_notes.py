"""Parsing: every link form, with ranges; nothing inside code counts; title/alias/tag rules."""

from __future__ import annotations

from vault_core.parse.markdown import parse_note

NOTE = """---
title: Front Title
aliases: [Alt Name, Second]
tags: [project, area/research]
---
# Heading One

See [[Target]], [[Other Note|the label]], ![[diagram.png]], [[Paper#Methods]], [[Paper#^quote1]]
and [[#Local Section]] and [a md link](sub/page.md#Part) but not [web](https://example.com).
Inline `[[not a link]]` and `#notatag` stay out; #real-tag and #nested/tag count, #123 does not.

```python
[[inside fence]] #fence_tag
```

## Second ^blk-1
A paragraph with a block id ^abc123
~~~
[[tilde fence]]
~~~
"""


def test_title_aliases_tags_from_frontmatter_and_inline() -> None:
    note = parse_note(NOTE, "folder/file.md")
    assert note.title == "Front Title"
    assert note.aliases == ["Alt Name", "Second"]
    assert note.tags == ["project", "area/research", "real-tag", "nested/tag"]
    assert note.body_start_line == 6


def test_every_link_form_with_ranges() -> None:
    note = parse_note(NOTE, "folder/file.md")
    got = [
        (link.kind, link.target, link.heading, link.block, link.label, link.embed)
        for link in note.links
    ]
    assert got == [
        ("wiki", "Target", None, None, None, False),
        ("wiki", "Other Note", None, None, "the label", False),
        ("wiki", "diagram.png", None, None, None, True),
        ("wiki", "Paper", "Methods", None, None, False),
        ("wiki", "Paper", None, "quote1", None, False),
        ("wiki", "", "Local Section", None, None, False),
        ("markdown", "sub/page.md", "Part", None, "a md link", False),
    ]
    lines = NOTE.split("\n")
    for link in note.links:
        assert lines[link.line - 1][link.start_col : link.end_col] == link.raw


def test_code_fences_and_inline_code_hide_links_and_tags() -> None:
    note = parse_note(NOTE, "folder/file.md")
    targets = {link.target for link in note.links}
    assert not targets & {"not a link", "inside fence", "tilde fence"}
    assert "fence_tag" not in note.tags and "notatag" not in note.tags


def test_headings_and_blocks() -> None:
    note = parse_note(NOTE, "folder/file.md")
    assert [(h.level, h.text, h.line) for h in note.headings] == [
        (1, "Heading One", 6),
        (2, "Second", 16),
    ]
    assert [(b.id, b.line) for b in note.blocks] == [("blk-1", 16), ("abc123", 17)]


def test_title_falls_back_to_leading_h1_then_stem() -> None:
    assert parse_note("\n# The H1\ntext", "a/b.md").title == "The H1"
    assert parse_note("intro text\n# A section, not the title\n", "a/Stem.md").title == "Stem"
    assert parse_note("## only h2\ntext", "a/My Stem.md").title == "My Stem"


def test_broken_frontmatter_is_a_warning_not_an_error() -> None:
    note = parse_note("---\ntitle: [unclosed\n---\n# Real\nbody [[Link]]\n", "x.md")
    assert note.warnings and "broken frontmatter" in note.warnings[0]
    assert note.title == "Real"
    assert [link.target for link in note.links] == ["Link"]


def test_string_aliases_and_tags() -> None:
    note = parse_note("---\naliases: One, Two\ntags: '#alpha, beta'\n---\nx", "x.md")
    assert note.aliases == ["One", "Two"]
    assert note.tags == ["alpha", "beta"]
