"""related()'s persisted note parts: a patched base answers as a fresh full scan does, after a
save, a rename and a delete; a reader uses the writer's files; a kill mid-write loses nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from related_support import saved

from vault_core.linking import related_index, related_parts
from vault_core.store.note_parts import describe, load_parts
from vault_core.vault import Vault

NOTES = {
    "sourdough.md": "# Sourdough\n\nA lively starter, flour and water; the levain doubles "
    "overnight before the dough is mixed. See [[oven]].\n",
    "starter.md": "# Starter care\n\nFeed the sourdough starter equal weights of flour and "
    "water; wild yeast and lactobacilli make the levain rise.\n",
    "oven.md": "# Oven\n\nBake bread in a preheated Dutch oven, lid on, then lid off until the "
    "crust is dark. [[sourdough]] needs the most heat.\n",
    "crumb.md": "# Crumb\n\nAn open crumb comes from a wet dough, a strong starter and a long "
    "cold ferment.\n",
    "rust.md": "# Rust ownership\n\nEvery value has one owner; the borrow checker rejects a "
    "mutable borrow while shared references live.\n",
    "tomatoes.md": "# Tomatoes\n\nPlant seedlings after the last frost and water the roots in "
    "the morning. [[compost]] helps.\n",
    "compost.md": "# Compost\n\nKitchen scraps and leaves rot into compost for the tomatoes "
    "and the beds.\n",
}


def answers(vault: Vault) -> dict[str, list[tuple[str, float, tuple[str, ...]]]]:
    return {
        n.path: [(r.path, round(r.score, 4), tuple(r.reasons)) for r in vault.related(n.path)]
        for n in vault.notes()
    }


def fresh_answers(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """The same questions with no base on disk: one full scan of every chunk."""
    related_index._INDEXES.pop(vault, None)
    with monkeypatch.context() as m:
        m.setattr(vault, "note_parts", lambda: None)
        m.setattr(vault, "save_note_parts", lambda parts: False)
        m.setattr(vault, "build_note_parts", lambda: None)
        found = answers(vault)
        assert related_index.note_index(vault).parts.scanned
    related_index._INDEXES.pop(vault, None)
    return found


def test_patched_base_answers_as_a_full_scan(
    make_vault: Callable[..., Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(NOTES)
    first = answers(vault)
    saved(vault)  # the writer's first scan became the base
    meta = describe(vault.location.folder)
    assert meta is not None and meta["notes"] == len(NOTES)
    assert first == fresh_answers(vault, monkeypatch)
    root = vault.root

    # a save: one note's text changes
    (root / "crumb.md").write_text(
        "# Crumb\n\nAn open crumb needs a strong sourdough starter, a wet dough and a hot oven.\n",
        encoding="utf-8",
    )
    vault.sync()
    patched = answers(vault)
    parts = related_index.note_index(vault).parts
    assert not parts.scanned and parts.patched == 1 and parts.delta is not None
    assert patched == fresh_answers(vault, monkeypatch)
    assert patched["crumb.md"] != first["crumb.md"]

    # a rename and a delete
    os.rename(root / "starter.md", root / "levain.md")
    (root / "rust.md").unlink()
    vault.sync()
    patched = answers(vault)
    parts = related_index.note_index(vault).parts
    assert "levain.md" in parts.paths and "rust.md" not in parts.paths
    assert parts.patched == 4  # crumb, levain (new), starter and rust (gone)
    assert patched == fresh_answers(vault, monkeypatch)
    assert describe(vault.location.folder) == meta  # below REWRITE_AFTER: the base stays


def test_a_big_delta_is_rewritten_as_the_base(
    make_vault: Callable[..., Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(NOTES)
    vault.related("oven.md")
    saved(vault)
    before = describe(vault.location.folder)
    monkeypatch.setattr(related_parts, "REWRITE_AFTER", 0)
    (vault.root / "oven.md").write_text("# Oven\n\nA wood-fired oven for pizza.\n", "utf-8")
    vault.sync()
    vault.related("oven.md")
    saved(vault)
    after = describe(vault.location.folder)
    assert before is not None and after is not None and after["folder"] != before["folder"]
    assert len(list((vault.location.folder / "related").iterdir())) == 2  # folder + pointer
    related_index._INDEXES.pop(vault, None)
    assert related_index.note_index(vault).parts.patched == 0


def test_a_reader_uses_the_writers_parts(make_vault: Callable[..., Vault]) -> None:
    writer = make_vault(NOTES)
    expected = answers(writer)
    saved(writer)
    reader = Vault.open(writer.root, writer=False)
    try:
        assert answers(reader) == expected
        parts = related_index.note_index(reader).parts
        assert not parts.scanned and parts.patched == 0
        assert isinstance(parts.base.unit, np.memmap)  # mapped, not read
    finally:
        reader.close()


WRITER = r"""
import sys
import numpy as np, pyarrow as pa
from pathlib import Path
from vault_core.index.note_names import names_table
from vault_core.store.note_parts import NoteParts, write_parts
n, dim, rng = 40_000, 384, np.random.default_rng(0)
paths = [f"n{i:06d}.md" for i in range(n)]
kinds = dict.fromkeys(paths, "note")
for k in range(1000):
    shas = dict.fromkeys(paths, str(k))
    parts = NoteParts(
        paths=pa.array([f"n{i:06d}.md" for i in range(n)]), shas=pa.array([str(k)] * n),
        vocab=pa.array(["a", "b"]), unit=np.full((n, dim), k, np.float16),
        chunks=np.full(n, k, np.int32), embedded=np.full(n, k, np.int32),
        lengths=np.zeros(n, np.int32), term_start=np.array([0, 0, 0], np.int64),
        post_note=np.zeros(0, np.int32), post_tf=np.zeros(0, np.int32),
        note_start=np.zeros(n + 1, np.int64), note_terms=np.zeros(0, np.int32), version=(k, k),
        names=names_table(paths, shas, kinds, {}, {}) if k < 2 else parts.names,
    )
    write_parts(Path(sys.argv[1]), parts, "m")
    print(k, flush=True)
"""


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.13, 0.29])
def test_a_kill_while_writing_leaves_loadable_parts(tmp_path: Path, delay: float) -> None:
    """SIGKILL at some point of a write: the pointer names a whole folder, old or new."""
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "0"  # one write is complete
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    parts = load_parts(tmp_path, "m", 384)
    assert parts is not None
    k = parts.version[0]
    assert parts.unit.shape == (40_000, 384) and float(parts.unit[-1, -1]) == k
    assert int(parts.chunks[-1]) == k and parts.shas[0].as_py() == str(k)
    assert parts.names is not None and parts.names.num_rows == 40_000  # the names came along


def test_unusable_parts_are_a_rebuild_not_an_error(make_vault: Callable[..., Vault]) -> None:
    vault = make_vault(NOTES)
    expected = answers(vault)
    folder = vault.location.folder / "related"
    meta = describe(vault.location.folder)
    assert meta is not None  # the writer's first call built them (in a child process)
    (folder / str(meta["folder"]) / "unit.npy").write_bytes(b"not numpy")
    assert load_parts(vault.location.folder, vault.store.model, vault.store.dim) is None
    related_index._INDEXES.pop(vault, None)
    assert answers(vault) == expected  # built again
    rebuilt = describe(vault.location.folder)
    assert rebuilt is not None and rebuilt["folder"] != meta["folder"]
    assert load_parts(vault.location.folder, vault.store.model, vault.store.dim) is not None


def test_the_name_trie_patched_after_saves_equals_a_fresh_one(
    make_vault: Callable[..., Vault],
) -> None:
    """mentions._Matcher.updated: a save re-indexes only the changed notes' names."""
    from vault_core.linking.mentions import _Matcher, _matcher, _name_key

    vault = make_vault(NOTES)
    before = _matcher(vault)
    root = vault.root
    (root / "crumb.md").write_text("---\naliases: [Open crumb]\n---\n# Crumb structure\n", "utf-8")
    os.rename(root / "starter.md", root / "levain.md")
    (root / "rust.md").unlink()
    (root / "compost heap.md").write_text("# Compost heap\n\nScraps.\n", "utf-8")
    vault.sync()
    patched, fresh = _matcher(vault), _Matcher(vault.graph)
    assert patched is not before and patched.graph is vault.graph
    assert dict(patched.owners) == dict(fresh.owners)
    assert patched.gaps == fresh.gaps and patched.stems == fresh.stems
    assert {k: sorted(v) for k, v in patched.first.items() if v} == {
        k: sorted(v) for k, v in fresh.first.items() if v
    }
    assert patched.owners[_name_key("Crumb structure")] == {"crumb.md"}
    assert patched.owners[_name_key("Open crumb")] == {"crumb.md"}
    assert patched.owners[_name_key("levain")] == {"levain.md"}
    assert not any("rust.md" in owners for owners in patched.owners.values())
    assert before.owners != patched.owners  # the old version kept its own sets
