"""The built-in embedder: freeing, reloading or caching the model changes no vector."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from vault_core.index.embed import MiniLMEmbedder
from vault_core.index.model_files import WEIGHTS_FILE, optimized_model_path


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


def test_an_idle_model_is_freed_and_reloads_on_the_next_call() -> None:
    """A long-running server frees the model after `idle_s` unused, never during a call."""
    embedder = MiniLMEmbedder()
    before = embedder.embed_query("Upanishads")
    assert not embedder.release_if_idle(0)  # 0: never
    assert not embedder.release_if_idle(60)  # just used
    with embedder._using():
        embedder._used_at -= 120
        assert not embedder.release_if_idle(60)  # a call is running
    embedder._used_at -= 120
    assert embedder.release_if_idle(60)
    assert embedder._session is None and embedder._tokenizer is None
    assert not embedder.release_if_idle(60)  # nothing left to free
    assert np.array_equal(embedder.embed_query("Upanishads"), before)


def test_one_text_alone_or_among_longer_ones_gets_one_vector() -> None:
    """Calls are cut by padded tokens: a text's vector must not depend on its batch mates."""
    embedder = MiniLMEmbedder()
    alone = embedder.embed_documents(["Vedanta and Buddhism"])[0]
    mixed = embedder.embed_documents(["Vedanta and Buddhism", "long text " * 100, "x"])[0]
    assert np.allclose(alone, mixed, atol=1e-5)


def _fresh_vectors(texts: list[str]) -> np.ndarray:
    return MiniLMEmbedder().embed_documents(texts)


def test_the_cached_optimised_graph_gives_the_packaged_models_vectors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime as ort

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    cached = optimized_model_path(ort.__version__)
    texts = ["Schopenhauer read the Upanishads.", "word " * 300]
    first = _fresh_vectors(texts)  # from the package; saves the optimised graph
    assert cached.is_file() and (cached.parent / WEIGHTS_FILE).stat().st_size > 80_000_000
    assert not list(cached.parent.parent.glob(".staging-*"))
    second = _fresh_vectors(texts)  # from the cache
    assert np.array_equal(first, second)


def test_a_damaged_cache_is_rebuilt_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import onnxruntime as ort

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    texts = ["Vedanta and Buddhism"]
    expected = _fresh_vectors(texts)
    cached = optimized_model_path(ort.__version__)
    cached.write_bytes(b"not an onnx graph")
    assert np.array_equal(_fresh_vectors(texts), expected)
    assert cached.stat().st_size > 1_000  # replaced by a good copy
    assert np.array_equal(_fresh_vectors(texts), expected)


def test_an_unwritable_cache_folder_still_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    vectors = _fresh_vectors(["Vedanta"])
    assert vectors.shape == (1, 384) and np.isclose(np.linalg.norm(vectors), 1.0, atol=1e-5)


def test_an_upgrade_leaves_no_stale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import onnxruntime as ort

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    stale = optimized_model_path("0.0.1").parent
    stale.mkdir(parents=True)
    (stale / WEIGHTS_FILE).write_bytes(b"old weights")
    _fresh_vectors(["Vedanta"])
    assert optimized_model_path(ort.__version__).is_file()
    assert not stale.exists()


def _resident_kb(path: Path) -> int:
    """Resident KB of this process's mappings of `path`."""
    total, mine = 0, False
    for line in Path("/proc/self/smaps").read_text(errors="replace").splitlines():
        head, _, rest = line.partition(" ")
        if "-" in head and ":" not in head:
            mine = rest.rstrip().endswith(str(path))
        elif mine and head == "Rss:":
            total += int(rest.split()[0])
    return total


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="Linux /proc only")
def test_pages_of_the_mapped_weights_go_back_after_each_call() -> None:
    """A query reads one row of the 47 MB word table per token, but the kernel maps 64 KB
    around each: without handing the pages back, a few hundred distinct words keep most of
    the table resident. Vectors are unchanged."""
    MiniLMEmbedder().load()  # fills the cache of the optimised graph if it is not there yet
    embedder = MiniLMEmbedder()
    embedder.load()
    weights = optimized_model_path(ort.__version__).parent / WEIGHTS_FILE
    assert embedder._weights is not None and embedder._weights.ranges  # the table is mapped
    words = sorted({w.strip(".,;:()").lower() for w in Path(__file__).read_text().split()})
    texts = [" ".join(words[i : i + 12]) for i in range(0, len(words), 12)]
    vectors = embedder.embed_documents(texts)
    queries = [embedder.embed_query(text) for text in texts]
    assert _resident_kb(weights) < 4096, _resident_kb(weights)
    assert np.array_equal(embedder.embed_documents(texts), vectors)  # pages refault, unchanged
    assert np.array_equal(np.stack(queries), vectors)


def test_the_sessions_workers_do_not_spin_between_calls() -> None:
    """A spinning worker held a core beside LanceDB's query after each query's embedding
    (docs/benchmarks.md "Hybrid tail and base memory at 100k"); vectors do not depend on it."""
    embedder = MiniLMEmbedder()
    vector = embedder.embed_query("a stoic's view of virtue")
    options = embedder._session.get_session_options()
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
    assert vector.shape == (384,) and abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5
