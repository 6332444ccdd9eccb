"""Score fusion and query-shape routing: the pure rules, then through a real index and model."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from vault_core.query.filters import SearchFilters
from vault_core.query.fusion import score_fusion
from vault_core.query.hybrid import hybrid_scores
from vault_core.query.relevance import assess, confident_hits
from vault_core.query.shape import FusionWeights, query_shape
from vault_core.vault import Vault

FILES = {
    "kiwi.md": "# Kiwi\n\nKiwi vines need a male plant nearby to set fruit; prune the vines in winter.\n",
    "vines.md": "# Climbing plants\n\nWisteria and clematis climb a pergola in a few summers.\n",
    "taxes.md": "# Taxes\n\nFile the quarterly return before the fifteenth of the month.\n",
    "code.md": "# Loader\n\nThe function load_kiwi_config reads the settings file.\n",
}


def test_score_fusion_weighs_cosine_against_bm25_over_the_best() -> None:
    fused = score_fusion({"a": 0.8, "b": 0.4}, {"b": 10.0, "c": 5.0}, 0.7, missing_cosine=0.3)
    assert fused == pytest.approx({"a": 0.56, "b": 0.58, "c": 0.7 * 0.3 + 0.3 * 0.5})
    assert list(fused) == ["a", "b", "c"]  # first seen: cosine map, then bm25
    # an exact phrase counts as the best keyword match; no keyword list leaves cosine alone
    assert score_fusion({"a": 0.5}, {}, 0.7, exact=["a"]) == pytest.approx({"a": 0.65})
    assert score_fusion({"a": 0.5}, {}, 1.0) == {"a": 0.5}


def test_one_list_alone_keeps_its_order_and_a_missing_cosine_is_looked_up() -> None:
    dense = [{"id": "x", "_similarity": 0.9}, {"id": "y", "_similarity": 0.2}]
    keyword = [{"id": "y", "_score": 4.0}, {"id": "z", "_score": 2.0}]
    assert hybrid_scores({"semantic": dense}, 0.3) == {"x": 0.9, "y": 0.2}
    assert hybrid_scores({"keyword": keyword}, 0.7) == {"y": 1.0, "z": 0.5}
    asked: list[list[str]] = []

    def lookup(ids: Sequence[str]) -> dict[str, float]:
        asked.append(list(ids))
        return {"z": 0.6}

    both = hybrid_scores({"semantic": dense, "keyword": keyword}, 0.5, lookup)
    assert asked == [["z"]] and both["z"] == pytest.approx(0.5 * 0.6 + 0.5 * 0.5)
    guessed = hybrid_scores({"semantic": dense, "keyword": keyword}, 0.5)  # no matrix: list floor
    assert guessed["z"] == pytest.approx(0.5 * 0.2 + 0.5 * 0.5)


@pytest.mark.parametrize(
    ("query", "shape"),
    [
        ("parse_frontmatter_block", "identifier"),
        ("TokenStream", "identifier"),
        ("getUserName", "identifier"),
        ("src/vault_core/query", "identifier"),
        ("notes.md", "identifier"),
        ("index.reindexSpace()", "identifier"),
        ("kiwi vines", "plain"),
        ("Special Pages", "plain"),
        ("how do I keep kiwi vines fruiting every year", "question"),
        ("PrimPol degrades short DNA replication intermediates on the leading strand", "question"),
    ],
)
def test_query_shape(query: str, shape: str) -> None:
    assert query_shape(query) == shape


def test_a_quoted_phrase_is_an_identifier_lookup() -> None:
    assert query_shape("kiwi vines", SearchFilters(phrases=["kiwi vines"])) == "identifier"


@pytest.fixture
def vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(FILES)


def test_hybrid_order_and_scores_follow_score_fusion(vault: Vault) -> None:
    query = "which plant do kiwi vines need nearby to set fruit"
    weight = FusionWeights().dense_weight(query)
    assert query_shape(query) == "question" and 0.5 < weight < 1.0
    hits = vault.search(query, limit=4)
    # code.md names load_kiwi_config (the terms load, kiwi, config): closer than the pergola
    assert [h.path for h in hits] == ["kiwi.md", "code.md", "vines.md", "taxes.md"]
    top = hits[0]
    assert top.ranks["keyword"] == 1 and top.similarity is not None
    # the best BM25 chunk's keyword part is 1: its score is w * cosine + (1 - w)
    assert top.score == pytest.approx(weight * top.similarity + (1 - weight), abs=1e-5)
    assert all(h.score <= 1.0 for h in hits)  # below 0 only for a negative cosine (taxes.md)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_an_identifier_leans_on_keywords_and_a_question_on_meaning(vault: Vault) -> None:
    weights = FusionWeights()
    assert weights.dense_weight("load_kiwi_config") < weights.dense_weight(
        "how do I configure the kiwi loader settings"
    )
    hits = vault.search("load_kiwi_config", limit=4)
    assert hits[0].path == "code.md" and hits[0].ranks["keyword"] == 1
    assert hits[0].score == pytest.approx(1.0 - weights.identifier)  # cosine weighs nothing
    assert "semantic" in hits[0].ranks  # the dense list still ran (relevance reads it)


def test_a_bench_can_set_other_weights(vault: Vault) -> None:
    vault.searcher.fusion = FusionWeights(identifier=1.0, question=1.0, plain=1.0)
    hybrid = vault.search("kiwi vines", limit=4)
    semantic = vault.search("kiwi vines", mode="semantic", limit=4)
    assert [h.path for h in hybrid] == [h.path for h in semantic]
    assert hybrid[0].score == pytest.approx(hybrid[0].similarity, abs=1e-5)


@pytest.mark.parametrize("query", ["zqxjv_wplk_frob", "qzxv wplkjh", "\x00"])
def test_the_floor_still_says_nothing_matched(vault: Vault, query: str) -> None:
    hits = vault.search(query, limit=10)
    relevance = assess(hits, vault.embedder.name, query)
    assert not relevance.confident and confident_hits(hits, vault.embedder.name, query) == []
    assert "Nothing in the notes matches" in relevance.explain(query)


def test_a_query_that_is_a_title_puts_that_note_first(vault: Vault) -> None:
    hits = vault.search("climbing plants", limit=4)  # vines.md's title; kiwi.md has "plant"
    assert hits[0].path == "vines.md" and "title" in hits[0].ranks
    assert all("title" not in h.ranks for h in hits[1:]) and hits[0].score <= 1.0
    assert all("title" not in h.ranks for h in vault.search("climbing", limit=4))  # not all of it
    assert "title" not in vault.search("climbing plants", mode="keyword")[0].ranks
