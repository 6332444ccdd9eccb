"""`vault_status`: what `status` reports, read off the handle's parts.

Split from vault_index.py: assembling the report (counts, skipped files, warnings, roles, the
vector search in use) is its own job; the handle only decides which catalog and progress to show.
"""

from __future__ import annotations

from vault_core.index.columnar import Catalog
from vault_core.index.scan import load_hidden_skipped, load_scan_issues
from vault_core.live.upkeep import Upkeep
from vault_core.query.rerank import rerank_state
from vault_core.results import FileIssue, IndexProgress, VaultStatus


def vault_status(
    upkeep: Upkeep, catalog: Catalog, state: IndexProgress, watcher: str
) -> VaultStatus:
    """The status of the index `upkeep` keeps, with `state` as this process knows it."""
    opened, roles, store = upkeep.opened, upkeep.roles, upkeep.opened.store
    if not state.chunks_total:  # not counted in this process yet (phase 1 still running)
        state.chunks_total = store.count_chunks()
        state.chunks_embedded = store.count_embedded()
    facts = list(catalog.facts())  # the columns: status decodes no record
    skipped = [FileIssue(path=n.path, reason=n.error) for n in facts if n.error]
    scan_issues = load_scan_issues(store.files)
    skipped += [FileIssue(path=p, reason=r) for p, r in scan_issues.items()]
    warnings = [FileIssue(path=n.path, reason=w) for n in facts for w in n.warnings]
    ann = store.vector_index.state()
    return VaultStatus(
        root=str(upkeep.config.root),
        index_dir=opened.location.uri,
        role="writer" if roles.is_writer else "reader",
        notes=sum(1 for n in facts if n.kind == "note"),
        attachments=sum(1 for n in facts if n.kind == "attachment"),
        chunks=state.chunks_total,
        chunks_embedded=state.chunks_embedded,
        model=upkeep.embedder.name,
        dim=upkeep.embedder.dim,
        indexing=state,
        catching_up=state.catching_up,
        last_sync=upkeep.last_sync,
        last_sync_seconds=upkeep.last_report.seconds if upkeep.last_report else None,
        last_error=upkeep.last_error,
        notice=upkeep.notice,
        watcher=watcher,
        lag=roles.lag(opened),
        skipped=sorted(skipped, key=lambda i: i.path),
        warnings=sorted(warnings, key=lambda i: i.path),
        hidden_skipped=load_hidden_skipped(store.files),
        config_warnings=upkeep.config.ignored_settings,
        vector_search="ann index" if ann is not None else "exact in memory",
        ann=ann,
        rerank=rerank_state(upkeep.embedder, store, upkeep.config.embedder.token_vectors),
    )
