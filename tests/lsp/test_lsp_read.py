"""Read-only features through a real `vault-lsp` subprocess on the indexed silverbullet-docs vault:
hover, completion ranking, definition, references, symbols and the nvault/* requests."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lsp_support import complete_at_end, hover, hover_text_on, open_doc, position_of, uri
from lsprotocol import types
from poll import await_for
from pygls.uris import to_fs_path
from pytest_lsp import LanguageClient

# the first test of a session also builds the shared index (minutes on a busy 2-core box)
pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(900)]


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z]{4,}", text)


async def test_status_reports_the_index(client: LanguageClient, shared_vault: Path) -> None:
    status = await client.protocol.send_request_async("nvault/status", {})
    assert Path(status.root) == shared_vault.resolve()
    assert status.notes >= 200 and status.chunks > status.notes
    assert status.model == "all-MiniLM-L6-v2-int8"
    assert status.indexing.chunks_embedded == status.indexing.chunks_total == status.chunks


async def test_progress_reports_the_finished_index(client: LanguageClient) -> None:
    # the index was complete before the server started: one "up to date" report still arrives
    reports = await await_for(lambda: client.nvault_progress, timeout=30)  # type: ignore[attr-defined]
    final = await await_for(lambda: [r for r in reports if not r.active and r.total], timeout=30)
    last = final[-1]
    # up to date: every file read and every chunk embedded, and it says so
    assert last.notes >= 200 and last.done == last.total >= last.notes
    assert last.chunksEmbedded == last.chunksTotal > last.notes and "embedding" not in last.phase


async def test_hover_on_link_shows_title_summary_and_counts(
    client: LanguageClient, shared_vault: Path
) -> None:
    value = await hover_text_on(
        client, shared_vault, "docs/Keyboard Shortcuts.md", "[[Command Palette]]", 4
    )
    target = (shared_vault / "docs/Command Palette.md").read_text(encoding="utf-8")
    assert "**Command Palette**" in value and "docs/Command Palette.md" in value
    assert re.search(r"\d+ backlinks", value)
    # a summary drawn from the note's own words, not the raw file
    body = value.split("\n\n")[1]
    assert len(_words(body)) >= 5
    assert sum(w in target for w in _words(body)) >= 0.8 * len(_words(body))
    assert len(value) < len(target) and target.strip() not in value


async def test_hover_on_heading_link_shows_section_start(
    client: LanguageClient, shared_vault: Path
) -> None:
    value = await hover_text_on(
        client, shared_vault, "docs/Authentication.md", "[[Space Manager#Boot modes]]", 5
    )
    target_lines = (shared_vault / "docs/Space Manager.md").read_text(encoding="utf-8").split("\n")
    line = next(i + 1 for i, t in enumerate(target_lines) if re.match(r"#+\s+Boot modes", t))
    assert f"**Boot modes** (line {line})" in value


async def test_hover_off_a_link_is_empty(client: LanguageClient, shared_vault: Path) -> None:
    doc = open_doc(client, shared_vault, "docs/Authentication.md")
    assert await hover(client, doc, types.Position(line=0, character=0)) is None


async def test_completion_ranks_the_paragraph_topic_first(
    client: LanguageClient, shared_vault: Path
) -> None:
    para = (
        "Keyboard shortcuts: every command can be bound to a key, and the palette lists the "
        "assigned key bindings so you can customise them per command. See [["
    )
    doc = open_doc(client, shared_vault, "docs/Scratch completion.md", para)
    first = (await complete_at_end(client, doc, para))[0]
    assert first.detail.startswith("docs/Keyboard Shortcuts.md")
    assert "related to this paragraph" in first.detail
    assert first.text_edit.new_text.endswith("]]")
    # typed text filters: only names matching "comm pal" style fuzzy input remain, best first
    typed = para + "Command Pal"
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=typed)],
        )
    )
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=types.Position(line=0, character=len(typed)),
        )
    )
    items = sorted(result.items, key=lambda i: i.sort_text or "")
    assert items[0].label == "Command Palette"
    assert items[0].text_edit.new_text == "Command Palette]]"


async def test_completion_of_headings_and_tags(client: LanguageClient, shared_vault: Path) -> None:
    text = "Read [[Space Manager#\nand #meta/"
    doc = open_doc(client, shared_vault, "docs/Scratch anchors.md", text)
    headings = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=types.Position(line=0, character=21),
        )
    )
    assert "Boot modes" in [i.label for i in headings.items]
    tags = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=types.Position(line=1, character=10),
        )
    )
    assert tags.items and all(i.label.startswith("meta/") for i in tags.items[:3])


async def test_definition_goes_to_the_heading(client: LanguageClient, shared_vault: Path) -> None:
    rel = "docs/Authentication.md"
    text = (shared_vault / rel).read_text(encoding="utf-8")
    doc = open_doc(client, shared_vault, rel)
    locations = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=position_of(text, "[[Space Manager#Boot modes]]", 4),
        )
    )
    assert len(locations) == 1
    target_lines = (shared_vault / "docs/Space Manager.md").read_text(encoding="utf-8").split("\n")
    assert locations[0].uri == uri(shared_vault, "docs/Space Manager.md")
    assert re.match(r"#+\s+Boot modes", target_lines[locations[0].range.start.line])


async def test_references_are_the_backlinks(client: LanguageClient, shared_vault: Path) -> None:
    rel = "docs/Command Palette.md"
    doc = open_doc(client, shared_vault, rel)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=types.Position(line=0, character=0),
            context=types.ReferenceContext(include_declaration=False),
        )
    )
    linking = {
        uri(shared_vault, p.relative_to(shared_vault).as_posix())
        for p in (shared_vault / "docs").rglob("*.md")
        if "[[Command Palette]]" in p.read_text(encoding="utf-8")
    }
    assert linking and linking <= {r.uri for r in refs}
    for ref in refs:
        line = (
            Path(to_fs_path(ref.uri)).read_text(encoding="utf-8").split("\n")[ref.range.start.line]
        )
        assert "Command Palette" in line[ref.range.start.character : ref.range.end.character]


async def test_document_and_workspace_symbols(client: LanguageClient, shared_vault: Path) -> None:
    doc = open_doc(client, shared_vault, "docs/Space Manager.md")
    symbols = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(text_document=types.TextDocumentIdentifier(uri=doc))
    )
    names = []

    def walk(items: list[types.DocumentSymbol]) -> None:
        for s in items:
            names.append(s.name)
            walk(s.children or [])

    walk(symbols)
    assert "Boot modes" in names
    found = await client.workspace_symbol_async(
        types.WorkspaceSymbolParams(query="command palette")
    )
    assert found[0].name == "Command Palette"


async def test_nvault_search_and_related(client: LanguageClient, shared_vault: Path) -> None:
    result = await client.protocol.send_request_async(
        "nvault/search", {"query": "keyboard shortcuts", "mode": "hybrid", "limit": 5}
    )
    # the index is complete, so the answer must not claim to be catching up
    assert result.hits and result.catching_up is False
    hit = result.hits[0]
    assert hit.uri.startswith("file://") and hit.path.endswith(".md") and hit.start_line >= 1
    assert Path(to_fs_path(hit.uri)) == (shared_vault / hit.path).resolve()
    text = (shared_vault / hit.path).read_text(encoding="utf-8")
    assert all(heading in text for heading in hit.heading_path)  # headings of that very note
    assert {"keyboard", "shortcuts"} & set(_words(hit.snippet.casefold()))
    related = await client.protocol.send_request_async(
        "nvault/related", {"uri": uri(shared_vault, "docs/Command Palette.md"), "limit": 3}
    )
    assert 1 <= len(related.items) <= 3, "Command Palette has related notes in this corpus"
    for item in related.items:
        assert (
            item.path != "docs/Command Palette.md"
            and item.link_text
            and item.uri.startswith("file://")
        )


async def test_nvault_search_takes_the_query_language_and_applies_the_floor(
    client: LanguageClient,
) -> None:
    only = await client.protocol.send_request_async(
        "nvault/search", {"query": '"command palette" path:docs/', "mode": "keyword"}
    )
    assert only.hits and all(h.path.startswith("docs/") for h in only.hits)
    hit = only.hits[0]
    marked = [hit.snippet[a:b].casefold() for a, b in hit.match_spans]
    assert marked and all("command" in w or "palette" in w for w in marked)
    noise = await client.protocol.send_request_async(
        "nvault/search", {"query": "%%% ### !!!", "mode": "hybrid"}
    )
    assert list(noise.hits) == [] and "Nothing in the notes matches" in noise.message
    bad = await client.protocol.send_request_async("nvault/search", {"query": "palette OR"})
    assert list(bad.hits) == [] and "position 11" in bad.error


async def test_bad_input_gets_empty_answers_and_the_server_lives(
    client: LanguageClient, shared_vault: Path, tmp_path: Path
) -> None:
    bad = await client.protocol.send_request_async("nvault/search", {"limit": "lots"})
    assert list(bad.hits) == []
    assert (
        list((await client.protocol.send_request_async("nvault/related", {"uri": 42})).items) == []
    )
    outside = tmp_path / "elsewhere.md"
    outside.write_text("See [[Command Palette]]", encoding="utf-8")
    out_uri = open_doc(client, tmp_path, "elsewhere.md")
    elsewhere = await hover(client, out_uri, types.Position(line=0, character=7))
    assert elsewhere is None or "Command Palette" in elsewhere.contents.value
    huge = "x" * 300_000 + " [[Command Palette]]"
    huge_uri = open_doc(client, shared_vault, "docs/Huge.md", huge + "\n\x00\x01binary")
    await hover(client, huge_uri, types.Position(line=0, character=300_005))
    # still answering
    assert (await client.protocol.send_request_async("nvault/status", {})).notes >= 200
