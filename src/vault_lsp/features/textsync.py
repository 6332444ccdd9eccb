"""Document lifecycle: open/change re-parse the buffer for diagnostics; save syncs the index.

`didSave` indexes that one file at once (`vault.sync([rel])`, in the indexing thread), so a new
note is searchable the moment it is saved; external changes come through the watcher.
When the client named no vault folder, the first opened file picks it (`roots.root_for_file`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from lsprotocol import types
from pygls.uris import to_fs_path

from vault_lsp.common import guard
from vault_lsp.publisher import TYPING_DELAY_S
from vault_lsp.roots import root_for_file
from vault_lsp.server import Feature

log = logging.getLogger("vault_lsp")


class TextSync(Feature):
    """Open/change re-check the buffer's diagnostics; save indexes the file; close forgets it."""

    def register(self) -> None:
        server = self.server
        server.feature(types.TEXT_DOCUMENT_DID_OPEN)(guard()(self.did_open))
        server.feature(types.TEXT_DOCUMENT_DID_CHANGE)(guard()(self.did_change))
        server.feature(types.TEXT_DOCUMENT_DID_SAVE, types.SaveOptions(include_text=False))(
            guard()(self.did_save)
        )
        server.feature(types.TEXT_DOCUMENT_DID_CLOSE)(guard()(self.did_close))

    def adopt_root_of(self, uri: str) -> None:
        """No root from the client: the first opened file picks the vault (and the user is told)."""
        path = to_fs_path(uri) if uri.startswith("file:") else None
        if not path:
            return
        root, message = root_for_file(Path(path).resolve())
        if self.server.session.adopt_root(root, "file"):
            self.server.tell(message)

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        session = self.server.session
        if session.root is None:
            self.adopt_root_of(params.text_document.uri)
        self.server.diagnostics.schedule(params.text_document.uri)
        rel = self.server.docs.rel_of(params.text_document.uri)
        vault = session.get(timeout=0)
        if rel is not None and vault is not None:
            vault.prioritize([rel])  # embedded before the rest while phase 2 runs

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        self.server.diagnostics.schedule(params.text_document.uri, TYPING_DELAY_S)

    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        rel = self.server.docs.rel_of(uri)
        if rel is None:
            log.info("saved %s: outside the vault, not indexed", uri)
            return
        diagnostics = self.server.diagnostics
        future = self.server.session.index([rel])
        if future is not None:
            future.add_done_callback(lambda _f: diagnostics.schedule(uri))
        else:
            diagnostics.schedule(uri)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        self.server.docs.forget(params.text_document.uri)
        self.server.diagnostics.clear(params.text_document.uri)
