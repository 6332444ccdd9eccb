"""`related()`'s per-note parts for the current catalog: the persisted base, patched.

The base (store/note_parts.py) is what the writer last wrote, memory-mapped. A note whose file
sha differs from the base's, or whose chunks were not all embedded when the base was written,
is fetched from LanceDB by path and counted again (index/note_parts.py, the same code as the
full build) into a small delta; its base row is masked. So a new process or a save costs what
the changed notes cost, not what the vault costs. Past `DELTA_MAX` of the notes changed (a
vault in phase 2, a first open) one full scan is cheaper, and a writer saves it as the new base.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary, WeakSet

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.note_names import StoredNames, names_table, usable
from vault_core.index.note_parts import SCAN_COLUMNS, build_parts
from vault_core.read_model import ReadModel
from vault_core.store.memory import release_free_memory
from vault_core.store.note_parts import NoteParts

log = logging.getLogger("nvault.related")
DELTA_MAX = 0.2  # share of notes changed past which one full scan replaces the patching
REWRITE_AFTER = 512  # patched notes past which a writer writes a new base in the background


@dataclass
class CurrentParts:
    """The catalog's notes (sorted by path) over the base parts and a delta of changed notes."""

    paths: list[str]
    base: NoteParts
    base_final: np.ndarray  # per base note: its place in `paths`, or -1 (changed or gone)
    delta: NoteParts | None
    delta_final: np.ndarray  # per delta note: its place in `paths`
    chunks: np.ndarray  # int32 per note
    embedded: np.ndarray  # int32 per note
    patched: int  # base notes masked or added since the base was written
    scanned: bool = False  # built by a full scan in this process (not yet saved)
    names: StoredNames | None = None  # the base's tokenised names whose sha still matches

    def similarities(self, vector: np.ndarray) -> np.ndarray:
        """Per note: cosine of its unit mean vector with `vector` (unit); 0 without one."""
        v = vector.astype(np.float32)
        base_sims = self.base.unit @ v  # one pass over the mapped matrix
        if self.delta is None and len(self.base_final) == len(self.paths):
            return base_sims
        out = np.zeros(len(self.paths), np.float32)
        keep = self.base_final >= 0
        out[self.base_final[keep]] = base_sims[keep]
        if self.delta is not None and len(self.delta_final):
            out[self.delta_final] = self.delta.unit @ v
        return out

    def vector(self, i: int) -> np.ndarray:
        """Note `i`'s unit mean vector, float32 (zeros before it has any)."""
        return self.matrix_rows(np.array([i]))[0]

    def matrix_rows(self, notes: np.ndarray) -> np.ndarray:
        """Unit mean vectors of `notes`, float32."""
        out = np.zeros((len(notes), self.base.unit.shape[1]), np.float32)
        rows = self.where[notes]
        from_base = rows >= 0
        out[from_base] = self.base.unit[rows[from_base]]
        if self.delta is not None:
            out[~from_base] = self.delta.unit[-1 - rows[~from_base]]
        return out

    @cached_property
    def where(self) -> np.ndarray:
        """Per note: its base row, or -1 - its delta row."""
        where = np.zeros(len(self.paths), np.int64)
        keep = np.flatnonzero(self.base_final >= 0)
        where[self.base_final[keep]] = keep
        where[self.delta_final] = -1 - np.arange(len(self.delta_final))
        return where


def current_parts(vault: ReadModel, base: NoteParts | None) -> CurrentParts:
    """The parts of `vault`'s current catalog: `base` patched, or a full scan."""
    catalog = vault.catalog
    shas: dict[str, str | None] = catalog.column("sha256")
    paths = sorted(shas)
    dim = vault.embedder.dim
    if base is not None and base.unit.shape[1:] == (dim,):
        patched = _patched(vault, base, paths, shas)
        if patched is not None:
            if usable(base.names) and base.names is not None:
                patched.names = _stored(base.names, base, patched, shas)
            return patched
    scanned = build_parts(vault.chunk_terms(SCAN_COLUMNS), shas, dim, vault.index_version())
    columns = (catalog.column(c) for c in ("kind", "title", "aliases"))
    scanned.names = names_table(paths, shas, *columns)  # tokenised once, for the trie too
    whole = whole_parts(scanned, paths, scanned=True)
    whole.names = StoredNames(scanned.names, np.arange(len(paths)), final=np.arange(len(paths)))
    return whole


def _stored(
    names: pa.Table, base: NoteParts, parts: CurrentParts, shas: Mapping[str, str | None]
) -> StoredNames:
    """The names rows still good: those of the base notes `_patched` kept (same sha). The
    table is in the base's note order (both are written from one sorted path list); when it
    is not, its rows are matched by path and sha."""
    in_order = names.num_rows == len(base.paths) and names.column("path").equals(
        pa.chunked_array([base.paths])
    )
    if in_order:
        kept = np.flatnonzero(parts.base_final >= 0)
        return StoredNames(names, kept, final=parts.base_final[kept])
    return StoredNames.matching(names, shas)


def whole_parts(parts: NoteParts, paths: list[str], scanned: bool = False) -> CurrentParts:
    n = len(paths)
    return CurrentParts(
        paths=paths,
        base=parts,
        base_final=np.arange(n, dtype=np.int64),
        delta=None,
        delta_final=np.zeros(0, np.int64),
        chunks=np.asarray(parts.chunks),
        embedded=np.asarray(parts.embedded),
        patched=0,
        scanned=scanned,
    )


def _patched(
    vault: ReadModel, base: NoteParts, paths: list[str], shas: Mapping[str, str | None]
) -> CurrentParts | None:
    """`base` with the changed notes masked and fetched again; None when too many changed."""
    final = pa.array(paths, pa.string())
    row = pc.index_in(final, value_set=base.paths)  # null: a note the base does not have
    rows = row.to_numpy(zero_copy_only=False)
    known = row.is_valid().to_numpy(zero_copy_only=False)
    base_rows = rows[known].astype(np.int64)
    current = pa.array([shas[p] for p in paths], pa.string()).filter(pa.array(known))
    same = pc.fill_null(pc.equal(base.shas.take(pa.array(base_rows)), current), False)
    same = same.to_numpy(zero_copy_only=False)
    complete = np.asarray(base.embedded)[base_rows] >= np.asarray(base.chunks)[base_rows]
    fine = same & complete
    kept_final = np.flatnonzero(known)[fine]
    base_final = np.full(len(base.paths), -1, np.int64)
    base_final[base_rows[fine]] = kept_final
    redo_mask = np.ones(len(paths), np.bool_)  # a mask, not setdiff1d: no sort of 100k ids
    redo_mask[kept_final] = False
    redo = np.flatnonzero(redo_mask)
    gone = len(base.paths) - int(known.sum())  # base notes no longer in the catalog
    if len(redo) + gone > DELTA_MAX * max(len(paths), 1) and len(redo) + gone > 64:
        return None
    if len(redo) == 0 and gone == 0:
        return whole_parts(base, paths)
    redo_paths = [paths[i] for i in redo.tolist()]
    table = vault.chunk_table(redo_paths, list(SCAN_COLUMNS))
    delta = build_parts(
        table.to_batches(), {p: shas[p] for p in redo_paths}, base.unit.shape[1], base.version
    )
    chunks = np.zeros(len(paths), np.int32)
    embedded = np.zeros(len(paths), np.int32)
    chunks[kept_final] = np.asarray(base.chunks)[base_rows[fine]]
    embedded[kept_final] = np.asarray(base.embedded)[base_rows[fine]]
    chunks[redo] = delta.chunks
    embedded[redo] = delta.embedded
    return CurrentParts(
        paths=paths,
        base=base,
        base_final=base_final,
        delta=delta,
        delta_final=redo.astype(np.int64),
        chunks=chunks,
        embedded=embedded,
        patched=len(redo) + gone,
    )


_REWRITING: WeakKeyDictionary[Any, threading.Thread] = WeakKeyDictionary()
_NAMES_ASKED: WeakSet[Any] = WeakSet()  # vaults whose names-less base a rewrite was asked of


def keep_base(vault: ReadModel, parts: CurrentParts) -> None:
    """A writer saves a full scan it just made as the new base, and rewrites the base in the
    background once the delta holds REWRITE_AFTER notes, or when the base was written before
    the names were kept with it (readers only ever load it: their rewrite does nothing)."""
    without_names = parts.names is None and vault not in _NAMES_ASKED  # once: a failed
    if without_names:  # build must not become a full scan per save
        _NAMES_ASKED.add(vault)
    if not (parts.scanned or parts.patched > REWRITE_AFTER or without_names):
        return
    running = _REWRITING.get(vault)
    if running is not None and running.is_alive():
        return
    thread = threading.Thread(
        target=_rewrite, args=(vault, parts), name="nvault-note-parts", daemon=True
    )
    _REWRITING[vault] = thread
    thread.start()


def _rewrite(vault: ReadModel, parts: CurrentParts) -> None:
    try:
        if parts.scanned:
            vault.save_note_parts(parts.base)
        else:
            vault.build_note_parts()
    except Exception:  # a closed vault or a full disk: the old base stays, readers patch it
        log.warning("related(): the note parts were not saved", exc_info=True)
    finally:
        release_free_memory()
