"""BM25 over whole notes for `related()`: flat postings from the keyword index's term counts.

The counting is `index/term_counts.py` (arrow kernels, grouped by note); this module turns the
(term, note) counts into BM25 weights. Building it from one Counter per note kept ~20 MB of
Python objects and fragmented heap after every build on vaultofknowledge (46k terms, 214k
postings).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.term_counts import TermCounts, bm25_idf

BM25_K1, BM25_B = 1.2, 0.75


class NoteBM25:
    """Postings of every term: the notes that use it (ascending) and their BM25 weight for it."""

    def __init__(self, chunks: Iterable[pa.RecordBatch], paths: list[str]) -> None:
        """`chunks`: batches with a `path` and a `terms` (space-separated) column, read one at a
        time; `paths`: the notes, in their index order. Chunks of other paths are ignored."""
        self.n_docs = max(len(paths), 1)
        value_set = pa.array(paths, pa.string())
        counts = TermCounts.count(
            chunks, lambda batch: pc.index_in(batch.column("path"), value_set=value_set), len(paths)
        )
        self.vocabulary = counts.vocabulary
        lengths = counts.group_tokens.astype(np.float32)
        avg = float(lengths[lengths > 0].mean()) if (lengths > 0).any() else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg)
        self.posting_note = counts.pair_group
        df = counts.doc_freq()
        self.term_start = np.concatenate(([0], np.cumsum(df)))
        idf = np.array([self.idf_of(d) for d in df.tolist()], np.float32)
        tf = counts.tf
        saturation = (tf * (BM25_K1 + 1)).astype(np.float32) / (
            tf.astype(np.float32) + norm[self.posting_note]
        )
        self.posting_weight = saturation * idf[counts.pair_term]

    def term_id(self, term: str) -> int | None:
        """The term's number, or None when no note uses it."""
        return self.vocabulary.term_id(term)

    def doc_freq(self, term: str) -> int:
        """How many notes use the term (0 for a term no note has)."""
        k = self.term_id(term)
        return 0 if k is None else int(self.term_start[k + 1] - self.term_start[k])

    def idf(self, term: str) -> float:
        return self.idf_of(self.doc_freq(term))

    def idf_of(self, df: int) -> float:
        """BM25's idf for a term that `df` notes use."""
        return bm25_idf(self.n_docs, df)

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(notes that use the term, ascending; their BM25 weight for it): views, not copies.
        Empty for a term no note has."""
        k = self.term_id(term)
        if k is None:
            return self.posting_note[:0], self.posting_weight[:0]
        a, b = self.term_start[k], self.term_start[k + 1]
        return self.posting_note[a:b], self.posting_weight[a:b]
