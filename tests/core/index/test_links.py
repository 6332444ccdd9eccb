"""Resolution with Obsidian's rules: case, path, alias, title, nearest wins, ambiguity reported."""

from __future__ import annotations

from vault_core.index.catalog import NoteRecord
from vault_core.index.link_graph import LinkGraph
from vault_core.parse.markdown import NoteMeta, parse_note


def graph(files: dict[str, str]) -> LinkGraph:
    """The link graph of these notes, their records built from the parse as the indexer does."""
    records = []
    for path, text in files.items():
        note = parse_note(text, path)
        records.append(
            NoteRecord(path=path, **{f: getattr(note, f) for f in NoteMeta.model_fields})
        )
    return LinkGraph(records)


FILES = {
    "Index.md": "# Index\n[[alpha]] [[Beta Note]] [[projects/alpha]] [[nickname]] [[Gamma Title]] "
    "[[missing]] [[alpha#Details]] [[alpha#Nope]] [[alpha#^b1]] [[paper.pdf]] [x](projects/alpha.md)",
    "Alpha.md": "# Alpha\n## Details\nline ^b1\n",
    "projects/alpha.md": "# Project alpha\n[[Index]]\n",
    "Beta Note.md": "---\naliases: [nickname]\n---\n# Beta\n",
    "g.md": "# Gamma Title\n",
    "paper.pdf": "",
}


def test_resolution_order_and_forms() -> None:
    g = graph(FILES)
    res = {r.link.raw: r for r in g.outgoing("Index.md")}
    assert (
        res["[[alpha]]"].target == "Alpha.md"
    )  # root folder (nearest) wins over projects/alpha.md
    assert res["[[alpha]]"].ambiguous and res["[[alpha]]"].candidates == [
        "Alpha.md",
        "projects/alpha.md",
    ]
    assert res["[[Beta Note]]"].target == "Beta Note.md"
    assert res["[[projects/alpha]]"].target == "projects/alpha.md"
    assert not res["[[projects/alpha]]"].ambiguous
    assert res["[[nickname]]"].target == "Beta Note.md"
    assert res["[[Gamma Title]]"].target == "g.md"
    assert res["[[missing]]"].broken
    assert res["[[alpha#Details]]"].heading_found
    assert not res["[[alpha#Nope]]"].heading_found
    assert res["[[alpha#^b1]]"].heading_found
    assert res["[[paper.pdf]]"].target == "paper.pdf"
    assert res["[x](projects/alpha.md)"].target == "projects/alpha.md"


def test_nearest_folder_wins_for_the_linking_note() -> None:
    g = graph({**FILES, "projects/other.md": "[[alpha]]"})
    (res,) = g.outgoing("projects/other.md")
    assert res.target == "projects/alpha.md" and res.ambiguous


def test_backlinks_broken_and_shortest_link() -> None:
    g = graph(FILES)
    assert {r.source for r in g.backlinks("Index.md")} == {"projects/alpha.md"}
    assert {r.link.raw for r in g.broken()} == {"[[missing]]"}
    assert g.shortest_link_text("Beta Note.md") == "Beta Note"
    assert g.shortest_link_text("projects/alpha.md") == "projects/alpha"
    assert g.neighbours("projects/alpha.md") == {"Index.md"}
