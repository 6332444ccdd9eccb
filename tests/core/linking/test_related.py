"""related() and unlinked_mentions() on small hand-made vaults where the right answer is known."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from vault_core.index.link_graph import strip_links
from vault_core.linking.related import RelatedNote, related
from vault_core.vault import Vault

BREAD = {
    "sourdough.md": (
        "# Sourdough\n\nMy sourdough loaf needs a lively starter. I feed the starter flour and "
        "water, wait for the levain to double, then mix the dough and let it ferment overnight. "
        "See [[baking-temps]] for the oven.\n"
    ),
    "starter-care.md": (
        "# Starter care\n\nA sourdough starter is a culture of wild yeast and lactobacilli. "
        "Feed the starter with equal weights of flour and water; a lively levain doubles in "
        "four to six hours before you mix the dough.\n"
    ),
    "baking-temps.md": (
        "# Baking temperatures\n\nBake bread in a preheated Dutch oven at 250 degrees, lid on "
        "for twenty minutes, then lid off until the crust is dark.\n"
    ),
    "rust-ownership.md": (
        "# Rust ownership\n\nEvery value in Rust has one owner; the borrow checker rejects a "
        "mutable borrow while shared references are alive.\n"
    ),
    "tomatoes.md": (
        "# Tomatoes\n\nPlant tomato seedlings after the last frost, stake them, and water the "
        "roots in the morning.\n"
    ),
}


@pytest.fixture
def bread(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(BREAD)


def test_unlinked_note_on_the_same_topic_ranks_first(bread: Vault) -> None:
    hits = bread.related("sourdough.md", limit=5)
    assert all(isinstance(h, RelatedNote) for h in hits)
    assert hits[0].path == "starter-care.md"
    assert hits[0].link_text == "starter-care"
    assert hits[0].reasons, "every suggestion says why"
    assert any(r.startswith("shared terms:") and "starter" in r for r in hits[0].reasons)
    passage = hits[0].passage
    assert passage is not None and passage.path == "starter-care.md"
    assert passage.start_line >= 1 and passage.end_line >= passage.start_line
    assert "starter" in passage.snippet


def test_already_linked_and_self_are_excluded(bread: Vault) -> None:
    paths = [h.path for h in related(bread, "sourdough.md", 10)]
    assert "baking-temps.md" not in paths  # linked from sourdough
    assert "sourdough.md" not in paths
    back = [h.path for h in related(bread, "baking-temps.md", 10)]
    assert "sourdough.md" not in back  # linked the other way


def test_exclude_links_off_keeps_linked_notes(bread: Vault) -> None:
    paths = [h.path for h in related(bread, "sourdough.md", 10, exclude_links=False)]
    assert "baking-temps.md" in paths
    assert "sourdough.md" not in paths


def test_single_signals_and_bad_signal(bread: Vault) -> None:
    semantic = related(bread, "sourdough.md", 3, signals={"semantic"})
    keyword = related(bread, "sourdough.md", 3, signals={"keyword"})
    assert semantic[0].path == keyword[0].path == "starter-care.md"
    assert set(semantic[0].ranks) == {"note", "passage"}
    assert "keyword" in keyword[0].ranks
    assert set(keyword[0].ranks) <= {"keyword", "titles", "mention"}  # the lexical signals
    assert "rust-ownership.md" not in [h.path for h in keyword]  # no shared terms, no keyword hit
    with pytest.raises(ValueError, match="unknown signals"):
        related(bread, "sourdough.md", 3, signals={"telepathy"})


def test_plain_mention_of_a_title_is_evidence(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "notes/trip.md": "# Trip\n\nWe walked past the Eiffel Tower, then ate crepes.\n",
            "eiffel-tower.md": "# Eiffel Tower\n\nWrought-iron lattice tower built in 1889.\n",
            "notes/garden.md": "# Garden\n\nRoses need pruning in spring.\n",
            "notes/tower-defense.md": "# Tower defense\n\nA video game genre.\n",
        }
    )
    hits = related(vault, "notes/trip.md", 3, signals={"keyword"})
    assert hits[0].path == "eiffel-tower.md"
    assert {"mention", "titles"} <= set(hits[0].ranks)
    assert "mentioned by name" in hits[0].reasons
    garden = related(vault, "notes/garden.md", 3, signals={"keyword"})
    assert all("mention" not in h.ranks for h in garden)  # names nothing


def test_same_folder_is_a_weak_prior(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "a/one.md": "# One\n\nNotes about sailing boats and wind.\n",
            "a/two.md": "# Two\n\nNotes about sailing boats and tides.\n",
            "b/three.md": "# Three\n\nNotes about sailing boats and wind.\n",
        }
    )
    hits = {h.path: h for h in related(vault, "a/one.md", 3, signals={"semantic", "graph"})}
    assert "folder" in hits["a/two.md"].ranks
    assert "folder" not in hits["b/three.md"].ranks
    assert "same folder" in hits["a/two.md"].reasons


def test_graph_signal_finds_notes_linked_by_neighbours(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(
        {
            "me.md": "# Me\n\nSee [[hub]].\n",
            "hub.md": "# Hub\n\n[[me]] [[target]] [[other]]\n",
            "target.md": "# Target\n\nplain\n",
            "other.md": "# Other\n\nplain\n",
            "lonely.md": "# Lonely\n\nplain\n",
        }
    )
    hits = related(vault, "me.md", 5, signals={"graph"})
    assert {h.path for h in hits} == {"target.md", "other.md"}
    assert "linked by 1 of your neighbours" in hits[0].reasons
    # hiding me's links (evaluation mode) leaves the graph walk nothing: only the in-degree prior,
    # and feedback through the suggestions' own links (hub -> other is not one of me's links)
    hidden = related(
        vault, "me.md", 5, signals={"graph"}, exclude_links=False, hide_links_of="me.md"
    )
    assert hidden and all(set(h.ranks) <= {"popular", "feedback"} for h in hidden)
    assert {h.path for h in hidden if "popular" in h.ranks} == {"target.md", "other.md"}
    hub = next(h for h in hidden if h.path == "hub.md")  # its one backlink was me's, now hidden
    assert set(hub.ranks) == {"feedback"}


def test_peers_signal_suggests_what_similar_notes_link(make_vault: Callable[..., Vault]) -> None:
    sailing = "Notes about sailing a small dinghy: trim the sails, watch the wind, ease the sheet."
    vault = make_vault(
        {
            "me.md": f"# Me\n\n{sailing}\n",
            "peer-1.md": f"# Peer one\n\n{sailing} See [[knots]].\n",
            "peer-2.md": f"# Peer two\n\n{sailing} Also [[knots]].\n",
            "knots.md": "# Knots\n\nBowline, clove hitch, reef knot.\n",
            "tax.md": "# Tax\n\nFile the return before April.\n",
        }
    )
    hits = {h.path: h for h in related(vault, "me.md", 5)}
    assert "peers" in hits["knots.md"].ranks
    assert "linked by notes like this one" in hits["knots.md"].reasons
    assert all("peers" not in h.ranks for p, h in hits.items() if p != "knots.md")
    assert 0.0 < hits["knots.md"].score < 1.0


def test_link_model_features_and_shipped_weights() -> None:
    from vault_core.linking.link_model import FEATURES, RANKERS, default_model, features

    row = features({"note": 1, "peers": 51}, in_degree=3.0, same_folder=True)
    assert len(row) == len(FEATURES)
    assert row[:2] == [pytest.approx(60 / 61), 1.0]  # rank 1: full marks on both shapes
    assert row[RANKERS.index("peers") * 2 + 1] == 0.0  # beyond the list depth: no log credit
    assert row[RANKERS.index("keyword") * 2 : RANKERS.index("keyword") * 2 + 2] == [0.0, 0.0]
    assert row[-7:-4] == [pytest.approx(1.3862944), 1.0, 0.2]
    assert row[-4:] == [0.0, 0.0, 0.0, 0.0]  # no place in the name tree given: all zero
    model = default_model()
    assert model.features == list(FEATURES) and len(model.weights) == len(FEATURES)
    assert model.trained_on, "the shipped model says which vaults it was fitted on"


def test_name_tree_places_parents_children_and_siblings() -> None:
    from vault_core.linking.link_model import name_parts, name_tree

    me = name_parts("dendron.topic.lookup.md")
    assert me == ["dendron", "topic", "lookup"]
    assert name_parts("docs/Library/Std.md") == ["docs", "library", "std"]
    assert name_tree(me, name_parts("dendron.topic.md")) == [1.0, 0.0, 0.0, pytest.approx(2 / 3)]
    assert name_tree(me, name_parts("Dendron.Topic.Lookup.Modes.md"))[:3] == [0.0, 1.0, 0.0]
    assert name_tree(me, name_parts("dendron.topic.schema.md"))[:3] == [0.0, 0.0, 1.0]
    assert name_tree(me, name_parts("other.md")) == [0.0, 0.0, 0.0, 0.0]


def test_a_child_in_the_name_tree_ranks_above_a_stranger_with_the_same_text(
    make_vault: Callable[..., Vault],
) -> None:
    """Two notes with the same text and no links: only the name tree tells them apart (a tie
    would go to the stranger, whose path sorts first), and the shipped model puts the note's
    child (Dendron's `a.b.c` below `a.b`) first."""
    pruning = "Cut roses back in late winter, above an outward-facing bud, to open the bush."
    vault = make_vault(
        {
            "garden.roses.md": f"# Roses\n\nRoses want full sun. {pruning}\n",
            "garden.roses.pruning.md": f"# Pruning\n\n{pruning}\n",
            "attic.roses.pruning.md": f"# Pruning\n\n{pruning}\n",
            "tax.md": "# Tax\n\nFile the return before April.\n",
        }
    )
    hits = related(vault, "garden.roses.md", 3)
    order = [h.path for h in hits]
    assert order.index("garden.roses.pruning.md") < order.index("attic.roses.pruning.md")
    child = hits[order.index("garden.roses.pruning.md")]
    assert "below this note in the name tree" in child.reasons
    assert not any("name tree" in r for h in hits if h != child for r in h.reasons)


def test_unwrapped_links_leave_their_words_for_the_name_signals(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(
        {
            "me.md": "# Me\n\nTie the sheet with [[Bowline Knot]] before you sail.\n",
            "Bowline Knot.md": "# Bowline Knot\n\nA fixed loop at the end of a rope.\n",
            "tax.md": "# Tax\n\nFile the return before April.\n",
        }
    )
    kw = {"exclude_links": False, "hide_links_of": "me.md", "strip_query_links": True}
    strict = {h.path: h for h in related(vault, "me.md", 5, **kw)}
    unwrapped = {h.path: h for h in related(vault, "me.md", 5, keep_link_words=True, **kw)}
    knot = strict.get("Bowline Knot.md")
    assert knot is None or "mention" not in knot.ranks  # strict: the link's words are gone
    assert unwrapped["Bowline Knot.md"].ranks.get("mention") == 1
    assert next(iter(unwrapped)) == "Bowline Knot.md"


def test_strip_links_keeps_labels_and_drops_targets() -> None:
    text = "See [[Alpha]] and [[Beta|the beta note]], ![[img.png]], [gamma](gamma.md)."
    assert strip_links(text) == "See  and the beta note, , gamma."
    unwrapped = strip_links("[[notes/Alpha.md#Part]] and [[Beta^b1]], ![[Gamma]]", keep_words=True)
    assert unwrapped == "Alpha and Beta, "


def test_strip_query_links_reembeds_without_targets(bread: Vault) -> None:
    hits = related(
        bread,
        "sourdough.md",
        3,
        exclude_links=False,
        hide_links_of="sourdough.md",
        strip_query_links=True,
    )
    assert hits[0].path == "starter-care.md"
    assert "baking-temps.md" in [h.path for h in hits]  # the hidden link is recovered


# -- unlinked mentions ----------------------------------------------------------------------
MENTIONS = {
    "Stoicism.md": "# Stoicism\n\nA school of philosophy.\n",
    "Marcus Aurelius.md": "---\naliases: [Marcus]\n---\n# Marcus Aurelius\n\nEmperor.\n",
    "Epictetus.md": "# Epictetus\n\nA teacher.\n",
    "The.md": "# The\n\nA note whose name is a stopword.\n",
    "AI.md": "# AI\n\nToo short to match.\n",
    "Node.js.md": "# Node.js\n\nA runtime.\n",
    "journal.md": (
        "---\n"
        "title: Journal\n"
        "tags: [stoicism]\n"
        "---\n"
        "# Journal\n"
        "\n"
        "Today I read about stoicism and Marcus Aurelius.\n"
        "Later, Marcus wrote more. The AI said nothing.\n"
        "Inline `Stoicism` code, a link [[Stoicism]], [Epictetus](Epictetus.md).\n"
        "```\n"
        "Epictetus in a fence\n"
        "```\n"
        "Stoicisms is not a word boundary match. node . js is not Node.js either.\n"
        "This journal mentions itself: Journal.\n"
        "See https://example.com/Epictetus for more.\n"
    ),
}


@pytest.fixture
def mentions_vault(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(MENTIONS)


def test_mentions_found_with_ranges(mentions_vault: Vault) -> None:
    found = mentions_vault.unlinked_mentions("journal.md")
    lines = (mentions_vault.root / "journal.md").read_text().split("\n")
    got = [(m.line, m.text, m.target) for m in found]
    assert got == [
        (7, "stoicism", "Stoicism.md"),
        (7, "Marcus Aurelius", "Marcus Aurelius.md"),  # longest match beats the alias "Marcus"
        (8, "Marcus", "Marcus Aurelius.md"),  # alias
        (13, "Node.js", "Node.js.md"),
    ]
    for m in found:
        assert lines[m.line - 1][m.start_col : m.end_col] == m.text
    first = found[0]
    assert first.already_linked  # journal links [[Stoicism]] elsewhere
    assert first.replacement == "[[stoicism]]"
    assert found[2].replacement == "[[Marcus Aurelius|Marcus]]"
    assert not found[1].already_linked


def test_no_mentions_in_code_links_frontmatter_urls_or_self(mentions_vault: Vault) -> None:
    found = mentions_vault.unlinked_mentions("journal.md")
    assert all(m.target != "Epictetus.md" for m in found)  # link, fence, URL only
    assert all(m.line not in (2, 3, 9, 11, 14, 15) for m in found)
    assert all(m.target not in ("journal.md", "The.md", "AI.md") for m in found)


def test_mentions_follow_edits(mentions_vault: Vault) -> None:
    (mentions_vault.root / "Zeno.md").write_text("# Zeno of Citium\n\nFounder.\n")
    (mentions_vault.root / "journal.md").write_text("# Journal\n\nZeno of Citium taught.\n")
    mentions_vault.sync()
    found = mentions_vault.unlinked_mentions("journal.md")
    assert [(m.text, m.target, m.start_col) for m in found] == [("Zeno of Citium", "Zeno.md", 0)]
    assert found[0].replacement == "[[Zeno|Zeno of Citium]]"
