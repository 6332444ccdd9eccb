"""Build `related()`'s per-note parts (store/note_parts.py) in one streaming scan of the chunks.

Each batch's vectors are summed per note (sorted, then `np.add.reduceat`: `np.add.at` was
most of the scan's time) and its terms go on to `TermCounts` (index/term_counts.py), so the
vectors and the terms are read once, together. The term numbers are then renumbered in sorted
order, so a reader finds a term by binary search in the mapped vocabulary instead of hashing
every term at load.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel

from vault_core.index.note_names import names_table
from vault_core.index.term_counts import TermCounts, chunk_terms
from vault_core.location import IndexLocation
from vault_core.store.note_parts import NoteParts, write_parts
from vault_core.store.queries import vector_matrix
from vault_core.store.store import Store

SCAN_COLUMNS = ("path", "note_sha", "vector", "terms")


class _Sums:
    """Per note: vector sum, chunk count, embedded-chunk count, and the sha its chunks carry."""

    def __init__(self, paths: list[str], shas: Mapping[str, str | None], dim: int) -> None:
        self.value_set = pa.array(paths, pa.string())
        self.dim = dim
        self.sums = np.zeros((len(paths), dim), np.float32)
        self.chunks = np.zeros(len(paths), np.int32)
        self.embedded = np.zeros(len(paths), np.int32)
        self.shas: list[str | None] = [shas.get(p) for p in paths]

    def note_of(self, batch: pa.RecordBatch) -> pa.Array:
        return pc.index_in(batch.column("path"), value_set=self.value_set)

    def add(self, batch: pa.RecordBatch) -> None:
        found = self.note_of(batch)
        note = found.to_numpy(zero_copy_only=False)
        valid_note = found.is_valid().to_numpy(zero_copy_only=False)
        rows = np.flatnonzero(valid_note)
        if not len(rows):
            return
        note = note[rows].astype(np.int64)
        self.chunks += np.bincount(note, minlength=len(self.chunks)).astype(np.int32)
        vectors, has = vector_matrix(batch.column("vector").take(pa.array(rows)), self.dim)
        self.embedded += np.bincount(note[has], minlength=len(self.chunks)).astype(np.int32)
        order = np.argsort(note, kind="stable")
        sorted_notes = note[order]
        starts = np.flatnonzero(np.r_[True, sorted_notes[1:] != sorted_notes[:-1]])
        self.sums[sorted_notes[starts]] += np.add.reduceat(vectors[order], starts, axis=0)
        shas = batch.column("note_sha").take(pa.array(rows[order[starts]])).to_pylist()
        for i, sha in zip(sorted_notes[starts].tolist(), shas, strict=True):
            if sha is not None:
                self.shas[i] = sha


def build_parts(
    batches: Iterable[pa.RecordBatch],
    shas: Mapping[str, str | None],
    dim: int,
    version: tuple[int, int] = (0, 0),
) -> NoteParts:
    """Parts for the notes of `shas` (path -> the catalog's file sha), from batches with
    `SCAN_COLUMNS`; chunks of other paths are ignored. `version`: the tables read."""
    paths = sorted(shas)
    acc = _Sums(paths, shas, dim)

    def with_sums() -> Iterator[pa.RecordBatch]:
        for batch in batches:
            acc.add(batch)
            yield batch.select(["path", "terms"])

    counts = TermCounts.count(with_sums(), acc.note_of, len(paths))
    norms = np.linalg.norm(acc.sums, axis=1, keepdims=True)
    unit = np.divide(acc.sums, norms, out=acc.sums, where=norms > 0)
    return _assemble(paths, acc, unit, counts, version)


def _assemble(
    paths: list[str], acc: _Sums, unit: np.ndarray, counts: TermCounts, version: tuple[int, int]
) -> NoteParts:
    terms = counts.vocabulary.terms
    order = pc.sort_indices(terms).to_numpy()  # byte order = code-point order for UTF-8
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    n = max(len(paths), 1)
    new_term = rank[counts.pair_term]
    by_term = np.argsort(new_term * n + counts.pair_group, kind="stable")
    df = np.bincount(new_term, minlength=len(terms))
    by_note = np.argsort(counts.pair_group, kind="stable")
    per_note = np.bincount(counts.pair_group, minlength=len(paths))
    return NoteParts(
        paths=pa.array(paths, pa.string()),
        shas=pa.array(acc.shas, pa.string()),
        vocab=terms.take(pa.array(order)),
        unit=unit,
        chunks=acc.chunks,
        embedded=acc.embedded,
        lengths=counts.group_tokens.astype(np.int32),
        term_start=np.concatenate(([0], np.cumsum(df))).astype(np.int64),
        post_note=counts.pair_group[by_term].astype(np.int32),
        post_tf=counts.tf[by_term].astype(np.int32),
        note_start=np.concatenate(([0], np.cumsum(per_note))).astype(np.int64),
        note_terms=new_term[by_note].astype(np.int32),
        version=version,
    )


def rebuild(job: RebuildJob) -> None:
    """Scan the tables and write new parts: the child process of `start_rebuild`. The scan's
    working memory (~1.3 GB at 100k notes: every token's term id) is the child's, not the
    server's; a kill at any moment leaves the previous parts (store/note_parts.py)."""
    store = Store(IndexLocation(uri=job.index), job.model, job.dim, writer=False)
    notes = store.notes_table()
    if notes is None:
        return
    paths = notes["path"].to_pylist()
    shas = dict(zip(paths, notes["sha256"].to_pylist(), strict=True))
    kinds, titles, aliases = (
        dict(zip(paths, notes[c].to_pylist(), strict=True)) for c in ("kind", "title", "aliases")
    )
    version = store.version()
    del notes
    parts = build_parts(chunk_terms(store, SCAN_COLUMNS), shas, job.dim, version)
    parts.names = names_table(parts.paths.to_pylist(), shas, kinds, titles, aliases)
    write_parts(Path(job.index), parts, job.model)


class RebuildJob(BaseModel):
    """What the child process is told: a local index folder and its model."""

    index: str
    model: str
    dim: int


def start_rebuild(job: RebuildJob) -> subprocess.Popen[bytes]:
    """`rebuild` in a fresh interpreter (`python -m vault_core.index.note_parts`); the caller
    waits for it. It exits when its parent does (a killed server leaves no scan running)."""
    return subprocess.Popen(
        [sys.executable, "-m", "vault_core.index.note_parts", job.model_dump_json()],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
    )


def _exit_with_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(1)


if __name__ == "__main__":  # the child process of `start_rebuild`
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    rebuild(RebuildJob.model_validate_json(sys.argv[1]))
