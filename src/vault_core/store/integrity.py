"""Cheap checks that the index on disk can be read, run when a writer opens it and after a query
fails. What is checked: `index.json` parses, both tables open, their rows scan, the row counts
agree with the catalog's `chunk_count`s, and one keyword query and one vector query run.

Each problem is one short sentence naming the part that is damaged; `repair.py` decides what to
do about it (rebuild the keyword index, restore an older table version, or rebuild the index).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from vault_core.errors import short_cause
from vault_core.location import IndexFiles, LocalFiles
from vault_core.store.lance import load_lancedb
from vault_core.store.schema import CHUNKS, NOTES

META_FILE = "index.json"
META_BACKUP = "lance/index.json"  # a second copy: a garbage index.json costs no re-embedding

Part = Literal["meta", "chunks", "notes", "fts", "vectors", "counts"]


class Problem(BaseModel):
    part: Part
    detail: str

    def sentence(self) -> str:
        what = {
            "meta": "index.json",
            "chunks": "the chunks table",
            "notes": "the notes table",
            "fts": "the keyword index",
            "vectors": "the vector column",
            "counts": "the row counts",
        }[self.part]
        return f"{what}: {self.detail}"


class IndexHealth(BaseModel):
    problems: list[Problem] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def parts(self) -> set[str]:
        return {p.part for p in self.problems}

    def summary(self) -> str:
        return "; ".join(p.sentence() for p in self.problems)


def read_meta(index: Path | IndexFiles) -> dict[str, Any] | None:
    """index.json (or its backup copy when it is unreadable); None for a new index.

    Raises ValueError when there is an index but neither copy can be read.
    """
    files = LocalFiles(index) if isinstance(index, Path) else index
    seen = False
    for name in (META_FILE, META_BACKUP):
        try:
            text = files.read_text(name)
        except OSError:
            seen = seen or name == META_FILE
            continue
        seen = seen or (name == META_FILE and text is not None)
        try:
            meta = json.loads(text) if text is not None else None
        except ValueError:
            continue
        if isinstance(meta, dict) and {"schema", "model", "dim"} <= meta.keys():
            return meta
    if seen or files.has_tables():
        raise ValueError("index.json is unreadable and has no readable backup")
    return None


def meta_is_garbage(index_dir: Path) -> bool:
    """index.json exists but does not parse (its backup may still be good)."""
    try:
        meta = json.loads((index_dir / META_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return False
    except (OSError, ValueError):
        return True
    return not isinstance(meta, dict)


def table_names(db: Any) -> list[str]:
    result = db.list_tables()
    return list(getattr(result, "tables", result))


def check_table(table: Any, name: str) -> list[Problem]:
    """Every row of the columns the engine reads scans, and (chunks) both indexes answer."""
    part: Part = CHUNKS if name == CHUNKS else NOTES
    try:
        columns = ["path", "note_sha", "text_hash"] if name == CHUNKS else ["path", "chunk_count"]
        table.search().select(columns).limit(None).to_arrow()
        table.count_rows()
    except Exception as exc:
        return [Problem(part=part, detail=short_cause(exc))]
    if name != CHUNKS:
        return []
    problems: list[Problem] = []
    if any(ix.index_type == "FTS" for ix in table.list_indices()):
        try:
            table.search("nvault", query_type="fts", fts_columns="terms").limit(1).to_arrow()
        except Exception as exc:
            problems.append(Problem(part="fts", detail=short_cause(exc)))
    try:
        dim = table.schema.field("vector").type.list_size
        table.search(np.zeros(dim, np.float32), vector_column_name="vector").limit(1).to_arrow()
    except Exception as exc:
        problems.append(Problem(part="vectors", detail=short_cause(exc)))
    return problems


def check_tables(chunks: Any, notes: Any) -> IndexHealth:
    """The table probes alone, for an index that is not a folder (object storage)."""
    tables = {CHUNKS: chunks, NOTES: notes}
    return IndexHealth(
        problems=[p for name, t in tables.items() if t is not None for p in check_table(t, name)]
    )


def check_index(index_dir: Path, dim: int) -> IndexHealth:
    """What is wrong with the index in `index_dir` (nothing, for a new or healthy index)."""
    health = IndexHealth()
    lance_dir = index_dir / "lance"
    try:
        meta = read_meta(index_dir)
    except ValueError as exc:
        health.problems.append(Problem(part="meta", detail=str(exc)))
        meta = None
    else:
        if meta_is_garbage(index_dir):
            health.problems.append(Problem(part="meta", detail="unreadable (its copy is fine)"))
    if not lance_dir.is_dir():
        return health
    try:
        lancedb = load_lancedb()

        db = lancedb.connect(str(lance_dir))
        names = table_names(db)
    except Exception as exc:
        health.problems.append(Problem(part="chunks", detail=short_cause(exc)))
        return health
    tables: dict[str, Any] = {}
    for name in (CHUNKS, NOTES):
        if name not in names:
            continue
        try:
            tables[name] = db.open_table(name)
        except Exception as exc:
            health.problems.append(
                Problem(part=CHUNKS if name == CHUNKS else NOTES, detail=short_cause(exc))
            )
            continue
        health.problems.extend(check_table(tables[name], name))
    if meta is not None and meta.get("dim") == dim and not health.problems:
        health.problems.extend(_count_problems(tables))
    return health


def _count_problems(tables: dict[str, Any]) -> list[Problem]:
    """The notes rows promise `sum(chunk_count)` chunks; far fewer stored means lost data files.

    A small difference is an interrupted write, which `Indexer.repair` settles per note.
    """
    if CHUNKS not in tables or NOTES not in tables:
        return []
    promised = tables[NOTES].search().select(["chunk_count"]).limit(None).to_arrow()
    want = sum(v or 0 for v in promised["chunk_count"].to_pylist())
    have = tables[CHUNKS].count_rows()
    if want > 0 and have < want // 2:
        return [
            Problem(part="counts", detail=f"{have:,} chunks stored where the notes list {want:,}")
        ]
    return []
