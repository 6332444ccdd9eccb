"""Sync the index with the folder: scan -> sha256 diff -> extract -> chunk -> embed new text -> write.

Only chunks whose text hash is not stored yet are embedded (text_vectors.py); a moved file reuses
its vectors. Each batch writes chunks first and `notes` rows last (see store/store.py), so a kill
at any point leaves every file fully old or fully new; `repair()` and the next sync finish the job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from vault_core.config import VaultConfig
from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.embed import Embedder
from vault_core.index.prepare import Prepared, prepare_file
from vault_core.index.scan import Scanner, save_scan_issues
from vault_core.index.terms import terms_text
from vault_core.index.text_vectors import TextVectors
from vault_core.parse.chunk import ChunkDraft
from vault_core.store.schema import LOCATION_COLUMNS, ChunkRow, RowCounts
from vault_core.store.store import Store

BATCH_FILES = 48
BATCH_CHUNKS = 384
# Phase 1 (no embedding) writes bigger batches: a commit costs ~50 ms, parsing a file ~1 ms.
PHASE1_BATCH_FILES = 256
PHASE1_BATCH_CHUNKS = 2_048
PENDING_QUEUE = 4_096  # chunks read ahead for phase 2, embedded shortest first
# A sync of a few paths (a save) leaves compaction to its owner's quiet time (`compaction_due`,
# the watcher): at 308k chunks an optimize takes 5-20 s. Rows written since are searched
# unindexed, which stays cheap; past OPTIMIZE_INLINE_AFTER a sync compacts inline anyway.
OPTIMIZE_AFTER = 200
OPTIMIZE_INLINE_AFTER = 20_000

Progress = Callable[[int, int, str], None]


class SyncReport(BaseModel):
    added: list[str] = Field(default_factory=list)
    updated: list[str] = Field(default_factory=list)
    deleted: list[str] = Field(default_factory=list)
    moved: list[tuple[str, str]] = Field(default_factory=list)
    touched: int = 0  # mtime changed, content did not
    unchanged: int = 0
    errors: dict[str, str] = Field(default_factory=dict)
    chunks_written: int = 0
    embedded: int = 0
    reused: int = 0
    rows: RowCounts = Field(default_factory=RowCounts)  # how the chunks table changed
    seconds: float = 0.0

    @property
    def changed_paths(self) -> list[str]:
        return [*self.added, *self.updated, *self.deleted, *(new for _, new in self.moved)]


class EmbedStep(BaseModel):
    """What one phase-2 step did: `embedded` new vectors, `reused` from the cache or store."""

    embedded: int = 0
    reused: int = 0
    written: int = 0
    seconds: float = 0.0
    paths: list[str] = Field(default_factory=list)


class Indexer:
    """The single writer's sync engine; the caller holds the vault's writer lock."""

    def __init__(self, config: VaultConfig, store: Store, embedder: Embedder) -> None:
        self.config, self.store, self.embedder = config, store, embedder
        self.root = config.root
        # cache, store, then the embedder
        self.vectors = TextVectors(store, embedder, config.embedder.token_vectors)
        self._queue: list[dict[str, Any]] = []  # phase 2 read-ahead, shortest text last
        self._writes_since_optimize = 0
        self._appending = False  # this sync is a first index: batches append (see sync)
        self.scanner = Scanner(config)

    # -- scanning (index/scan.py) ----------------------------------------------------------
    def is_ignored(self, rel: str) -> bool:
        return self.scanner.is_ignored(rel)

    def wants(self, rel: str) -> bool:
        return self.scanner.wants(rel)

    def scan(self, under: str = "") -> dict[str, tuple[float, int]]:
        """Every indexable file below `under` (vault-relative) -> (mtime, size); a full scan
        also records what it could not follow, for `status` (scan.py)."""
        found, issues = self.scanner.scan(under)
        if not under:
            save_scan_issues(self.store.files, issues, self.scanner.hidden_skipped)
        return found

    def seed_vectors(self, vectors: dict[str, np.ndarray]) -> None:
        """Vectors salvaged from a damaged index: the rebuild reuses them instead of embedding."""
        for text_hash, vector in vectors.items():
            self.vectors.remember(text_hash, vector)

    def cached_vectors(self) -> dict[str, np.ndarray]:
        return dict(self.vectors.cache)

    # -- repair ---------------------------------------------------------------------------
    def repair(self, catalog: Catalog) -> list[str]:
        """Drop notes whose chunks do not match their row (an interrupted write); returns them."""
        census = self.store.chunk_census()
        counts, shas = catalog.column("chunk_count"), catalog.column("sha256")
        bad = [
            path
            for path, count in counts.items()
            if census.get(path, (0, set()))[0] != count
            or (count and census[path][1] != {shas[path]})
        ]
        orphans = [path for path in census if path not in catalog]
        if bad or orphans:
            for start in range(0, len(bad + orphans), 500):  # their vectors serve the re-sync
                part = (bad + orphans)[start : start + 500]
                for row in self.store.chunk_rows(part, ["text_hash", "vector"]):
                    if row["vector"] is not None:
                        self.vectors.remember(
                            row["text_hash"], np.asarray(row["vector"], np.float32)
                        )
            self.store.delete_paths(bad + orphans)
            for path in bad:
                catalog.pop(path, None)
        return bad + orphans

    # -- sync -----------------------------------------------------------------------------
    def plan(
        self, catalog: Catalog, paths: Iterable[str] | None
    ) -> tuple[dict[str, tuple[float, int]], set[str]]:
        """(files to look at with their stat, catalog paths that are gone)."""
        if paths is None:
            disk = self.scan()
            return disk, set(catalog) - set(disk)
        disk: dict[str, tuple[float, int]] = {}
        gone: set[str] = set()
        for rel in dict.fromkeys(paths):
            full = self.root / rel
            if full.is_dir():
                found = self.scan(rel)
                disk.update(found)
                prefix = rel.rstrip("/") + "/"
                gone |= {p for p in catalog if p.startswith(prefix) and p not in found}
            elif full.is_file() and self.wants(rel):
                stat = full.stat()
                disk[rel] = (stat.st_mtime, stat.st_size)
            else:
                prefix = rel.rstrip("/") + "/"
                gone |= {p for p in catalog if p == rel or p.startswith(prefix)}
        return disk, gone

    def changed(self, catalog: Catalog) -> list[str]:
        """Paths whose file's mtime or size differs from its record, new files and gone ones:
        a scan with no lock held, whose paths the watcher then syncs like events."""
        disk, gone = self.plan(catalog, None)
        stale = [
            rel
            for rel, (mtime, size) in disk.items()
            if not _same_stat(catalog.get(rel), mtime, size)
        ]
        return sorted(stale) + sorted(gone)

    def sync(
        self,
        catalog: Catalog,
        paths: Iterable[str] | None = None,
        progress: Progress | None = None,
        on_batch: Callable[[list[str]], None] | None = None,
        embed: bool = True,
    ) -> SyncReport:
        """Bring the index in line with disk for `paths` (None: the whole vault). Mutates `catalog`.

        With `embed=False` this is phase 1: every note's row, links and keyword rows are written
        and chunks whose text has no stored vector get none; `embed_pending` fills them in.
        """
        started = time.perf_counter()
        report = SyncReport()
        reparse = self.store.reparse_needed and paths is None
        # A first index (both tables empty) appends: each path is written once in this run, and
        # a run killed midway leaves rows behind, so the next run merges like any other.
        self._appending = (
            paths is None and not self.store.count_chunks() and not (self.store.count_notes())
        )
        if progress:
            progress(0, 0, "")  # scanning: the total is not known yet
        disk, gone = self.plan(catalog, paths)
        todo: list[tuple[str, float, int]] = []
        for rel, (mtime, size) in sorted(disk.items()):
            known = catalog.get(rel)
            if reparse and known is not None:
                # parsed by an older nvault: parse again, reuse vectors (a changed copy: the
                # catalog's records are shared with readers and decoded afresh when evicted)
                known = catalog[rel] = known.model_copy(update={"sha256": ""})
            if not reparse and known is not None and _same_stat(known, mtime, size):
                report.unchanged += 1
            else:
                todo.append((rel, mtime, size))
        gone_by_sha = {catalog[p].sha256: p for p in gone if catalog[p].sha256}
        total = len(disk)  # progress counts the whole vault, unchanged files included
        if progress:
            progress(report.unchanged, total, "")
        max_files, max_chunks = (
            (BATCH_FILES, BATCH_CHUNKS) if embed else (PHASE1_BATCH_FILES, PHASE1_BATCH_CHUNKS)
        )
        batch: list[Prepared] = []
        for done, (rel, mtime, size) in enumerate(todo, start=report.unchanged + 1):
            prepared = prepare_file(self.config, rel, mtime, size, catalog.get(rel))
            report.touched += prepared.same_content
            if prepared.error:
                report.errors[rel] = prepared.error
            if prepared.vanished:
                if rel in catalog:
                    gone.add(rel)
                continue
            if prepared.touched:
                batch.append(prepared)
            else:
                moved_from = gone_by_sha.get(prepared.record.sha256)
                if moved_from and rel not in catalog:
                    report.moved.append((moved_from, rel))
                    self.vectors.reuse_moved(moved_from, prepared.drafts)
                elif rel in catalog:
                    report.updated.append(rel)
                else:
                    report.added.append(rel)
                batch.append(prepared)
            if len(batch) >= max_files or sum(len(p.drafts) for p in batch) >= max_chunks:
                self._write(batch, catalog, report, on_batch, embed)
                batch = []
            if progress:
                progress(done, total, rel)
        self._write(batch, catalog, report, on_batch, embed)
        if gone:
            deleted = sorted(gone)
            report.rows += self.store.delete_paths(deleted)
            for path in deleted:
                catalog.pop(path, None)
            moved_away = {old for old, _ in report.moved}
            report.deleted = [p for p in deleted if p not in moved_away]
            if on_batch:
                on_batch(deleted)
        if reparse:
            self.store.mark_reparsed()
        if paths is None or self._writes_since_optimize >= OPTIMIZE_INLINE_AFTER:
            self._maybe_optimize(report.chunks_written)
        report.seconds = time.perf_counter() - started
        return report

    # -- vectors and writes ---------------------------------------------------------------
    def _vectors(
        self, drafts: list[ChunkDraft], report: SyncReport, embed: bool
    ) -> dict[str, np.ndarray]:
        text_by_hash = {d.text_hash: d.text for d in drafts}
        # A first index starts from empty tables, and what this sync stores it also remembers:
        # asking the store would find nothing (1.9 s of the 10k-note vault's 25 s phase 1)
        first_index = self._appending and not self.vectors.cache_full
        vectors, embedded = self.vectors.vectors_for(text_by_hash, embed, ask_store=not first_index)
        report.embedded += embedded
        report.reused += len(vectors) - embedded
        return vectors

    # -- phase 2 --------------------------------------------------------------------------
    def embed_pending(self, max_chunks: int, prefer: list[str] | None = None) -> EmbedStep:
        """Embed up to `max_chunks` chunks that have no vector yet, `prefer`'s first; one commit.

        The read-ahead queue is sorted by text length, so each embedder call pads little. The
        write is conditional on the chunk's text hash: a chunk rewritten meanwhile keeps no
        stale vector, and the next step picks it up again.
        """
        started = time.perf_counter()
        rows = self.store.pending_chunks(max_chunks, prefer) if prefer else []
        taken = {r["id"] for r in rows}
        if len(rows) < max_chunks:
            if not self._queue:  # longest first, so the shortest come off the end
                self._queue = sorted(
                    self.store.pending_chunks(PENDING_QUEUE),
                    key=lambda r: len(r["text"]),
                    reverse=True,
                )
            while self._queue and len(rows) < max_chunks:
                row = self._queue.pop()
                if row["id"] not in taken:
                    rows.append(row)
        step = EmbedStep()
        if not rows:
            return step
        texts = {r["text_hash"]: r["text"] for r in rows}
        vectors, embedded = self.vectors.vectors_for(texts, remember=False)
        matrix = np.stack([vectors[r["text_hash"]] for r in rows])
        self.store.set_vectors([r["id"] for r in rows], [r["text_hash"] for r in rows], matrix)
        step.embedded, step.reused, step.written = embedded, len(vectors) - embedded, len(rows)
        step.paths = sorted({r["id"].rsplit("#", 1)[0] for r in rows})
        # No optimize() per step: each one compacts and re-indexes the whole table, and RSS grew
        # to 1.2 GB over a cold index (bench/memory.py); one optimize when phase 2 ends suffices
        # (rows written since are searched by a flat scan meanwhile).
        self._writes_since_optimize += len(rows)
        step.seconds = time.perf_counter() - started
        return step

    def _write(
        self,
        batch: list[Prepared],
        catalog: Catalog,
        report: SyncReport,
        on_batch: Callable[[list[str]], None] | None,
        embed: bool = True,
    ) -> None:
        if not batch:
            return
        content = [p for p in batch if not p.touched]
        vectors = self._vectors([d for p in content for d in p.drafts], report, embed)
        rows: list[ChunkRow] = []
        for prepared in content:
            rec = prepared.record
            for ordinal, draft in enumerate(prepared.drafts):
                rows.append(
                    ChunkRow(
                        id=f"{rec.path}#{ordinal}",
                        path=rec.path,
                        ordinal=ordinal,
                        note_sha=rec.sha256,
                        text_hash=draft.text_hash,
                        text=draft.text,
                        terms=terms_text(draft.keyword_text),
                        vector=vectors.get(draft.text_hash),  # None: phase 2 fills it
                        **draft.model_dump(include=LOCATION_COLUMNS),
                    )
                )
            rec.chunk_count = len(prepared.drafts)
        if self._appending:
            self.store.append(rows, [p.record.to_row() for p in batch])
            embedded = sum(row.vector is not None for row in rows)
            report.rows += RowCounts(chunks=len(rows), embedded=embedded)
        else:
            report.rows += self.store.replace_chunks([p.record.path for p in content], rows)
            self.store.upsert_notes([p.record.to_row() for p in batch])
        for prepared in batch:
            catalog[prepared.record.path] = prepared.record
        report.chunks_written += len(rows)
        self._writes_since_optimize += len(rows) + 1
        if on_batch:
            on_batch([p.record.path for p in batch])

    def compact(self) -> None:
        """Fold the rows written since the last compaction into the keyword index and compact
        (phase 2 calls it once, at its end: live/phase2.py)."""
        if self._writes_since_optimize:
            self.store.optimize()
            self._writes_since_optimize = 0

    @property
    def compaction_due(self) -> bool:
        """Saves wrote enough rows that the owner should `compact` when the vault is quiet."""
        return self._writes_since_optimize >= OPTIMIZE_AFTER

    def _maybe_optimize(self, written: int) -> None:
        if self._writes_since_optimize >= 2_000 or (
            written and self._writes_since_optimize >= OPTIMIZE_AFTER
        ):
            self.store.optimize()
            self._writes_since_optimize = 0


def _same_stat(known: NoteRecord | None, mtime: float, size: int) -> bool:
    """The file looks as it did when indexed (a sync reads it again otherwise)."""
    return known is not None and known.mtime == mtime and known.size == size
