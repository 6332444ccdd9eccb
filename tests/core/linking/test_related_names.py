"""The notes' tokenised names stored with related()'s parts (index/note_names.py): a process
that starts from them has the same name trie and title terms as one that tokenises every name,
after saves, an alias change, a rename, a delete and a new note."""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest

from vault_core.index.note_names import names_table, usable
from vault_core.linking import related_index, related_parts
from vault_core.linking.mentions import _Matcher
from vault_core.linking.related_index import NoteIndex
from vault_core.store.note_parts import load_parts
from vault_core.vault import Vault

NOTES = {
    "sourdough.md": "# Sourdough\n\nA lively starter; see [[oven]] and Node.js notes.\n",
    "starter.md": "---\naliases: [Levain care, Wild yeast]\n---\n# Starter care\n\nFeed it.\n",
    "oven.md": "# Oven\n\nBake bread in a Dutch oven. [[sourdough]] needs heat.\n",
    "tools/Node.js.md": "# Node.js\n\nA JavaScript runtime; the Sourdough note is unrelated.\n",
    "tools/node js.md": "# node js\n\nSpaced apart: a different spelling of the name.\n",
    "Crème brûlée.md": "# Crème brûlée\n\nCustard under burnt sugar, baked in the oven.\n",
    "rust.md": "# Rust ownership\n\nEvery value has one owner; Starter care is not here.\n",
    "data.csv": "name,value\noven,1\n",
}


def trie(matcher: _Matcher) -> tuple:
    """Everything a trie answers with, in a comparable form."""
    return (
        {k: sorted(v) for k, v in matcher.owners.items() if v},
        matcher.gaps,
        matcher.stems,
        {p: sorted(k) for p, k in matcher.keys_of.items()},
        {k: sorted(v) for k, v in matcher.first.items() if v},
    )


def titles(index: NoteIndex) -> tuple[dict[str, list[int]], list[float]]:
    postings = {t: ix.tolist() for t, ix in index.title_postings.items()}
    return postings, np.round(index.title_mass, 5).tolist()


def fresh_titles(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """Title terms of an index that tokenises every name (no stored rows)."""
    related_index._INDEXES.pop(vault, None)
    with monkeypatch.context() as m:
        m.setattr(related_parts, "usable", lambda table: False)
        index = related_index.note_index(vault)
        assert index.parts.names is None
        found = titles(index)
    related_index._INDEXES.pop(vault, None)
    return found


def saved(vault: Vault) -> None:
    thread = related_parts._REWRITING.get(vault)
    if thread is not None:
        thread.join(timeout=60)


def test_stored_names_give_the_same_trie_and_title_terms(
    make_vault: Callable[..., Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = make_vault(NOTES)
    vault.related("oven.md")
    saved(vault)  # the writer's parts, with the names, are on disk
    base = load_parts(vault.location.folder, vault.store.model, vault.store.dim)
    assert base is not None and usable(base.names)
    catalog = vault.catalog
    columns = [catalog.column(c) for c in ("sha256", "kind", "title", "aliases")]
    expected = names_table(sorted(catalog.column("sha256")), *columns)
    assert base.names is not None and base.names.equals(expected)

    def check(changed: int) -> None:
        related_index._INDEXES.pop(vault, None)
        index = related_index.note_index(vault)
        assert index.parts.names is not None
        assert len(index.parts.paths) - len(index.parts.names.rows) == changed
        stored = _Matcher.of_vault(vault, vault.graph)
        assert trie(stored) == trie(_Matcher(vault.graph))
        assert titles(index) == fresh_titles(vault, monkeypatch)

    check(0)
    root = vault.root
    (root / "starter.md").write_text(
        "---\naliases: [Levain, Mother dough]\n---\n# Starter care\n\nFeed it.\n", "utf-8"
    )
    vault.sync()
    check(1)
    os.rename(root / "oven.md", root / "Dutch oven.md")
    (root / "rust.md").unlink()
    (root / "compost heap.md").write_text("# Compost heap\n\nScraps for the beds.\n", "utf-8")
    vault.sync()
    check(3)  # starter (changed), Dutch oven and compost heap (new); rust and oven gone

    reader = Vault.open(root, writer=False)  # a new process's view: the writer's files
    try:
        index = related_index.note_index(reader)
        assert index.parts.names is not None and not index.parts.scanned
        assert trie(_Matcher.of_vault(reader, reader.graph)) == trie(_Matcher(reader.graph))
        assert [r.path for r in reader.related("sourdough.md")] == [
            r.path for r in vault.related("sourdough.md")
        ]
    finally:
        reader.close()


def test_parts_without_names_still_work(
    make_vault: Callable[..., Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder written before the names existed: the trie and the title terms are built."""
    vault = make_vault(NOTES)
    expected = [(r.path, r.reasons) for r in vault.related("sourdough.md")]
    saved(vault)
    (folder,) = [p for p in (vault.location.folder / "related").iterdir() if p.is_dir()]
    (folder / "names.arrow").unlink()
    related_index._INDEXES.pop(vault, None)
    index = related_index.note_index(vault)
    assert index.parts.names is None and not index.parts.scanned
    assert trie(_Matcher.of_vault(vault, vault.graph)) == trie(_Matcher(vault.graph))
    assert [(r.path, r.reasons) for r in vault.related("sourdough.md")] == expected
