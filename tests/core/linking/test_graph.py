"""graph_health and the vault-wide suggestion report on a tiny vault with one of each problem."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from vault_core.linking.graph_report import GraphReport
from vault_core.linking.suggest import LinkSuggestionReport, suggest_links_for_vault
from vault_core.vault import Vault

ESSAY = (
    "Compound interest makes savings grow faster every year, because the interest earned is "
    "added to the principal and then earns interest itself. Starting early matters more than "
    "the amount you save each month."
)

PARTS = [
    "tyres",
    "flaps",
    "rudder",
    "ailerons",
    "elevator",
    "fuel",
    "oil",
    "battery",
    "radio",
    "transponder",
    "pitot",
    "static",
    "compass",
    "altimeter",
    "brakes",
    "lights",
    "harness",
    "doors",
    "canopy",
    "propeller",
    "spinner",
    "cowling",
    "belts",
    "magnetos",
]

TINY = {
    "a.md": "# A\n\nSee [[b]], [[missing note]] and [[dup]].\n",
    "b.md": "# B\n\nOn to [[hub]].\n",
    "c.md": "# C\n\nAlso [[hub]] and [[b]].\n",
    "d.md": "# D\n\n[[hub]] again.\n",
    "hub.md": "# Hub\n\nEverything points here.\n",
    "x/dup.md": "# Dup in x\n\none\n",
    "y/dup.md": "# Dup in y\n\ntwo\n",
    "orphan.md": "# Orphan\n\nNobody links here and I link nowhere.\n",
    "money/savings.md": f"# Savings\n\n{ESSAY}\n",
    "money/savings copy.md": f"# Savings\n\n{ESSAY} \n",
}


@pytest.fixture
def tiny(make_vault: Callable[..., Vault]) -> Vault:
    return make_vault(TINY)


def test_graph_health_finds_each_problem(tiny: Vault) -> None:
    report = tiny.graph_health()
    assert isinstance(report, GraphReport)
    assert report.notes == len(TINY)
    assert "orphan.md" in report.orphans
    assert "b.md" not in report.orphans and "hub.md" not in report.orphans
    assert [(i.source, i.raw) for i in report.broken] == [("a.md", "[[missing note]]")]
    assert report.broken[0].line == 3
    assert len(report.ambiguous) == 1
    amb = report.ambiguous[0]
    assert amb.source == "a.md" and sorted(amb.candidates) == ["x/dup.md", "y/dup.md"]
    assert report.hubs[0].path == "hub.md" and report.hubs[0].backlinks == 3
    assert report.hubs[1].path == "b.md" and report.hubs[1].backlinks == 2
    pairs = [(d.a, d.b) for d in report.duplicates]
    assert pairs == [("money/savings copy.md", "money/savings.md")]
    dup = report.duplicates[0]
    assert dup.text_similarity == 1.0 and dup.changed_lines == 1  # a trailing space
    assert dup.differences[0].a_lines == "3" and "delete" not in dup.advice


def test_a_copy_with_edited_lines_is_a_near_duplicate_and_the_edits_are_listed(
    make_vault: Callable[..., Vault],
) -> None:
    lines = [f"Step {i}: check the {w} before the flight." for i, w in enumerate(PARTS, 1)]
    edited = list(lines)
    for i in (3, 8, 12, 17, 21):  # five changed lines
        edited[i] = f"Step {i + 1}: replace the {PARTS[i]} if it is worn."
    vault = make_vault(
        {"checklist.md": "\n".join(lines) + "\n", "checklist old.md": "\n".join(edited) + "\n"}
    )
    [dup] = vault.graph_health().duplicates
    assert (dup.a, dup.b) == ("checklist old.md", "checklist.md")
    assert 0.5 <= dup.text_similarity < 1.0 and dup.changed_lines == 5
    first = dup.differences[0]
    assert first.a_lines == first.b_lines == "4"
    assert "replace the" in first.a_text and "check the" in first.b_text


def test_notes_that_merely_share_a_topic_are_not_duplicates(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(
        {
            "a.md": f"# Savings\n\n{ESSAY}\n",
            "b.md": "# Saving\n\nInterest on savings compounds; save early, even small amounts.\n",
        }
    )
    assert vault.graph_health().duplicates == []


def test_suggestion_report_is_read_only_and_readable(tiny: Vault) -> None:
    before = {p: (tiny.root / p).read_text() for p in TINY}
    report = suggest_links_for_vault(tiny, limit_per_note=2)
    assert isinstance(report, LinkSuggestionReport)
    assert report.notes_checked == len(TINY)
    by_path = {s.path: s for s in report.suggestions}
    assert all(len(s.related) <= 2 for s in report.suggestions)
    assert by_path["money/savings.md"].related[0].path == "money/savings copy.md"
    text = report.markdown()
    assert text.startswith("# Link suggestions (10 notes checked)")
    assert re.search(r"see also \[\[savings copy\]\] \(\d{1,3}%\)", text)
    strict = suggest_links_for_vault(tiny, limit_per_note=2, min_score=1.01)
    assert not any(s.related for s in strict.suggestions)  # nothing is that sure
    assert {p: (tiny.root / p).read_text() for p in TINY} == before


def test_cli_graph_related_mentions(tiny: Vault, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from vault_cli.main import main

    root = str(tiny.root)
    tiny.close()  # the CLI opens its own writer
    assert main(["--root", root, "graph", "--orphans", "--broken", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"orphans", "broken"} and "orphan.md" in data["orphans"]
    assert main(["--root", root, "graph"]) == 0
    out = capsys.readouterr().out
    assert "orphans" in out and "[[missing note]]" in out and "savings copy.md" in out
    assert main(["--root", root, "related", "money/savings.md", "--limit", "1", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["path"] == "money/savings copy.md"
    assert main(["--root", root, "related", "Savings", "--limit", "2"]) == 0
    shown = capsys.readouterr().out
    assert "1. [[" in shown and re.search(r"\(\d{1,3}%\)", shown)  # with its confidence
    (tiny.root / "orphan.md").write_text("# Orphan\n\nThe hub is elsewhere.\n")
    assert main(["--root", root, "index"]) == 0
    capsys.readouterr()
    assert main(["--root", root, "mentions", "orphan.md", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [(m["text"], m["target"], m["line"]) for m in found] == [("hub", "hub.md", 3)]
