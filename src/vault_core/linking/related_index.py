"""The in-memory index behind `related()`: chunk and note vectors, BM25 postings and link sets.

Built once per catalog version and shared by every query, so a query is a couple of matrix
products and a few numpy adds instead of one LanceDB query per chunk.
"""

from __future__ import annotations

import math
import re
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from weakref import WeakKeyDictionary

import numpy as np

from vault_core.index.link_graph import strip_links
from vault_core.index.terms import TERM_WORD_RE, word_terms
from vault_core.linking.note_bm25 import NoteBM25
from vault_core.linking.related_links import LinkSets
from vault_core.linking.related_parts import current_parts, keep_base
from vault_core.linking.related_titles import title_postings
from vault_core.store.memory import release_free_memory

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel


K = TypeVar("K")
V = TypeVar("V")
NOTE_MEMO = 256  # notes whose link-free text, query terms and mention scores stay memoised
SIGNALS = frozenset({"semantic", "keyword", "graph"})
DEPTH = 50  # how deep each ranker's list goes into the fusion
PASSAGE_POOL = 300  # notes nearest overall whose chunks are compared passage by passage
FEEDBACK_TOP = 5  # suggestions whose neighbours the feedback signal counts
QUERY_TERMS = 30  # the note's most distinctive terms used as the BM25 query
SIMILAR_PASSAGE = 0.6  # MiniLM cosine above which two passages read as about the same thing
SIMILAR_NOTE = 0.6
POPULAR_MIN_SIM = 0.3  # the in-degree prior only reorders notes at least this similar overall
# First-pass fusion weights (global, never per note): weighted RRF only picks the FEEDBACK_TOP
# notes whose neighbours vouch for candidates; the final order comes from the fitted link model
# (link_model.py). Tuned on silverbullet-docs under the strict protocol (docs/benchmarks.md).
WEIGHTS: dict[str, float] = {
    "note": 2.0,  # whole-note similarity
    "passage": 1.0,  # best passage-to-passage similarity
    "keyword": 0.5,  # BM25 on the note's distinctive terms
    "graph": 0.5,  # Adamic-Adar over neighbours
    "popular": 1.0,  # in-degree prior (part of the graph signal)
    "mention": 0.5,  # the note names the other note (title, alias, file name) in plain text
    "folder": 0.5,  # similarity among notes in the same folder
    "feedback": 0.5,  # neighbours of the best suggestions so far
    "titles": 0.5,  # how much of the other note's title (idf-weighted) the note's words cover
    "peers": 0.5,  # notes linked by the notes most like this one
}


class NoteIndex:
    """Note vectors, BM25 postings and link sets for one version of the catalog.

    The per-note parts (unit mean vectors, term counts) are the persisted base patched with the
    notes changed since (related_parts.py); the link sets come from the link graph's arrays.
    Chunk vectors, texts, headings and lines are not copied: they are read through `source`
    (query/chunk_vectors.py: the searcher's matrix, or LanceDB past the ANN switch point) by
    `chunk_row`, this index's chunk order (note, ordinal) mapped to the source's rows.
    """

    def __init__(self, vault: ReadModel, previous: NoteIndex | None = None) -> None:
        """`previous`: the index of an earlier catalog version, whose title terms are reused
        for the notes that did not change."""
        graph = vault.graph
        self.graph = graph  # the version token: a new LinkGraph object means the catalog changed
        self.vectors_generation = vault.vectors_generation  # phase 2 fills vectors in later
        self.built_at = time.monotonic()
        self.records = graph.notes.copy()  # copy-on-write over the catalog's columns
        self.dim = vault.embedder.dim
        base = vault.note_parts()
        if base is None:  # none written yet: a writer scans in a child process and saves
            base = vault.build_note_parts()
        self.parts = current_parts(vault, base)
        self.paths: list[str] = self.parts.paths
        self.pos: dict[str, int] = {p: i for i, p in enumerate(self.paths)}
        n = len(self.paths)
        self.has_vector = self.parts.embedded > 0
        source = vault.chunk_vectors(self.paths)
        self.source = source
        if source is not None:
            self.chunk_row, self.chunk_note = source.layout(self.paths, self.parts.chunks)
        else:
            self.chunk_row, self.chunk_note = np.zeros(0, np.int64), np.zeros(0, np.int64)
        counts = np.bincount(self.chunk_note, minlength=n)
        self.chunk_end = np.cumsum(counts)
        self.chunk_start = self.chunk_end - counts
        self.keywords = NoteBM25(self.parts)
        self.links = LinkSets(graph, self.paths, self.pos)
        self.out, self.inc, self.in_degree = self.links.out, self.links.inc, self.links.in_degree
        self._queries: dict[tuple[str, int, bool], tuple[dict[str, float], dict[str, str]]] = {}
        self._texts: dict[tuple[str, bool], str] = {}
        self._stripped: dict[tuple[str, bool], np.ndarray] = {}
        self._link_text: dict[str, str] = {}
        self._mentions: dict[tuple[str, bool], np.ndarray] = {}
        self._matrix: np.ndarray | None = None
        self._build_titles(previous)
        self.folders = np.array([p.rpartition("/")[0] for p in self.paths], dtype=object)
        release_free_memory()  # the build's arrow buffers and lists are gone

    @property
    def note_matrix(self) -> np.ndarray:
        """Every note's unit mean vector, float32 (n x dim), made on first use: whole-vault
        callers (lint's nearest notes) want one matrix; a query uses `note_similarities`."""
        if self._matrix is None:
            self._matrix = self.parts.matrix_rows(np.arange(len(self.paths)))
        return self._matrix

    def doc_freq(self, term: str) -> int:
        """How many notes use the term (0 for a term no note has)."""
        return self.keywords.doc_freq(term)

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(notes that use the term, ascending; their BM25 weight for it): views, not copies."""
        return self.keywords.posting(term)

    def _build_titles(self, previous: NoteIndex | None) -> None:
        """Title/alias/file-name terms per note (related_titles.py), with their idf mass, for
        the `titles` signal; `previous`'s postings are reused for the notes that did not change."""
        self.title_postings = title_postings(
            self.records, self.paths, self.pos, self.parts.names, previous
        )
        names = list(self.title_postings)
        idf = self.keywords.idfs(names)
        mass = np.zeros(len(self.paths), np.float64)
        for k, t in enumerate(names):
            mass[self.title_postings[t]] += idf[k]
        self.title_mass = mass.astype(np.float32)

    def link_free_text(self, vault: ReadModel, path: str, keep_words: bool = False) -> str:
        """The note's text without its links (see `strip_links`), NFKC-normalised; memoised."""
        key = (path, keep_words)
        if key not in self._texts:
            text = strip_links(self.read_text(vault, path), keep_words)
            return _remember(self._texts, key, unicodedata.normalize("NFKC", text))
        return self._texts[key]

    def title_scores(self, vault: ReadModel, path: str, keep_words: bool = False) -> np.ndarray:
        """Per note: idf mass of its title terms found in this note's link-free text, times the
        share of its title that covers (a full-title match beats one common word)."""
        text = self.link_free_text(vault, path, keep_words)
        words = {t for m in TERM_WORD_RE.finditer(text) for t in word_terms(m.group(0))}
        hit = np.zeros(len(self.paths), np.float32)
        for t in words:
            ix = self.title_postings.get(t)
            if ix is not None:
                hit[ix] += self.keywords.idf(t)
        return hit * hit / np.where(self.title_mass > 0, self.title_mass, 1.0)

    # -- queries ---------------------------------------------------------------------------
    def note_similarities(self, vector: np.ndarray) -> np.ndarray:
        """Per note: the cosine of its mean chunk vector with `vector` (unit length); 0 for a
        note with no vector yet."""
        if self._matrix is not None:
            return self._matrix @ vector.astype(np.float32)
        return self.parts.similarities(vector)

    def note_vector(self, i: int) -> np.ndarray:
        """Note `i`'s mean chunk vector, unit length (zeros before it has any vector)."""
        return self.parts.vector(i)

    def chunk_rows(self, path: str) -> np.ndarray:
        i = self.pos[path]
        return np.arange(self.chunk_start[i], self.chunk_end[i])

    def vectors(self, chunks: np.ndarray | int) -> np.ndarray:
        """Vectors of chunks (this index's numbering), from memory or fetched (chunk_vectors.py)."""
        if self.source is None:
            return np.zeros((0, self.dim), np.float32)
        rows = self.chunk_row[chunks]
        if np.ndim(rows) == 0:
            return self.source.vectors(np.array([rows], np.int64))[0]
        return self.source.vectors(rows)

    def prefetch(self, chunks: np.ndarray) -> None:
        """Chunks whose texts or lines are read next (one fetch past the switch point)."""
        if self.source is not None and len(chunks):
            self.source.prefetch(self.chunk_row[chunks])

    def _chunk(self, chunk: int) -> dict[str, Any]:
        assert self.source is not None
        return self.source.row(int(self.chunk_row[chunk]))

    def chunk_text(self, chunk: int) -> str:
        return str(self._chunk(chunk)["text"] or "")

    def chunk_headings(self, chunk: int) -> list[str]:
        return self._chunk(chunk)["heading_path"] or []

    def chunk_lines(self, chunk: int) -> tuple[int, int]:
        row = self._chunk(chunk)
        return row["start_line"] or 0, row["end_line"] or 0

    def read_text(self, vault: ReadModel, path: str) -> str:
        note = self.records[path]
        if note.kind == "note":
            try:
                return (vault.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                pass
        return "\n\n".join(self.chunk_text(i) for i in self.chunk_rows(path))

    def best_passages(
        self, vecs: np.ndarray, notes: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per note (of `notes`, default all): the best chunk-to-chunk cosine with `vecs`, and
        which of its chunks gave it; -1 for notes not scored."""
        n = len(self.paths)
        best = np.full(n, -1.0, np.float32)
        which = np.zeros(n, np.int64)
        notes = np.flatnonzero(self.has_vector) if notes is None else notes[self.has_vector[notes]]
        if not len(notes) or not len(vecs):
            return best, which
        notes = np.sort(notes)
        sizes = self.chunk_end[notes] - self.chunk_start[notes]
        offsets = np.concatenate(([0], np.cumsum(sizes)[:-1]))
        rows = np.repeat(self.chunk_start[notes] - offsets, sizes) + np.arange(sizes.sum())
        assert self.source is not None
        chunk_best = self.source.best_match(vecs, self.chunk_row[rows])
        best[notes] = np.maximum.reduceat(chunk_best, offsets)
        hits = np.flatnonzero(chunk_best >= best[self.chunk_note[rows]])
        found, first = np.unique(self.chunk_note[rows][hits], return_index=True)
        which[found] = rows[hits[first]]
        return best, which

    def query_terms(
        self, vault: ReadModel, path: str, k: int, keep_words: bool = False
    ) -> tuple[dict[str, float], dict[str, str]]:
        """The note's `k` most distinctive terms (tf-idf over its link-free text) with 1 + log(tf)
        query weights, and a readable word for each term (stems are not for people)."""
        cached = self._queries.get((path, k, keep_words))
        if cached is not None:
            return cached
        text = self.link_free_text(vault, path, keep_words)
        counts: Counter[str] = Counter()
        surface: dict[str, str] = {}
        for match in TERM_WORD_RE.finditer(text):
            for term in word_terms(match.group(0)):
                counts[term] += 1
                surface.setdefault(term, match.group(0).lower())
        scored = []
        for term, tf in counts.items():
            df = self.doc_freq(term)
            if df < 1 or len(term) < 2:
                continue
            idf = self.keywords.idf_of(df)
            scored.append(((1 + math.log(tf)) * idf, term, 1 + math.log(tf)))
        scored.sort(reverse=True)
        terms = {term: weight for _, term, weight in scored[:k]}
        result = (terms, {t: surface[t] for t in terms})
        return _remember(self._queries, (path, k, keep_words), result)

    def bm25(self, terms: dict[str, float], exclude: int) -> np.ndarray:
        scores = np.zeros(len(self.paths), np.float32)
        for term, weight in terms.items():
            ix, w = self.posting(term)
            scores[ix] += weight * w
        if len(scores):
            scores[exclude] = 0.0
        return scores

    def shared_terms(
        self, notes: list[int], terms: dict[str, float], surface: dict[str, str], n: int = 4
    ) -> dict[int, list[str]]:
        """For each of `notes`: the query terms it also has, heaviest first, as readable words."""
        found: dict[int, list[tuple[float, str]]] = {i: [] for i in notes}
        wanted = np.array(sorted(notes), np.int64)
        for term, weight in terms.items():
            ix, w = self.posting(term)
            at = np.searchsorted(ix, wanted).clip(max=len(ix) - 1)
            for i, a in zip(wanted.tolist(), at.tolist(), strict=True):
                if ix[a] == i:
                    found[i].append((float(w[a]) * weight, term))
        return {
            i: _distinct([surface[t] for _, t in sorted(f, reverse=True)], n)
            for i, f in found.items()
        }

    def stripped_vectors(self, vault: ReadModel, path: str, keep_words: bool = False) -> np.ndarray:
        """The note's chunks re-embedded without their links (evaluation; memoised per version)."""
        key = (path, keep_words)
        if key not in self._stripped:
            texts = [strip_links(self.chunk_text(i), keep_words) for i in self.chunk_rows(path)]
            vecs = vault.embedder.embed_documents(texts) if texts else np.zeros((0, self.dim))
            return _remember(self._stripped, key, np.asarray(vecs, dtype=np.float32))
        return self._stripped[key]

    def mention_scores(
        self,
        vault: ReadModel,
        path: str,
        named: Callable[[str, str], list[str]],
        keep_words: bool = False,
    ) -> np.ndarray:
        """How often the note names each other note in its link-free text (memoised).
        `named(path, text)` lists the notes a text names (the caller's mention finder)."""
        key = (path, keep_words)
        if key not in self._mentions:
            scores = np.zeros(len(self.paths), np.float32)
            if self.records[path].kind == "note":
                text = self.link_free_text(vault, path, keep_words)
                for target in named(path, text):
                    if target in self.pos:
                        scores[self.pos[target]] += 1.0
            return _remember(self._mentions, key, scores)
        return self._mentions[key]

    def link_text(self, vault: ReadModel, path: str) -> str:
        if path not in self._link_text:
            try:
                self._link_text[path] = self.graph.shortest_link_text(path)
            except KeyError:
                self._link_text[path] = re.sub(r"\.md$", "", path)
        return self._link_text[path]


_INDEXES: WeakKeyDictionary[Any, NoteIndex] = WeakKeyDictionary()
_BUILD_LOCK = threading.Lock()
VECTOR_REFRESH_S = 30.0  # while phase 2 runs, related() picks up new vectors this often


def _current(index: NoteIndex, vault: ReadModel, graph: LinkGraph) -> bool:
    """Same catalog, and vectors filled in since are either none or less than a rebuild's worth."""
    if index.graph is not graph:
        return False
    if index.vectors_generation == vault.vectors_generation:
        return True
    return time.monotonic() - index.built_at < VECTOR_REFRESH_S


def note_index(vault: ReadModel) -> NoteIndex:
    """The cached NoteIndex for the vault's current catalog version (rebuilt when it changes)."""
    graph = vault.graph
    cached = _INDEXES.get(vault)
    if cached is not None and _current(cached, vault, graph):
        return cached
    with _BUILD_LOCK:
        cached = _INDEXES.get(vault)
        if cached is None or not _current(cached, vault, vault.graph):
            cached = NoteIndex(vault, cached)
            _INDEXES[vault] = cached
            keep_base(vault, cached.parts)
        return cached


def _remember(cache: dict[K, V], key: K, value: V) -> V:
    """Store in a per-note memo that keeps at most NOTE_MEMO entries (the oldest go first): a
    server that is asked about every note in turn must not end up holding every note's text."""
    if len(cache) >= NOTE_MEMO:
        del cache[next(iter(cache))]
    cache[key] = value
    return value


def _distinct(words: list[str], n: int) -> list[str]:
    """The first `n` words that read differently (`eMMC` and `emmc` are one word to a reader)."""
    seen: set[str] = set()
    return [w for w in words if not (w.casefold() in seen or seen.add(w.casefold()))][:n]
