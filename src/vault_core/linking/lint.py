"""Wiki lint: what a keeper of the vault should look at, each finding with the write that fixes it.

Read-only: lint reports and never writes. Every finding carries `fix`, the exact call of the MCP
write tools as a dry-run plan (lint_models.py); contradictions are *candidates* to judge, never
verdicts. The checks live in lint_checks.py (deterministic) and lint_claims.py (contradiction
candidates); this is the entry point every front end calls.
"""

from __future__ import annotations

import threading
from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from vault_core.linking.lint_checks import CHECKS
from vault_core.linking.lint_models import KINDS, LintContext, LintFinding, LintReport

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

__all__ = ["KINDS", "LintFinding", "LintReport", "lint"]
# the costly checks' findings are kept for the catalog version (the LinkGraph object) they were
# computed on, like the duplicate scan: a server asked again about an unchanged vault answers at
# once; any change to the vault makes a new graph and a fresh run
CACHED = frozenset({"broken_link", "unlinked_mention", "contradiction_candidate"})
CACHE_ENTRIES = 512
_CACHE: WeakKeyDictionary[Any, tuple[Any, dict[tuple[str, str | None], Any]]] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _checked(ctx: LintContext, kind: str) -> list[LintFinding]:
    """One check's findings in scope, from the cache when the catalog is unchanged."""
    if kind not in CACHED:
        return [f for f in CHECKS[kind](ctx) if ctx.in_scope(f.note)]
    with _LOCK:
        graph, entries = _CACHE.get(ctx.vault, (None, {}))
        if graph is not ctx.graph:
            entries = {}
            _CACHE[ctx.vault] = (ctx.graph, entries)
        hit = entries.get((kind, ctx.scope))
    if hit is not None:
        ctx.notices += hit[1]
        return list(hit[0])
    before = len(ctx.notices)
    found = [f for f in CHECKS[kind](ctx) if ctx.in_scope(f.note)]
    with _LOCK:
        if len(entries) >= CACHE_ENTRIES:
            entries.clear()
        entries[(kind, ctx.scope)] = (found, ctx.notices[before:])
    return list(found)


def lint(
    vault: ReadModel, scope: str | None = None, kinds: Collection[str] | None = None
) -> LintReport:
    """Every finding for the notes under `scope` (a note path or a folder; None: all), of `kinds`
    (default: all). Read-only."""
    wanted = list(kinds) if kinds else list(KINDS)
    unknown = sorted(set(wanted) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown lint kinds {unknown}; choose from {', '.join(KINDS)}")
    ctx = LintContext(vault, scope.strip("/") if scope else None)
    findings: list[LintFinding] = []
    for kind in KINDS:
        if kind in wanted:
            findings += _checked(ctx, kind)
    findings.sort(key=lambda f: (f.note, f.location.line if f.location else 0, f.kind))
    counts = {k: sum(f.kind == k for f in findings) for k in wanted}
    return LintReport(
        scope=ctx.scope,
        notes_checked=len(ctx.scoped()),
        kinds=wanted,
        counts=counts,
        findings=findings,
        notices=ctx.notices,
    )
