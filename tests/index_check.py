"""The index checked against the files on disk, for the tests that break indexing on purpose.

`index_problems(root)` lists everything about the stored index that disagrees with the folder
(crash tests, the watcher's tests, the reliability census); `vector_problems(root)` checks the
stored vectors against fresh embeddings.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections import Counter
from pathlib import Path
from typing import Any

import lancedb
from poll import wait_for

SKIP_DIRS = {".nvault", ".git"}


def wait_until_indexed(vault: Any, timeout: float = 120) -> None:
    """Until a live vault has read every file and embedded every chunk (or AssertionError)."""

    def done() -> bool:
        state = vault.embedding_state()
        return bool(vault.names_complete and state.chunks_total and not state.embedding_pending)

    wait_for(done, timeout, what="the vault finishing indexing")


def rm_rf_under_a_writer(folder: Path, tries: int = 50) -> None:
    """`rm -rf folder` while a live writer may be adding a file to it: like a user, run it again
    when it meets a file that appeared behind its back ("Directory not empty")."""
    for _ in range(tries - 1):
        try:
            shutil.rmtree(folder)
            return
        except OSError:
            time.sleep(0.02)
    shutil.rmtree(folder)


def disk_files(root: Path) -> dict[str, str]:
    """Every Markdown file under root (outside the index and .git) -> sha256."""
    out: dict[str, str] = {}
    for path in root.rglob("*.md"):
        rel = path.relative_to(root)
        if rel.parts[0] in SKIP_DIRS or not path.is_file():
            continue
        out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def index_problems(root: Path, index_dir: Path | None = None) -> list[str]:
    """Everything about the stored index that disagrees with the files on disk (empty = exact)."""
    db = lancedb.connect(str((index_dir or root / ".nvault") / "lance"))
    notes = db.open_table("notes").to_arrow().to_pylist()
    chunks = (
        db.open_table("chunks")
        .search()
        .select(["id", "path", "note_sha"])
        .limit(None)
        .to_arrow()
        .to_pylist()
    )
    disk = disk_files(root)
    problems: list[str] = []
    note_paths = Counter(n["path"] for n in notes)
    problems += [f"duplicate notes row {p}" for p, c in note_paths.items() if c > 1]
    ids = Counter(c["id"] for c in chunks)
    problems += [f"duplicate chunk id {i}" for i, c in ids.items() if c > 1]
    by_path = {n["path"]: n for n in notes}
    problems += [f"not indexed: {p}" for p in sorted(disk.keys() - by_path.keys())]
    problems += [f"indexed but gone: {p}" for p in sorted(by_path.keys() - disk.keys())]
    chunk_paths: dict[str, list[dict[str, str]]] = {}
    for chunk in chunks:
        chunk_paths.setdefault(chunk["path"], []).append(chunk)
    problems += [f"chunks of unknown path {p}" for p in sorted(chunk_paths.keys() - by_path.keys())]
    for path, sha in sorted(disk.items()):
        row = by_path.get(path)
        if row is None:
            continue
        if row["sha256"] != sha:
            problems.append(f"stale sha for {path}")
        mine = chunk_paths.get(path, [])
        if len(mine) != row["chunk_count"]:
            problems.append(f"{path}: {len(mine)} chunks, row says {row['chunk_count']}")
        if any(c["note_sha"] != row["sha256"] for c in mine):
            problems.append(f"{path}: chunks from another version")
    return problems


def vector_problems(root: Path, sample: int = 24) -> list[str]:
    """Chunks with no vector, or (for a sample) a vector that is not their text's embedding."""
    import numpy as np

    from vault_core.index.embed import MiniLMEmbedder

    db = lancedb.connect(str(root / ".nvault" / "lance"))
    rows = db.open_table("chunks").search().select(["id", "text", "vector"]).limit(None)
    rows = rows.to_arrow().to_pylist()
    problems = [f"no vector: {r['id']}" for r in rows if r["vector"] is None]
    checked = [r for r in rows if r["vector"] is not None][:sample]
    if checked:
        fresh = MiniLMEmbedder().embed_documents([r["text"] for r in checked])
        for row, vector in zip(checked, fresh, strict=True):
            if float(np.dot(np.asarray(row["vector"], dtype=np.float32), vector)) < 0.99:
                problems.append(f"wrong vector: {row['id']}")
    return problems
