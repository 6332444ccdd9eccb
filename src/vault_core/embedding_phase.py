"""Phase 2 of `VaultIndex`: vectors filled in behind the names, and the progress it reports.

Phase 1 (vault_index.py's `sync`) writes every note's rows with no vector; this embeds them a
step at a time, the notes a user touched first, and keeps the one progress model (phase,
chunks embedded/total, rate, ETA) that `status`, search results and `$/progress` all show.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from vault_core.index.indexer import EmbedStep, Indexer
from vault_core.results import IndexProgress
from vault_core.store.store import Store

EMBED_STEP_CHUNKS = 64  # one phase-2 commit in a server: a few seconds, so saves wait little
PRIORITY_PATHS = 256  # notes a user touched lately, embedded before the rest


class EmbeddingPhase:
    """The phase-2 half of `VaultIndex` (see vault_index.py for the attributes' meaning)."""

    store: Store
    indexer: Indexer | None
    is_writer: bool
    watcher: Any
    progress: IndexProgress
    vectors_generation: int
    _catalog: dict[str, Any]
    _write_mutex: threading.RLock
    _priority: dict[str, None]
    _embed_started: tuple[float, int] | None
    _embedding_counts: tuple[tuple[int, int], int, int] | None

    if TYPE_CHECKING:  # provided by VaultIndex and SelfHealing

        def index_folder_changed(self) -> bool: ...
        def _check_lease(self) -> None: ...

    def prioritize(self, paths: Iterable[str]) -> None:
        """Notes a user is looking at (open, edited, in results): embedded before the rest."""
        for path in paths:
            self._priority.pop(path, None)
            self._priority[path] = None
        while len(self._priority) > PRIORITY_PATHS:
            self._priority.pop(next(iter(self._priority)))

    def embed_step(self, max_chunks: int = EMBED_STEP_CHUNKS, finish: bool = True) -> EmbedStep:
        """Embed one batch of chunks that have no vector yet (writer only); `.written` 0: done.

        The step that embeds the last chunk also compacts the tables unless `finish` is False
        (then the caller calls `finish_embedding`, e.g. after freeing the model)."""
        if not self.is_writer or self.indexer is None or self.index_folder_changed():
            return EmbedStep()  # a vanished folder is rebuilt by the next sync, not here
        self._check_lease()
        with self._write_mutex:
            if not self.progress.embedding_pending:
                return EmbedStep()
            if self._embed_started is None:
                self._embed_started = (time.monotonic(), self.progress.chunks_embedded)
            self.progress.phase = "embedding"
            prefer = [p for p in reversed(self._priority) if p in self._catalog][:PRIORITY_PATHS]
            step = self.indexer.embed_pending(max_chunks, prefer or None)
            for path in step.paths:
                self._priority.pop(path, None)
            if step.written:
                self.progress.chunks_embedded += step.written
                self.vectors_generation += 1
            if not step.written or self.progress.chunks_embedded >= self.progress.chunks_total:
                self._count_embedding()  # recount: rows rewritten meanwhile were skipped
                if finish and not self.progress.embedding_pending:
                    self.indexer.finish_embedding()
            self._update_rate()
            self._settle_phase()
            return step

    def finish_embedding(self) -> None:
        """Phase 2 is over: fold its rewritten rows into the indexes and compact (writer only)."""
        if self.is_writer and self.indexer is not None:
            with self._write_mutex:
                self.indexer.finish_embedding()

    def _update_rate(self) -> None:
        p = self.progress
        if self._embed_started is None:
            return
        since, start_count = self._embed_started
        elapsed = time.monotonic() - since
        done = p.chunks_embedded - start_count
        if elapsed > 1 and done > 0:
            p.rate = round(done / elapsed, 1)
            p.eta_s = round(p.embedding_pending / p.rate, 0)
        if not p.embedding_pending:
            p.eta_s, self._embed_started = 0.0, None

    def _count_embedding(self) -> None:
        self.progress.chunks_total = self.store.count_chunks()
        self.progress.chunks_embedded = self.store.count_embedded()

    def _settle_phase(self) -> None:
        p = self.progress
        if p.active:
            return
        if p.embedding_pending:
            p.phase = "embedding"
        else:
            p.phase = "watching" if self.watcher is not None else "idle"

    @property
    def names_complete(self) -> bool:
        """Phase 1 is over: every file's name, aliases and links are known, so a name that does
        not resolve is really missing (not merely unread yet)."""
        return not self.progress.reading

    def embedding_state(self) -> IndexProgress:
        """The progress as this process knows it; a reader counts the writer's commits."""
        if self.is_writer:
            return self.progress.model_copy()
        version = self.store.version()
        if self._embedding_counts is None or self._embedding_counts[0] != version:
            self._embedding_counts = (
                version,
                self.store.count_chunks(),
                self.store.count_embedded(),
            )
        _, total, embedded = self._embedding_counts
        state = self.progress.model_copy(
            update={"chunks_total": total, "chunks_embedded": embedded}
        )
        if state.embedding_pending and not state.active:
            state.phase = "embedding"
        return state
