"""`TextVectors`: a chunk text's vector by its text hash, computed at most once.

Split from indexer.py so the sync engine only decides *what* to write; this decides where a
vector comes from (this process's cache, then the store, then the embedder).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from vault_core.index.embed import Embedder, TokenEmbedder
from vault_core.parse.chunk import ChunkDraft
from vault_core.store.store import Store

VECTOR_CACHE_SIZE = 200_000


class TextVectors:
    """The indexer's vector source: an LRU cache of recent vectors over the store and embedder."""

    def __init__(self, store: Store, embedder: Embedder, tokens: bool = True) -> None:
        """`tokens`: also store each embedded text's token vectors (`[embedder] token_vectors`)."""
        self.store, self.embedder, self.tokens = store, embedder, tokens
        self.cache: OrderedDict[str, np.ndarray] = OrderedDict()

    @property
    def cache_full(self) -> bool:
        return len(self.cache) >= VECTOR_CACHE_SIZE

    def remember(self, text_hash: str, vector: np.ndarray) -> None:
        self.cache[text_hash] = vector
        self.cache.move_to_end(text_hash)
        while len(self.cache) > VECTOR_CACHE_SIZE:
            self.cache.popitem(last=False)

    def reuse_moved(self, old_path: str, drafts: list[ChunkDraft]) -> None:
        """A moved file's stored vectors, remembered for its new chunks (same text, same order)."""
        rows = self.store.chunk_rows([old_path], ["ordinal", "vector"])
        if len(rows) != len(drafts):
            return
        for row, draft in zip(sorted(rows, key=lambda r: r["ordinal"]), drafts, strict=True):
            self.remember(draft.text_hash, np.asarray(row["vector"], dtype=np.float32))

    def known(self, hashes: list[str], ask_store: bool = True) -> dict[str, np.ndarray]:
        """Vectors already computed for these text hashes (this process's cache, then the store)."""
        vectors = {h: self.cache[h] for h in hashes if h in self.cache}
        missing = [h for h in hashes if h not in vectors]
        if missing and ask_store:
            vectors.update(self.store.vectors_for_hashes(missing))
        return vectors

    def vectors_for(
        self,
        text_by_hash: dict[str, str],
        embed: bool = True,
        remember: bool = True,
        ask_store: bool = True,
    ) -> tuple[dict[str, np.ndarray], int]:
        """Vectors for these texts: known ones reused, the rest embedded (when `embed`); returns
        them and how many were embedded. Phase 1 and phase 2 both come through here; phase 2's
        vectors go straight to the store, where `known` finds them, so it does not
        `remember` them (over a whole vault that cache would hold every vector)."""
        vectors = self.known(list(text_by_hash), ask_store)
        to_embed = [h for h in text_by_hash if h not in vectors]
        if to_embed and embed:
            texts = [text_by_hash[h] for h in to_embed]
            if self.tokens and isinstance(self.embedder, TokenEmbedder):  # token vectors from
                # the same pass, stored before the chunks' vectors (store/tokens.py)
                embedded, tokens = self.embedder.embed_documents_with_tokens(texts)
                if tokens is not None:
                    self.store.add_token_vectors(to_embed, tokens)
            else:
                embedded = self.embedder.embed_documents(texts)
            vectors.update(zip(to_embed, embedded, strict=True))
        if remember:
            for h, v in vectors.items():
                self.remember(h, v)
        return vectors, len(to_embed) if embed else 0
