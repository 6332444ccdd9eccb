"""Hybrid search: dense (cosine) and BM25 (LanceDB FTS over `terms`) fused by score, with the
dense weight of the query's shape (hybrid.py, shape.py)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, Field

from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.embed import Embedder, TokenEmbedder
from vault_core.index.terms import tokenize
from vault_core.query.dense import DenseMatrix
from vault_core.query.filters import SearchFilters
from vault_core.query.hybrid import cosines_of, hybrid_scores
from vault_core.query.matching import make_snippet, passage_key, words_of
from vault_core.query.on_disk import NotesOnDisk
from vault_core.query.rerank import RERANK_WEIGHT, rerank, rows_by_id
from vault_core.query.shape import FusionWeights
from vault_core.store.schema import HIT_COLUMNS
from vault_core.store.store import Store
from vault_core.wire import SearchHit

__all__ = ["Mode", "SearchFilters", "SearchHit", "Searcher", "make_snippet"]

Mode = Literal["hybrid", "keyword", "semantic"]
QUERY_CACHE_SIZE = 512
# How deep each retriever's list goes at least. Score fusion needs more candidates than one
# list's top 10 to pay off: on SciFact, depth 100 instead of 50 gave nDCG@10 0.7363 vs 0.7304
# (deeper: no gain; bench/measure/scifact_fusion.py, docs/benchmarks.md).
MIN_DEPTH: dict[str, int] = {"hybrid": 100, "keyword": 50, "semantic": 50}


class SearchTiming(BaseModel):
    """Where one search's time went, by stage (ms, wall clock), and the CPU its thread used:
    wall far above CPU means the query waited (on LanceDB's threads, the GIL or the cores),
    which is how the 100k server's slow queries were told from its fast ones (bench/measure/
    scale.py). Recorded for every search; costs a few clock reads."""

    stages: dict[str, float] = Field(default_factory=dict)
    total_ms: float = 0.0
    cpu_ms: float = 0.0


class Searcher:
    def __init__(self, store: Store, embedder: Embedder) -> None:
        self.store, self.embedder = store, embedder
        self._query_vectors: OrderedDict[str, tuple[np.ndarray, np.ndarray | None]] = OrderedDict()
        self.matrix = DenseMatrix(store, HIT_COLUMNS)
        self.fusion = FusionWeights()  # measured defaults; a bench may set others
        self.rerank_weight = RERANK_WEIGHT  # query/rerank.py; 0 turns the stage off
        self.last_timing = SearchTiming()  # of the latest search on any thread

    @contextmanager
    def _stage(self, timing: SearchTiming, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = (time.perf_counter() - started) * 1000
            timing.stages[name] = round(timing.stages.get(name, 0.0) + spent, 2)

    def query_vector(self, query: str) -> np.ndarray:
        """The query's embedding; editors re-ask the same paragraph often, so recent ones are kept."""
        return self._embedded(query)[0]

    def _embedded(self, query: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The query's vector and reduced token vectors (one forward pass; None: no tokens)."""
        found = self._query_vectors.get(query)
        if found is None:
            if isinstance(self.embedder, TokenEmbedder):
                found = self.embedder.embed_query_with_tokens(query)
            else:
                found = (self.embedder.embed_query(query), None)
            self._query_vectors[query] = found
            if len(self._query_vectors) > QUERY_CACHE_SIZE:
                self._query_vectors.popitem(last=False)
        else:
            self._query_vectors.move_to_end(query)
        return found

    def search(
        self,
        query: str,
        notes: Catalog | NotesOnDisk,
        mode: Mode = "hybrid",
        limit: int = 10,
        filters: SearchFilters | None = None,
        per_note: int | None = None,
    ) -> list[SearchHit]:
        if not self.store.ready() or not query.strip():
            return []
        timing = SearchTiming()
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return self._search(query, notes, mode, limit, filters, per_note, timing)
        finally:
            timing.total_ms = round((time.perf_counter() - started) * 1000, 2)
            timing.cpu_ms = round((time.thread_time() - cpu) * 1000, 2)
            self.last_timing = timing

    def _search(
        self,
        query: str,
        notes: Catalog | NotesOnDisk,
        mode: Mode,
        limit: int,
        filters: SearchFilters | None,
        per_note: int | None,
        timing: SearchTiming,
    ) -> list[SearchHit]:
        filters = filters or SearchFilters()
        allowed: set[str] | None = None
        if filters.active():
            wanted = notes.facts(frontmatter=bool(filters.where))  # columns: no record decoded
            allowed = {n.path for n in wanted if filters.admits(n)}
            if not allowed:
                return []
        depth = max(limit * (4 if per_note else 2), MIN_DEPTH[mode])
        if filters.text_active():  # passages are checked after retrieval: look deeper
            depth = max(depth * 4, 200)
        ranked: dict[str, list[dict[str, Any]]] = {}
        from_matrix = False
        if mode in ("hybrid", "semantic"):
            with self._stage(timing, "embed"):
                self.query_vector(query)
            with self._stage(timing, "dense"):
                ranked["semantic"], from_matrix = self._dense_rows(query, depth, allowed)
        if mode in ("hybrid", "keyword"):
            with self._stage(timing, "keyword"):
                ranked["keyword"] = self._keyword(query, depth, allowed)
        with self._stage(timing, "match"):
            if isinstance(notes, NotesOnDisk):  # the catalog is loading: read the hits' notes
                notes.prefetch(row["path"] for rows in ranked.values() for row in rows)
            if mode == "hybrid":
                ranked["phrase"] = _phrase_matches(query, ranked, notes)
                ranked["title"] = _title_matches(query, ranked, notes)
        with self._stage(timing, "fuse"):
            scores = self._scores(query, ranked, filters, from_matrix)
        if mode == "hybrid" and self.rerank_weight > 0:
            with self._stage(timing, "rerank"):
                tokens = self._embedded(query)[1]
                scores = rerank(
                    scores, rows_by_id(ranked), tokens, self.store.token_vectors, self.rerank_weight
                )
        with self._stage(timing, "fuse"):
            return self._fuse(query, ranked, scores, notes, limit, per_note, filters)

    def _dense(self, query: str, depth: int, allowed: set[str] | None) -> list[dict[str, Any]]:
        return self._dense_rows(query, depth, allowed)[0]

    def _dense_rows(
        self, query: str, depth: int, allowed: set[str] | None
    ) -> tuple[list[dict[str, Any]], bool]:
        """The dense list, and whether it came from the in-memory matrix (not LanceDB)."""
        vector = self.query_vector(query)
        ann = self.store.vector_index.state()
        if ann is not None:  # past the ANN switch point, at its calibrated settings
            rows = self.store.vector_search(
                vector, HIT_COLUMNS, depth, allowed, ann.nprobes, ann.refine_factor
            )
            return rows, False
        rows = self.matrix.top(vector, depth, allowed)
        if rows is not None:
            return rows, True
        return self.store.vector_search(vector, HIT_COLUMNS, depth, allowed), False

    def _scores(
        self,
        query: str,
        ranked: dict[str, list[dict[str, Any]]],
        filters: SearchFilters,
        from_matrix: bool,
    ) -> dict[str, float]:
        """One fused score per chunk. A keyword-only chunk's cosine is read from the matrix when
        the dense list just came from it (so `current()` has nothing to rebuild, barring a
        commit in between)."""
        weight = self.fusion.dense_weight(query, filters)

        def cosines(ids: Sequence[str]) -> dict[str, float]:
            snapshot = self.matrix.current()
            vector = self.query_vector(query)
            return {} if snapshot is None else cosines_of(snapshot, vector, ids)

        return hybrid_scores(ranked, weight, cosines if from_matrix else None)

    def _keyword(self, query: str, depth: int, allowed: set[str] | None) -> list[dict[str, Any]]:
        terms = tokenize(query)
        if not terms:
            return []
        return self.store.keyword_search(terms, HIT_COLUMNS, depth, allowed)

    def _fuse(
        self,
        query: str,
        ranked: dict[str, list[dict[str, Any]]],
        scores: dict[str, float],
        notes: Catalog | NotesOnDisk,
        limit: int,
        per_note: int | None,
        filters: SearchFilters,
    ) -> list[SearchHit]:
        rows: dict[str, dict[str, Any]] = {}
        ranks: dict[str, dict[str, int]] = {}
        for retriever, results in ranked.items():
            for rank, row in enumerate(results, start=1):
                rows.setdefault(row["id"], row)
                ranks.setdefault(row["id"], {})[retriever] = rank
        hits: list[SearchHit] = []
        per_path: dict[str, int] = {}
        passages: dict[tuple[str, str], SearchHit] = {}
        for chunk_id in sorted(scores, key=lambda c: -scores[c]):
            row = rows[chunk_id]
            if row["path"] not in notes:
                continue  # the note was deleted after the chunk was read
            if filters.text_active() and not filters.admits_text(row["text"]):
                continue
            title = _title(notes, row["path"]) or ""
            hit = _hit(row, title, query, scores[chunk_id], ranks[chunk_id])
            if _merge_into(hits, hit):
                continue
            # repeated boilerplate in one note: one hit that lists its other places
            same = (row["path"], passage_key(row["text"]))
            if same[1] and same in passages:
                passages[same].also_at.append(hit.citation)
                continue
            if per_note and per_path.get(row["path"], 0) >= per_note:
                continue
            passages[same] = hit
            per_path[row["path"]] = per_path.get(row["path"], 0) + 1
            hits.append(hit)
            if len(hits) >= limit:
                break
        return hits


def _same_span(a: SearchHit, b: SearchHit) -> bool:
    """Two chunks of one passage (a long line split in pieces, or a chunk's overlap tail)."""
    if a.path != b.path or a.page != b.page or a.sheet != b.sheet:
        return False
    if a.row_start is not None and b.row_start is not None:
        return a.row_start <= (b.row_end or 0) and b.row_start <= (a.row_end or 0)
    return bool(a.start_line and b.start_line) and (
        a.start_line <= b.end_line and b.start_line <= a.end_line
    )


def _merge_into(hits: list[SearchHit], hit: SearchHit) -> bool:
    """Fold `hit` into a better-ranked hit on an overlapping span of the same file; one passage is
    cited once (`:198` and `:198-200` become `:198-200`)."""
    for kept in hits:
        if _same_span(kept, hit):
            kept.start_line = min(kept.start_line, hit.start_line)
            kept.end_line = max(kept.end_line, hit.end_line)
            if kept.row_start is not None and hit.row_start is not None:
                kept.row_start = min(kept.row_start, hit.row_start)
                kept.row_end = max(kept.row_end or 0, hit.row_end or 0)
            for retriever, rank in hit.ranks.items():
                kept.ranks[retriever] = min(kept.ranks.get(retriever, rank), rank)
            if hit.similarity is not None:
                kept.similarity = max(kept.similarity or 0.0, hit.similarity)
            return True
    return False


def _title(notes: Catalog | NotesOnDisk, path: str) -> str | None:
    """A note's title, from the catalog's column when there is one (no record decoded)."""
    if isinstance(notes, Catalog):
        return notes.title(path)
    note = notes.get(path)
    return note.title if note is not None else None


def _candidates(ranked: dict[str, list[dict[str, Any]]]) -> list[tuple[int, dict[str, Any]]]:
    """Every candidate once, with its best rank in any list, best first (ties by chunk id)."""
    best: dict[str, tuple[int, dict[str, Any]]] = {}
    for results in ranked.values():
        for rank, row in enumerate(results, start=1):
            if rank < best.get(row["id"], (rank + 1, row))[0]:
                best[row["id"]] = (rank, row)
    return sorted(best.values(), key=lambda x: (x[0], x[1]["id"]))


def _phrase_matches(
    query: str, ranked: dict[str, list[dict[str, Any]]], notes: Mapping[str, NoteRecord]
) -> list[dict[str, Any]]:
    """Candidates that contain the query's words in order (text, heading or title), best first.

    A third list for the fusion: a chunk in it counts as the best keyword match (fusion.py), so
    exact lookups (a phrase, a heading, a title) do not lose to near-misses of meaning. Only for
    queries of two or more words.
    """
    phrase = words_of(query)
    if phrase.count(" ") < 3:
        return []
    found = []
    for _, row in _candidates(ranked):
        places = [row["text"], *(row["heading_path"] or []), _title(notes, row["path"]) or ""]
        if any(phrase in words_of(place) for place in places):
            found.append(row)
    return found


def _title_matches(
    query: str, ranked: dict[str, list[dict[str, Any]]], notes: Mapping[str, NoteRecord]
) -> list[dict[str, Any]]:
    """Candidates of a note whose title is the query, word for word (case and punctuation
    aside), best first: someone who types a note's title means that note (hybrid.py)."""
    wanted = words_of(query)
    if not wanted.strip():
        return []
    found = []
    for _, row in _candidates(ranked):
        title = _title(notes, row["path"])
        if title is not None and words_of(title) == wanted:
            found.append(row)
    return found


def _hit(
    row: dict[str, Any], title: str, query: str, score: float, ranks: dict[str, int]
) -> SearchHit:
    snippet = make_snippet(row["text"], query)
    return SearchHit(
        path=row["path"],
        title=title,
        heading_path=row["heading_path"] or [],
        start_line=row["start_line"] or 0,
        end_line=row["end_line"] or 0,
        snippet=snippet.text,
        match_spans=snippet.match_spans,
        score=round(score, 6),
        page=row["page"],
        sheet=row["sheet"],
        row_start=row["row_start"],
        row_end=row["row_end"],
        ranks=ranks,
        similarity=row.get("_similarity"),
    )
