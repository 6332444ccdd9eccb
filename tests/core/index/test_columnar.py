"""The columnar catalog: records round-trip through the `notes` table, decode lazily to what
the eager decoding gives, change copy-on-write, and follow renames and deletes."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from vault_core.index.catalog import NoteFacts, NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.name_table import NameTable
from vault_core.parse.markdown import Block, Heading, Link
from vault_core.store.store import Store
from vault_core.vault import Vault

FULL = NoteRecord(
    path="topics/Full note.md",
    kind="note",
    sha256="ab" * 32,
    mtime=1700000000.25,
    size=1234,
    chunk_count=3,
    error="",
    indexed_at=1700000001.5,
    title="Full note",
    aliases=["full", "Fully"],
    tags=["a/b", "c"],
    headings=[Heading(level=1, text="Full note", line=1), Heading(level=2, text="Part", line=5)],
    blocks=[Block(id="b1", line=7)],
    links=[
        Link(
            kind="wiki",
            target="Other",
            heading="Part",
            label="see",
            line=3,
            start_col=0,
            end_col=20,
            raw="[[Other#Part|see]]",
        ),
        Link(
            kind="wiki",
            target="img.png",
            embed=True,
            line=4,
            start_col=2,
            end_col=15,
            raw="![[img.png]]",
        ),
        Link(
            kind="markdown",
            target="../x.md",
            block="b2",
            line=8,
            start_col=0,
            end_col=17,
            raw="[x](../x.md#^b2)",
        ),
    ],
    frontmatter={"title": "Full note", "n": 3, "nested": {"k": [1, "two", None]}, "ok": True},
    warnings=["frontmatter: odd key"],
)
PLAIN = NoteRecord(path="a.md", title="a", sha256="cd" * 32, indexed_at=2.0)
BROKEN = NoteRecord(
    path="files/report.pdf", kind="attachment", title="report", error="could not be read"
)


def stored(tmp_path: Path, records: list[NoteRecord]) -> Catalog:
    """The records written to a real `notes` table and read back as a catalog."""
    store = Store(tmp_path / "index", "test-model", 4, writer=True)
    store.upsert_notes([r.to_row() for r in records])
    table = store.notes_table()
    assert table is not None
    return Catalog(table)


def test_every_field_round_trips_through_the_table(tmp_path: Path) -> None:
    records = [FULL, PLAIN, BROKEN]
    catalog = stored(tmp_path, records)
    assert len(catalog) == 3
    assert sorted(catalog) == sorted(r.path for r in records)
    for record in records:
        back = catalog[record.path]
        for field in NoteRecord.model_fields:
            assert getattr(back, field) == getattr(record, field), field
        assert back == record
        assert back.stem == record.stem


def test_lazy_records_equal_the_eager_decoding(tmp_path: Path) -> None:
    catalog = stored(tmp_path, [FULL, PLAIN, BROKEN])
    table = Store(tmp_path / "index", "test-model", 4, writer=False).notes_table()
    assert table is not None
    eager = {row["path"]: NoteRecord.from_row(row) for row in table.to_pylist()}
    assert {p: catalog[p] for p in catalog} == eager  # one at a time, through the cache
    assert dict(catalog.items()) == eager  # a batch at a time, as whole-vault loops read it
    assert [r.path for r in catalog.values()] == list(catalog)
    assert catalog.column("chunk_count") == {p: r.chunk_count for p, r in eager.items()}
    assert catalog.column("title") == {p: r.title for p, r in eager.items()}
    facts = list(catalog.facts(frontmatter=True))  # the small fields, from the columns
    assert facts == [NoteFacts.of(eager[p]) for p in catalog]
    assert [f.frontmatter for f in catalog.facts()] == [{}, {}, {}]  # not decoded unless asked


def test_changes_are_copy_on_write_and_compact_to_the_same_catalog(tmp_path: Path) -> None:
    catalog = stored(tmp_path, [FULL, PLAIN, BROKEN])
    work = catalog.copy()
    edited = PLAIN.model_copy(update={"title": "A again", "sha256": "ef" * 32})
    added = NoteRecord(path="new.md", title="New")
    work["a.md"] = edited
    work["new.md"] = added
    del work[BROKEN.path]
    assert BROKEN.path not in work and BROKEN.path in catalog
    assert catalog["a.md"] == PLAIN and work["a.md"] == edited
    assert list(work) == [p for p in catalog if p != BROKEN.path] + ["new.md"]
    assert len(work) == 3 and len(catalog) == 3
    assert work.changed_since(catalog) == sorted(["a.md", "new.md", BROKEN.path])
    with pytest.raises(KeyError):
        del work[BROKEN.path]
    folded = work.compacted(force=True)
    assert dict(folded.items()) == dict(work.items())
    assert folded.arrow_nbytes() > 0
    work["new.md"] = added.model_copy(update={"title": "Changed after the fold"})
    assert folded["new.md"].title == "New"


def test_a_name_table_lists_every_note_a_key_names() -> None:
    paths = ["a.md", "b.md", "c.md"]
    table = NameTable(["x", "y", "x", "x"], [0, 1, 2, 0], paths)
    assert table.get("x") == ["a.md", "c.md", "a.md"]  # insertion order, repeats kept
    assert table.get("y") == ["b.md"] and table.get("z") == [] and table.get("z", ["-"]) == ["-"]
    assert "y" in table and "z" not in table and 1 not in table
    assert sorted(table.values()) == [["a.md", "c.md", "a.md"], ["b.md"]]
    empty = NameTable([], [], paths)
    assert empty.get("x") == [] and list(empty.values()) == []


def test_a_catalog_of_records_built_in_process() -> None:
    catalog = Catalog.from_records([PLAIN, FULL])
    assert list(catalog) == ["a.md", FULL.path]
    assert catalog[FULL.path] is FULL  # kept as given until folded into columns
    assert catalog.get("missing.md") is None
    assert "missing.md" not in catalog and 3 not in catalog


NOTES = {
    "Index.md": "# Index\n\nSee [[Old name]] and [[deep/Old name]] and [x](deep/Old%20name.md).\n",
    "deep/Old name.md": "---\naliases: [the old one]\n---\n# Topic\n\nbody\n",
    "Other.md": "# Other\n\n[[the old one]]\n",
}


def test_graph_follows_a_rename_and_a_delete(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(NOTES)
    graph = vault.graph
    old = "deep/Old name.md"
    assert {r.source for r in graph.backlinks(old)} == {"Index.md", "Other.md"}
    assert graph.candidates("deep/old name") == [old]

    (vault.root / "moved").mkdir()
    shutil.move(vault.root / old, vault.root / "moved" / "New name.md")
    vault.sync()
    graph = vault.graph
    new = "moved/New name.md"
    assert old not in vault.catalog and new in vault.catalog
    assert graph.backlinks(old) == []
    assert graph.candidates("Old name") == [] and graph.candidates("deep/old name") == []
    assert graph.candidates("New name") == [new] and graph.candidates("moved/new name") == [new]
    assert graph.candidates("the old one") == [new]  # the alias moved with the note
    assert {r.source for r in graph.backlinks(new)} == {"Other.md"}
    assert graph.linking_notes(new) == ["Other.md"] and graph.neighbours(new) == {"Other.md"}
    assert {r.link.target for r in graph.broken()} == {
        "Old name",
        "deep/Old name",
        "deep/Old name.md",
    }

    (vault.root / new).unlink()
    vault.sync()
    graph = vault.graph
    assert new not in vault.catalog and len(vault.catalog) == 2
    assert graph.candidates("New name") == [] and graph.candidates("the old one") == []
    assert graph.backlinks(new) == []
    assert graph.neighbours("Other.md") == set()
    assert "[[the old one]]" in {r.link.raw for r in graph.broken()}


HEADED = {
    "plain.md": ["Boot modes", "Setup and tests"],
    "german.md": ["Straße und Wege", "Café au lait"],
    "quoted.md": ['Say "hi" to C:\\path', "tab\there"],
    "levels.md": ["Level up", "Deadline"],
    "none.md": [],
}


def test_heading_lists_picks_every_note_a_query_can_match(tmp_path: Path) -> None:
    """The Arrow pre-filter over the headings' JSON may pick too many notes, never too few:
    non-ASCII text (stored escaped), quotes, backslashes and tabs included."""
    records = [
        NoteRecord(
            path=path,
            title=path,
            headings=[Heading(level=2, text=t, line=k + 1) for k, t in enumerate(texts)],
        )
        for path, texts in HEADED.items()
    ]
    catalog = stored(tmp_path, records)
    every = dict(catalog.heading_lists())
    assert every == {r.path: r.headings for r in records}
    queries = ["boot", "strasse", "straße", "café", "é", "au lait", 'say "hi', "c:\\path", "t"]
    queries += ["\t", "tab\the", "level", "text", "line", "up", "zzz", "Ü"]
    for q in queries:
        q = q.casefold()
        wanted = {p for p, hs in every.items() if any(q in h.text.casefold() for h in hs)}
        picked = dict(catalog.heading_lists(containing=q))
        assert wanted <= picked.keys(), q
        assert all(picked[p] == every[p] for p in picked)
    assert set(dict(catalog.heading_lists(containing="boot"))) == {"plain.md", "german.md"}
    work = catalog.copy()  # a note changed since the read is always looked at
    work["new.md"] = NoteRecord(
        path="new.md", title="New", headings=[Heading(level=1, text="Boot", line=1)]
    )
    del work["plain.md"]
    assert set(dict(work.heading_lists(containing="boot"))) == {"german.md", "new.md"}
