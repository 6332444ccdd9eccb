"""Issue 15 through a real `vault-lsp` subprocess (pytest-lsp): section headings rename and
reference as headings, GitHub slug anchors agree across definition/hover/diagnostics/links,
documentLink, foldingRange, workspace symbols over headings, `](` path completion, safe names
for 'create note from selection', the graph current right after a rename, and the root fallback."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from lsp_support import (
    apply_workspace_edit,
    lsp_client,
    open_doc,
    open_when_ready,
    position_of,
    uri,
    vault_ready,
)
from lsprotocol import types
from poll import await_for
from pytest_lsp import LanguageClient

pytestmark = pytest.mark.timeout(900)

LINKER = """# Linker

Section link [[Keyboard Shortcuts#Modifier keys]] and by slug [m](Keyboard%20Shortcuts.md#modifier-keys).
The whole note: [[Keyboard Shortcuts]].
Slug anchor [Boot modes](Space%20Manager.md#boot-modes) and a bad one [x](Space%20Manager.md#no-such-heading).
Path: [y](./
Deeper: [z](Install/
"""


def _doc(u: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=u)


@contextlib.asynccontextmanager
async def _with_linker(
    copy_vault: Callable[[], Path],
) -> AsyncIterator[tuple[Path, LanguageClient, str]]:
    """A fresh vault copy with docs/Linker.md (LINKER) written and open: (root, client, its URI)."""
    root = copy_vault()
    (root / "docs/Linker.md").write_text(LINKER, encoding="utf-8")
    async with lsp_client(root) as client:
        _, linker = await open_when_ready(client, root, "docs/Linker.md")
        yield root, client, linker


async def test_section_heading_rename_and_references(copy_vault: Callable[[], Path]) -> None:
    async with _with_linker(copy_vault) as (root, client, linker):
        rel = "docs/Keyboard Shortcuts.md"
        text, shortcuts = await open_when_ready(client, root, rel)
        at = position_of(text, "# Modifier keys", 4)

        refs = await client.text_document_references_async(
            types.ReferenceParams(
                text_document=_doc(shortcuts),
                position=at,
                context=types.ReferenceContext(include_declaration=False),
            )
        )
        assert {(r.uri, r.range.start.line) for r in refs} == {(linker, 2)}
        assert len(refs) == 2  # the two links to the section, not the note's backlinks

        prep = await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=_doc(shortcuts), position=at)
        )
        assert prep.placeholder == "Modifier keys"
        edit = await client.text_document_rename_async(
            types.RenameParams(text_document=_doc(shortcuts), position=at, new_name="Key modifiers")
        )
        assert not [c for c in edit.document_changes if isinstance(c, types.RenameFile)]
        assert {c.text_document.uri for c in edit.document_changes} == {linker, shortcuts}
        touched = apply_workspace_edit(edit)
        assert (
            "# Key modifiers" in touched[shortcuts] and "# Modifier keys" not in touched[shortcuts]
        )
        assert (
            "[[Keyboard Shortcuts#Key modifiers]]" in touched[linker]
            and "[m](Keyboard%20Shortcuts.md#key-modifiers)" in touched[linker]
            and "The whole note: [[Keyboard Shortcuts]]." in touched[linker]
        )
        assert (root / rel).is_file()

        # renaming from a link's fragment renames the heading too, never the file
        at = position_of(LINKER, "#boot-modes", 3)
        prep = await client.text_document_prepare_rename_async(
            types.PrepareRenameParams(text_document=_doc(linker), position=at)
        )
        assert prep.placeholder == "Boot modes"


async def test_slug_anchors_agree_across_features(copy_vault: Callable[[], Path]) -> None:
    async with _with_linker(copy_vault) as (root, client, linker):
        manager = uri(root, "docs/Space Manager.md")
        boot_line = (
            (root / "docs/Space Manager.md")
            .read_text(encoding="utf-8")
            .split("\n")
            .index("# Boot modes")
        )
        at = position_of(LINKER, "[Boot modes]", 3)
        found = await client.text_document_definition_async(
            types.DefinitionParams(text_document=_doc(linker), position=at)
        )
        assert [(d.uri, d.range.start.line) for d in found] == [(manager, boot_line)]
        hover = await client.text_document_hover_async(
            types.HoverParams(text_document=_doc(linker), position=at)
        )
        assert "§ **Boot modes**" in hover.contents.value

        diags = await await_for(lambda: client.diagnostics.get(linker), timeout=60)
        missing = [d for d in diags if d.code == "missing-anchor"]
        assert [d.range.start.line for d in missing] == [4] and len(missing) == 1
        assert "no-such-heading" in missing[0].message

        links = await client.text_document_document_link_async(
            types.DocumentLinkParams(text_document=_doc(linker))
        )
        targets = {(ln.range.start.line, ln.range.start.character): ln.target for ln in links}
        slug_col = LINKER.split("\n")[4].index("[Boot modes]")
        assert targets[(4, slug_col)] == f"{manager}#L{boot_line + 1}"
        assert targets[(3, LINKER.split("\n")[3].index("[[Keyboard"))] == uri(
            root, "docs/Keyboard Shortcuts.md"
        )


async def test_folding_symbols_and_path_completion(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    (root / "docs/Linker.md").write_text(LINKER, encoding="utf-8")
    async with lsp_client(root) as client:
        await await_for(lambda: vault_ready(client), timeout=120)
        rel = "docs/Keyboard Shortcuts.md"
        lines = (root / rel).read_text(encoding="utf-8").split("\n")
        shortcuts = open_doc(client, root, rel)
        folds = await client.text_document_folding_range_async(
            types.FoldingRangeParams(text_document=_doc(shortcuts))
        )
        spans = {(f.start_line, f.end_line, f.kind) for f in folds}
        assert (0, lines.index("---", 1), "imports") in spans  # frontmatter
        heading = lines.index("# Modifier keys")
        assert any(s == heading and k == "region" and e > heading + 3 for s, e, k in spans)
        fence = next(i for i, line in enumerate(lines) if line.startswith("```"))
        assert any(s == fence and lines[e].startswith("```") for s, e, _ in spans)

        symbols = await client.workspace_symbol_async(
            types.WorkspaceSymbolParams(query="Boot modes")
        )
        headings = [
            s for s in symbols if s.kind == types.SymbolKind.String and s.name == "Boot modes"
        ]
        assert [h.location.uri for h in headings] == [uri(root, "docs/Space Manager.md")]

        linker = open_doc(client, root, "docs/Linker.md")
        lines = LINKER.split("\n")
        for line, wanted in ((5, {"Install/", "Linker.md"}), (6, {"Configuration.md"})):
            result = await client.text_document_completion_async(
                types.CompletionParams(
                    text_document=_doc(linker),
                    position=types.Position(line=line, character=len(lines[line])),
                )
            )
            labels = {item.label for item in result.items}
            assert wanted <= labels, (line, sorted(labels)[:20])
        result = await client.text_document_completion_async(
            types.CompletionParams(
                text_document=_doc(linker),
                position=position_of(LINKER, "#boot-modes", 1),
            )
        )
        assert "boot-modes)" in {i.text_edit.new_text for i in result.items} | {
            i.text_edit.new_text + ")" for i in result.items
        }


async def test_create_note_from_selection_with_a_url_gets_a_safe_name(
    copy_vault: Callable[[], Path],
) -> None:
    root = copy_vault()
    async with lsp_client(root) as client:
        text, doc = await open_when_ready(client, root, "docs/Keyboard Shortcuts.md")
        line = text.split("\n").index(next(x for x in text.split("\n") if "codemirror.net" in x))
        rng = types.Range(
            start=types.Position(line=line, character=0),
            end=types.Position(line=line, character=len(text.split("\n")[line])),
        )
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=_doc(doc), range=rng, context=types.CodeActionContext(diagnostics=[])
            )
        )
        extract = next(a for a in actions if a.kind == types.CodeActionKind.RefactorExtract)
        created = next(c for c in extract.edit.document_changes if isinstance(c, types.CreateFile))
        assert created.uri == uri(
            root, "docs/SilverBullet uses CodeMirror under the hood, which does the.md"
        )
        apply_workspace_edit(extract.edit)
        assert (
            root / "docs/SilverBullet uses CodeMirror under the hood, which does the.md"
        ).is_file()


async def test_renamed_link_resolves_right_after_the_rename(copy_vault: Callable[[], Path]) -> None:
    root = copy_vault()
    async with lsp_client(root) as client:
        text, doc = await open_when_ready(client, root, "docs/Keyboard Shortcuts.md")
        edit = await client.text_document_rename_async(
            types.RenameParams(
                text_document=_doc(doc),
                position=position_of(text, "[[Command Palette]]", 5),
                new_name="Palette of Commands",
            )
        )
        touched = apply_workspace_edit(edit, {doc: text})  # the open buffer is edited, not the file
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=2),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=touched[doc])],
            )
        )

        async def current_and_clean() -> bool:
            published = client.diagnostics.get(doc)
            if published is None or (client.diagnostics_versions.get(doc) or 0) < 2:
                return False
            return not [
                d
                for d in published
                if d.code == "broken-link" and "Palette of Commands" in d.message
            ]

        try:
            await await_for(current_and_clean, timeout=60)
        except AssertionError:
            pytest.fail(
                f"version {client.diagnostics_versions.get(doc)}: "
                f"{[(d.code, d.message) for d in client.diagnostics.get(doc, [])]}"
            )
        status = await client.protocol.send_request_async("nvault/status", {})
        assert status.notes >= 200


async def test_root_falls_back_to_the_files_folder_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "loose notes"
    folder.mkdir()
    (folder / "a.md").write_text("# A\nSee [[b]].\n", encoding="utf-8")
    (folder / "b.md").write_text("# B\nBee.\n", encoding="utf-8")
    async with lsp_client(folder, via="none") as client:
        open_doc(client, folder, "a.md")
        message = await await_for(
            lambda: next((m for m in client.messages if "nvault" in m.message), None), timeout=60
        )
        assert str(folder) in message.message and "vaultRoot" in message.message

        async def indexed() -> bool:
            status = await client.protocol.send_request_async("nvault/status", {})
            return bool(status and status.notes == 2)

        await await_for(indexed, timeout=120)
        status = await client.protocol.send_request_async("nvault/status", {})
        assert Path(status.root) == folder.resolve()


async def test_workspace_without_markers_is_used_and_said(tmp_path: Path) -> None:
    (tmp_path / "n.md").write_text("# N\n", encoding="utf-8")
    async with lsp_client(tmp_path, via="workspace") as client:
        message = await await_for(
            lambda: next((m for m in client.messages if "nvault" in m.message), None), timeout=60
        )
        assert str(tmp_path.resolve()) in message.message and "--root" in message.message
