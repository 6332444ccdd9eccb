"""BM25 over whole notes for `related()`: postings read from the per-note parts, weighted on use.

The term counts are the base parts' (memory-mapped, linking/related_parts.py) with the changed
notes' pairs masked, plus the delta's; a posting's BM25 weight is computed when the term is
asked for (a query asks ~30 terms), so a changed note's length or a new idf never rewrites the
whole vault's postings. Document frequencies are the base's minus the masked notes' (their
terms are read from the by-note copy of the pairs) plus the delta's.
"""

from __future__ import annotations

from bisect import bisect_left

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vault_core.index.term_counts import bm25_idf
from vault_core.linking.related_parts import CurrentParts
from vault_core.store.note_parts import NoteParts

BM25_K1, BM25_B = 1.2, 0.75
TERM_MEMO = 65_536  # terms whose numbers are remembered (cleared when full)


class _Terms:
    """A sorted arrow string array as a sequence of str, for `bisect`."""

    def __init__(self, vocab: pa.StringArray) -> None:
        self.vocab = vocab

    def __len__(self) -> int:
        return len(self.vocab)

    def __getitem__(self, k: int) -> str:
        return str(self.vocab[k].as_py())

    def find(self, term: str) -> int | None:
        k = bisect_left(self, term)
        return k if k < len(self.vocab) and self[k] == term else None


class NoteBM25:
    """Postings of every term: the notes that use it (ascending) and their BM25 weight for it."""

    def __init__(self, parts: CurrentParts) -> None:
        self.parts = parts
        n = len(parts.paths)
        self.n_docs = max(n, 1)
        base, delta = parts.base, parts.delta
        self._base_terms = _Terms(base.vocab)
        self._delta_terms = _Terms(delta.vocab) if delta is not None else None
        keep = np.flatnonzero(parts.base_final >= 0)
        lengths = np.zeros(n, np.float32)
        lengths[parts.base_final[keep]] = np.asarray(base.lengths)[keep]
        if delta is not None:
            lengths[parts.delta_final] = delta.lengths
        avg = float(lengths[lengths > 0].mean()) if (lengths > 0).any() else 1.0
        self.norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / avg)
        self._removed_terms, self._removed_count = _removed(base, parts.base_final)
        self._memo: dict[str, tuple[int | None, int | None]] = {}

    def _ids(self, term: str) -> tuple[int | None, int | None]:
        """(base term number, delta term number), memoised: a binary search reads ~16 arrow
        strings, and a query asks the same common terms again and again."""
        found = self._memo.get(term)
        if found is None:
            kd = self._delta_terms.find(term) if self._delta_terms is not None else None
            found = (self._base_terms.find(term), kd)
            if len(self._memo) >= TERM_MEMO:
                self._memo.clear()
            self._memo[term] = found
        return found

    def doc_freq(self, term: str) -> int:
        """How many notes use the term (0 for a term no note has)."""
        kb, kd = self._ids(term)
        df = 0
        if kb is not None:
            start = self.parts.base.term_start
            df += int(start[kb + 1] - start[kb])
            at = int(np.searchsorted(self._removed_terms, kb))
            if at < len(self._removed_terms) and self._removed_terms[at] == kb:
                df -= int(self._removed_count[at])
        if kd is not None and self.parts.delta is not None:
            start = self.parts.delta.term_start
            df += int(start[kd + 1] - start[kd])
        return df

    def idfs(self, terms: list[str]) -> np.ndarray:
        """BM25's idf of each of `terms` (float64), looked up together: one hash of each
        vocabulary instead of a binary search per term."""
        wanted = pa.array(terms, pa.string())
        df = np.zeros(len(terms), np.int64)
        base = self.parts.base
        kb = pc.index_in(wanted, value_set=base.vocab).to_numpy(zero_copy_only=False)
        found = ~np.isnan(kb.astype(np.float64))
        ids = kb[found].astype(np.int64)
        df[found] = np.asarray(base.term_start)[ids + 1] - np.asarray(base.term_start)[ids]
        at = np.searchsorted(self._removed_terms, ids).clip(
            max=max(len(self._removed_terms) - 1, 0)
        )
        if len(self._removed_terms):
            hit = self._removed_terms[at] == ids
            df[np.flatnonzero(found)[hit]] -= self._removed_count[at[hit]]
        if self.parts.delta is not None:
            delta = self.parts.delta
            kd = pc.index_in(wanted, value_set=delta.vocab).to_numpy(zero_copy_only=False)
            found = ~np.isnan(kd.astype(np.float64))
            ids = kd[found].astype(np.int64)
            df[found] += delta.term_start[ids + 1] - delta.term_start[ids]
        n = self.n_docs
        return np.log(1 + (n - df + 0.5) / (df + 0.5))

    def idf(self, term: str) -> float:
        return self.idf_of(self.doc_freq(term))

    def idf_of(self, df: int) -> float:
        """BM25's idf for a term that `df` notes use."""
        return bm25_idf(self.n_docs, df)

    def posting(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(notes that use the term, ascending; their BM25 weight for it). Empty for a term no
        note has."""
        kb, kd = self._ids(term)
        notes, tf = [np.zeros(0, np.int64)], [np.zeros(0, np.int32)]
        if kb is not None:
            base = self.parts.base
            a, b = int(base.term_start[kb]), int(base.term_start[kb + 1])
            where = self.parts.base_final[base.post_note[a:b]]
            kept = where >= 0
            notes.append(where[kept])
            tf.append(np.asarray(base.post_tf[a:b])[kept])
        if kd is not None and self.parts.delta is not None:
            delta = self.parts.delta
            a, b = int(delta.term_start[kd]), int(delta.term_start[kd + 1])
            notes.append(self.parts.delta_final[delta.post_note[a:b]])
            tf.append(np.asarray(delta.post_tf[a:b]))
        ix, counts = np.concatenate(notes), np.concatenate(tf)
        if kd is not None:
            order = np.argsort(ix, kind="stable")
            ix, counts = ix[order], counts[order]
        idf = np.float32(self.idf_of(len(ix)))
        saturation = (counts * (BM25_K1 + 1)).astype(np.float32) / (
            counts.astype(np.float32) + self.norm[ix]
        )
        return ix, saturation * idf


def _removed(base: NoteParts, base_final: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(base term ids, ascending; how many masked base notes use each)."""
    gone = np.flatnonzero(base_final < 0)
    if not len(gone):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts, ends = base.note_start[gone], base.note_start[gone + 1]
    sizes = ends - starts
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(sizes)[:-1])), sizes)
    terms = np.asarray(base.note_terms)[offsets + np.arange(int(sizes.sum()))]
    ids, counts = np.unique(terms, return_counts=True)
    return ids.astype(np.int64), counts.astype(np.int64)
