"""Helpers for the language-server tests: start `vault-lsp` as a subprocess, open documents,
apply workspace edits to text, find positions in text."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from lsprotocol import types
from poll import await_for
from pygls.uris import from_fs_path, to_fs_path
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import make_test_lsp_client


@contextlib.asynccontextmanager
async def lsp_client(
    root: Path,
    via: str = "options",
    options: dict[str, Any] | None = None,
    args: tuple[str, ...] = (),
) -> AsyncIterator[LanguageClient]:
    """A pytest-lsp client talking to a real `python -m vault_lsp` subprocess on `root`.

    `via`: "options" (initializationOptions.vaultRoot), "cli" (--root), "workspace" (rootUri)
    or "none" (no root at all: the first opened file picks it). `args`: more command-line
    arguments for the server (e.g. `--log-file`).
    """
    client = make_test_lsp_client()
    progress: list[Any] = []
    client.nvault_progress = progress  # type: ignore[attr-defined]

    @client.feature("nvault/progress")
    def _on_progress(params: Any) -> None:
        progress.append(params)

    # remember which buffer version each diagnostics publish was for (pytest-lsp keeps only the list)
    versions: dict[str, int | None] = {}
    client.diagnostics_versions = versions  # type: ignore[attr-defined]
    features = client.protocol.fm.features
    keep_diagnostics = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def _on_diagnostics(params: types.PublishDiagnosticsParams) -> None:
        versions[params.uri] = params.version
        keep_diagnostics(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = _on_diagnostics
    cmd = [sys.executable, "-m", "vault_lsp", *args]
    cmd += ["--root", str(root)] if via == "cli" else []
    await client.start_io(*cmd)
    params = types.InitializeParams(
        capabilities=client_capabilities("visual-studio-code"),
        root_uri=from_fs_path(str(root)) if via == "workspace" else None,
        initialization_options={"vaultRoot": str(root), **(options or {})}
        if via == "options"
        else None,
    )
    try:
        await client.initialize_session(params)
        yield client
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.shutdown_session(), 30)
        await client.stop()


def uri(root: Path, rel: str) -> str:
    return from_fs_path(str(root / rel)) or ""


def open_doc(
    client: LanguageClient, root: Path, rel: str, text: str | None = None, version: int = 1
) -> str:
    doc_uri = uri(root, rel)
    if text is None:
        text = (root / rel).read_text(encoding="utf-8")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=doc_uri, language_id="markdown", version=version, text=text
            )
        )
    )
    return doc_uri


def position_of(text: str, needle: str, offset: int = 2) -> types.Position:
    """Position `offset` characters into the first occurrence of `needle` (ASCII texts)."""
    index = text.index(needle) + offset
    line = text.count("\n", 0, index)
    col = index - (text.rfind("\n", 0, index) + 1)
    return types.Position(line=line, character=col)


async def hover(client: LanguageClient, doc: str, position: types.Position) -> types.Hover | None:
    return await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=doc), position=position)
    )


async def hover_text_on(
    client: LanguageClient, root: Path, rel: str, needle: str, offset: int = 2
) -> str:
    """Open `rel` as it is on disk, hover `offset` characters into the first `needle`: the
    hover's Markdown (a missing hover fails the test)."""
    text = (root / rel).read_text(encoding="utf-8")
    found = await hover(client, open_doc(client, root, rel), position_of(text, needle, offset))
    assert found is not None, f"no hover on {needle!r} in {rel}"
    return found.contents.value


async def complete_at_end(
    client: LanguageClient, doc: str, text: str
) -> list[types.CompletionItem]:
    """Completion at the end of `text` (the buffer of `doc`), best first."""
    lines = text.split("\n")
    result = await client.text_document_completion_async(
        types.CompletionParams(
            text_document=types.TextDocumentIdentifier(uri=doc),
            position=types.Position(line=len(lines) - 1, character=len(lines[-1])),
        )
    )
    assert result is not None and result.items
    return sorted(result.items, key=lambda i: i.sort_text or "")


def apply_text_edits(text: str, edits: list[types.TextEdit]) -> str:
    """Apply LSP text edits (ASCII/BMP text: UTF-16 units == code points) to `text`."""
    lines = text.split("\n")

    def offset(pos: types.Position) -> int:
        return sum(len(line) + 1 for line in lines[: pos.line]) + pos.character

    for edit in sorted(
        edits, key=lambda e: (offset(e.range.start), offset(e.range.end)), reverse=True
    ):
        start, end = offset(edit.range.start), offset(edit.range.end)
        text = text[:start] + edit.new_text + text[end:]
    return text


def apply_workspace_edit(
    edit: types.WorkspaceEdit, buffers: dict[str, str] | None = None
) -> dict[str, str]:
    """Apply `edit` to files on disk (or to `buffers`, uri -> text); returns the touched texts."""
    buffers = dict(buffers or {})
    touched: dict[str, str] = {}
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(to_fs_path(change.uri) or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                path.write_text("", encoding="utf-8")
        elif isinstance(change, types.RenameFile):
            old, new = (
                Path(to_fs_path(change.old_uri) or ""),
                Path(to_fs_path(change.new_uri) or ""),
            )
            old.rename(new)
            touched[change.new_uri] = new.read_text(encoding="utf-8")
        else:
            doc_uri = change.text_document.uri
            path = Path(to_fs_path(doc_uri) or "")
            current = buffers.get(
                doc_uri, path.read_text(encoding="utf-8") if path.exists() else ""
            )
            new_text = apply_text_edits(current, list(change.edits))  # type: ignore[arg-type]
            if doc_uri in buffers:
                buffers[doc_uri] = new_text
            else:
                path.write_text(new_text, encoding="utf-8")
            touched[doc_uri] = new_text
    return touched


async def vault_ready(client: LanguageClient, notes: int = 200) -> bool:
    """True once the server reports at least `notes` notes (the test vault is open)."""
    status = await client.protocol.send_request_async("nvault/status", {})
    return bool(status and status.notes >= notes)


async def open_when_ready(client: LanguageClient, root: Path, rel: str) -> tuple[str, str]:
    """Wait for the vault, then open `rel` as it is on disk: (its text, its URI)."""
    await await_for(lambda: vault_ready(client), timeout=120)
    text = (root / rel).read_text(encoding="utf-8")
    return text, open_doc(client, root, rel, text)
