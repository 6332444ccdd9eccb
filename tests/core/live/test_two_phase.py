"""The two-phase index: names and keywords exact after phase 1, vectors filled in by phase 2.

Phase 2 is "paused" by syncing with `embed=False` and calling `embed_step` by hand (a Vault with
no watcher never embeds on its own), so each test sees the index between the two phases.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from poll import wait_for
from vault_files import write_files

from vault_core.vault import Vault

NOTES = {
    "Schopenhauer on Upanishads.md": (
        "# Schopenhauer on Upanishads\n\nHe called them the consolation of his life. "
        "See [[Vedanta]] and [[Missing teacher]].\n"
    ),
    "Vedanta.md": "# Vedanta\n\nA school of Indian philosophy; zebracrossing token.\n",
    "Vedanta Sutras.md": "# Vedanta Sutras\n\nAphorisms that systematise the Upanishads.\n",
    "garden/Tomatoes.md": (
        "---\naliases: [Love apples]\n---\n# Tomatoes\n\nStake them and water deeply "
        "in dry summers; link to [[Schopenhauer on Upanishads]].\n"
    ),
}


def phase1(make_vault: Callable[..., Vault]) -> Vault:
    vault = make_vault(NOTES, sync=False)
    vault.sync(embed=False)
    return vault


def test_after_phase_1_names_links_and_keywords_are_exact(
    make_vault: Callable[..., Vault],
) -> None:
    vault = phase1(make_vault)
    assert vault.names_complete
    status = vault.status()
    assert status.notes == 4 and status.chunks_embedded == 0 and status.chunks > 0
    assert status.catching_up and status.indexing.phase == "embedding"
    assert "names and keywords are complete" in status.indexing.describe()
    # every name-based feature is exact although no vector exists
    assert vault.resolve("Love apples").path == "garden/Tomatoes.md"
    backlinks = {r.source for r in vault.backlinks("Schopenhauer on Upanishads.md")}
    assert backlinks == {"garden/Tomatoes.md"}
    out = {r.link.target: r.broken for r in vault.links("Schopenhauer on Upanishads.md")}
    assert out == {"Vedanta": False, "Missing teacher": True}
    hits = vault.search("zebracrossing", mode="keyword")
    assert [h.path for h in hits] == ["Vedanta.md"]
    # hybrid answers from keywords; the dense side has nothing to rank yet
    assert vault.search("zebracrossing", mode="hybrid")[0].path == "Vedanta.md"
    assert vault.search("Indian philosophy school", mode="semantic") == []


def test_phase_2_fills_every_vector_with_its_own_texts_embedding(
    make_vault: Callable[..., Vault],
) -> None:
    vault = phase1(make_vault)
    total = vault.progress.chunks_total
    steps = 0
    while vault.embed_step(max_chunks=2).written:
        steps += 1
    assert steps >= total // 2
    state = vault.status()
    assert state.chunks_embedded == state.chunks == total and not state.catching_up
    assert state.indexing.phase == "idle" and state.indexing.describe() == "up to date"
    rows = vault.store.chunk_rows(list(vault.catalog))
    fresh = vault.embedder.embed_documents([r["text"] for r in rows])
    stored = np.stack([np.asarray(r["vector"], dtype=np.float32) for r in rows])
    assert np.allclose(stored, fresh, atol=1e-4)
    assert vault.search("Indian philosophy school", mode="semantic")[0].path.startswith("Vedanta")


def test_a_chunk_rewritten_between_the_phases_never_gets_the_old_texts_vector(
    make_vault: Callable[..., Vault],
) -> None:
    vault = phase1(make_vault)
    indexer = vault.indexer
    assert indexer is not None
    pending = vault.store.pending_chunks(100, ["Vedanta.md"])
    assert pending, "phase 1 left Vedanta.md without vectors"
    # phase 2 read the old text; the file changes before its vectors are written
    old = pending[0]
    (vault.root / "Vedanta.md").write_text("# Vedanta\n\nNow about monsoon rivers.\n")
    time.sleep(0.01)
    vault.sync(["Vedanta.md"])  # a saved file embeds inline
    stale = vault.embedder.embed_documents([old["text"]])
    vault.store.set_vectors([old["id"]], [old["text_hash"]], stale)  # refused: text changed
    row = vault.store.chunk_rows(["Vedanta.md"])[0]
    now = vault.embedder.embed_documents([row["text"]])[0]
    assert float(np.dot(row["vector"], now)) > 0.999


def test_notes_the_user_touches_are_embedded_first(make_vault: Callable[..., Vault]) -> None:
    vault = phase1(make_vault)
    vault.prioritize(["garden/Tomatoes.md"])
    step = vault.embed_step(max_chunks=1)
    assert step.paths == ["garden/Tomatoes.md"]
    assert vault.store.pending_chunks(10, ["garden/Tomatoes.md"]) == []


def test_a_restart_reports_the_whole_vault_and_finishes_phase_2(tmp_path: Path) -> None:
    root = write_files(tmp_path / "vault", NOTES)
    with Vault.open(root) as vault:
        vault.sync(embed=False)  # the first process stops after phase 1
    seen: list[tuple[str, int, int]] = []
    vault = Vault.open(root, watch=True)
    try:

        def done() -> bool:
            p = vault.embedding_state()
            seen.append((p.phase, p.done, p.total))
            return bool(vault.names_complete and p.chunks_total and not p.embedding_pending)

        wait_for(done, 120, every=0.02, what="phase 2 to finish")
        final = vault.status()
    finally:
        vault.close()
    assert final.chunks_embedded == final.chunks > 0
    # the catch-up counts all 4 files (unchanged ones included), never just the remainder
    assert any(total == 4 and done == 4 for _, done, total in seen)
    assert all(total in (0, 4) for _, _, total in seen)
