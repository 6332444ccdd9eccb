"""Heading anchors: GitHub/VS Code/Obsidian slugs, and links landing on headings by text or slug."""

from __future__ import annotations

from test_links import graph

from vault_core.index.link_graph import anchor_heading, uses_slug
from vault_core.parse.anchors import heading_slugs, slugify
from vault_core.parse.markdown import parse_note


def test_slugs_follow_github() -> None:
    assert slugify("Boot modes") == "boot-modes"
    assert slugify("What's new? (v2.0)") == "whats-new-v20"
    assert slugify("Straße & Ünïcode") == "straße--ünïcode"
    assert slugify("See [[Other|the other]] and [x](y.md)") == "see-the-other-and-x"
    assert heading_slugs(["FAQ", "FAQ", "FAQ-1", "Intro"]) == ["faq", "faq-1", "faq-1-1", "intro"]


def test_markdown_links_land_on_slugs_and_text_wiki_links_on_text_only() -> None:
    g = graph(
        {
            "Space Manager.md": "# Space Manager\n## Boot modes\ntext\n## FAQ\na\n## FAQ\nb\n",
            "src.md": "[a](Space%20Manager.md#boot-modes) [b](Space%20Manager.md#Boot%20modes) "
            "[c](Space%20Manager.md#faq-1) [d](Space%20Manager.md#no-such) "
            "[[Space Manager#Boot modes]] [[Space Manager#boot-modes]]",
        }
    )
    found = {r.link.raw: r for r in g.outgoing("src.md")}
    headings = g.notes["Space Manager.md"].headings
    lands = {raw: anchor_heading(headings, r.link) for raw, r in found.items()}
    assert lands["[a](Space%20Manager.md#boot-modes)"].line == 2
    assert lands["[b](Space%20Manager.md#Boot%20modes)"].line == 2
    assert lands["[c](Space%20Manager.md#faq-1)"].line == 6  # the second FAQ
    assert lands["[d](Space%20Manager.md#no-such)"] is None
    assert lands["[[Space Manager#Boot modes]]"].line == 2
    assert lands["[[Space Manager#boot-modes]]"] is None  # wiki links name headings by text
    assert found["[a](Space%20Manager.md#boot-modes)"].heading_found
    assert not found["[d](Space%20Manager.md#no-such)"].heading_found
    assert uses_slug(headings, found["[a](Space%20Manager.md#boot-modes)"].link)
    assert not uses_slug(headings, found["[b](Space%20Manager.md#Boot%20modes)"].link)


def test_title_line_is_only_the_leading_h1() -> None:
    assert parse_note("\n# Title\ntext\n## Part\n", "n.md").title_line == 2
    # several H1s are sections (issue 18): the file name is the title, no H1 is the title line
    several = parse_note("# Tools\ntext\n# Notes\n", "Android Partitions.md")
    assert several.title == "Android Partitions" and several.title_line is None
    section = parse_note("Intro text.\n\n# Modifier keys\n", "Keyboard Shortcuts.md")
    assert section.title == "Keyboard Shortcuts" and section.title_line is None
    titled = parse_note("---\ntitle: T\n---\n# Heading\n", "n.md")
    assert titled.title == "T" and titled.title_line is None
