"""The built-in embedder: freeing the model and loading it again changes no vector."""

from __future__ import annotations

import numpy as np

from vault_core.index.embed import MiniLMEmbedder


def test_release_then_reload_gives_the_same_vectors() -> None:
    embedder = MiniLMEmbedder()
    texts = ["Schopenhauer read the Upanishads.", "A short one.", "word " * 300]
    before = embedder.embed_documents(texts)
    query_before = embedder.embed_query("Upanishads")
    embedder.release()
    assert embedder._session is None  # the ~100 MB session is really gone
    after = embedder.embed_documents(texts)
    assert np.array_equal(before, after)
    assert np.array_equal(query_before, embedder.embed_query("Upanishads"))
    assert np.allclose(np.linalg.norm(after, axis=1), 1.0, atol=1e-5)


def test_one_text_alone_or_among_longer_ones_gets_one_vector() -> None:
    """Calls are cut by padded tokens: a text's vector must not depend on its batch mates."""
    embedder = MiniLMEmbedder()
    alone = embedder.embed_documents(["Vedanta and Buddhism"])[0]
    mixed = embedder.embed_documents(["Vedanta and Buddhism", "long text " * 100, "x"])[0]
    assert np.allclose(alone, mixed, atol=1e-5)
