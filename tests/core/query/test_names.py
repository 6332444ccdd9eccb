"""Names typed by a person or an agent: a clear match, an ambiguous one (error with candidates),
or a clear best match with the weaker ones listed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vault_core.errors import NoteNotFound
from vault_core.query.names import AmbiguousNote, display_name
from vault_core.vault import Vault

FILES = {
    "adr/001 Sync.md": "# Context\n\nWe need offline sync.\n",
    "adr/002 Lua.md": "# Context\n\nWe need a scripting language.\n",
    "adr/003 Graph.md": "# Context\n\nWe need an object graph.\n",
    "guide/setup.md": "# Setup\n\nInstall it.\n",
    "other/setup.md": "# Setting up\n\nAnother setup page.\n",
    "Context.md": "# About contexts\n\nThe file called Context.\n",
    "plans.md": "---\naliases: [Roadmap]\n---\n# Plans\n\nWhat comes next.\n",
    "roadmap-old.md": "# Roadmap\n\nThe old roadmap, titled like the alias above.\n",
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(FILES)


def test_duplicate_titles_are_an_error_listing_every_candidate(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault({p: t for p, t in FILES.items() if p != "Context.md"})
    with pytest.raises(AmbiguousNote) as err:
        vault.resolve("Context")
    paths = [c.path for c in err.value.candidates]
    assert paths == ["adr/001 Sync.md", "adr/002 Lua.md", "adr/003 Graph.md"]
    assert all(p in str(err.value) for p in paths)
    assert "Pass one of these paths" in str(err.value)


def test_file_name_beats_titles_and_the_titles_are_listed(vault: Vault) -> None:
    found = vault.lookup("Context")
    assert found.note.path == "Context.md" and found.matched_by == "file name"
    assert [c.path for c in found.ambiguous] == [
        "adr/001 Sync.md",
        "adr/002 Lua.md",
        "adr/003 Graph.md",
    ]
    assert {c.matched_by for c in found.ambiguous} == {"title"}


def test_two_files_with_one_name_are_ambiguous_but_a_path_is_not(vault: Vault) -> None:
    with pytest.raises(AmbiguousNote) as err:
        vault.resolve("setup")
    assert [c.path for c in err.value.candidates] == ["guide/setup.md", "other/setup.md"]
    assert vault.lookup("guide/setup.md").ambiguous == []
    assert vault.resolve("other/setup").path == "other/setup.md"
    assert vault.resolve("[[guide/setup|the guide]]").path == "guide/setup.md"


def test_alias_beats_a_title(vault: Vault) -> None:
    found = vault.lookup("roadmap")
    assert found.note.path == "plans.md" and found.matched_by == "alias"
    assert [c.path for c in found.ambiguous] == ["roadmap-old.md"]


def test_unknown_and_unique_names(vault: Vault) -> None:
    assert vault.lookup("Plans").ambiguous == []
    with pytest.raises(NoteNotFound):
        vault.resolve("no such thing")


def test_display_name_adds_the_path_only_to_duplicate_titles(vault: Vault) -> None:
    graph = vault.graph
    assert display_name(graph, "adr/002 Lua.md") == "Context (adr/002 Lua.md)"
    assert display_name(graph, "plans.md") == "Plans"


def test_quiz_on_an_ambiguous_name_says_so(vault: Vault) -> None:
    with pytest.raises(AmbiguousNote):
        vault.quiz("setup", engine="extractive")
