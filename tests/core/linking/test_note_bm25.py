"""NoteBM25 (related()'s note-level keyword index) against BM25 computed by hand."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pytest

from vault_core.index.note_parts import build_parts
from vault_core.linking import related_index
from vault_core.linking.note_bm25 import BM25_B, BM25_K1, NoteBM25
from vault_core.linking.related_parts import whole_parts
from vault_core.vault import Vault

DIM = 4


def chunks(rows: list[tuple[str, str | None]]) -> list[pa.RecordBatch]:
    """In batches of two rows: terms met in several batches share one id. No vectors yet."""
    table = pa.table(
        {
            "path": pa.array([p for p, _ in rows], pa.string()),
            "note_sha": pa.array(["sha"] * len(rows), pa.string()),
            "vector": pa.array([None] * len(rows), pa.list_(pa.float32(), DIM)),
            "terms": pa.array([t for _, t in rows], pa.string()),
        }
    )
    return table.to_batches(max_chunksize=2)


def note_bm25(batches: list[pa.RecordBatch], paths: list[str]) -> NoteBM25:
    """The index as a full scan builds it (index/note_parts.py)."""
    parts = build_parts(batches, dict.fromkeys(paths, "sha"), DIM)
    return NoteBM25(whole_parts(parts, sorted(paths)))


def test_postings_and_weights_match_textbook_bm25() -> None:
    paths = ["a.md", "b.md", "c.md"]
    table = chunks(
        [
            ("b.md", "bread starter flour"),
            ("a.md", "bread bread oven"),
            ("gone.md", "bread ghost"),  # a chunk of a note no longer in the catalog
            ("b.md", "starter"),
            ("c.md", None),  # a chunk with no terms
            ("a.md", "crust"),
        ]
    )
    index = note_bm25(table, paths)
    lengths = {"a.md": 4, "b.md": 4, "c.md": 0}
    avg = 4.0
    tf = {("bread", "a.md"): 2, ("bread", "b.md"): 1, ("starter", "b.md"): 2}
    for term, expected_notes in [("bread", ["a.md", "b.md"]), ("starter", ["b.md"])]:
        notes, weights = index.posting(term)
        assert [paths[i] for i in notes] == expected_notes  # ascending note order
        df = len(expected_notes)
        idf = math.log(1 + (3 - df + 0.5) / (df + 0.5))
        assert index.doc_freq(term) == df
        assert index.idf(term) == pytest.approx(idf)
        for note, weight in zip(notes.tolist(), weights.tolist(), strict=True):
            f = tf[(term, paths[note])]
            norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths[paths[note]] / avg)
            assert weight == pytest.approx(f * (BM25_K1 + 1) / (f + norm) * idf, rel=1e-6)
    assert index.doc_freq("ghost") == 0  # only in a chunk outside the catalog
    notes, weights = index.posting("nowhere")
    assert len(notes) == 0 and len(weights) == 0


def test_an_empty_vault_has_no_terms() -> None:
    index = note_bm25(chunks([]), [])
    assert index.doc_freq("anything") == 0
    assert len(index.posting("anything")[0]) == 0


def test_per_note_memos_stay_bounded(
    make_vault: Callable[..., Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server asked about every note in turn keeps at most NOTE_MEMO notes' texts."""
    monkeypatch.setattr(related_index, "NOTE_MEMO", 2)
    files = {f"n{i}.md": f"# Note {i}\n\nbread starter flour number {i}\n" for i in range(5)}
    vault = make_vault(files)
    for name in files:
        vault.related(name)
    index = related_index.note_index(vault)
    assert len(index._texts) == 2 and len(index._mentions) == 2 and len(index._queries) == 2
    assert set(index._texts) == {("n3.md", False), ("n4.md", False)}  # the latest stay
    norms = np.linalg.norm(index.note_matrix, axis=1)
    assert np.isfinite(index.note_matrix).all() and np.allclose(norms, 1.0, atol=1e-5)


def test_note_similarities_are_cosines_of_mean_chunk_vectors(
    make_vault: Callable[..., Vault],
) -> None:
    """Similarities equal the cosine of the notes' mean chunk vectors (index/note_parts.py
    sums them a sorted batch at a time)."""
    files = {
        "bread.md": "# Bread\n\nSourdough starter, flour and water.\n\n## Baking\n\nA hot oven.",
        "oven.md": "# Ovens\n\nA hot oven bakes bread evenly.",
        "empty.md": "",
        "ships.md": "# Ships\n\nSailing ships crossed the sea.\n\n## Ports\n\nHarbours.",
        "tea.md": "# Tea\n\nGreen tea is steeped briefly.",
    }
    vault = make_vault(files)
    vault.related("bread.md")
    index = related_index.note_index(vault)
    means = []
    for path in index.paths:
        total = index.vectors(index.chunk_rows(path)).sum(axis=0)
        means.append(total / (np.linalg.norm(total) or 1.0))
    query = means[index.pos["bread.md"]]
    assert np.allclose(index.note_similarities(query), np.stack(means) @ query, atol=1e-5)
    for i in range(len(index.paths)):
        assert np.allclose(index.note_vector(i), means[i], atol=1e-6)
