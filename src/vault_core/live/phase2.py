"""Phase 2: vectors filled in behind the names, and the one progress model it reports.

Phase 1 (`VaultIndex.sync`) writes every note's rows with no vector; this embeds them a step at
a time, the notes a user touched first, and keeps the progress (phase, chunks embedded/total,
rate, ETA) that `status`, search results and `$/progress` all show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

from vault_core.index.indexer import EmbedStep, Indexer
from vault_core.live.opened import Opened
from vault_core.results import IndexProgress
from vault_core.store.schema import RowCounts

EMBED_STEP_CHUNKS = 64  # one phase-2 commit in a server: a few seconds, so saves wait little
PRIORITY_PATHS = 256  # notes a user touched lately, embedded before the rest


class Phase2:
    """The embedding phase of one open index, and the progress this process reports."""

    def __init__(self, opened: Opened, write_mutex: threading.RLock) -> None:
        self.opened = opened
        self.write_mutex = write_mutex
        self.progress = IndexProgress(phase="starting")
        self.watching = False  # a watcher keeps the index live: idle reads "watching"
        self.vectors_generation = 0  # goes up with every phase-2 commit (related() caches on it)
        self._priority: dict[str, None] = {}  # insertion-ordered set, newest last
        self._started: tuple[float, int] | None = None  # (time, embedded) when phase 2 began
        self._reader_counts: tuple[tuple[int, int], int, int] | None = None

    def prioritize(self, paths: Iterable[str]) -> None:
        """Notes a user is looking at (open, edited, in results): embedded before the rest."""
        for path in paths:
            self._priority.pop(path, None)
            self._priority[path] = None
        while len(self._priority) > PRIORITY_PATHS:
            self._priority.pop(next(iter(self._priority)))

    def step(self, indexer: Indexer, max_chunks: int, finish: bool) -> EmbedStep:
        """Embed one batch of chunks with no vector yet; `.written` 0: done. The step that
        embeds the last chunk also compacts the tables unless `finish` is False."""
        with self.write_mutex:
            if not self.progress.embedding_pending:
                return EmbedStep()
            if self._started is None:
                self._started = (time.monotonic(), self.progress.chunks_embedded)
            self.progress.phase = "embedding"
            catalog = self.opened.catalog
            prefer = [p for p in reversed(self._priority) if p in catalog][:PRIORITY_PATHS]
            step = indexer.embed_pending(max_chunks, prefer or None)
            for path in step.paths:
                self._priority.pop(path, None)
            if step.written:
                self.progress.chunks_embedded += step.written
                self.vectors_generation += 1
            if not step.written or self.progress.chunks_embedded >= self.progress.chunks_total:
                self.count()  # recount: rows rewritten meanwhile were skipped
                if finish and not self.progress.embedding_pending:
                    self.finish_embedding(indexer)
            self._update_rate()
            self.settle()
            return step

    def finish_embedding(self, indexer: Indexer) -> None:
        """Phase 2 is over: fold its rewritten rows into the indexes and compact, once."""
        with self.write_mutex:
            indexer.compact()

    def _update_rate(self) -> None:
        p = self.progress
        if self._started is None:
            return
        since, start_count = self._started
        elapsed = time.monotonic() - since
        done = p.chunks_embedded - start_count
        if elapsed > 1 and done > 0:
            p.rate = round(done / elapsed, 1)
            p.eta_s = round(p.embedding_pending / p.rate, 0)
        if not p.embedding_pending:
            p.eta_s, self._started = 0.0, None

    def count(self, delta: RowCounts | None = None) -> None:
        """Chunks and embedded chunks, counted in the store, or moved by a sync's `delta` once
        counted: counting the embedded chunks reads every vector (~1-2 s at 308k chunks), which
        was most of a save's time at 100k notes (docs/benchmarks.md "Saves at 100k")."""
        if delta is not None and self.progress.chunks_total > 0:
            self.progress.chunks_total += delta.chunks
            self.progress.chunks_embedded += delta.embedded
            return
        store = self.opened.store
        self.progress.chunks_total = store.count_chunks()
        self.progress.chunks_embedded = store.count_embedded()

    def settle(self) -> None:
        """Nothing runs in the foreground: the phase says what the index is doing now."""
        p = self.progress
        if p.active:
            return
        if p.embedding_pending:
            p.phase = "embedding"
        else:
            p.phase = "watching" if self.watching else "idle"

    @property
    def names_complete(self) -> bool:
        """Phase 1 is over: every file's name, aliases and links are known, so a name that does
        not resolve is really missing (not merely unread yet)."""
        return not self.progress.reading

    def state(self, writer: bool) -> IndexProgress:
        """The progress as this process knows it; a reader counts the writer's commits."""
        if writer:
            return self.progress.model_copy()
        store = self.opened.store
        version = store.version()
        if self._reader_counts is None or self._reader_counts[0] != version:
            self._reader_counts = (version, store.count_chunks(), store.count_embedded())
        _, total, embedded = self._reader_counts
        state = self.progress.model_copy(
            update={"chunks_total": total, "chunks_embedded": embedded}
        )
        if state.embedding_pending and not state.active:
            state.phase = "embedding"
        return state
