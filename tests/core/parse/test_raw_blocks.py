"""raw_block_mask: the lines a reader never sees as prose (code blocks of either kind, raw HTML)."""

from __future__ import annotations

from vault_core.parse.markdown import raw_block_mask

NOTE = """---
title: x
---
A paragraph.

    indented code after a blank line
\tand a tab-indented line of it

* a list item
    its indented continuation is prose

A paragraph
    continued with four spaces is still the paragraph.

<!-- a comment
over two lines -->
After the comment.

```
fenced
```
Last line."""


def test_indented_code_and_html_blocks_are_masked_list_continuations_are_not() -> None:
    lines = NOTE.split("\n")
    mask = raw_block_mask(lines, start=4)
    masked = {lines[i] for i, m in enumerate(mask) if m}
    assert masked == {
        "    indented code after a blank line",
        "\tand a tab-indented line of it",
        "<!-- a comment",
        "over two lines -->",
        "```",
        "fenced",
    }


def test_frontmatter_is_left_to_the_caller_and_plain_prose_skips_the_parse() -> None:
    lines = ["---", "    key: indented yaml", "---", "Just prose, no code."]
    assert raw_block_mask(lines, start=4) == [False] * 4
