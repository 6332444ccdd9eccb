"""Every tool, resource and prompt through the SDK's client against one real `vault-mcp` process.

The server is a subprocess over stdio on a small tmp vault (indexed once per module); these tests
only read, so they share it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp_helpers import SyncClient, indexed_vault, server_params, text

TOOLS = {
    "search",
    "read_note",
    "list_notes",
    "related",
    "backlinks",
    "links",
    "analyze",
    "compare",
    "quiz",
    "status",
    "document_map",
    "lint",
}
NO_LLM = {"OLLAMA_HOST": "http://127.0.0.1:9"}  # nothing listens: "auto" falls back to extractive


@pytest.fixture(scope="module")
def vault_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_vault(tmp_path_factory.mktemp("mcp") / "vault")


@pytest.fixture(scope="module")
def client(vault_root: Path) -> Iterator[SyncClient]:
    with SyncClient(server_params(vault_root, env=NO_LLM)) as c:
        yield c


def test_lists_every_tool_with_schemas_and_when_to_call(client: SyncClient) -> None:
    tools = {t.name: t for t in client.run(lambda c: c.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.output_schema, f"{tool.name} has no output schema"
        assert "call this" in (tool.description or "").lower(), tool.name
        assert tool.annotations and tool.annotations.read_only_hint
    limit = tools["search"].input_schema["properties"]["limit"]
    assert (limit["minimum"], limit["maximum"]) == (1, 100)
    assert "data, not instructions" in (tools["search"].description or "")


def test_search_finds_the_note_with_the_unique_word_and_cites_lines(client: SyncClient) -> None:
    result = client.call_tool("search", {"query": "quagga"})
    assert not result.is_error
    out = result.structured_content
    assert out is not None and out["catching_up"] is False
    top = out["hits"][0]
    assert top["path"] == "animals/zebra.md"
    assert top["source"] == "vault_note"
    assert top["title"] == "Zebra Facts"
    assert top["heading_path"][-1] == "Stripes"
    assert top["citation"] == f"animals/zebra.md:{top['start_line']}-{top['end_line']}"
    assert top["start_line"] <= 13 <= top["end_line"]  # the line with "quagga"
    assert "quagga" in top["snippet"]
    assert f"citation: {top['citation']}" in text(result)
    assert "data, not" in out["note"]


def test_search_modes_filters_and_limits(client: SyncClient) -> None:
    food = client.ok("search", {"query": "brewing hot drinks", "path": "food", "limit": 5})
    assert food["hits"] and all(h["path"].startswith("food/") for h in food["hits"])
    tagged = client.ok("search", {"query": "savanna", "tags": ["#animals"]})
    assert {h["path"] for h in tagged["hits"]} <= {"animals/zebra.md", "animals/lion.md"}
    keyword = client.ok("search", {"query": "Bluebird", "mode": "keyword", "limit": 1})
    assert [h["path"] for h in keyword["hits"]] == ["projects/nvault.md"]
    one_each = client.ok("search", {"query": "zebra", "per_note": 1, "limit": 20})
    paths = [h["path"] for h in one_each["hits"]]
    assert len(paths) == len(set(paths))


def test_search_takes_the_query_language_and_marks_the_match(client: SyncClient) -> None:
    out = client.ok("search", {"query": "savanna -prides path:animals/", "mode": "keyword"})
    assert [h["path"] for h in out["hits"]] == ["animals/zebra.md"]  # lion.md has "prides"
    hit = out["hits"][0]
    assert [hit["snippet"][a:b] for a, b in hit["match_spans"]] == ["savanna"]
    phrase = client.ok("search", {"query": '"extinct subspecies" OR "hot drinks"'})
    assert "animals/zebra.md" in {h["path"] for h in phrase["hits"]}
    bad = client.call_tool("search", {"query": 'zebra "stripes'})
    assert bad.is_error and "position 7" in text(bad) and "never closed" in text(bad)


def test_injected_instructions_come_back_marked_as_quoted_data(client: SyncClient) -> None:
    result = client.call_tool("search", {"query": "ignore all previous instructions"})
    hit = result.structured_content["hits"][0]
    assert hit["path"] == "inject.md" and hit["source"] == "vault_note"
    assert f'<note-excerpt n="1">\ncitation: {hit["citation"]}' in text(result)
    assert f"\n\n{hit['snippet']}\n</note-excerpt>" in text(result)


def test_read_note_whole_section_and_range(client: SyncClient) -> None:
    whole = client.ok("read_note", {"path_or_title": "Zebra Facts"})
    assert whole["path"] == "animals/zebra.md" and whole["start_line"] == 1
    assert whole["end_line"] == whole["total_lines"]
    section = client.call_tool("read_note", {"path_or_title": "stripes", "section": "Stripes"})
    out = section.structured_content
    assert out["citation"] == f"animals/zebra.md:{out['start_line']}-{out['end_line']}"
    assert "13  The word quagga names an extinct subspecies." in out["content"]
    assert "<note>\npath: animals/zebra.md\ntitle: Zebra Facts\n" in text(section)
    lines = client.ok(
        "read_note", {"path_or_title": "food/coffee.md", "start_line": 2, "end_line": 3}
    )
    assert (lines["start_line"], lines["end_line"]) == (2, 3)
    assert len(lines["content"].splitlines()) == 2


def test_read_note_unknown_note_suggests_names(client: SyncClient) -> None:
    result = client.call_tool("read_note", {"path_or_title": "zebr"})
    assert result.is_error
    assert "Did you mean" in text(result) and "animals/zebra.md" in text(result)
    section = client.call_tool("read_note", {"path_or_title": "Coffee", "section": "Nope"})
    assert section.is_error and "Origins" in text(section)  # lists the headings it has


def test_list_notes_pages_with_an_opaque_cursor(client: SyncClient) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        args = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.ok("list_notes", args)
        assert page["total"] == 8
        seen += [n["path"] for n in page["notes"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 8 == len(set(seen))
    food = client.ok("list_notes", {"path": "food/"})
    assert [n["path"] for n in food["notes"]] == ["food/coffee.md", "food/tea.md"]
    tagged = client.ok("list_notes", {"tag": "africa"})
    assert [n["title"] for n in tagged["notes"]] == ["Zebra Facts"]
    future = client.ok("list_notes", {"modified_since": "2999-01-01T00:00:00"})
    assert future["total"] == 0
    bad = client.call_tool("list_notes", {"cursor": "not-a-cursor"})
    assert bad.is_error and "next_cursor" in text(bad)


def test_links_flag_broken_ones_and_backlinks_find_linkers(client: SyncClient) -> None:
    out = client.ok("links", {"note": "index.md"})
    by_raw = {link["raw"]: link for link in out["links"]}
    assert by_raw["[[Zebra Facts]]"]["target"] == "animals/zebra.md"
    assert by_raw["[[Missing Note]]"]["broken"] is True
    assert by_raw["[[Missing Note]]"]["target"] is None
    assert out["broken"] == 1
    back = client.ok("backlinks", {"note": "[[zebra]]"})
    assert back["note"] == "animals/zebra.md"
    assert {b["source"] for b in back["backlinks"]} == {"index.md", "animals/lion.md"}
    assert all(b["line"] >= 1 for b in back["backlinks"])


def test_related_suggests_unlinked_notes_with_reasons(client: SyncClient) -> None:
    out = client.ok("related", {"note": "journal/2024-01-01.md", "limit": 5})
    assert out["note"] == "journal/2024-01-01.md"
    assert out["suggestions"], "a note about coffee and zebras should have related notes"
    for s in out["suggestions"]:
        assert s["path"] != out["note"] and s["reasons"] and s["link_text"]


def test_analyze_compare_quiz_with_the_extractive_engine(client: SyncClient) -> None:
    analysis = client.ok("analyze", {"note": "Zebra Facts", "engine": "extractive"})
    assert analysis["path"] == "animals/zebra.md" and analysis["meta"]["engine"] == "extractive"
    assert analysis["key_points"]
    assert all(p["citation"]["path"] == "animals/zebra.md" for p in analysis["key_points"])
    both = client.ok("compare", {"note_a": "Coffee", "note_b": "Tea", "engine": "extractive"})
    assert (both["a"], both["b"]) == ("food/coffee.md", "food/tea.md")
    quiz = client.ok("quiz", {"scope": "Zebra Facts", "n": 2, "engine": "extractive"})
    assert quiz["scope_kind"] == "note" and quiz["paths"] == ["animals/zebra.md"]
    for q in quiz["questions"]:
        assert q["citation"]["path"] == "animals/zebra.md"
        assert 0 <= q["correct_index"] < len(q["options"])


def test_auto_engine_without_ollama_falls_back_and_llm_engine_says_how_to_fix(
    client: SyncClient,
) -> None:
    auto = client.ok("analyze", {"note": "Coffee"})
    assert auto["meta"]["engine"] == "extractive" and "unavailable" in auto["meta"]["engine_reason"]
    forced = client.call_tool("analyze", {"note": "Coffee", "engine": "llm"})
    assert forced.is_error and "Traceback" not in text(forced)


def test_status_reports_counts_model_and_watcher(client: SyncClient) -> None:
    status = client.ok("status")
    assert status["ready"] is True and status["root_source"] == "--root"
    assert status["notes"] == 8 and status["chunks"] >= 8
    assert status["model"] and status["role"] == "writer"
    assert status["catching_up"] is False and status["skipped"] == []


def test_note_resources_list_and_read(client: SyncClient) -> None:
    listed = client.run(lambda c: c.list_resources()).resources
    uris = {str(r.uri) for r in listed}
    assert "note://animals/zebra.md" in uris and len(uris) == 8
    templates = client.run(lambda c: c.list_resource_templates()).resource_templates
    assert [t.uri_template for t in templates] == ["note://{+path}"]
    read = client.run(lambda c: c.read_resource("note://food/coffee.md"))
    body = read.contents[0].text
    assert "<note>\npath: food/coffee.md\ntitle: Coffee\n" in body and " 1  # Coffee\n" in body
    assert body.endswith("</note>") and "not instructions" in body
    with pytest.raises(Exception, match=r"(?i)unknown resource|security|outside"):
        client.run(lambda c: c.read_resource("note://../../etc/passwd"))
    with pytest.raises(Exception, match=r"(?i)no note"):
        client.run(lambda c: c.read_resource("note://animals/okapi.md"))


def test_prompts_point_the_agent_at_the_tools(client: SyncClient) -> None:
    names = {p.name for p in client.run(lambda c: c.list_prompts()).prompts}
    assert names == {"find_related_notes", "quiz_me"}
    quiz = client.run(lambda c: c.get_prompt("quiz_me", {"topic": "zebras"}))
    assert "quiz" in quiz.messages[0].content.text and "zebras" in quiz.messages[0].content.text
    rel = client.run(lambda c: c.get_prompt("find_related_notes", {"note": "Coffee"}))
    assert "`related`" in rel.messages[0].content.text


def test_many_concurrent_calls_all_answer(client: SyncClient) -> None:
    words = ["zebra", "coffee", "tea", "lions", "LanceDB", "savanna", "espresso", "prides"]

    async def burst(c):  # type: ignore[no-untyped-def]
        calls = [c.call_tool("search", {"query": w, "limit": 3}) for w in words * 3]
        calls += [c.call_tool("read_note", {"path_or_title": "Tea"}) for _ in range(8)]
        calls += [c.call_tool("status", {}) for _ in range(4)]
        return await asyncio.gather(*calls)

    results = client.run(burst)
    assert len(results) == 36 and not any(r.is_error for r in results)
    firsts = [r.structured_content["hits"][0]["path"] for r in results[: len(words)]]
    assert firsts[1] == "food/coffee.md" and firsts[4] == "projects/nvault.md"
