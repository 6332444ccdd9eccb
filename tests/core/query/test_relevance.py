"""The relevance floor: keyword matches and close meanings count, filler and garbage do not."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vault_core.query.relevance import assess, confident_hits
from vault_core.vault import Vault

FILES = {
    "zebra.md": "# Zebra\n\nZebras have black and white stripes and live on the savanna.\n",
    "coffee.md": "# Coffee\n\nEspresso is brewed by forcing hot water through ground beans.\n",
    "tea.md": "# Tea\n\nGreen tea and black tea come from the same plant.\n",
    "lua.md": "# Lua\n\n```lua\nlocal x = {}\nfor i = 1, 10 do x[i] = i * 2 end\n```\n",
}


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    opened = make_vault(FILES)
    assert opened.status().notes == len(FILES)  # every note indexed, so garbage has targets
    return opened


def run(vault: Vault, query: str, mode: str = "hybrid") -> tuple[bool, list[str]]:
    hits = vault.search(query, mode=mode, limit=10)  # type: ignore[arg-type]
    kept = confident_hits(hits, vault.embedder.name, query)
    return assess(hits, vault.embedder.name, query).confident, [h.path for h in kept]


def test_a_keyword_match_is_confident_and_filler_is_dropped(vault: Vault) -> None:
    confident, kept = run(vault, "espresso")
    assert confident and kept[0] == "coffee.md" and "lua.md" not in kept


def test_meaning_alone_is_confident_when_close(vault: Vault) -> None:
    confident, kept = run(vault, "striped horses in Africa", mode="semantic")
    assert confident and kept[0] == "zebra.md"


@pytest.mark.parametrize("query", ["\x00", "x" * 2000, "!@#$%^&*()", "🚀🔥", "qzxv wplkjh"])
def test_garbage_is_not_confident(vault: Vault, query: str) -> None:
    hits = vault.search(query, limit=10)
    relevance = assess(hits, vault.embedder.name, query)
    assert not relevance.confident and confident_hits(hits, vault.embedder.name, query) == []
    assert "Nothing in the notes matches" in relevance.explain(query)
