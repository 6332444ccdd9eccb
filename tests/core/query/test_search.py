"""Search modes, RRF ranks, filters, snippets and citations on a real index."""

from __future__ import annotations

import os
from datetime import datetime

import pytest
from poll import wait_for

from vault_core.query.search import SearchFilters, make_snippet

FILES = {
    "garden/tomatoes.md": "---\ntags: [garden, food]\nstatus: done\n---\n# Growing tomatoes\n"
    "Tomato plants need full sun, deep watering and a sturdy trellis.\n\n## Pests\n"
    "Hornworms chew the leaves; pick them off by hand.\n",
    "garden/roses.md": "---\ntags: [garden]\nstatus: draft\n---\n# Roses\nPrune roses in late winter.\n",
    "code/parser.md": "# Parser notes\nThe function parse_frontmatter_block handles YAML.\n"
    "Use `TokenStream` for the CamelCase lexer; see §3 of the spec v2.1.\n",
    "travel/kyoto.md": "# Kyoto\n京都の寺院を訪ねた。Temples and gardens in autumn.\n",
}


@pytest.fixture
def vault(make_vault):
    return make_vault(FILES)


def test_modes_find_the_right_note(vault) -> None:
    for mode in ("hybrid", "keyword", "semantic"):
        hits = vault.search("how to keep caterpillars off tomato leaves", mode=mode, limit=3)
        assert hits[0].path == "garden/tomatoes.md", mode
    hybrid = vault.search("tomato hornworms", limit=3)[0]
    assert set(hybrid.ranks) == {"semantic", "keyword"}
    assert hybrid.heading_path == ["Pests"]
    assert hybrid.citation == "garden/tomatoes.md:8-9"


def test_hybrid_puts_exact_phrases_first(vault) -> None:
    exact = vault.search("deep watering, and a sturdy trellis", limit=3)
    assert exact[0].path == "garden/tomatoes.md"
    assert exact[0].ranks["phrase"] == 1  # punctuation and case do not matter, word order does
    shuffled = vault.search("trellis sturdy a and watering deep", limit=3)
    assert all("phrase" not in h.ranks for h in shuffled)
    heading = vault.search("growing tomatoes", limit=3)
    assert heading[0].path == "garden/tomatoes.md" and "phrase" in heading[0].ranks  # the title
    assert all("phrase" not in h.ranks for h in vault.search("trellis", limit=3))  # one word
    assert all("phrase" not in h.ranks for h in vault.search("deep watering", mode="keyword"))


def test_keyword_handles_identifiers_and_cjk(vault) -> None:
    assert vault.search("parse_frontmatter_block", mode="keyword")[0].path == "code/parser.md"
    assert vault.search("frontmatter", mode="keyword")[0].path == "code/parser.md"
    assert vault.search("token stream", mode="keyword")[0].path == "code/parser.md"
    assert vault.search("§3", mode="keyword")[0].path == "code/parser.md"
    assert vault.search("京都", mode="keyword")[0].path == "travel/kyoto.md"


def test_filters(vault) -> None:
    q = "plants in the garden"
    assert {h.path for h in vault.search(q, filters=SearchFilters(path="garden"))} <= {
        "garden/tomatoes.md",
        "garden/roses.md",
    }
    assert {h.path for h in vault.search(q, filters=SearchFilters(path="*/k*.md"))} == {
        "travel/kyoto.md"
    }
    assert {h.path for h in vault.search(q, filters=SearchFilters(tags=["food"]))} == {
        "garden/tomatoes.md"
    }
    assert {h.path for h in vault.search(q, filters=SearchFilters(where={"status": "draft"}))} == {
        "garden/roses.md"
    }
    os.utime(vault.root / "travel/kyoto.md", (2_000_000_000, 2_000_000_000))
    vault.sync()
    recent = vault.search(q, filters=SearchFilters(modified_since=datetime(2030, 1, 1)))
    assert {h.path for h in recent} == {"travel/kyoto.md"}
    assert vault.search(q, filters=SearchFilters(tags=["nope"])) == []


def test_per_note_grouping_and_limits(vault) -> None:
    hits = vault.search("tomato", per_note=1, limit=10)
    assert len({h.path for h in hits}) == len(hits)
    assert vault.search("   ") == []


def test_snippet_centres_on_the_query() -> None:
    text = (
        "Title\n\n" + "filler words here. " * 40 + "The hornworm sentence. " + "more filler. " * 40
    )
    snippet = make_snippet(text, "hornworm").text
    assert "hornworm" in snippet and len(snippet) <= 300


def test_in_memory_matrix_gives_the_same_ranking_as_lancedb(vault) -> None:
    queries = ["tomato pests", "pruning roses", "temples in autumn", "YAML parser"]
    lance = [[h.path for h in vault.search(q, mode="semantic")] for q in queries]  # stale: LanceDB

    def fresh() -> bool:
        vault.searcher.matrix.refresh_async()
        return not vault.searcher.matrix._stale()

    wait_for(fresh, 30, what="the in-memory matrix")
    assert [[h.path for h in vault.search(q, mode="semantic")] for q in queries] == lance
    (vault.root / "garden/roses.md").unlink()
    vault.sync()
    assert vault.searcher.matrix._stale()  # a commit makes it stale: LanceDB answers meanwhile
    assert all(h.path != "garden/roses.md" for h in vault.search("pruning roses", mode="semantic"))


def test_each_search_records_where_its_time_went(vault) -> None:
    """The split the 100k bench reads (bench/measure/scale.py): every stage a mode runs, and
    no stage it skips; the stages fit inside the total."""
    vault.search("tomato hornworms")
    hybrid = vault.searcher.last_timing
    assert set(hybrid.stages) == {"embed", "dense", "keyword", "match", "fuse", "rerank"}
    assert all(ms >= 0 for ms in hybrid.stages.values())
    assert 0 < sum(hybrid.stages.values()) <= hybrid.total_ms + 0.1
    assert hybrid.cpu_ms > 0
    vault.search("tomato hornworms", mode="keyword")
    assert set(vault.searcher.last_timing.stages) == {"keyword", "match", "fuse"}
    vault.search("tomato hornworms", mode="semantic")
    assert "keyword" not in vault.searcher.last_timing.stages
