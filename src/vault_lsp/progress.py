"""Indexing progress as standard LSP work-done progress (`$/progress`), for every editor.

The VS Code extension also gets `nvault/progress` (its status bar); Neovim, Helix and others show
`$/progress` natively. One token spans a run of work (phase 1, then phase 2) and ends when the
index is current.
"""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.results import IndexProgress

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

log = logging.getLogger("vault_lsp")


def percentage(state: IndexProgress) -> int:
    """Phase 1 is the first 10% (it takes seconds), embedding the other 90%."""
    if state.reading:
        return int(10 * state.done / state.total) if state.total else 0
    return 10 + int(90 * state.embedded_fraction)


class WorkDoneReporter:
    """Begins a `$/progress` token when work starts, reports it, ends it when the index is current."""

    def __init__(self, server: LanguageServer) -> None:
        self.server = server
        self.supported = False  # set from the client's capabilities at initialize
        self._token: str | None = None
        self._ready = False

    def __call__(self, state: IndexProgress) -> None:
        if not self.supported:
            return
        try:
            if state.catching_up:
                if self._token is None:
                    self._start()
                elif self._ready:
                    self.server.work_done_progress.report(
                        self._token,
                        types.WorkDoneProgressReport(
                            message=state.describe(), percentage=percentage(state)
                        ),
                    )
            elif self._token is not None and self._ready:
                self.server.work_done_progress.end(
                    self._token, types.WorkDoneProgressEnd(message=state.describe())
                )
                self._token, self._ready = None, False
        except Exception:
            log.exception("could not send $/progress")

    def _start(self) -> None:
        token = f"nvault-index-{uuid.uuid4().hex[:8]}"
        self._token = token

        def created(*_: object) -> None:
            if self._token != token:
                return
            self.server.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title="nvault", message="indexing the vault", percentage=0, cancellable=False
                ),
            )
            self._ready = True

        self.server.work_done_progress.create(token, created)
