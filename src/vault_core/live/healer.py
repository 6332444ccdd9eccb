"""How a writer heals its index: a damaged table, a deleted or replaced index folder.

Detection lives in index/health.py, the repairs in index/repair.py; this object is the one
place a running process calls `recover`, and it keeps what a repair salvaged (vectors) until
the new writer's indexer takes them. `VaultIndex` then reopens the store (live/opened.py).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from vault_core.config import VaultConfig
from vault_core.index.embed import Embedder
from vault_core.index.indexer import Indexer
from vault_core.query.search import Searcher
from vault_core.store.integrity import IndexHealth
from vault_core.store.lease import WriteLease
from vault_core.store.repair import Recovery, recover
from vault_core.store.writer_lock import WriterLock

log = logging.getLogger("nvault.index")
HEALTH_RECHECK_S = 60.0  # a whole-vault sync re-probes the index at most this often


class Healer:
    """Recovers the index folder in place or by a rebuild, and says what it did."""

    def __init__(self, config: VaultConfig, embedder: Embedder) -> None:
        self.config = config
        self.embedder = embedder
        self.recovery: Recovery | None = None  # the last repair, for `doctor` and the CLI
        self.salvaged: dict[str, Any] = {}  # text hash -> vector, kept for the next indexer
        self._checked_at = time.monotonic()

    def recover(self, health: IndexHealth | None = None) -> str | None:
        """Check the folder (or use `health`) and repair it; the sentence to say, or None."""
        recovery = recover(self.config.index_path, self.embedder.name, self.embedder.dim, health)
        if recovery is None:
            return None
        self.recovery = recovery
        self.salvaged = recovery.vectors
        recovery.vectors = {}
        notice = f"nvault repaired the index of {self.config.root}: {recovery.message}."
        log.info("%s", notice)
        return notice

    def defer(self) -> None:
        """Skip the probe on open: the first whole-vault sync (a server's catch-up) runs it."""
        self._checked_at = -HEALTH_RECHECK_S

    def due(self, health: IndexHealth | None) -> bool:
        """A probe is worth running: one was asked for with its result, or none ran lately."""
        if health is None and time.monotonic() - self._checked_at < HEALTH_RECHECK_S:
            return False  # checked moments ago (on open): a second full probe would add nothing
        self._checked_at = time.monotonic()
        return True

    def take_salvaged(self) -> dict[str, Any]:
        salvaged, self.salvaged = self.salvaged, {}
        return salvaged

    def rebuild_folder(
        self, lock: WriterLock | WriteLease, searcher: Searcher, indexer: Indexer | None
    ) -> str:
        """The folder went away (rm -rf, git clean) or was swapped (a backup restore).

        The writer keeps its anchor lock throughout, so no other process became a writer; the
        folder is re-created (or the restored copy checked), the vectors this process still
        holds are kept for the rebuild, and the next sync rebuilds the rest.
        """
        index_path = self.config.index_path
        replaced = index_path.is_dir()
        index_path.mkdir(parents=True, exist_ok=True)
        lock.retake_inner()
        cached = searcher.matrix.vectors_by_text_hash()
        cached.update(indexer.cached_vectors() if indexer else {})
        self.recover()
        self.salvaged = {**cached, **self.salvaged}
        what = "replaced" if replaced else "deleted"
        notice = (
            f"The index folder {index_path} was {what} while nvault was "
            "running; nvault is bringing it back in line with your notes."
        )
        log.info("%s", notice)
        return notice
