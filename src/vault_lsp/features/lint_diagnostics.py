"""Lint findings that belong to the open note, as information and hint diagnostics.

Broken links are left to diagnostics.py (warnings, computed from the buffer as you type);
this adds what the vault lint (vault_core/linking/lint.py) says about the note: orphan, no
outgoing links, near-duplicate, index drift, stale sources, unlinked mentions worth linking and
contradiction candidates. Findings with a place in the text are shown only while the buffer is
the indexed version (their columns refer to it); the rest sit on the title line. Each carries
its fix plan in `data`.
"""

from __future__ import annotations

import hashlib
import threading
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from vault_core.linking.lint import lint
from vault_core.linking.lint_models import LintFinding
from vault_lsp.publisher import SOURCE
from vault_lsp.server import Feature, VaultLanguageServer

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.documents import Doc

NOTE_KINDS = (
    "orphan",
    "no_outgoing_links",
    "duplicate",
    "index_drift",
    "stale_sources",
    "unlinked_mention",
    "contradiction_candidate",
)
SEVERITY = {"info": types.DiagnosticSeverity.Information, "hint": types.DiagnosticSeverity.Hint}
CACHE_SIZE = 256


class LintDiagnostics(Feature):
    """Findings per (note, content, index generation), computed once; a slow provider of the
    server's diagnostics publisher."""

    def __init__(self, server: VaultLanguageServer) -> None:
        super().__init__(server)
        self._cache: dict[tuple[Any, ...], list[LintFinding]] = {}
        self._lock = threading.Lock()

    def register(self) -> None:
        self.server.diagnostics.add_provider(self.diagnose)

    def findings(self, vault: Vault, path: str) -> list[LintFinding]:
        note = vault.catalog.get(path)
        key = (id(vault), path, note.sha256 if note else "", vault.generation)
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached
        found = lint(vault, path, NOTE_KINDS).findings
        with self._lock:
            if len(self._cache) >= CACHE_SIZE:
                self._cache.clear()
            self._cache[key] = found
        return found

    def diagnose(self, vault: Vault, doc: Doc) -> list[types.Diagnostic]:
        if doc.rel is None or doc.rel not in vault.catalog or vault.catalog[doc.rel].kind != "note":
            return []
        indexed = vault.catalog[doc.rel].sha256
        same = hashlib.sha256(doc.text.source.encode("utf-8")).hexdigest() == indexed
        out = []
        for f in self.findings(vault, doc.rel):
            if f.location is not None and not same:
                continue  # the buffer moved on: its columns may point elsewhere now
            if f.location is None:
                rng = doc.text.line_range(doc.title_line())
            elif f.location.start_col is None:
                rng = doc.text.line_range(f.location.line - 1)
            else:
                line0 = f.location.line - 1
                rng = doc.text.range(line0, f.location.start_col, line0, f.location.end_col or 0)
            out.append(
                types.Diagnostic(
                    range=rng,
                    message=f.message,
                    severity=SEVERITY[f.severity],
                    source=SOURCE,
                    code=f"lint-{f.kind.replace('_', '-')}",
                    data={"fix": f.fix.model_dump() if f.fix else None, "related": f.related},
                )
            )
        return out
