"""The vault's own evidence about a word, round 4 (issue 33): `field` (the notes that use the
word are about the target's topic: "fermions" in physics notes, "time" everywhere) and
`common_name` (a name many notes use and none links by it: "Lua" in passing)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from vault_core.linking.mention_evidence import link_habits
from vault_core.linking.mention_rank import ranked_mentions
from vault_core.linking.related_index import note_index
from vault_core.vault import Vault

PHYSICS = [  # notes of the target's field that use "fermions"
    ("Quarks", "Quarks are fermions with half-integer spin that bind into protons and neutrons."),
    ("Leptons", "Electrons and neutrinos are leptons, fermions that feel no strong force."),
    ("Pauli exclusion", "No two identical fermions can occupy the same quantum state."),
    ("Spin statistics", "Particles of half-integer spin are fermions; integer spin, bosons."),
    ("Neutron stars", "Degenerate fermions resist gravity: neutron degeneracy pressure."),
]
EVERYDAY = [  # "time" in notes about anything but clocks
    ("Pancakes", "Flip the pancakes one time only, when bubbles cover the batter."),
    ("Hiking trip", "We had a great time on the ridge despite the rain and the mud."),
    ("Football match", "The striker scored in stoppage time and the crowd went wild."),
    ("Garden", "This time of year the tomatoes need water every single evening."),
    ("Birthday party", "Every time the cake came out the children sang again, louder."),
]
FIELD_FILES = {
    "Fermions.md": (
        "# Fermions\n\nFermions are particles with half-integer spin, such as quarks and "
        "electrons; they obey the Pauli exclusion principle and Fermi-Dirac statistics.\n"
    ),
    "Time.md": (
        "# Time\n\nTime is measured by clocks: atomic clocks count the oscillations of caesium "
        "atoms, and time zones keep the hours in step with the sun.\n"
    ),
    "Standard Model notes.md": (
        "# Standard Model notes\n\nMatter is made of fermions: six quarks and six leptons with "
        "half-integer spin. At the time the model was written the top quark was not yet found.\n"
    ),
    **{f"{n}.md": f"# {n}\n\n{t}\n" for n, t in PHYSICS + EVERYDAY},
}


def test_a_word_of_the_targets_field_outranks_a_word_used_everywhere(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(FIELD_FILES)
    every = {m.target: m for m in ranked_mentions(vault, "Standard Model notes.md", show_all=True)}
    fermions, time = every["Fermions.md"], every["Time.md"]
    assert fermions.features["field"] > time.features["field"] + 0.1
    assert "the notes that use this word are about this note's topic" in fermions.reasons
    assert fermions.score > time.score and not time.shown


def test_field_is_the_mean_cosine_of_the_other_notes_using_the_word(
    make_vault: Callable[..., Vault],
) -> None:
    """Neither the target nor the mentioning note counts: its own text must not vouch for it."""
    vault = make_vault(FIELD_FILES)
    index, habits = note_index(vault), link_habits(vault)
    target, source = "Fermions.md", "Standard Model notes.md"
    others = [f"{n}.md" for n, _ in PHYSICS]  # every other note using the word
    rows = [index.pos[p] for p in others]
    want = float(np.mean(index.note_matrix[rows] @ index.note_matrix[index.pos[target]]))
    got = habits.field(index, ("fermions",), target, source)
    assert got == pytest.approx(want, abs=1e-5)
    # from one of the physics notes, the source counts and that note does not
    mine = habits.field(index, ("fermions",), target, "Quarks.md")
    rows = [index.pos[p] for p in [source, *others] if p != "Quarks.md"]
    want = float(np.mean(index.note_matrix[rows] @ index.note_matrix[index.pos[target]]))
    assert mine == pytest.approx(want, abs=1e-5)
    assert habits.field(index, ("photons",), target, source) is None  # nobody uses it


LUA_USES = [  # "Lua" named in passing across the vault
    ("Config", "Settings are a {s} table that the client reads on start."),
    ("Widgets", "A widget returns a {s} value the editor renders below the text."),
    ("Queries", "Filter results with a {s} expression in the where clause."),
    ("Templates", "A template may call {s} functions to compute its fields."),
    ("Commands", "Each command is a {s} function bound to a key or the palette."),
    ("Events", "Event handlers receive a {s} table describing what happened."),
    ("Plugs", "Plugs can call into {s} code through the syscall bridge."),
    ("Shortcuts", "Keyboard shortcuts map to {s} callbacks defined in the config."),
    ("Tasks", "Task attributes are exposed to {s} as plain strings and numbers."),
    ("Library", "Library pages bundle {s} scripts that others can import."),
    ("Themes", "Themes set colours from a {s} table of CSS variables."),
    ("Sync", "Sync hooks run a {s} function after each remote change."),
]


def lua_vault(linked: bool) -> dict[str, str]:
    word = "[[Lua]]" if linked else "Lua"
    return {
        "Lua.md": (
            "# Lua\n\nLua is a small scripting language with tables, closures and coroutines; "
            "this space embeds it to script the editor.\n"
        ),
        "Release checklist.md": (
            "# Release checklist\n\nBump the version, write the changelog, attach the Lua "
            "sources to the tag and email the mailing list about the new logo and the party.\n"
        ),
        **{f"{n}.md": f"# {n}\n\n{t.format(s=word)}\n" for n, t in LUA_USES},
    }


@pytest.mark.parametrize("linked", [True, False], ids=["linked-by-the-vault", "never-linked"])
def test_a_common_name_nobody_links_needs_the_passage_on_topic(
    make_vault: Callable[..., Vault], linked: bool
) -> None:
    vault = make_vault(lua_vault(linked))
    (lua,) = ranked_mentions(vault, "Release checklist.md", show_all=True)
    assert lua.target == "Lua.md" and not lua.generic  # a capitalised name, not a plain word
    assert lua.features["common_name"] == (0.0 if linked else 1.0)
    if linked:
        assert lua.shown
    else:
        assert "a name many notes here use without linking it" in lua.reasons
        assert not lua.shown
