"""A name of several capitalised words inside a longer one is a piece of it (issue 33).

"Beat Frequency" in "a Beat Frequency Oscillator (BFO)" names the oscillator, not the beat
frequency: the place to link is a piece of a longer capitalised name. Only a CamelCase word
("JavaScript") stands as a name of its own beside capitalised words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from vault_core.linking.mention_rank import ranked_mentions
from vault_core.vault import Vault

FILES = {
    "Beat Frequency.md": (
        "# Beat Frequency\n\nTwo tones of close frequencies interfere; the beat frequency is "
        "their difference, heard as a slow pulsing of loudness.\n"
    ),
    "JavaScript.md": (
        "# JavaScript\n\nThe scripting language of web browsers, run by an engine in each page.\n"
    ),
    "Receivers.md": (
        "# Receivers\n\nTo hear Morse code on a shortwave receiver, a Beat Frequency Oscillator "
        "(BFO) mixes a local tone with the carrier so that the keyed signal becomes audible.\n"
    ),
    "Pulsing tones.md": (
        "# Pulsing tones\n\nTwo tuning forks a few hertz apart pulse: the Beat Frequency of "
        "the pair is the difference of their frequencies, heard as loudness rising and falling.\n"
    ),
    "Browsers.md": (
        "# Browsers\n\nEach tab runs JavaScript Code from the page in its own engine, sandboxed "
        "from the other tabs.\n"
    ),
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(FILES)


def _group(vault: Vault, path: str, target: str) -> dict[str, Any]:
    every = {m.target: m for m in ranked_mentions(vault, path, show_all=True)}
    return every[target].model_dump()


def test_a_multi_word_name_inside_a_longer_capitalised_name_counts_against(vault: Vault) -> None:
    piece = _group(vault, "Receivers.md", "Beat Frequency.md")
    assert piece["features"]["in_longer_name"] == 1.0  # "... Oscillator" follows
    alone = _group(vault, "Pulsing tones.md", "Beat Frequency.md")
    assert alone["features"]["in_longer_name"] == 0.0  # "of the pair" follows
    assert piece["score"] < alone["score"]


def test_a_camel_case_word_beside_a_capitalised_word_is_a_name_of_its_own(vault: Vault) -> None:
    js = _group(vault, "Browsers.md", "JavaScript.md")
    assert js["features"]["in_longer_name"] == 0.0  # "JavaScript Code": still JavaScript
