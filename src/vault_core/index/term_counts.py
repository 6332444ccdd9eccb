"""Term statistics of the keyword index, counted with arrow kernels instead of Python objects.

The chunks' `terms` column (the stemmed terms BM25 indexes) is split, dictionary-encoded and
counted per (term, group) in a few vectorised passes; a group is a note (`related()`'s BM25 over
whole notes) or the chunk itself (the study tools' document frequencies). Counting them with a
Counter per note or chunk kept ~15-20 MB of Python objects and fragmented heap per build on
vaultofknowledge (46k terms); here a vocabulary is one arrow array of strings, and a term is
found through a sorted array of its hashes instead of a dict of 46k strings.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    from vault_core.store.store import Store

TERM_IDS = pa.dictionary(pa.int32(), pa.string())
TERMS_BATCH = 2048  # chunks whose terms are read and counted at a time


def bm25_idf(n_docs: int, df: int) -> float:
    """BM25's idf of a term that `df` of `n_docs` documents use."""
    return math.log(1 + (n_docs - df + 0.5) / (df + 0.5))


def chunk_terms(
    store: Store, columns: tuple[str, ...] = ("path", "terms")
) -> Iterator[pa.RecordBatch]:
    """Every chunk's stemmed terms, a batch at a time (the column is as large as the texts: it
    is only read while term statistics are counted)."""
    if store.ready():
        yield from store.scan_chunks(list(columns), TERMS_BATCH)


class Vocabulary:
    """Terms numbered 0..n-1 in the order of an arrow string array."""

    def __init__(self, terms: pa.StringArray) -> None:
        self.terms = terms
        hashes = np.fromiter((hash(t) for t in terms.to_pylist()), np.int64, len(terms))
        self._by_hash = np.argsort(hashes, kind="stable").astype(np.int32)
        self._hashes = hashes[self._by_hash]

    def __len__(self) -> int:
        return len(self.terms)

    def term_id(self, term: str) -> int | None:
        """The term's number, or None when it is not in the vocabulary."""
        h = hash(term)
        at = int(np.searchsorted(self._hashes, h))
        while at < len(self._hashes) and self._hashes[at] == h:
            k = int(self._by_hash[at])
            if self.terms[k].as_py() == term:
                return k
            at += 1
        return None


GroupOf = Callable[[pa.RecordBatch], pa.Array]


@dataclass
class TermCounts:
    """How often each term occurs in each group, as (term, group) pairs sorted by term."""

    vocabulary: Vocabulary
    pair_term: np.ndarray  # term number of each pair, ascending
    pair_group: np.ndarray  # int32 group number of each pair
    tf: np.ndarray  # occurrences of the term in the group
    group_tokens: np.ndarray  # tokens per group (a group's length)
    chunks_read: int  # chunk rows read, counted or not

    @classmethod
    def count(
        cls, chunks: Iterable[pa.RecordBatch], group_of: GroupOf | None, n_groups: int = 0
    ) -> TermCounts:
        """`chunks`: batches with a `terms` column (space-separated), read one at a time.
        `group_of(batch)`: each chunk's group number (null: not counted); None makes every
        chunk its own group, numbered in reading order. `n_groups`: at least this many groups."""
        encoded: list[pa.DictionaryArray] = []
        group_parts: list[np.ndarray] = []
        rows = 0
        for batch in chunks:  # each batch's token strings are dropped once encoded
            tokens = pc.utf8_split_whitespace(batch.column("terms"))
            if group_of is None:
                chunk_group = pa.array(np.arange(rows, rows + batch.num_rows, dtype=np.int32))
            else:
                chunk_group = group_of(batch)
            rows += batch.num_rows
            group = chunk_group.take(pc.list_parent_indices(tokens))
            kept = pc.is_valid(group)
            encoded.append(pc.dictionary_encode(pc.list_flatten(tokens).filter(kept)))
            group_parts.append(group.filter(kept).to_numpy(zero_copy_only=False))
        n_groups = max(n_groups, rows if group_of is None else 0)
        width = max(n_groups, 1)  # keys are term * width + group
        unified = pa.chunked_array(encoded, TERM_IDS).unify_dictionaries()
        del encoded
        terms = unified.chunk(0).dictionary if unified.num_chunks else pa.array([], pa.string())
        # one sortable key per token, as narrow as the vault allows (the build's peak)
        key_type = np.int64 if len(terms) * width >= 2**31 else np.int32
        group_ids = np.concatenate([np.zeros(0, key_type), *group_parts]).astype(key_type)
        del group_parts
        keys = np.concatenate(
            [np.zeros(0, key_type), *(c.indices.to_numpy() for c in unified.chunks)]
        ).astype(key_type)
        del unified
        keys *= width
        keys += group_ids
        pairs, tf = np.unique(keys, return_counts=True)
        del keys
        group_tokens = np.bincount(group_ids, minlength=n_groups)
        del group_ids
        return cls(
            vocabulary=Vocabulary(terms),
            pair_term=pairs // width,
            pair_group=(pairs % width).astype(np.int32),
            tf=tf,
            group_tokens=group_tokens,
            chunks_read=rows,
        )

    def doc_freq(self) -> np.ndarray:
        """Per term: in how many groups it occurs."""
        return np.bincount(self.pair_term, minlength=len(self.vocabulary))
