"""Document lifecycle: open/change re-parse the buffer for diagnostics; save syncs the index.

`didSave` indexes that one file at once (`vault.sync([rel])`, in the indexing thread), so a new
note is searchable the moment it is saved; external changes come through the watcher.
When the client named no vault folder, the first opened file picks it (`roots.root_for_file`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from lsprotocol import types
from pygls.uris import to_fs_path

from vault_lsp.common import guard
from vault_lsp.features.diagnostics import TYPING_DELAY_S, publisher
from vault_lsp.roots import root_for_file

if TYPE_CHECKING:
    from vault_lsp.server import VaultLanguageServer

log = logging.getLogger("vault_lsp")


def adopt_root_of(server: VaultLanguageServer, uri: str) -> None:
    """No root from the client: the first opened file picks the vault (and the user is told)."""
    path = to_fs_path(uri) if uri.startswith("file:") else None
    if not path:
        return
    root, message = root_for_file(Path(path).resolve())
    if server.session.adopt_root(root, "file"):
        server.tell(message)


def setup(server: VaultLanguageServer) -> None:
    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @guard()
    def did_open(params: types.DidOpenTextDocumentParams) -> None:
        if server.session.root is None:
            adopt_root_of(server, params.text_document.uri)
        publisher(server).schedule(params.text_document.uri)
        rel = server.docs.rel_of(params.text_document.uri)
        vault = server.session.get(timeout=0)
        if rel is not None and vault is not None:
            vault.prioritize([rel])  # embedded before the rest while phase 2 runs

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @guard()
    def did_change(params: types.DidChangeTextDocumentParams) -> None:
        publisher(server).schedule(params.text_document.uri, TYPING_DELAY_S)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))
    @guard()
    def did_save(params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        rel = server.docs.rel_of(uri)
        if rel is None:
            log.info("saved %s: outside the vault, not indexed", uri)
            return
        future = server.session.index([rel])
        if future is not None:
            future.add_done_callback(lambda _f: publisher(server).schedule(uri))
        else:
            publisher(server).schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @guard()
    def did_close(params: types.DidCloseTextDocumentParams) -> None:
        server.docs.forget(params.text_document.uri)
        publisher(server).clear(params.text_document.uri)
