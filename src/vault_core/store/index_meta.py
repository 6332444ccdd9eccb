"""`index.json` and its copy beside the tables: which schema, model, dimension and parser built
them. Apart from the Store because deciding "reuse, re-parse or rebuild" needs no table open.
"""

from __future__ import annotations

import json
from typing import Any

from vault_core.errors import IndexDamaged, VaultError
from vault_core.location import IndexFiles
from vault_core.store.integrity import META_BACKUP, read_meta

SCHEMA_VERSION = 1
# Bump when parsing or chunking changes: notes are re-parsed (unchanged chunk text keeps its vector).
PARSER_VERSION = 4


class IndexMismatch(VaultError, RuntimeError):
    """The index on disk was built by another model or schema; a writer rebuilds it."""


class IndexMeta:
    """Reads `index.json` once when the index is opened: `reparse_needed` (an older parser) and
    `mismatched` (another model or schema: the writer drops the tables when it connects)."""

    def __init__(
        self, files: IndexFiles, index_dir: str, model: str, dim: int, writer: bool
    ) -> None:
        self.files, self.index_dir = files, index_dir
        self.model, self.dim, self.writer = model, dim, writer
        self.reparse_needed = False
        self.mismatched = False
        self._check()

    def _check(self) -> None:
        wanted = {"schema": SCHEMA_VERSION, "model": self.model, "dim": self.dim}
        try:
            meta = read_meta(self.files)
        except ValueError as exc:
            raise IndexDamaged(
                f"The index in {self.index_dir} is damaged ({exc}): the writer process rebuilds "
                "it, or run `nvault doctor --repair`."
            ) from exc
        self.reparse_needed = False
        if meta is not None and {k: meta.get(k) for k in wanted} == wanted:
            self.reparse_needed = meta.get("parser") != PARSER_VERSION
            if self.writer and self.files.read_text(META_BACKUP) is None:
                self.write(meta)  # an index from before the copy existed
            return
        if not self.writer:
            if meta is None:
                return  # the writer has not created the index yet
            raise IndexMismatch(
                f"index was built with {meta.get('model')} (dim {meta.get('dim')}), config says "
                f"{self.model}; the writer process will rebuild it"
            )
        self.mismatched = True  # the writer drops the tables when it connects

    def write_fresh(self) -> None:
        """After the mismatched tables were dropped: this model, schema and parser."""
        self.write(
            {
                "schema": SCHEMA_VERSION,
                "model": self.model,
                "dim": self.dim,
                "parser": PARSER_VERSION,
            }
        )
        self.mismatched = False

    def write(self, meta: dict[str, Any]) -> None:
        """index.json plus a copy beside the tables: a garbage index.json costs no re-embed."""
        text = json.dumps(meta)
        self.files.write_text("index.json", text)
        self.files.write_text(META_BACKUP, text)

    def mark_reparsed(self) -> None:
        """Called after a full sync that re-parsed every file with this PARSER_VERSION."""
        meta = read_meta(self.files) or {}
        self.write({**meta, "parser": PARSER_VERSION})
        self.reparse_needed = False
