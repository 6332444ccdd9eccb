"""BM25 over whole notes for `related()`: postings built with arrow kernels, not Python objects.

The chunks' `terms` column (the keyword index's stemmed terms) is split, dictionary-encoded and
counted per (term, note) in a few vectorised passes. Building it from one Counter per note kept
~20 MB of Python objects and fragmented heap after every build on vaultofknowledge (46k terms,
214k postings); now the index is flat arrays plus the arrow array of terms, and a term is found
through a sorted array of its hashes instead of a dict of 46k strings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

BM25_K1, BM25_B = 1.2, 0.75
TERM_IDS = pa.dictionary(pa.int32(), pa.string())


class NoteBM25:
    """Postings of every term: the notes that use it (ascending) and their BM25 weight for it."""

    def __init__(self, chunks: Iterable[pa.RecordBatch], paths: list[str]) -> None:
        """`chunks`: batches with a `path` and a `terms` (space-separated) column, read one at a
        time; `paths`: the notes, in their index order. Chunks of other paths are ignored."""
        self.n_docs = max(len(paths), 1)
        n_notes = len(paths)
        value_set = pa.array(paths, pa.string())
        encoded: list[pa.DictionaryArray] = []
        note_parts: list[np.ndarray] = []
        for batch in chunks:  # each batch's token strings are dropped once encoded
            tokens = pc.utf8_split_whitespace(batch.column("terms"))
            note_of_chunk = pc.index_in(batch.column("path"), value_set=value_set)
            note = note_of_chunk.take(pc.list_parent_indices(tokens))
            kept = pc.is_valid(note)
            encoded.append(pc.dictionary_encode(pc.list_flatten(tokens).filter(kept)))
            note_parts.append(note.filter(kept).to_numpy(zero_copy_only=False))
        unified = pa.chunked_array(encoded, TERM_IDS).unify_dictionaries()
        del encoded
        self.terms: pa.StringArray = (
            unified.chunk(0).dictionary if unified.num_chunks else pa.array([], pa.string())
        )
        # one sortable key per token, as narrow as the vault allows (the build's peak)
        wide = len(self.terms) * max(n_notes, 1) >= 2**31
        key_type = np.int64 if wide else np.int32
        note_ids = np.concatenate([np.zeros(0, key_type), *note_parts]).astype(key_type)
        del note_parts
        keys = np.concatenate(
            [np.zeros(0, key_type), *(c.indices.to_numpy() for c in unified.chunks)]
        ).astype(key_type)
        del unified
        keys *= n_notes
        keys += note_ids
        pairs, tf = np.unique(keys, return_counts=True)
        del keys
        lengths = np.bincount(note_ids, minlength=n_notes).astype(np.float32)
        del note_ids
        avg = float(lengths[lengths > 0].mean()) if (lengths > 0).any() else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg)
        self.posting_note = (pairs % max(n_notes, 1)).astype(np.int32)
        pair_term = pairs // max(n_notes, 1)
        df = np.bincount(pair_term, minlength=len(self.terms))
        self.term_start = np.concatenate(([0], np.cumsum(df)))
        idf = np.array([self.idf_of(d) for d in df.tolist()], np.float32)
        saturation = (tf * (BM25_K1 + 1)).astype(np.float32) / (
            tf.astype(np.float32) + norm[self.posting_note]
        )
        self.posting_weight = saturation * idf[pair_term]
        hashes = np.fromiter((hash(t) for t in self.terms.to_pylist()), np.int64, len(self.terms))
        self._by_hash = np.argsort(hashes, kind="stable").astype(np.int32)
        self._hashes = hashes[self._by_hash]

    def term_id(self, term: str) -> int | None:
        """The term's number, or None when no note uses it."""
        h = hash(term)
        at = int(np.searchsorted(self._hashes, h))
        while at < len(self._hashes) and self._hashes[at] == h:
            k = int(self._by_hash[at])
            if self.terms[k].as_py() == term:
                return k
            at += 1
        return None

    def doc_freq(self, term: str) -> int:
        """How many notes use the term (0 for a term no note has)."""
        k = self.term_id(term)
        return 0 if k is None else int(self.term_start[k + 1] - self.term_start[k])

    def idf(self, term: str) -> float:
        return self.idf_of(self.doc_freq(term))

    def idf_of(self, df: int) -> float:
        """BM25's idf for a term that `df` notes use."""
        return math.log(1 + (self.n_docs - df + 0.5) / (df + 0.5))

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(notes that use the term, ascending; their BM25 weight for it): views, not copies.
        Empty for a term no note has."""
        k = self.term_id(term)
        if k is None:
            return self.posting_note[:0], self.posting_weight[:0]
        a, b = self.term_start[k], self.term_start[k + 1]
        return self.posting_note[a:b], self.posting_weight[a:b]
