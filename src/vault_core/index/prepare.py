"""One file to what the index stores: a catalog row and its chunk drafts (no embedding here).

Every way a file can fail (too big, binary, invalid UTF-8, a symlink out of the vault, a parser
bug) becomes its row's `error`, said by `status`; a file that had a good version keeps it
searchable. Nothing here writes: the indexer batches what this returns.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from vault_core.config import VaultConfig
from vault_core.index.catalog import NoteRecord
from vault_core.index.scan import MARKDOWN_EXTENSIONS
from vault_core.parse.chunk import ChunkDraft, chunk_sections, markdown_sections, with_frontmatter
from vault_core.parse.extract import ExtractError, extract_file
from vault_core.parse.markdown import NoteMeta, parse_note


class Prepared(BaseModel):
    record: NoteRecord
    drafts: list[ChunkDraft] = Field(default_factory=list)
    touched: bool = False  # only the notes row changes (mtime, size or error); chunks stay
    vanished: bool = False  # deleted between the scan and the read: no row, it is just gone
    error: str | None = None  # why the file could not be indexed this time

    @property
    def same_content(self) -> bool:
        """The content is what the index has; only mtime or size moved."""
        return self.touched and self.error is None


def file_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_file(
    config: VaultConfig, rel: str, mtime: float, size: int, known: NoteRecord | None
) -> Prepared:
    """Read, parse and chunk one file; never raises: a file that cannot be indexed gives a
    row with its reason (and keeps its last good version searchable when there is one)."""
    root = config.root
    kind = "note" if Path(rel).suffix.lower() in MARKDOWN_EXTENSIONS else "attachment"
    base = {"path": rel, "kind": kind, "mtime": mtime, "size": size, "indexed_at": time.time()}
    limit = config.limits.max_file_bytes
    try:
        if size > limit:
            raise ExtractError(
                f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit "
                "(limits.max_file_bytes in .nvault/config.toml)"
            )
        if not (root / rel).resolve().is_relative_to(root.resolve()):
            raise ExtractError("symlink to a file outside the vault: not indexed")
        data = (root / rel).read_bytes()
        sha = file_sha256(data)
        if known is not None and known.sha256 == sha and not known.error:
            return Prepared(
                record=known.model_copy(update={"mtime": mtime, "size": size}),
                touched=True,
            )
        base["sha256"] = sha
        if kind == "note":
            return _prepare_markdown(config, rel, data, base)
        return _prepare_attachment(config, rel, base)
    except FileNotFoundError:
        # Deleted between the scan and the read: not an error, the file is simply gone.
        return Prepared(record=NoteRecord(path=rel, title=Path(rel).stem), vanished=True)
    except (ExtractError, OSError, UnicodeDecodeError) as exc:
        reason = _reason(exc)
    except Exception as exc:  # a parser bug must not stop the rest of the vault
        reason = f"could not be indexed: {type(exc).__name__}: {exc}"
    if known is not None and known.sha256 and not known.error:
        # Keep the last good version searchable; status shows why the new one was refused.
        kept = f"{reason} (search shows the last indexed version)"
        update = {"mtime": mtime, "size": size, "error": kept}
        return Prepared(record=known.model_copy(update=update), touched=True, error=reason)
    base.setdefault("sha256", "")
    return Prepared(record=NoteRecord(**base, title=Path(rel).stem, error=reason), error=reason)


def _prepare_markdown(config: VaultConfig, rel: str, data: bytes, base: dict[str, Any]) -> Prepared:
    if b"\x00" in data[:8192]:
        raise ExtractError("binary file with a Markdown name (contains NUL bytes)")
    text = data.decode("utf-8").lstrip("\ufeff").replace("\r\n", "\n")
    note = parse_note(text, rel)
    warnings = list(note.warnings)
    if not text.strip():
        warnings.append("empty file: nothing to index")
    limits = config.limits
    drafts = chunk_sections(
        note.title, markdown_sections(text, note), limits.chunk_chars, limits.chunk_overlap
    )
    drafts = with_frontmatter(drafts, note)
    drafts = _cap(config, drafts, warnings)
    meta = {name: getattr(note, name) for name in NoteMeta.model_fields}
    record = NoteRecord(**base, **{**meta, "warnings": warnings})
    return Prepared(record=record, drafts=drafts)


def _prepare_attachment(config: VaultConfig, rel: str, base: dict[str, Any]) -> Prepared:
    extracted = extract_file(config.root / rel, config.limits)
    limits = config.limits
    drafts = chunk_sections(
        extracted.title, extracted.sections, limits.chunk_chars, limits.chunk_overlap
    )
    warnings = list(extracted.warnings)
    drafts = _cap(config, drafts, warnings)
    if not drafts and not warnings:
        warnings.append("no text found: nothing to index (empty sheet or document)")
    record = NoteRecord(**base, title=extracted.title, warnings=warnings)
    return Prepared(record=record, drafts=drafts)


def _cap(config: VaultConfig, drafts: list[ChunkDraft], warnings: list[str]) -> list[ChunkDraft]:
    """At most `limits.max_chunks_per_file` chunks: one huge file must not cost hours."""
    cap = config.limits.max_chunks_per_file
    if len(drafts) <= cap:
        return drafts
    kept = drafts[:cap]
    warnings.append(
        f"very long: only the first {cap:,} of {len(drafts):,} passages are indexed "
        f"(up to line {kept[-1].end_line or '?'}; limits.max_chunks_per_file)"
    )
    return kept


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return f"invalid UTF-8 at byte {exc.start}: save the file as UTF-8"
    if isinstance(exc, PermissionError):
        return "unreadable: permission denied"
    if isinstance(exc, FileNotFoundError):
        return "file disappeared while indexing"
    return str(exc) or type(exc).__name__
