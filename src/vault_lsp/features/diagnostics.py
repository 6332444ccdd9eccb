"""Diagnostics of open documents: broken, ambiguous and dangling-heading links, plus a hint.

Links come from the open buffer (parsed per version) and resolve against `vault.graph`, so they
are right while typing; they are recomputed when the notes they may point to change.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vault_lsp import related as rel_mod
from vault_lsp.documents import Doc

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.server import VaultLanguageServer

log = logging.getLogger("vault_lsp")
SOURCE = "nvault"
TYPING_DELAY_S = 0.3
HINT_COUNT = 3
WARM_LINKS = 12  # hover summaries prepared per opened document


def title_line(doc: Doc) -> int:
    """0-based line of the title: its H1, else the first body line."""
    if doc.parsed is None:
        return 0
    line = doc.parsed.title_line or doc.parsed.body_start_line
    return max(line - 1, 0)


def _link_warning(
    rng: types.Range, code: str, message: str, data: dict[str, Any]
) -> types.Diagnostic:
    return types.Diagnostic(
        range=rng,
        message=message,
        severity=types.DiagnosticSeverity.Warning,
        source=SOURCE,
        code=code,
        data=data,
    )


def link_diagnostics(vault: Vault, doc: Doc) -> list[types.Diagnostic]:
    if doc.parsed is None or doc.rel is None:
        return []
    graph = vault.graph
    names_complete = vault.names_complete  # while files are still being read, absence means little
    out: list[types.Diagnostic] = []
    for link in doc.parsed.links:
        res = graph.resolve(link, doc.rel)
        rng = doc.link_range(link)
        shown = link.target or doc.rel
        if res.broken and not names_complete:
            continue
        if res.broken:
            message = f"Broken link: no note named {link.target!r}"
            out.append(_link_warning(rng, "broken-link", message, {"target": link.target}))
        elif res.ambiguous:
            names = ", ".join(res.candidates[:5])
            message = f"Ambiguous link: {shown!r} matches {names} (resolves to {res.target})"
            data = {"target": link.target, "candidates": res.candidates}
            out.append(_link_warning(rng, "ambiguous-link", message, data))
        elif not res.heading_found:
            anchor = f"^{link.block}" if link.block else f"{link.heading}"
            message = f"{res.target} has no {'block' if link.block else 'heading'} {anchor!r}"
            out.append(_link_warning(rng, "missing-anchor", message, {"target": res.target}))
    return out


def related_hint(vault: Vault, doc: Doc) -> list[types.Diagnostic]:
    """'N related notes not linked' on the title line, when the note is indexed."""
    if doc.rel is None or doc.rel not in vault.catalog:
        return []
    items = rel_mod.related(vault, doc.rel, limit=HINT_COUNT)
    if not items:
        return []
    names = ", ".join(i.title for i in items)
    noun = "note" if len(items) == 1 else "notes"
    return [
        types.Diagnostic(
            range=doc.text.line_range(title_line(doc)),
            message=f"{len(items)} related {noun} not linked: {names}",
            severity=types.DiagnosticSeverity.Information,
            source=SOURCE,
            code="related-not-linked",
            data={"paths": [i.path for i in items]},
        )
    ]


class Publisher:
    """Debounced per-document diagnostics, computed off the event loop."""

    def __init__(self, server: VaultLanguageServer) -> None:
        self.server = server
        # more diagnostics for a document, from other features (lint); published with these
        self.providers: list[Callable[[Vault, Doc], list[types.Diagnostic]]] = []
        self._timers: dict[str, threading.Timer] = {}
        self._lock = threading.Lock()

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
        for uri in self.server.docs.open_uris():
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
        if uri not in self.server.docs.open_uris():
            return
        session = self.server.session
        if not session.options.features.diagnostics:
            return
        vault = session.get(timeout=0)
        doc = self.server.docs.get(uri)
        if vault is None or doc is None:
            return
        found = link_diagnostics(vault, doc)
        self._publish(uri, found, doc.version)
        self._warm(vault, doc)
        hint = related_hint(vault, doc) if session.options.features.seeAlso else []
        more = [d for provide in self.providers for d in _safely(provide, vault, doc)]
        if hint or more:
            self._publish(uri, hint + found + more, doc.version)

    def _warm(self, vault: Vault, doc: Doc) -> None:
        """Prepare hover summaries of what this document links to."""
        summaries = getattr(self.server, "summaries", None)
        if summaries is None or doc.parsed is None:
            return
        graph = vault.graph
        targets = [graph.resolve(link, doc.rel or "").target for link in doc.parsed.links[:200]]
        summaries.warm(vault, [t for t in dict.fromkeys(targets) if t][:WARM_LINKS])

    def _publish(self, uri: str, items: list[types.Diagnostic], version: int | None) -> None:
        try:
            self.server.text_document_publish_diagnostics(
                types.PublishDiagnosticsParams(uri=uri, diagnostics=items, version=version)
            )
        except Exception:
            log.exception("could not publish diagnostics for %s", uri)


def _safely(
    provide: Callable[[Vault, Doc], list[types.Diagnostic]], vault: Vault, doc: Doc
) -> list[types.Diagnostic]:
    try:
        return provide(vault, doc)
    except Exception:
        log.exception("a diagnostics provider failed for %s", doc.uri)
        return []


def publisher(server: Any) -> Publisher:
    return server.publisher


def setup(server: VaultLanguageServer) -> None:
    server.publisher = Publisher(server)  # type: ignore[attr-defined]
    # notes changed on disk or in the index: links into them may now resolve differently
    server.session.on_change(lambda paths: server.publisher.refresh_open())  # type: ignore[attr-defined]

    def when_ready() -> None:
        if server.session.get(timeout=600) is not None:
            server.publisher.refresh_open()  # type: ignore[attr-defined]

    threading.Thread(target=when_ready, name="nvault-diag-ready", daemon=True).start()
