"""`related()`'s per-note parts on disk: note vectors and term counts, mapped, never re-read.

Building them reads every chunk's vector and terms (a minute at 100k notes), so the writer
keeps them in `<index>/related/`: one folder per build, named by the table versions it read,
holding NumPy `.npy` files (opened with `mmap_mode="r"`: pages are shared by every process on
the vault and the kernel may drop them), Arrow IPC files of strings and the notes' tokenised
names (index/note_names.py). `current.json`
names the folder in use; it is replaced by one rename after the folder is complete, so a kill
at any moment leaves the old parts or the new ones, never half of either. Readers load the
newest and patch the notes changed since (linking/related_parts.py); this module only stores.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import uuid
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
from pydantic import BaseModel, ConfigDict

FORMAT = 1
FOLDER = "related"
POINTER = "current.json"
ARRAYS = (
    "unit",
    "chunks",
    "embedded",
    "lengths",
    "term_start",
    "post_note",
    "post_tf",
    "note_start",
    "note_terms",
)
STRINGS = ("paths", "shas", "vocab")
NAMES_FILE = "names.arrow"


class PartsMeta(BaseModel):
    """What `current.json` says about the folder it names."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    folder: str
    model: str
    dim: int
    version: tuple[int, int]  # (notes, chunks) table versions the scan read
    notes: int
    terms: int
    postings: int


@dataclass
class NoteParts:
    """Per note (sorted by path): its unit mean vector (float32), chunk and embedded-chunk
    counts, token count, and the file sha its chunks were written for; BM25 term counts as
    (term, note) pairs sorted by term (`term_start` delimits a term's), and the same pairs'
    terms grouped by note (`note_start`), so a changed note's counts can be taken out."""

    paths: pa.StringArray
    shas: pa.StringArray
    vocab: pa.StringArray  # sorted: a term is found by binary search
    unit: np.ndarray  # (notes, dim) float32: float16 halves it, but widening it back for each
    # query's matrix product cost ~300 ms at 100k notes (numpy has no fast float16 path here)
    chunks: np.ndarray  # int32 per note
    embedded: np.ndarray  # int32 per note: chunks that have a vector
    lengths: np.ndarray  # int32 per note: tokens
    term_start: np.ndarray  # int64, terms + 1
    post_note: np.ndarray  # int32 per pair, ascending within a term
    post_tf: np.ndarray  # int32 per pair
    note_start: np.ndarray  # int64, notes + 1
    note_terms: np.ndarray  # int32 per pair, grouped by note
    version: tuple[int, int] = (0, 0)
    # every note's names tokenised (index/note_names.py), with the sha each row was made
    # from: None in folders written before it existed (the trie and title terms are built)
    names: pa.Table | None = None

    @property
    def nbytes(self) -> int:
        arrays = sum(int(getattr(self, name).nbytes) for name in ARRAYS)
        names = self.names.nbytes if self.names is not None else 0
        return arrays + sum(getattr(self, name).nbytes for name in STRINGS) + names


def _pointer(index_folder: Path) -> Path:
    return index_folder / FOLDER / POINTER


def read_meta(index_folder: Path) -> PartsMeta | None:
    """The current parts' description, or None (none written, or unreadable: rebuilt then)."""
    try:
        return PartsMeta.model_validate_json(_pointer(index_folder).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def load_parts(index_folder: Path, model: str, dim: int) -> NoteParts | None:
    """The newest parts, memory-mapped; None when there are none for this model or they do
    not load (a damaged folder is only a rebuild, never an error for the caller)."""
    meta = read_meta(index_folder)
    if meta is None or meta.format != FORMAT or meta.model != model or meta.dim != dim:
        return None
    folder = index_folder / FOLDER / meta.folder
    try:
        arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in ARRAYS}
        strings = {}
        for name in STRINGS:
            with pa.memory_map(str(folder / f"{name}.arrow")) as source:
                strings[name] = pa.ipc.open_file(source).read_all().column(0).combine_chunks()
    except (OSError, ValueError, pa.ArrowInvalid):
        return None
    parts = NoteParts(**arrays, **strings, version=meta.version, names=_load_names(folder))
    if len(parts.paths) != meta.notes or len(parts.unit) != meta.notes:
        return None
    return parts


def _load_names(folder: Path) -> pa.Table | None:
    """The names table, memory-mapped; None when absent or unreadable (then rebuilt)."""
    path = folder / NAMES_FILE
    if not path.exists():
        return None
    try:
        with pa.memory_map(str(path)) as source:
            return pa.ipc.open_file(source).read_all()
    except (OSError, ValueError, pa.ArrowInvalid):
        return None


def write_parts(index_folder: Path, parts: NoteParts, model: str) -> PartsMeta:
    """Write `parts` into a new folder, then point `current.json` at it (temp + rename) and
    remove older folders. A kill before the rename leaves the previous parts in use."""
    root = index_folder / FOLDER
    root.mkdir(parents=True, exist_ok=True)
    name = f"v{parts.version[0]}-{parts.version[1]}-{uuid.uuid4().hex[:8]}"
    staging = root / f".tmp-{name}"
    staging.mkdir()
    for field in fields(parts):
        value = getattr(parts, field.name)
        if field.name in ARRAYS:
            _write_npy(staging / f"{field.name}.npy", np.ascontiguousarray(value))
        elif field.name in STRINGS:
            table = pa.table({field.name: value})
            target = str(staging / f"{field.name}.arrow")
            with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)
            _fsync(staging / f"{field.name}.arrow")
    if parts.names is not None:
        target = str(staging / NAMES_FILE)
        with pa.OSFile(target, "wb") as sink, pa.ipc.new_file(sink, parts.names.schema) as out:
            out.write_table(parts.names)
        _fsync(staging / NAMES_FILE)
    os.replace(staging, root / name)
    meta = PartsMeta(
        folder=name,
        model=model,
        dim=int(parts.unit.shape[1]) if parts.unit.ndim == 2 else 0,
        version=parts.version,
        notes=len(parts.paths),
        terms=len(parts.vocab),
        postings=len(parts.post_note),
    )
    temp = root / f".{POINTER}.{uuid.uuid4().hex[:8]}"
    temp.write_text(meta.model_dump_json(), encoding="utf-8")
    _fsync(temp)
    os.replace(temp, _pointer(index_folder))
    _fsync_dir(root)
    _remove_others(root, keep=name)
    return meta


def _write_npy(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as f:
        np.save(f, array, allow_pickle=False)
        f.flush()
        os.fsync(f.fileno())


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # some file systems refuse; the rename still stands
        _fsync(path)


def _remove_others(root: Path, keep: str) -> None:
    """Older folders and dead staging folders. A reader that mapped an old folder keeps its
    pages (unlinked files live while mapped)."""
    for entry in root.iterdir():
        if entry.is_dir() and entry.name != keep:
            shutil.rmtree(entry, ignore_errors=True)


def describe(index_folder: Path) -> dict[str, object] | None:
    """`current.json` as a dict, for status and benchmarks."""
    meta = read_meta(index_folder)
    return json.loads(meta.model_dump_json()) if meta is not None else None
