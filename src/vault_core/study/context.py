"""The study tools' one window onto a `Vault`: note text, metadata, chunks, vault-wide term stats.

Kept in one place so analyze/compare/quiz never reach into the store directly, and the LLM client
and cache are built once per vault.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from vault_core.index.term_counts import TermCounts
from vault_core.study.llm import LLMCancelled, LLMClient, LLMError
from vault_core.study.models import (
    AnalyzeResult,
    CompareResult,
    EngineChoice,
    QuizResult,
    StudyCache,
    StudyMeta,
    choose_engine,
)
from vault_core.study.text import DocFreq

if TYPE_CHECKING:
    from vault_core.index.catalog import NoteRecord
    from vault_core.query.search import SearchFilters, SearchHit
    from vault_core.read_model import ReadModel


@dataclass
class ChunkView:
    text: str
    heading_path: list[str]
    start_line: int
    end_line: int
    vector: np.ndarray


Result = TypeVar("Result", AnalyzeResult, CompareResult, QuizResult)
_contexts: dict[int, StudyContext] = {}
_contexts_lock = threading.Lock()


class StudyContext:
    def __init__(self, vault: ReadModel) -> None:
        self.vault = vault
        self.config = vault.config
        self.client = LLMClient(vault.config.llm)
        self.cache = StudyCache(vault.config.index_path)
        self._df: DocFreq | None = None
        self._df_version: Any = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, vault: ReadModel) -> StudyContext:
        """One context per vault object (the LLM status probe and term stats are shared)."""
        with _contexts_lock:
            ctx = _contexts.get(id(vault))
            if ctx is None or ctx.vault is not vault:
                ctx = _contexts[id(vault)] = cls(vault)
            return ctx

    def run(
        self,
        tool: str,
        shas: list[str],
        args: dict[str, Any],
        engine: EngineChoice | None,
        result_type: type[Result],
        llm: Callable[[], Result],
        extractive: Callable[[str], Result],
        use_cache: bool = True,
    ) -> Result:
        """One study call, the same way for every tool: choose the engine, answer from the
        cache when this call on these note versions (`shas`) was made before, else run it; a
        failed LLM falls back to the extractive engine unless the LLM was asked for by name.
        `extractive` gets the cache key (a stable seed). The result's meta says which engine
        ran and why, after the engine's own warnings."""
        requested = engine or self.config.llm.engine
        chosen, reason = choose_engine(requested, self.client)
        model = self.client.model if chosen == "llm" else None
        key = self.cache.key(tool, shas, chosen, model, args)
        if use_cache and (hit := self.cache.get(key, result_type)):
            hit.meta.cached = True
            return hit
        warnings: list[str] = []
        result: Result | None = None
        if chosen == "llm":
            try:
                result = llm()
            except LLMCancelled:
                raise
            except LLMError as exc:
                if requested == "llm":
                    raise
                warnings.append(f"LLM failed, used the extractive engine instead: {exc}")
                chosen, model, reason = "extractive", None, "fallback after LLM error"
                key = self.cache.key(tool, shas, chosen, None, args)
        if result is None:
            result = extractive(key)
        result.meta = StudyMeta(
            engine=chosen,
            model=model,
            engine_reason=reason,
            warnings=warnings + result.meta.warnings,
        )
        self.cache.put(key, result)
        return result

    # -- notes
    def resolve(self, name: str) -> str:
        """A vault-relative note path for a path, stem, alias or title (NoteNotFound otherwise)."""
        return self.vault.resolve(name).path

    def meta(self, path: str) -> NoteRecord:
        return self.vault.note(path)

    def text(self, path: str) -> str:
        """The note's full text as the line numbers in citations count it."""
        return self.vault.read_note(path).text

    def chunks(self, path: str) -> list[ChunkView]:
        return [
            ChunkView(
                text=row["text"],
                heading_path=list(row.get("heading_path") or []),
                start_line=int(row.get("start_line") or 0),
                end_line=int(row.get("end_line") or 0),
                vector=np.asarray(
                    row["vector"]
                    if row["vector"] is not None
                    else np.zeros(self.vault.embedder.dim),
                    dtype=np.float32,
                ),
            )
            for row in self.vault.chunks(path)
        ]

    def notes(self) -> list[NoteRecord]:
        return self.vault.notes()

    def search(
        self, query: str, limit: int = 10, filters: SearchFilters | None = None
    ) -> list[SearchHit]:
        return self.vault.search(query, limit=limit, filters=filters)

    # -- vault-wide term statistics
    def docfreq(self) -> DocFreq:
        """Document frequencies of BM25 terms over all chunks, rebuilt when the index changes."""
        version = self.vault.index_version()
        with self._lock:
            if self._df is not None and self._df_version == version:
                return self._df
        df = DocFreq(TermCounts.count(self.vault.chunk_terms(("terms",)), None))
        with self._lock:
            self._df, self._df_version = df, version
        return df

    def tag_index(self) -> dict[str, str]:
        """casefolded tag (and its last segment) -> tag as written, over the whole vault."""
        tags: dict[str, str] = {}
        for note in self.notes():
            for tag in note.tags:
                tags.setdefault(tag.casefold(), tag)
                tags.setdefault(tag.rsplit("/", 1)[-1].casefold(), tag)
        return tags
