"""The writer's upkeep of the ANN index (store/vector_index.py): built past the switch point, in
the background, never on the save path, and calibrated against exact search before readers
trust its recall.

The index is trained in a child process: training reads every vector, which must not become
the server's peak memory, and a server that exits stops it at once. A kill at any moment loses
nothing: LanceDB commits the index in one step at the end, so the table is either without it
(the next writer builds it again) or with it (uncalibrated, probed widely until calibrated).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from functools import partial

import numpy as np

from vault_core.index.embed import Embedder
from vault_core.live.opened import Opened
from vault_core.results import AnnState
from vault_core.store.vector_index import (
    CALIBRATION,
    RECALL_QUERIES,
    calibrate,
    due,
    has_vector_index,
    recalibration_due,
)

log = logging.getLogger("nvault.ann")
POLL_S = 0.2


class AnnKeeper:
    def __init__(self, opened: Opened, embedder: Embedder) -> None:
        self.opened, self.embedder = opened, embedder
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.last_error: str | None = None

    @property
    def building(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def consider(self, *, background: bool = True) -> bool:
        """Start a build if one is due (every vector written, past the switch point)."""
        store = self.opened.store
        if not store.writer or self.building or self._stop.is_set() or not store.ready():
            return False
        state = store.vector_index.state()
        calibrated = state if state is not None and not state.provisional else None
        chunks = store.count_chunks()  # from the manifest; counting vectors reads them all
        min_chunks = self.opened.config.ann_min_chunks
        # `due` grows with the count: not due at every chunk means not due at the embedded ones
        recount = calibrated is not None and recalibration_due(calibrated)
        if not recount and not due(calibrated, state is not None, chunks, min_chunks):
            return False
        embedded = store.count_embedded()
        if embedded < chunks:  # phase 2 first: the index trains on every vector
            return False
        job: Callable[[], None]
        if due(calibrated, state is not None, embedded, min_chunks):
            job = self.build
        elif calibrated is not None and recalibration_due(calibrated):
            job = partial(self.calibrate, calibrated)
        else:
            return False
        if not background:
            job()
            return True
        self._thread = threading.Thread(target=job, name="nvault-ann", daemon=True)
        self._thread.start()
        return True

    def build(self) -> None:
        """Train the index (child process), then calibrate it."""
        self._guarded(self._build, "building")

    def calibrate(self, state: AnnState) -> None:
        """Measure an index built earlier again (calibrated by an older rule): no training."""
        self._guarded(partial(self._calibrate, state), "calibrating")

    def _guarded(self, work: Callable[[], None], what: str) -> None:
        try:
            work()
        except InterruptedError:
            return
        except Exception as exc:  # a conflicting commit or a full disk: tried again later
            log.exception("%s the ANN index failed", what)
            self.last_error = f"{type(exc).__name__}: {exc}"

    def _build(self) -> None:
        store = self.opened.store
        started = time.perf_counter()
        had_index = has_vector_index(store.chunks)
        child, state = store.vector_index.start_build()
        while child.poll() is None:
            if self._stop.is_set():
                child.kill()  # as a kill -9: nothing was committed
                child.wait()
                return
            time.sleep(POLL_S)
        built_s = time.perf_counter() - started
        store.checkout_latest()  # the child's commit: this handle only sees its own
        if child.returncode != 0:
            # a writer killed -9 leaves its build running; if that one committed first, this
            # build's commit conflicts, and the index it left is calibrated instead
            if had_index or not has_vector_index(store.chunks):
                raise RuntimeError(f"the index build exited with code {child.returncode}")
            log.info("another build committed the index first: calibrating that one")
        if self._stop.is_set():
            return
        log.info("ANN index trained on %d vectors in %.1f s", state.trained_rows, built_s)
        self._calibrate(state.model_copy(update={"build_seconds": round(built_s, 1)}))

    def _calibrate(self, state: AnnState) -> None:
        store = self.opened.store
        queries = self.sample_queries()
        truth = store.vector_index.exact_top(queries, self._stop)
        setting = calibrate(store.vector_index.probe, queries, truth)
        store.vector_index.save(
            state.model_copy(
                update={
                    "nprobes": setting.nprobes,
                    "refine_factor": setting.refine_factor,
                    "calibration": CALIBRATION,
                    "recall_at_10": round(setting.recall, 3),
                    "recall_queries": len(queries),
                    "query_ms_p50": round(setting.p50_ms, 1),
                }
            )
        )
        self.opened.searcher.matrix.release()  # search reads the index from now on
        self.last_error = None

    def sample_queries(self) -> np.ndarray:
        """The vault's own note titles, embedded: what people search for looks like them. Read
        from the title column: decoding every record for them peaked a 100k-note writer at
        1.6 GB during the calibration (docs/benchmarks.md)."""
        catalog = self.opened.catalog
        titles = sorted({title for path in catalog if (title := catalog.title(path))})
        picked = random.Random(len(titles)).sample(titles, min(RECALL_QUERIES, len(titles)))
        return np.stack([self.embedder.embed_query(t) for t in picked]).astype(np.float32)

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        """Stop a build (the child is terminated) and wait for the thread."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60)
