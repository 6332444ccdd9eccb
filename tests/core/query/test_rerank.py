"""The MaxSim re-ranking stage (query/rerank.py) on a real index: real model, real LanceDB."""

from __future__ import annotations

import numpy as np
import pytest

from vault_core.parse.chunk import hash_text
from vault_core.query.rerank import rerank
from vault_core.store.tokens import TOKENS
from vault_core.vault import Vault

FILES = {
    "bees.md": "# Honeybees\nHoneybees pollinate apple orchards in spring. A hive holds tens of "
    "thousands of workers.\n",
    "wasps.md": "# Wasps\nPaper wasps build nests under eaves and hunt caterpillars in the garden.\n",
    "orchard.md": "# Orchard care\nApple trees need pruning in winter and thinning of fruit in "
    "early summer.\n",
    "pollination.md": "# Pollination\nWind, birds and insects carry pollen between flowers; many "
    "crops depend on it.\n",
    "cider.md": "# Cider\nPressing apples in autumn gives juice that ferments into cider.\n",
    "hives.md": "# Keeping hives\nA beekeeper checks the hive for mites and adds a super when the "
    "bees need room.\n",
    "moths.md": "# Codling moth\nThe codling moth larva bores into apples; traps in the orchard "
    "catch the males.\n",
    "frost.md": "# Spring frost\nLate frost kills apple blossoms, so growers run fans or "
    "sprinklers on cold nights.\n",
}
QUERY = "apple pests"


def ranked(vault: Vault, query: str, weight: float) -> list[str]:
    vault.searcher.rerank_weight = weight
    return [h.path for h in vault.search(query, limit=8, per_note=1)]


def answer(vault: Vault, query: str) -> list[tuple[str, int, int, float]]:
    """Hits as places and scores; a reader's cosines may come from LanceDB rather than the
    in-memory matrix, which differ in the last float bits."""
    return [
        (h.path, h.start_line, h.end_line, round(h.score, 4)) for h in vault.search(query, limit=8)
    ]


@pytest.fixture
def vault(make_vault):
    return make_vault(FILES)


def test_maxsim_moves_a_candidate_and_weight_zero_is_the_fused_order(vault) -> None:
    assert vault.status().rerank.startswith("active")
    fused = ranked(vault, QUERY, 0.0)
    assert fused[:5] == ["moths.md", "bees.md", "orchard.md", "cider.md", "frost.md"]
    moved = ranked(vault, QUERY, 1.0)
    assert moved[:5] == ["moths.md", "bees.md", "frost.md", "orchard.md", "cider.md"]
    vault.searcher.rerank_weight = 1.0
    scores = [h.score for h in vault.search(QUERY, limit=8, per_note=1)]
    assert scores == sorted(scores, reverse=True)  # the shown score is the order


def test_an_index_without_token_vectors_answers_as_before(make_vault) -> None:
    vault = make_vault(FILES)
    queries = [QUERY, "which insects pollinate apple blossoms", "bees in the orchard"]
    vault.searcher.rerank_weight = 0.0
    before = {q: answer(vault, q) for q in queries}
    root = vault.root
    vault.close()
    with Vault.open(root) as plain:  # an index from before the table: drop it
        plain.store.db.drop_table(TOKENS)
    with Vault.open(root, writer=False) as old:
        assert old.status().rerank.startswith("off")
        assert old.searcher.rerank_weight > 0
        for q in queries:
            assert answer(old, q) == before[q]


def test_token_rows_follow_their_chunks_through_save_rename_delete(vault) -> None:
    root, store = vault.root, vault.store

    def hashes(path: str) -> list[str]:
        return [r["text_hash"] for r in store.chunk_rows([path], ["text_hash"])]

    old = hashes("cider.md")
    (root / "cider.md").write_text("# Cider\nPerry is made from pears, not apples.\n")
    vault.sync()
    new = hashes("cider.md")
    assert set(new) != set(old) and set(store.token_vectors(new)) == set(new)
    (root / "moths.md").rename(root / "codling.md")
    vault.sync()
    moved = hashes("codling.md")
    assert moved and set(store.token_vectors(moved)) == set(moved)  # by text: no new pass
    (root / "wasps.md").unlink()
    gone = hashes("wasps.md")
    vault.sync()
    store.optimize()  # compaction prunes rows no chunk's text has
    assert not store.token_vectors(old) and not store.token_vectors(gone)
    have, total = store.token_coverage()
    assert have == total == len(FILES) - 1
    assert ranked(vault, QUERY, 1.0)[0] == "codling.md"


def test_a_candidate_without_tokens_leaves_the_fused_scores() -> None:
    rows = {"a#0": {"path": "a", "text": "x"}, "b#0": {"path": "b", "text": "y"}}
    scores = {"a#0": 0.9, "b#0": 0.8}
    query = np.eye(2, 64, dtype=np.int8) * 127
    only_a = {hash_text("x"): query}
    assert rerank(scores, rows, query, lambda hs: only_a) is scores
    assert rerank(scores, rows, None, lambda hs: only_a) is scores


def test_the_re_ranked_notes_stay_above_the_rest() -> None:
    rows = {c: {"path": c[0], "text": c[0]} for c in ("a#0", "b#0", "c#0")}
    scores = {"a#0": 0.9, "b#0": 0.85, "c#0": 0.84}
    query = (np.eye(2, 64) * 127).astype(np.int8)
    far = (np.eye(2, 64, k=5) * 127).astype(np.int8)
    stored = {hash_text("a"): far, hash_text("b"): query}
    out = rerank(scores, rows, query, lambda hs: stored, weight=1.0, top=2)
    assert sorted(out, key=lambda c: -out[c]) == ["b#0", "a#0", "c#0"]
    assert out["b#0"] == scores["b#0"] and out["a#0"] == pytest.approx(0.9 - 1.0)


def test_token_vectors_off_in_the_config_stores_none_and_skips_the_stage(tmp_path) -> None:
    """A user who wants the smaller index says so under [embedder]; status says why it is off."""
    from vault_files import write_files

    from vault_core.config import VaultConfig

    root = write_files(tmp_path / "vault", FILES)
    (root / ".nvault").mkdir()
    (root / ".nvault" / "config.toml").write_text("[embedder]\ntoken_vectors = false\n")
    config = VaultConfig.load(root)
    assert config.embedder.token_vectors is False
    with Vault(config) as vault:
        vault.sync()
        assert vault.store.token_coverage()[0] == 0  # no token row written
        assert vault.searcher.rerank_weight == 0.0
        assert vault.status().rerank.startswith("off: `token_vectors = false`")
        assert vault.search(QUERY, limit=3)  # search still answers, fused only
