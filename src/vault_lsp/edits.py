"""Building blocks of the WorkspaceEdits that code actions and rename return: a versioned
document edit, a new note (created, then filled), and where a new note may go."""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.documents import Documents

# characters file systems and wiki links refuse in a note name
BAD_NAME = re.compile(r'[\[\]#^|\\:*?"<>\x00-\x1f]')


def doc_edit(
    doc_uri: str, version: int | None, edits: list[types.TextEdit]
) -> types.TextDocumentEdit:
    return types.TextDocumentEdit(
        text_document=types.OptionalVersionedTextDocumentIdentifier(uri=doc_uri, version=version),
        edits=edits,
    )


def new_note_path(vault: Vault, name: str, source: str | None) -> str:
    """Where a new note called `name` goes: its own path if it has one, else beside `source`."""
    name = BAD_NAME.sub(" ", name).strip().strip("/") or "Untitled"
    base = name if "/" in name else posixpath.join(posixpath.dirname(source or ""), name)
    base = base[:-3] if base.lower().endswith(".md") else base
    candidate, n = f"{base}.md", 2
    while (vault.root / candidate).exists() or candidate in vault.catalog:
        candidate, n = f"{base} {n}.md", n + 1
    return candidate


def create_note_edit(docs: Documents, rel: str, body: str) -> types.WorkspaceEdit:
    uri = docs.uri_of(rel)
    start = types.Position(line=0, character=0)
    return types.WorkspaceEdit(
        document_changes=[
            types.CreateFile(uri=uri, options=types.CreateFileOptions(ignore_if_exists=True)),
            doc_edit(
                uri,
                None,
                [types.TextEdit(range=types.Range(start=start, end=start), new_text=body)],
            ),
        ]
    )
