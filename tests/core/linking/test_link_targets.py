"""`link_targets`: the paragraph ranks when it says enough; otherwise the section, then the note's
see-also suggestions. A real vault (real model, real LanceDB) in tmp_path."""

from __future__ import annotations

from collections.abc import Callable

from vault_core.linking.link_targets import link_targets, meaningful
from vault_core.vault import Vault

NOTES = {
    "Gardening.md": "# Gardening\n\nTomatoes need full sun, deep watering and staking. "
    "See [[Compost]].\n\n## Pests\n\nAphids and hornworms eat tomato leaves; ladybirds eat "
    "aphids.\n",
    "Compost.md": "# Compost\n\nKitchen scraps and leaves rot into compost that feeds the "
    "garden beds.\n",
    "Tomato hornworm.md": "# Tomato hornworm\n\nA green caterpillar that strips tomato plants "
    "of their leaves; pick them off by hand.\n",
    "Ladybird.md": "# Ladybird\n\nA beetle whose larvae eat aphids in the garden.\n",
    "Rust.md": "# Rust\n\nA systems programming language with ownership and borrowing.\n",
    "Python.md": "# Python\n\nA programming language with dynamic typing.\n",
}


def test_meaningful_counts_content_words() -> None:
    assert not meaningful("See also")
    assert not meaningful("See also: the")
    assert meaningful("Aphids and hornworms eat tomato leaves")


def test_a_paragraph_that_says_enough_ranks_by_itself(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(NOTES)
    found = link_targets(
        vault, "Gardening.md", "programming languages with ownership and borrowing", ""
    )
    assert found.basis == "paragraph"
    assert found.paths[0] == "Rust.md"
    assert "Gardening.md" not in found.paths
    assert set(found.why.values()) == {"paragraph"}


def test_see_also_falls_back_to_the_section_then_the_note(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(NOTES)
    section = "Pests Aphids and hornworms eat tomato leaves; ladybirds eat aphids. See also"
    found = link_targets(vault, "Gardening.md", "See also", section)
    assert found.basis == "section"
    assert set(found.paths[:2]) == {"Tomato hornworm.md", "Ladybird.md"}, found.paths
    assert "Gardening.md" not in found.paths
    # a thin section too: the note's own see-also suggestions (not already linked)
    thin = link_targets(vault, "Gardening.md", "See also", "See also")
    assert thin.basis == "note"
    assert thin.paths and "Compost.md" not in thin.paths
    assert set(thin.paths[:2]) == {"Tomato hornworm.md", "Ladybird.md"}, thin.paths
    assert set(thin.why.values()) == {"note"}


def test_nothing_to_go_on_says_so(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(NOTES)
    found = link_targets(vault, None, "See also", "")
    assert found.basis is None and found.paths == []
