"""`VaultLanguageServer`: the pygls server plus what every feature shares (session, documents).

Features import this class only; main.py creates the server and wires the features.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from pygls.lsp.server import LanguageServer

from vault_lsp.documents import Doc, Documents
from vault_lsp.session import Session

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")


class VaultLanguageServer(LanguageServer):
    """pygls server plus the session (Vault) and the document view the features share."""

    def __init__(self, root: str | None = None) -> None:
        super().__init__("vault-lsp", "0.1.0", max_workers=8)
        self.session = Session(root)
        self.docs = Documents(self, lambda: self.session.root)

    def send(self, method: str, params: dict[str, Any]) -> None:
        """A custom notification; safe from any thread (pygls writes whole messages)."""
        try:
            self.protocol.notify(method, params)
        except Exception:
            log.exception("could not send %s", method)

    def doc_and_vault(self, uri: str) -> tuple[Doc, Vault] | None:
        """The open document and the vault (waiting up to 5 s for it to open), or None when
        either is missing: the preamble every document request starts with."""
        doc = self.docs.get(uri)
        vault = self.session.get(timeout=5)
        if doc is None or vault is None:
            return None
        return doc, vault
