"""Mentions in the wrong sense or in code are not suggested (issue 33, mention_sense.py).

A hand-made vault where the answer is known: "API" right next to the more specific [[API/js]]
is the writer's plain word, the same name on topic with no link beside it is worth linking; a
name inside code (indented, a `${...}` expression, an HTML comment) is never a mention.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from vault_core.linking.mention_rank import BIAS, FEATURES, THRESHOLD, WEIGHTS, ranked_mentions
from vault_core.linking.mentions import scan_mentions
from vault_core.vault import Vault

FILES = {
    "API.md": (
        "# API\n\nThe API is the set of Lua functions that scripts call to read the index, "
        "change the editor and query the space. Each module of the API has its own page.\n"
    ),
    "API/js.md": (
        "# js\n\nThe js module converts values between Lua and JavaScript and imports "
        "JavaScript modules from a URL.\n"
    ),
    "Markdown.md": "# Markdown\n\nMarkdown is the plain-text format every page is written in.\n",
    "Markdown/HTML.md": (
        "# HTML\n\nRaw HTML tags can be embedded inside Markdown, inline or as blocks.\n"
    ),
    "Editor.md": "# Editor\n\nThe editor is where pages are written, with live preview.\n",
    "Sourdough Starter.md": (
        "# Sourdough Starter\n\nA culture of wild yeast and lactic acid bacteria in flour and "
        "water; feed it daily.\n"
    ),
    "JavaScript interop.md": (
        "# JavaScript interop\n\nES modules from npm or a CDN load in the browser; their "
        "promises resolve to JavaScript objects, which convert to tables. The full API reference "
        "is at [[API/js]].\n"
    ),
    "Scripting.md": (
        "# Scripting\n\nScripts call the API to read the index, change the editor and query "
        "the space: every Lua function a script can call is part of it.\n"
    ),
    "Export.md": (
        "# Export\n\nThe export command renders the page to HTML and saves the file. Run it "
        'with the "Editor: Export Page" command.\n'
    ),
    "Plugins.md": "# Plugins\n\nPlugins are editor-agnostic: they run without a window.\n",
    "Baking code.md": (
        "# Baking code\n\nThe bot tracks when to feed the sourdough starter.\n\n"
        "    bot.feed('sourdough starter')\n\n"
        '${widgets.button("Feed the Sourdough Starter", function()\n'
        "  bot.feed('sourdough starter')\n"
        "end)}\n\n"
        "<!-- sourdough starter\nnotes kept out of the page -->\n"
    ),
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(FILES)


def _group(vault: Vault, path: str, target: str) -> dict[str, Any]:
    every = {m.target: m for m in ranked_mentions(vault, path, show_all=True)}
    return every[target].model_dump()


def _score_without(features: dict[str, float], dropped: set[str]) -> float:
    """The model's score had these features not fired (the floor left out: it is ~0 here)."""
    logit = BIAS + sum(WEIGHTS[k] * features[k] for k in FEATURES if k not in dropped)
    return 1 / (1 + math.exp(-logit))


def test_a_word_right_next_to_a_more_specific_link_is_not_suggested(vault: Vault) -> None:
    beside = _group(vault, "JavaScript interop.md", "API.md")
    assert beside["features"]["near_link"] == 1.0
    assert beside["features"]["link_shares_word"] == 1.0  # [[API/js]] says "API" too
    assert not beside["shown"]
    assert _score_without(beside["features"], {"near_link", "link_shares_word"}) >= THRESHOLD
    assert "API.md" not in {m.target for m in ranked_mentions(vault, "JavaScript interop.md")}
    # the same name, on topic, with no link beside it: worth linking
    alone = _group(vault, "Scripting.md", "API.md")
    assert alone["features"]["near_link"] == alone["features"]["link_shares_word"] == 0.0
    assert alone["shown"] and alone["score"] > beside["score"]


def test_a_bare_word_naming_a_sub_page_and_a_command_label_count_against(
    vault: Vault,
) -> None:
    shown = {m.target for m in ranked_mentions(vault, "Export.md")}
    html = _group(vault, "Export.md", "Markdown/HTML.md")
    assert html["features"]["sub_page"] == 1.0  # Markdown/HTML named as a bare "HTML"
    assert "Markdown/HTML.md" not in shown
    assert html["score"] < _score_without(html["features"], {"sub_page"}) - 0.1
    md = _group(vault, "Markdown/HTML.md", "Markdown.md")
    assert md["features"]["sub_page"] == 0.0  # a top-level note is nobody's sub-page
    editor = _group(vault, "Export.md", "Editor.md")
    assert editor["features"]["ui_label"] == 1.0  # inside "Editor: Export Page"
    # a label lowers the score; alone it does not drop a rare name on topic (the real command
    # buttons, `${widgets.commandButton("Editor: ...")}`, are masked as code: see below)
    assert editor["score"] < _score_without(editor["features"], {"ui_label"}) - 0.1


def test_a_piece_of_a_hyphenated_compound_counts_against(vault: Vault) -> None:
    editor = _group(vault, "Plugins.md", "Editor.md")
    assert editor["features"]["hyphen_piece"] == 1.0  # "editor-agnostic"
    assert not editor["shown"]
    assert _group(vault, "Export.md", "Editor.md")["features"]["hyphen_piece"] == 0.0


def test_a_name_in_code_is_never_a_mention(vault: Vault) -> None:
    found = [m for m, _ in scan_mentions(vault, "Baking code.md")]
    assert [(m.line, m.text) for m in found] == [(3, "sourdough starter")]
    (starter,) = ranked_mentions(vault, "Baking code.md", show_all=True)
    assert starter.others == []  # the indented code, the ${...} and the comment add no place
