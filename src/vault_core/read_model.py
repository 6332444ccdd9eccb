"""`ReadModel`: what linking/ and study/ read from an open index (notes, links, chunks, vectors).

They depend on this protocol, not on `VaultIndex`: they only read, and a narrow read model is
what a test or another handle has to provide. `VaultIndex` satisfies it. Types only: importing
this module imports nothing heavy.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import pyarrow as pa

    from vault_core.config import VaultConfig
    from vault_core.index.catalog import NoteRecord
    from vault_core.index.columnar import Catalog
    from vault_core.index.embed import Embedder
    from vault_core.index.link_graph import LinkGraph
    from vault_core.location import IndexLocation
    from vault_core.query.chunk_vectors import ChunkVectors
    from vault_core.query.search import Mode, SearchFilters, SearchHit
    from vault_core.results import NoteContent
    from vault_core.store.note_parts import NoteParts


class ReadModel(Protocol):
    """An open index, read only. Methods declare only the arguments linking/ and study/ pass;
    `VaultIndex` takes more (a section or line range, per-note limits) for the front ends."""

    @property
    def root(self) -> Path: ...
    @property
    def config(self) -> VaultConfig: ...
    @property
    def embedder(self) -> Embedder: ...

    # -- notes --------------------------------------------------------------------------
    @property
    def catalog(self) -> Catalog: ...
    def note(self, path: str) -> NoteRecord: ...
    def notes(self) -> list[NoteRecord]: ...
    def resolve(self, name: str) -> NoteRecord: ...
    def read_note(self, name: str) -> NoteContent: ...

    # -- links --------------------------------------------------------------------------
    @property
    def graph(self) -> LinkGraph: ...

    # -- chunks -------------------------------------------------------------------------
    def chunks(self, path: str) -> list[dict[str, Any]]: ...
    def chunk_terms(self, columns: tuple[str, ...] = ...) -> Iterator[pa.RecordBatch]: ...
    def chunk_table(self, paths: list[str], columns: list[str]) -> pa.Table: ...
    def index_version(self) -> tuple[int, int]: ...
    def search(
        self, query: str, *, mode: Mode = ..., limit: int = ..., filters: SearchFilters | None = ...
    ) -> list[SearchHit]: ...

    @property
    def generation(self) -> int: ...
    @property
    def location(self) -> IndexLocation: ...

    # -- vectors ------------------------------------------------------------------------
    @property
    def vectors_generation(self) -> int: ...
    def chunk_vectors(self, paths: list[str]) -> ChunkVectors | None: ...
    def note_parts(self) -> NoteParts | None: ...
    def save_note_parts(self, parts: NoteParts) -> bool: ...
