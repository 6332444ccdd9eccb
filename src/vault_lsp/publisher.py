"""Diagnostics of open documents, debounced per document and computed off the event loop.

LSP replaces a document's diagnostics with each publish, so the features that find some
(links, see-also hint, lint) do not publish themselves: each registers a provider here. Quick
providers are published at once; then the after-check hooks run (hover warms summaries), then
the slow providers, and when they find anything everything is published again, in the order the
providers were added. Documents are re-checked when the notes they may point to change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_lsp.documents import Doc, Documents
from vault_lsp.session import Session

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
SOURCE = "nvault"
TYPING_DELAY_S = 0.3
READY_WAIT_S = 600
Provider = Callable[["Vault", Doc], list[types.Diagnostic]]
Hook = Callable[["Vault", Doc], None]


class Publisher:
    """Per-document diagnostics from the registered providers, one timer per document."""

    def __init__(
        self,
        session: Session,
        docs: Documents,
        publish: Callable[[types.PublishDiagnosticsParams], None],
    ) -> None:
        self._session = session
        self._docs = docs
        self._send = publish
        self._providers: list[tuple[bool, Provider]] = []  # (quick, provider)
        self._after_check: list[Hook] = []
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

    def add_provider(self, provider: Provider, *, quick: bool = False) -> None:
        """`quick` providers (cheap, from the buffer) are published before the slow ones run."""
        self._providers.append((quick, provider))

    def after_check(self, hook: Hook) -> None:
        """`hook(vault, doc)` runs after a document's quick diagnostics are published."""
        self._after_check.append(hook)

    def start(self) -> None:
        """Re-check open documents whenever notes change, and once the vault has opened."""
        # notes changed on disk or in the index: links into them may now resolve differently
        self._session.on_change(lambda paths: self.refresh_open())

        def when_ready() -> None:
            if self._session.get(timeout=READY_WAIT_S) is not None:
                self.refresh_open()

        threading.Thread(target=when_ready, name="nvault-diag-ready", daemon=True).start()

    def schedule(self, uri: str, delay: float = 0.0) -> None:
        with self._lock:
            old = self._timers.pop(uri, None)
            if old is not None:
                old.cancel()
            timer = threading.Timer(delay, self._run, args=(uri,))
            timer.daemon = True
            self._timers[uri] = timer
            timer.start()

    def refresh_open(self) -> None:
        for uri in self._docs.open_uris():
            self.schedule(uri, 0.05)

    def clear(self, uri: str) -> None:
        with self._lock:
            old = self._timers.pop(uri, None)
        if old is not None:
            old.cancel()
        self._publish(uri, [], None)

    def _run(self, uri: str) -> None:
        try:
            self._compute(uri)
        except Exception:
            log.exception("diagnostics for %s failed", uri)

    def _compute(self, uri: str) -> None:
        if uri not in self._docs.open_uris():
            return
        if not self._session.options.features.diagnostics:
            return
        vault = self._session.get(timeout=0)
        doc = self._docs.get(uri)
        if vault is None or doc is None:
            return
        found = {i: _safely(p, vault, doc) for i, (quick, p) in enumerate(self._providers) if quick}
        self._publish(uri, [d for found_by in found.values() for d in found_by], doc.version)
        for hook in self._after_check:
            _safely(hook, vault, doc)
        slow = {
            i: _safely(p, vault, doc) for i, (quick, p) in enumerate(self._providers) if not quick
        }
        if any(slow.values()):
            every = found | slow
            self._publish(uri, [d for i in sorted(every) for d in every[i]], doc.version)

    def _publish(self, uri: str, items: list[types.Diagnostic], version: int | None) -> None:
        try:
            self._send(types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version))
        except Exception:
            log.exception("could not publish diagnostics for %s", uri)


def _safely(
    provide: Callable[[Vault, Doc], list[types.Diagnostic] | None], vault: Vault, doc: Doc
) -> list[types.Diagnostic]:
    try:
        return provide(vault, doc) or []
    except Exception:
        log.exception("a diagnostics provider failed for %s", doc.uri)
        return []
