"""Keeps an open index current: the writer's sync and healing, a reader's refresh and promotion.

It owns the parts (live/opened.py, roles.py, healer.py, phase2.py) and is the one place they
are wired together: `VaultIndex` asks it, and never reaches into the parts' moves itself.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from vault_core.config import VaultConfig
from vault_core.errors import SyncCancelled, VaultError
from vault_core.index.columnar import Catalog
from vault_core.index.embed import Embedder
from vault_core.index.indexer import EmbedStep, Progress, SyncReport
from vault_core.live.ann import AnnKeeper
from vault_core.live.healer import Healer
from vault_core.live.opened import Opened
from vault_core.live.phase2 import EMBED_STEP_CHUNKS, Phase2
from vault_core.live.roles import Roles
from vault_core.location import IndexFiles, IndexLocation
from vault_core.results import IndexProgress
from vault_core.store.integrity import IndexHealth
from vault_core.store.locks import LeaseLost
from vault_core.store.memory import release_free_memory

log = logging.getLogger("nvault.index")
ChangeListener = Callable[[list[str]], None]
REFRESH_INTERVAL_S = 0.5


class Upkeep:
    """The open index, its roles, healer and phase 2, and what the last sync left behind."""

    def __init__(
        self,
        config: VaultConfig,
        location: IndexLocation,
        files: IndexFiles,
        embedder: Embedder,
        *,
        writer: bool,
        lazy: bool = False,
    ) -> None:
        """`lazy`: read the catalog (and repair) in the background; keyword and name queries
        are answered from the store meanwhile (query/on_disk.py). Servers open this way."""
        self.config = config
        self.embedder = embedder
        self.remote = location.remote
        self.notice: str | None = None  # one sentence about a repair, said once by each front end
        self.roles = Roles(config, location, files, may_write=writer)
        self.healer = Healer(config, embedder)
        heal = self.roles.is_writer and not self.remote
        if heal and lazy:
            self.healer.defer()  # probed by the catch-up sync: its vector query reads every vector
        elif heal:
            self.notice = self.healer.recover()
        try:
            self.opened = Opened(config, location, embedder, writer=self.roles.is_writer)
        except Exception:
            if not (heal and lazy):
                raise
            self.notice = self.healer.recover()  # too damaged to open: repair it now
            self.opened = Opened(config, location, embedder, writer=self.roles.is_writer)
        self.write_mutex = threading.RLock()
        self.phase2 = Phase2(self.opened, self.write_mutex)
        self.ann = AnnKeeper(self.opened, embedder)
        self.listeners: list[ChangeListener] = []  # told the paths of every commit seen
        self.promoted: list[Callable[[], None]] = []  # told when this reader became the writer
        self.rebuilt: list[Callable[[], None]] = []  # told when a vanished folder was re-created
        self.last_report: SyncReport | None = None
        self.last_sync: datetime | None = None
        self.last_error: str | None = None
        self._checked_at = 0.0
        if not lazy:
            self.opened.load_catalog()
        if self.roles.is_writer:
            salvaged = self.healer.take_salvaged()
            progress = self.phase2.progress
            self.roles.become_writer(self.opened, embedder, salvaged, progress, repair=not lazy)
        if lazy:  # a sync waits for the mutex, so nothing is written before the repair
            self.opened.load_in_background(lambda: self.roles.repair(self.opened), self.write_mutex)
        self.phase2.progress.phase = "idle"

    # -- roles and healing ----------------------------------------------------------------
    def _open_as_writer(self, *, fresh: bool) -> None:
        """Open the store as its writer and build the indexer: on promotion, or (`fresh`)
        after a repair rebuilt the folder, when every catalog row is decoded again."""
        self.opened.reopen(writer=True)
        self.opened.load_catalog(fresh=fresh)
        salvaged = self.healer.take_salvaged()
        self.roles.become_writer(self.opened, self.embedder, salvaged, self.phase2.progress)
        if fresh:
            self.phase2.count()
            self.opened.generation += 1

    def _maybe_promote(self) -> None:
        """A reader takes over when the writer has gone (its OS lock died with it)."""
        if self.roles.promotion_due():
            if not self.remote:
                self.notice = self.healer.recover() or self.notice
            self._open_as_writer(fresh=False)
            _tell(self.promoted)

    def check_lease(self) -> None:
        """On object storage, a writer whose lease lapsed steps down to reading."""
        lost = self.roles.step_down_if_lapsed(self.opened)
        if lost:
            self.notice = lost
            raise LeaseLost(lost)

    def repair(self, health: IndexHealth | None = None) -> bool:
        """Writer: check the index and recover it in place or by a rebuild; True if it did."""
        if not self.roles.is_writer or self.remote:
            return False  # the probes and repairs work on a folder; LanceDB guards a bucket
        if not self.healer.due(health):
            return False
        with self.write_mutex:
            notice = self.healer.recover(health)
            if notice is None:
                return False
            self.notice = notice
            self._open_as_writer(fresh=True)
            return True

    def rebuild_vanished_folder(self) -> None:
        """Writer: the index folder went away or was swapped; the next sync rebuilds it."""
        with self.write_mutex:
            opened, roles = self.opened, self.roles
            self.notice = self.healer.rebuild_folder(roles.lock, opened.searcher, roles.indexer)
            self._open_as_writer(fresh=True)
        _tell(self.rebuilt)

    # -- a reader follows the writer ------------------------------------------------------
    def refresh(self, force: bool = False) -> bool:
        """Readers follow the writer's commits; returns True when something changed."""
        if self.roles.is_writer:
            return False
        now = time.monotonic()
        if not force and now - self._checked_at < self.roles.poll_interval(REFRESH_INTERVAL_S):
            return False
        self._checked_at = now
        self._maybe_promote()
        self.roles.follow_bucket(self.opened)
        self.opened.follow_folder(reader=not self.roles.is_writer)
        if not self.opened.new_commits():
            return False
        before = self.opened.catalog
        self.opened.load_catalog()
        changed = self.opened.catalog.changed_since(before)
        if changed:
            self.notify(changed)
        return True

    def notify(self, paths: list[str]) -> None:
        self.opened.generation += 1
        for listener in list(self.listeners):
            try:
                listener(paths)
            except Exception:  # a listener's bug must not break indexing
                continue

    # -- the writer syncs -----------------------------------------------------------------
    def sync(
        self,
        paths: Iterable[str] | None = None,
        progress: Progress | None = None,
        embed: bool = True,
    ) -> SyncReport:
        """Index what changed on disk (all of it, or just `paths`); readers may not call this.

        A whole-vault sync runs phase 1 (every file's row, links and keywords; vectors only where
        the text was embedded before) and then, with `embed`, phase 2 to the end. A sync of a few
        `paths` (a saved file) embeds inline, so the note is searchable by meaning at once.
        """
        if not self.roles.is_writer or self.roles.indexer is None:
            raise VaultError(self.roles.reader_reason)
        self.check_lease()
        if self.opened.folder_changed():
            self.rebuild_vanished_folder()
            paths = None
        elif paths is None:
            self.repair()  # a whole-vault sync also probes the keyword and vector indexes
        indexer = self.roles.indexer
        assert indexer is not None
        phase2 = self.phase2

        def track(done: int, total: int, path: str) -> None:
            phase2.progress.done, phase2.progress.total = done, total
            phase2.progress.phase = "indexing" if total else "scanning"
            if progress:
                progress(done, total, path)

        work = Catalog()

        def committed(paths: list[str]) -> None:
            self.check_lease()  # a writer whose lease lapsed stops before its next commit
            self.opened.publish(work.copy())
            self.notify(paths)

        with self.write_mutex:
            # Copy-on-write: readers in other threads iterate the published catalog while we
            # sync. Copied under the mutex, so a sync that waited (the watcher, after an
            # agent's write was indexed) sees that write's rows and does not index it again.
            work = self.opened.catalog.copy()  # shares the columns: costs what changes
            whole = paths is None
            if whole:
                phase2.progress = IndexProgress(active=True, phase="scanning")
            try:
                report = indexer.sync(work, paths, track, committed, embed=embed and not whole)
            except Exception as exc:
                if not isinstance(exc, SyncCancelled):  # abandoned on request: no failure
                    self.last_error = f"{type(exc).__name__}: {exc}"
                phase2.progress.active = False
                phase2.settle()
                raise
            self.opened.publish(work)
            self.last_report, self.last_sync, self.last_error = report, datetime.now(UTC), None
            phase2.count(None if whole else report.rows)  # before phase 1 is declared over
            phase2.progress.active = False
            phase2.settle()
        if whole:
            self.notify([])  # phase 1 is over: names that did not resolve are really missing
        if whole and embed:
            while (step := self.embed_step(max_chunks=512)).written:
                report.embedded += step.embedded
                report.reused += step.reused
                if progress:
                    progress(phase2.progress.done, phase2.progress.total, "")
        if whole:
            self.ann.consider()
            # A whole sync that committed nothing never trimmed: a 100k-note writer held ~70 MB
            # of freed heap after its catch-up (the repair's census, the scan's records)
            release_free_memory()
        return report

    def embed_step(self, max_chunks: int = EMBED_STEP_CHUNKS, finish: bool = True) -> EmbedStep:
        """Embed one batch of chunks that have no vector yet (writer only); `.written` 0: done.

        The step that embeds the last chunk also compacts the tables unless `finish` is False
        (then the caller calls `finish_embedding`, e.g. after freeing the model)."""
        indexer = self.roles.indexer
        if not self.roles.is_writer or indexer is None or self.opened.folder_changed():
            return EmbedStep()  # a vanished folder is rebuilt by the next sync, not here
        self.check_lease()
        step = self.phase2.step(indexer, max_chunks, finish)
        if not step.written:  # phase 2 is over: past the switch point, the ANN index is due
            self.ann.consider()
        return step

    @property
    def compaction_due(self) -> bool:
        """Saves left rows for a compaction, which the watcher runs when the vault is quiet."""
        indexer = self.roles.indexer
        return self.roles.is_writer and indexer is not None and indexer.compaction_due

    def compact(self) -> None:
        """Fold the rows saves wrote into the indexes and compact (writer only; a save
        waits for it, so the watcher calls this after a quiet spell, not after each save)."""
        indexer = self.roles.indexer
        if self.roles.is_writer and indexer is not None and not self.opened.folder_changed():
            self.check_lease()
            with self.write_mutex:
                indexer.compact()

    def finish_embedding(self) -> None:
        """After `embed_step(finish=False)`: phase 2's compaction (writer only)."""
        if self.roles.is_writer and self.roles.indexer is not None:
            self.phase2.finish_embedding(self.roles.indexer)

    def close(self) -> None:
        self.ann.close()
        self.opened.close()
        self.roles.release()


def _tell(listeners: list[Callable[[], None]]) -> None:
    for listener in list(listeners):
        listener()
