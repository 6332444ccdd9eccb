"""The one location model and the hit's wire views (vault_core/wire.py): one citation format for
every kind of passage, and each view leaving out of output and schema what its reader never gets."""

from __future__ import annotations

from vault_core.results import NoteContent
from vault_core.study.models import Citation
from vault_core.wire import AgentHit, EditorHit, Location, Passage, RelatedPassage, SearchHit


def hit(**where: object) -> SearchHit:
    fields = {"path": "a.md", "title": "A", "start_line": 3, "end_line": 5, "snippet": "s"}
    return SearchHit.model_validate({**fields, "score": 0.5, "similarity": 0.123456, **where})


def test_one_citation_format_for_every_passage() -> None:
    assert Location(path="a.md", start_line=3, end_line=5).citation == "a.md:3-5"
    assert Location(path="a.md", start_line=3, end_line=3).citation == "a.md:3"
    assert Location(path="a.md", start_line=0, end_line=0).citation == "a.md"
    assert Passage(path="p.pdf", start_line=1, end_line=9, page=3).citation == "p.pdf p. 3"
    sheet = Passage(path="b.xlsx", start_line=0, end_line=0, sheet="Q3", row_start=2, row_end=9)
    assert sheet.citation == "b.xlsx [Sheet: Q3] rows 2-9"
    quote = Citation(path="a.md", start_line=7, end_line=7, quote="x")
    related = RelatedPassage(
        path="a.md", start_line=3, end_line=5, snippet="s", similarity=0.5,
        source_start_line=1, source_end_line=2,
    )  # fmt: skip
    read = NoteContent(path="a.md", title="A", start_line=3, end_line=5, total_lines=9, text="")
    assert (quote.citation, related.citation, read.location.citation) == (
        "a.md:7",
        "a.md:3-5",
        "a.md:3-5",
    )
    assert hit(page=2).citation == "a.md p. 2"


def test_wire_fields_keep_their_names_and_order() -> None:
    """What the study tools and related() send is unchanged by extending Location."""
    assert list(Citation.model_fields) == ["path", "start_line", "end_line", "quote"]
    assert list(RelatedPassage.model_fields)[:5] == [
        "path",
        "start_line",
        "end_line",
        "heading_path",
        "snippet",
    ]


def test_agent_hit_carries_its_citation_and_leaves_out_ranks_and_rows() -> None:
    sent = AgentHit.of(hit(ranks={"keyword": 1}, row_start=2, row_end=4)).model_dump()
    assert sent["citation"] == "a.md rows 2-4" and sent["source"] == "vault_note"
    assert sent["similarity"] == 0.1235
    assert not {"ranks", "row_start", "row_end"} & set(sent)
    schema = AgentHit.model_json_schema()["properties"]
    assert "citation" in schema and not {"ranks", "row_start", "row_end"} & set(schema)


def test_editor_hit_is_what_the_extension_reads_plus_the_uri() -> None:
    sent = EditorHit.of(hit(page=4, ranks={"semantic": 2}), "file:///v/a.md").model_dump()
    expected = {"path", "uri", "title", "heading_path", "start_line", "end_line", "snippet"}
    assert set(sent) == expected | {"score", "match_spans", "also_at"}
    assert set(EditorHit.model_json_schema()["properties"]) == set(sent)
    assert set(EditorHit.model_json_schema()["required"]) == set(sent)  # always sent
