"""The query language (query/syntax.py): parsing, errors that point at the position, and each
operator applied by a real search over a real index."""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest

from vault_core.query.answer import SearchRequest
from vault_core.query.syntax import QuerySyntaxError, parse_query


def test_every_operator_is_read() -> None:
    q = parse_query(
        'sleep "spaced repetition" -cram -"all nighter" recall OR "active retrieval" '
        "tag:#learning path:notes/ type:PDF type:note after:2025-01-01 before:2025-06-30 10:30"
    )
    assert q.words == ["sleep", "10:30"]  # a colon that is no filter is an ordinary word
    assert q.phrases == ["spaced repetition"]
    assert q.exclude == ["cram", "all nighter"]
    assert q.any_of == [["recall", "active retrieval"]]
    assert q.tags == ["learning"] and q.path == "notes/" and q.types == ["pdf", "md"]
    assert q.after == datetime(2025, 1, 1) and q.before == datetime(2025, 6, 30)
    assert q.text == "sleep spaced repetition recall active retrieval 10:30"
    merged = q.filters()
    assert merged.types == ["md", "pdf"] and merged.modified_since == datetime(2025, 1, 1)
    assert merged.phrases == ["spaced repetition"] and merged.exclude == ["cram", "all nighter"]


def test_a_folder_given_twice_is_an_error_unless_it_is_the_same() -> None:
    from vault_core.errors import VaultError
    from vault_core.query.search import SearchFilters

    q = parse_query("memory path:notes/")
    assert q.filters(SearchFilters(path="notes")).path == "notes/"
    with pytest.raises(VaultError, match="two folders given"):
        q.filters(SearchFilters(path="journal/"))


def test_plain_words_pass_through_unchanged() -> None:
    q = parse_query("how do I bake sourdough bread?")
    assert q.text == "how do I bake sourdough bread?" and not q.filters().text_active()
    assert not q.filters().active()


@pytest.mark.parametrize(
    ("query", "position", "problem"),
    [
        ('memory "spaced rep', 7, "never closed"),
        ('memory ""', 7, "empty phrase"),
        ("memory - sleep", 7, 'lone "-"'),
        ("OR memory", 0, "before it"),
        ("memory OR", 9, "after it"),
        ("memory OR tag:x", 10, "after it"),
        ("memory OR -sleep", 10, "after it"),
        ("memory tag:", 11, "needs a value"),
        ("memory after:yesterday", 13, "takes a date"),
        ("memory before:2025-13-01", 14, "takes a date"),
        ("memory type:p*f", 12, "file type"),
        ("memory -tag:x", 7, "cannot exclude"),
        ("memory path:a/ path:b/", 20, "only one path"),
        ("tag:learning -sleep", 0, "nothing to search for"),
    ],
)
def test_bad_syntax_says_where_and_why(query: str, position: int, problem: str) -> None:
    with pytest.raises(QuerySyntaxError) as err:
        parse_query(query)
    assert err.value.position == position and problem in err.value.problem
    caret_line = str(err.value).splitlines()[-1]
    assert caret_line.index("^") - 2 == position  # the caret sits under the position
    assert f"position {position + 1}" in str(err.value)


FILES = {
    "learning/spacing.md": "---\ntags: [learning/memory]\n---\n# Spacing\n\n"
    "Spaced repetition schedules each review just before you would forget.\n",
    "learning/cramming.md": "# Cramming\n\nCramming repeats material in one night; the "
    "repetition is not spaced, so recall fades within days.\n",
    "projects/garden.md": "# Garden\n\nThe review of the garden plan: spaced rows of beans.\n",
    "projects/notes.txt": "Spaced repetition works for plant names too.\n",
    "log.md": "# Log\n\n## Monday\n\nRemember to water the ferns before leaving the flat.\n\n"
    "## Tuesday\n\nCalled the landlord about the heating.\n\n## Wednesday\n\n"
    "Remember to water the ferns before leaving the flat.\n",
}


def _paths(vault, query: str, **kw) -> list[str]:
    answer = vault.find(SearchRequest(query=query, **kw))
    return sorted({h.path for h in answer.hits})


def test_operators_narrow_a_real_search(make_vault) -> None:
    vault = make_vault(FILES, sync=False)
    old = time.time() - 400 * 86400
    os.utime(vault.root / "projects/garden.md", (old, old))
    vault.sync()
    phrase = _paths(vault, '"spaced repetition"', mode="keyword")
    assert phrase == ["learning/spacing.md", "projects/notes.txt"]  # not "repetition is not spaced"
    assert _paths(vault, "spaced repetition -cramming", mode="keyword") == [
        "learning/spacing.md",
        "projects/garden.md",
        "projects/notes.txt",
    ]
    assert _paths(vault, "spaced tag:learning", mode="keyword") == ["learning/spacing.md"]
    assert _paths(vault, "spaced path:learning", mode="keyword") == [
        "learning/cramming.md",
        "learning/spacing.md",
    ]
    assert _paths(vault, "spaced path:projects/ type:md", mode="keyword") == ["projects/garden.md"]
    assert _paths(vault, "spaced type:txt", mode="keyword") == ["projects/notes.txt"]
    cutoff = (datetime.now().date()).replace(year=datetime.now().year - 1).isoformat()
    assert _paths(vault, f"spaced before:{cutoff}", mode="keyword") == ["projects/garden.md"]
    assert "projects/garden.md" not in _paths(vault, f"spaced after:{cutoff}", mode="keyword")
    either = _paths(vault, "beans OR cramming", mode="hybrid")
    assert either == ["learning/cramming.md", "projects/garden.md"]


def test_match_spans_mark_the_matched_words(make_vault) -> None:
    vault = make_vault(FILES)
    hit = vault.find(SearchRequest(query="forget review", mode="keyword")).hits[0]
    marked = [hit.snippet[a:b] for a, b in hit.match_spans]
    assert hit.path == "learning/spacing.md" and marked == ["review", "forget"]


def test_a_repeated_passage_is_one_hit_listing_its_other_places(make_vault) -> None:
    vault = make_vault(FILES)
    hits = vault.find(SearchRequest(query="water the ferns", mode="keyword")).hits
    ferns = [h for h in hits if h.path == "log.md"]
    assert len(ferns) == 1
    assert ferns[0].citation == "log.md:3-5" and ferns[0].also_at == ["log.md:11-13"]


def test_nothing_matched_is_said_and_a_syntax_error_is_raised(make_vault) -> None:
    vault = make_vault(FILES)
    none = vault.find(SearchRequest(query='"purple elephants"', mode="hybrid"))
    assert none.hits == [] and "Nothing in the notes matches" in (none.message() or "")
    with pytest.raises(QuerySyntaxError):
        vault.find(SearchRequest(query='ferns "open'))
