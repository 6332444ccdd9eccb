"""Lint findings of the open note as diagnostics, through a real `vault-lsp` subprocess: they
sit beside the broken-link warnings (never replacing them), are information or hints, carry
their fix plan, and findings with a place in the text go away while the buffer differs from the
indexed note."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_support import lsp_client, open_doc, vault_ready
from lsprotocol import types
from poll import await_for
from pytest_lsp import LanguageClient
from vault_files import write_files

from vault_core.vault import Vault

pytestmark = pytest.mark.timeout(600)
FILES = {
    "Sourdough Starter.md": (
        "# Sourdough Starter\n\nWild yeast in flour and water; see [[Rye Bread]].\n"
    ),
    "Rye Bread.md": "# Rye Bread\n\nLeavened by [[Sourdough Starter]].\n",
    "Log.md": (
        "# Log\n\nSee [[Rye Bread]] and [[Nowhere Page]].\n\n"
        "Fed the sourdough starter with rye flour; it doubled by noon.\n"
    ),
}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    vault_root = write_files(tmp_path / "vault", FILES)
    with Vault.open(vault_root) as vault:
        vault.sync()
    return vault_root


def _change(client: LanguageClient, doc: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=doc, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def _by_code(client: LanguageClient, doc: str) -> dict[str, types.Diagnostic]:
    return {str(d.code): d for d in client.diagnostics.get(doc, [])}


async def test_lint_diagnostics_beside_link_warnings(root: Path) -> None:
    async with lsp_client(root) as client:
        await await_for(lambda: vault_ready(client, notes=3), timeout=120)
        text = (root / "Log.md").read_text(encoding="utf-8")
        doc = open_doc(client, root, "Log.md", text)
        await await_for(lambda: "lint-unlinked-mention" in _by_code(client, doc), timeout=120)
        # a document opened while the server still read names gets no broken-link warning
        # until it is recomputed (diagnostics.py): the same text again recomputes it
        _change(client, doc, text, 2)
        both = {"lint-unlinked-mention", "broken-link"}
        await await_for(lambda: both <= set(_by_code(client, doc)), timeout=120)
        found = _by_code(client, doc)  # the link warning is still there, still a warning
        assert found["broken-link"].severity == types.DiagnosticSeverity.Warning
        assert "lint-broken-link" not in found and "lint-missing-page" not in found
        mention = found["lint-unlinked-mention"]
        assert mention.severity == types.DiagnosticSeverity.Hint
        assert mention.range == types.Range(
            start=types.Position(line=4, character=8), end=types.Position(line=4, character=25)
        )
        fix = mention.data["fix"]
        assert fix["tool"] == "replace_text" and fix["arguments"]["dry_run"] is True
        assert "Fed the [[sourdough starter]] with rye flour" in fix["arguments"]["new"]

        # typing moves the text on: the located finding goes, the link warning follows the buffer
        edited = text.replace("Fed the", "Yesterday I fed the")
        _change(client, doc, edited, 3)
        await await_for(
            lambda: (
                "lint-unlinked-mention" not in _by_code(client, doc)
                and "broken-link" in _by_code(client, doc)
            ),
            timeout=60,
        )
    assert (root / "Log.md").read_text(encoding="utf-8") == text  # nothing written
