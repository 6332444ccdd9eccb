"""PerGraph: the mention trie and link habits are built once per catalog version and rebuilt
when a sync changes the catalog (a real vault, a real sync)."""

from __future__ import annotations

from collections.abc import Callable

from vault_core.linking.mention_evidence import link_habits
from vault_core.linking.mentions import _matcher
from vault_core.linking.per_graph import PerGraph
from vault_core.vault import Vault

FILES = {
    "Tomatoes.md": "# Tomatoes\n\nWater them twice a week.\n",
    "Garden.md": "# Garden\n\nThe [[Tomatoes]] grow by the fence.\n",
}


def test_built_once_per_catalog_version_and_rebuilt_after_a_change(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(FILES)
    matcher, habits = _matcher(vault), link_habits(vault)
    assert _matcher(vault) is matcher and link_habits(vault) is habits
    assert ("tomatoes",) in matcher.owners and ("basil",) not in matcher.owners

    (vault.root / "Basil.md").write_text("# Basil\n\nNext to the [[Tomatoes]].\n")
    vault.sync(["Basil.md"])
    rebuilt = _matcher(vault)
    assert rebuilt is not matcher and ("basil",) in rebuilt.owners
    assert link_habits(vault) is not habits


def test_build_is_given_the_current_graph_once(make_vault: Callable[..., Vault]) -> None:
    built: list[object] = []

    def build(graph: object) -> object:
        built.append(graph)
        return object()

    cache: PerGraph[object] = PerGraph(build)
    vault = make_vault(FILES)
    first = cache.get(vault)
    assert cache.get(vault) is first and built == [vault.graph]
