"""`VaultLanguageServer`: the pygls server plus what every feature shares (session, documents).

Features import this class only; main.py creates the server and wires the features.
"""

from __future__ import annotations

import logging
from typing import Any

from pygls.lsp.server import LanguageServer

from vault_lsp.documents import Documents
from vault_lsp.session import Session

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
