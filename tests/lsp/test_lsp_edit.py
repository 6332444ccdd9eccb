"""Features that change things, through a real `vault-lsp` subprocess: diagnostics that appear
and clear, code actions whose edits give the expected text, rename across the vault, and
didSave making a new note searchable."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lsp_support import (
    apply_text_edits,
    apply_workspace_edit,
    lsp_client,
    open_doc,
    position_of,
    uri,
)
from lsprotocol import types
from poll import await_for
from pytest_lsp import LanguageClient

# the first test of a session also builds the shared index (minutes on a busy 2-core box)
pytestmark = pytest.mark.timeout(900)


async def _ready(c: LanguageClient) -> bool:
    status = await c.protocol.send_request_async("nvault/status", {})
    return bool(status and status.notes >= 200)


def _codes(client: LanguageClient, doc: str) -> set[str]:
    return {str(d.code) for d in client.diagnostics.get(doc, [])}


def _change(client: LanguageClient, doc: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def _actions(client: LanguageClient, doc: str, rng: types.Range) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            range=rng,
            context=types.CodeActionContext(diagnostics=list(client.diagnostics.get(doc, []))),
        )
    )
    return [a for a in result or [] if isinstance(a, types.CodeAction)]


def _line_range(line: int, start: int = 0, end: int = 0) -> types.Range:
    return types.Range(
        start=types.Position(line=line, character=start),
        end=types.Position(line=line, character=end),
    )


async def test_diagnostics_appear_and_clear(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = "# Scratch\n\nSee [[No Such Note Qq]] and [[Architecture]].\n"
        doc = open_doc(client, root, "docs/Scratch diag.md", text)
        await await_for(lambda: {"broken-link", "ambiguous-link"} <= _codes(client, doc))
        broken = next(d for d in client.diagnostics[doc] if d.code == "broken-link")
        assert broken.range.start == types.Position(line=2, character=4)
        _change(client, doc, "# Scratch\n\nSee [[Command Palette]].\n", 2)
        await await_for(lambda: not {"broken-link", "ambiguous-link"} & _codes(client, doc))


async def test_see_also_hint_names_unlinked_related_notes(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        rel = "docs/Architecture.md"
        text = (root / rel).read_text(encoding="utf-8")
        doc = open_doc(client, root, rel, text)
        await await_for(lambda: "related-not-linked" in _codes(client, doc))
        hint = next(d for d in client.diagnostics[doc] if d.code == "related-not-linked")
        assert hint.severity == types.DiagnosticSeverity.Information
        assert re.match(r"\d related notes? not linked: ", hint.message)
        targets = re.findall(r"\[\[([^\]|#]+)", text)  # path-suffix links, as Obsidian resolves
        paths = hint.data["paths"]
        assert paths and not [p for p in paths for t in targets if p.endswith(f"/{t}.md")]


async def test_code_actions_produce_the_expected_text(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    async with lsp_client(root, via="cli") as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = "# Scratch\n\nSee [[No Such Note Qq]] and [[Architecture]].\n\n## Quokka facts\nQuokkas are small marsupials.\n"
        doc = open_doc(client, root, "docs/Scratch actions.md", text)
        await await_for(lambda: "broken-link" in _codes(client, doc))

        actions = await _actions(client, doc, _line_range(2, 6))
        create = next(a for a in actions if a.title.startswith("Create note"))
        apply_workspace_edit(create.edit)
        assert (root / "docs/No Such Note Qq.md").read_text(
            encoding="utf-8"
        ) == "# No Such Note Qq\n\n"

        actions = await _actions(client, doc, _line_range(2, 30))
        pick = next(a for a in actions if a.title == "Link to docs/Architecture.md")
        fixed = apply_workspace_edit(pick.edit, {doc: text})[doc]
        assert "and [[docs/Architecture]]." in fixed
        _change(client, doc, fixed, 2)
        await await_for(lambda: "ambiguous-link" not in _codes(client, doc))

        selection = types.Range(
            start=types.Position(line=4, character=0), end=types.Position(line=5, character=29)
        )
        actions = await _actions(client, doc, selection)
        extract = next(a for a in actions if a.kind == types.CodeActionKind.RefactorExtract)
        after = apply_workspace_edit(extract.edit, {doc: fixed})
        assert after[doc].endswith("[[Quokka facts]]\n")
        assert (root / "docs/Quokka facts.md").read_text(
            encoding="utf-8"
        ) == "# Quokka facts\n\nQuokkas are small marsupials.\n"


async def test_see_also_inserts_related_links(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    rel = "docs/Keyboard Shortcuts.md"
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = (root / rel).read_text(encoding="utf-8")
        doc = open_doc(client, root, rel)
        actions = await _actions(client, doc, _line_range(0))
        see_also = next((a for a in actions if a.title.startswith("Add see-also links")), None)
        if see_also is None:
            pytest.skip("vault.related offered nothing for this note")
        edited = apply_workspace_edit(see_also.edit, {doc: text})[doc]
        assert edited.startswith(text.rstrip("\n"))
        added = edited[len(text.rstrip("\n")) :]
        assert "## See also\n\n- [[" in added
        assert added.count("\n- [[") >= 1
        # a second run extends the same section instead of adding another
        _change(client, doc, edited, 2)
        again = await _actions(client, doc, _line_range(0))
        more = next((a for a in again if a.title.startswith("Add see-also links")), None)
        if more is not None:
            twice = apply_workspace_edit(more.edit, {doc: edited})[doc]
            assert twice.count("## See also") == 1


async def _rename_at(
    client: LanguageClient, root: Path, rel: str, needle: str, offset: int, new_name: str
) -> tuple[str, str, types.WorkspaceEdit]:
    """Open `rel`, prepare a rename `offset` characters into `needle`, then rename to `new_name`:
    the document's uri, the placeholder the server proposed, and the edit."""
    text = (root / rel).read_text(encoding="utf-8")
    doc = open_doc(client, root, rel)
    at = position_of(text, needle, offset)
    target = types.TextDocumentIdentifier(uri=doc)
    prep = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=target, position=at)
    )
    edit = await client.text_document_rename_async(
        types.RenameParams(text_document=target, position=at, new_name=new_name)
    )
    return doc, prep.placeholder, edit


async def test_rename_note_and_heading_edit_every_linking_file(
    copy_vault: Callable[[], Path],
) -> None:
    root = copy_vault()
    linking = sorted(
        p
        for p in (root / "docs").rglob("*.md")
        if "[[Command Palette]]" in p.read_text(encoding="utf-8")
    )
    assert len(linking) >= 3
    async with lsp_client(root, via="workspace") as client:
        await await_for(lambda: _ready(client), timeout=120)
        _, placeholder, edit = await _rename_at(
            client,
            root,
            "docs/Keyboard Shortcuts.md",
            "[[Command Palette]]",
            5,
            "Palette of Commands",
        )
        assert placeholder == "Command Palette"
        renames = [c for c in edit.document_changes if isinstance(c, types.RenameFile)]
        assert [(r.old_uri, r.new_uri) for r in renames] == [
            (uri(root, "docs/Command Palette.md"), uri(root, "docs/Palette of Commands.md"))
        ]
        apply_workspace_edit(edit)
        assert (root / "docs/Palette of Commands.md").is_file() and not (
            root / "docs/Command Palette.md"
        ).exists()
        for path in linking:
            path = (
                root / "docs/Palette of Commands.md" if path.name == "Command Palette.md" else path
            )
            body = path.read_text(encoding="utf-8")
            assert "[[Command Palette]]" not in body and "[[Palette of Commands]]" in body, path

        doc, placeholder, edit = await _rename_at(
            client,
            root,
            "docs/Authentication.md",
            "[[Space Manager#Boot modes]]",
            20,
            "Start-up modes",
        )
        assert placeholder == "Boot modes"
        touched = apply_workspace_edit(edit)
        assert "[[Space Manager#Start-up modes]]" in touched[doc]
        manager = (root / "docs/Space Manager.md").read_text(encoding="utf-8")
        assert "Start-up modes" in manager and "# Boot modes" not in manager


async def test_did_save_makes_a_new_note_searchable(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    rel = "docs/Quokka Habitat.md"
    async with lsp_client(root, via="cli") as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = "# Quokka Habitat\n\nThe zebrafinch quokka forages at dusk on Rottnest scrubland.\n"
        (root / rel).write_text(text, encoding="utf-8")
        doc = open_doc(client, root, rel, text)
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=doc))
        )

        async def found() -> bool:
            result = await client.protocol.send_request_async(
                "nvault/search", {"query": "zebrafinch quokka", "mode": "keyword", "limit": 3}
            )
            return bool(result.hits) and result.hits[0].path == rel

        await await_for(found, timeout=120, every=0.5)


def test_apply_text_edits_helper() -> None:
    """The test helper itself: edits apply right to left, so ranges refer to the original text."""
    edits = [
        types.TextEdit(range=_line_range(0, 0, 1), new_text="X"),
        types.TextEdit(range=_line_range(1, 1, 2), new_text="YY"),
    ]
    assert apply_text_edits("abc\ndef", edits) == "Xbc\ndYYf"


async def test_link_this_mention(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    rel = "docs/Vim.md"
    async with lsp_client(root) as client:
        await await_for(lambda: _ready(client), timeout=120)
        text = (root / rel).read_text(encoding="utf-8").rstrip(
            "\n"
        ) + "\n\nTry the Command Palette for this.\n"
        doc = open_doc(client, root, rel, text)
        last = text.rstrip("\n").count("\n")
        actions = await _actions(client, doc, _line_range(last, 10, 10))
        link = next((a for a in actions if a.title.startswith("Link this mention")), None)
        if link is None:
            pytest.skip("vault.unlinked_mentions offered nothing")
        assert "Command Palette" in link.title
        edited = apply_workspace_edit(link.edit, {doc: text})[doc]
        assert edited.split("\n")[last] == "Try the [[Command Palette]] for this."
