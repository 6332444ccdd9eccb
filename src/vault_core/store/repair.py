"""Recover a damaged index with as little re-embedding as possible.

In order of cost: a damaged keyword index is dropped (the store rebuilds it from the `terms`
column); a table whose newest version is unreadable is restored to the newest older version that
reads (LanceDB's own `restore`), after which `Indexer.repair` and the next sync settle the notes
that changed since; anything else moves the whole index aside to `corrupt-<timestamp>/` (kept for
a bug report, the oldest pruned) and the writer rebuilds it, reusing every vector that can still
be read from the damaged copy (by chunk text hash), so a rebuild is a re-parse, not a re-embed.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from vault_core.errors import short_cause
from vault_core.store.integrity import (
    META_BACKUP,
    META_FILE,
    IndexHealth,
    check_index,
    check_table,
    meta_is_garbage,
    read_meta,
    table_names,
)
from vault_core.store.lance import load_lancedb
from vault_core.store.memory import release_free_memory
from vault_core.store.schema import CHUNKS, NOTES

log = logging.getLogger("nvault.repair")

KEEP_CORRUPT = 3  # damaged copies kept for a bug report; older ones are pruned
MAX_RESTORE_TRIES = 20  # older versions tried per table before giving up on restore


class Recovery(BaseModel):
    """What a repair did, with the one sentence a person is told."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    action: str  # "fts" | "restored" | "meta" | "rebuilt"
    message: str
    moved_to: Path | None = None
    vectors: dict[str, Any] = Field(default_factory=dict)  # text hash -> vector, for the rebuild
    seconds: float = 0.0


def recover(
    index_dir: Path, model: str, dim: int, health: IndexHealth | None = None
) -> Recovery | None:
    """Make the index in `index_dir` readable again; None when it was healthy. Writer only."""
    started = time.perf_counter()
    if health is None:
        health = check_index(index_dir, dim)
        release_free_memory()  # the probes' scans (~5 MB of freed heap at every start)
    if health.ok:
        return None
    cause = health.summary()
    log.info("index at %s is damaged: %s", index_dir, cause)
    recovery = _recover_in_place(index_dir, dim, health)
    if recovery is None:
        recovery = _move_aside(index_dir, model, dim, cause)
    recovery.seconds = time.perf_counter() - started
    return recovery


def _recover_in_place(index_dir: Path, dim: int, health: IndexHealth) -> Recovery | None:
    parts = health.parts
    if parts == {"meta"} and meta_is_garbage(index_dir):
        backup = index_dir / META_BACKUP
        if _parses(backup):
            shutil.copyfile(backup, index_dir / META_FILE)
            return Recovery(
                action="meta", message="index.json was damaged and was restored from its copy"
            )
        return None
    if not parts <= {"fts", "chunks", "notes"} or "meta" in parts:
        return None
    lancedb = load_lancedb()

    db = lancedb.connect(str(index_dir / "lance"))
    if "fts" in parts and not parts & {"chunks", "notes"}:
        table = db.open_table(CHUNKS)
        for ix in table.list_indices():
            if ix.index_type == "FTS":
                table.drop_index(ix.name)
        return Recovery(action="fts", message="the keyword index was damaged and is being rebuilt")
    restored: list[str] = []
    for name in (CHUNKS, NOTES):
        if name in parts:
            version = _restore_older(db, name)
            if version is None:
                return None
            restored.append(f"{name} to version {version}")
    if not check_index(index_dir, dim).ok:
        return None
    return Recovery(
        action="restored",
        message=f"the newest index data was damaged; restored {', '.join(restored)} and "
        "re-indexing the notes changed since",
    )


def _parses(meta_file: Path) -> bool:
    try:
        return isinstance(json.loads(meta_file.read_text(encoding="utf-8")), dict)
    except (OSError, ValueError):
        return False


def _restore_older(db: Any, name: str) -> int | None:
    """LanceDB's own recovery: the newest older version that reads becomes the latest again."""
    try:
        table = db.open_table(name)
        versions = sorted(v["version"] for v in table.list_versions())
    except Exception:
        return None  # the manifest itself is unreadable: no history to go back to
    for version in reversed(versions[:-1][-MAX_RESTORE_TRIES:]):
        try:
            table.checkout(version)
            if check_table(table, name):
                continue
            table.restore(version)
            return version
        except Exception:
            continue
    return None


def _move_aside(index_dir: Path, model: str, dim: int, cause: str) -> Recovery:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = index_dir / f"corrupt-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = index_dir / f"corrupt-{stamp}-{n}"
    target.mkdir(parents=True)
    for name in ("lance", META_FILE):
        if (index_dir / name).exists():
            os.replace(index_dir / name, target / name)
    vectors = salvage_vectors(target / "lance", dim) if _same_model(target, model) else {}
    prune_corrupt(index_dir)
    reused = f", reusing {len(vectors):,} stored vectors" if vectors else ""
    return Recovery(
        action="rebuilt",
        message=f"the index was damaged ({cause}); it was moved to {target.name} and is being "
        f"rebuilt from your notes{reused}",
        moved_to=target,
        vectors=vectors,
    )


def _same_model(moved: Path, model: str) -> bool:
    """Vectors are reused only from an index built by this model (unknown model: same dim)."""
    try:
        meta = read_meta(moved)
    except ValueError:
        return True  # both copies of index.json unreadable: the vector width decides
    return meta is None or meta.get("model") == model


def prune_corrupt(index_dir: Path, keep: int = KEEP_CORRUPT) -> None:
    old = sorted(p for p in index_dir.glob("corrupt-*") if p.is_dir())
    for path in old[:-keep] if keep else old:
        shutil.rmtree(path, ignore_errors=True)


def salvage_vectors(lance_dir: Path, dim: int) -> dict[str, np.ndarray]:
    """Every (text hash -> vector) still readable from a damaged `chunks` table.

    Tries the newest version, then older ones; when the newest manifest itself is garbage, a
    hard-linked scratch copy without the unreadable manifests is opened instead (the damaged copy
    stays as it was, for the bug report).
    """
    table_dir = lance_dir / f"{CHUNKS}.lance"
    if not table_dir.is_dir():
        return {}
    found = read_vectors(lance_dir, dim)
    if found:
        return found
    with tempfile.TemporaryDirectory(dir=lance_dir.parent, prefix=".salvage-") as scratch:
        copy = Path(scratch) / "lance"
        try:
            shutil.copytree(table_dir, copy / table_dir.name, copy_function=_link_or_copy)
        except OSError:
            return {}
        manifests = sorted((copy / table_dir.name / "_versions").glob("*.manifest"))
        for _ in range(min(len(manifests), MAX_RESTORE_TRIES)):
            newest = _newest_manifest(copy / table_dir.name / "_versions")
            if newest is None:
                break
            newest.unlink()
            with contextlib.suppress(FileNotFoundError):
                (newest.parent / "latest_version_hint.json").unlink()
            found = read_vectors(copy, dim)
            if found:
                break
    return found


def _newest_manifest(versions_dir: Path) -> Path | None:
    """Lance names v2 manifests u64::MAX - version (newest sorts first), v1 by version."""
    manifests = list(versions_dir.glob("*.manifest"))
    if not manifests:
        return None
    numbers = {p: int(p.stem) for p in manifests if p.stem.isdigit()}
    if not numbers:
        return None
    descending = max(numbers.values()) > 2**63
    return (min if descending else max)(numbers, key=numbers.__getitem__)


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def read_vectors(lance_dir: Path, dim: int) -> dict[str, np.ndarray]:
    """(text hash -> vector) for every embedded chunk of the newest readable version."""
    try:
        lancedb = load_lancedb()

        db = lancedb.connect(str(lance_dir))
        if CHUNKS not in table_names(db):
            return {}
        table = db.open_table(CHUNKS)
    except Exception:
        return {}
    try:
        versions = sorted((v["version"] for v in table.list_versions()), reverse=True)
    except Exception:
        versions = []
    for version in [None, *versions[1:MAX_RESTORE_TRIES]]:
        try:
            if version is not None:
                table.checkout(version)
            if table.schema.field("vector").type.list_size != dim:
                return {}  # another model's vectors are never mixed in
            rows = (
                table.search()
                .where("vector IS NOT NULL")
                .select(["text_hash", "vector"])
                .limit(None)
                .to_arrow()
            )
        except Exception as exc:
            log.debug("salvage at version %s failed: %s", version, short_cause(exc))
            continue
        matrix = rows["vector"].to_numpy(zero_copy_only=False)
        return {
            h: np.asarray(v, dtype=np.float32)
            for h, v in zip(rows["text_hash"].to_pylist(), matrix, strict=True)
        }
    return {}


__all__ = ["NOTES", "Recovery", "prune_corrupt", "read_vectors", "recover", "salvage_vectors"]
