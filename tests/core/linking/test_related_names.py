"""The notes' tokenised names stored with related()'s parts (index/note_names.py): a process
that starts from them has the same name trie and title terms as one that tokenises every name,
after saves, an alias change, a rename, a delete and a new note."""

from __future__ import annotations

import os
import random
from collections.abc import Callable

import numpy as np
import pytest
from related_support import saved

from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.link_graph import LinkGraph
from vault_core.index.note_names import (
    StoredNames,
    name_gaps,
    name_key,
    names_table,
    trie_names,
    usable,
)
from vault_core.linking import related_index, related_parts
from vault_core.linking.mentions import _Matcher
from vault_core.linking.related_index import NoteIndex
from vault_core.parse.markdown import NoteMeta, parse_note
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
        assert len(index.parts.paths) - len(index.parts.names.taken) == changed
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
    saved(vault)  # the writer rewrote the base, with the names, in the background (once)
    related_index._INDEXES.pop(vault, None)
    assert related_index.note_index(vault).parts.names is not None


def record(path: str, text: str) -> NoteRecord:
    """A note's record built from its parse as the indexer does (sha256: the text's)."""
    note = parse_note(text, path)
    meta = {f: getattr(note, f) for f in NoteMeta.model_fields}
    return NoteRecord(path=path, sha256=str(hash(text)), **meta)


WORDS = ["Topic", "topic", "Alpha beta", "Node.js", "node js", "Crème", "the", "Gone"]
FOLDERS = ["", "a/", "b/", "a/c/"]


def random_text(rng: random.Random) -> str:
    """A note whose title and aliases collide with other notes' names, spacing and case."""
    head = ""
    if rng.random() < 0.4:
        head = f"---\naliases: [{rng.choice(WORDS)} alias, {rng.choice(WORDS)}]\n---\n"
    return f"{head}# {rng.choice(WORDS)} {rng.choice(['', 'title', 'notes'])}\n\nbody\n"


def test_random_saves_patch_the_trie_to_a_fresh_one() -> None:
    """Adds, edits, deletes and renames on colliding names: the trie patched after each save,
    and a trie started from names stored before the saves, equal a trie built afresh."""
    rng = random.Random(5)
    catalog = Catalog()
    for _ in range(40):
        path = f"{rng.choice(FOLDERS)}{rng.choice(WORDS)}{rng.randrange(3) or ''}.md"
        catalog[path] = record(path, random_text(rng))
    catalog["pic.png"] = NoteRecord(path="pic.png", kind="attachment", title="pic.png")
    graph = LinkGraph(catalog)
    columns = [catalog.column(c) for c in ("sha256", "kind", "title", "aliases")]
    stored = names_table(sorted(catalog.column("sha256")), *columns)
    matcher = _Matcher(graph)
    for step in range(60):
        work = catalog.copy()
        for _ in range(rng.randrange(1, 4)):
            paths = [p for p in work if p != "pic.png"]
            action = rng.random()
            if action < 0.4:
                path = rng.choice(paths)
                work[path] = record(path, random_text(rng))
            elif action < 0.6:
                path = f"{rng.choice(FOLDERS)}{rng.choice(WORDS)}{rng.randrange(4) or ''}.md"
                work[path] = record(path, random_text(rng))
            elif action < 0.8 and len(paths) > 5:
                del work[rng.choice(paths)]
            else:
                old = rng.choice(paths)
                new = f"{rng.choice(FOLDERS)}{rng.choice(WORDS)}{rng.randrange(9)}.md"
                if new not in work:
                    kept = work[old]
                    del work[old]
                    work[new] = kept.model_copy(update={"path": new})
        if step % 20 == 19:
            work = work.compacted(force=True)
        graph = LinkGraph.following(graph, work)
        matcher = matcher.updated(graph)
        fresh = _Matcher(graph)
        shas = work.column("sha256")
        from_stored = _Matcher(graph, StoredNames.matching(stored, shas))
        assert matcher.graph is graph
        assert trie_without_gaps(matcher) == trie_without_gaps(fresh), step
        assert trie(from_stored) == trie(fresh), step
        for key in fresh.owners:  # a key's spacing: one of its owners' (the first's when fresh)
            spellings = {tuple(name_gaps(n)) for p in fresh.owners[key] for n in names_of(work, p)}
            assert tuple(matcher.gaps[key]) in spellings, (step, key)
        catalog = work


def trie_without_gaps(matcher: _Matcher) -> tuple:
    owners, _, stems, keys_of, first = trie(matcher)
    return owners, stems, keys_of, first


def names_of(catalog: Catalog, path: str) -> list[str]:
    note = catalog[path]
    return [n for n in trie_names(path, note.title, note.aliases) if name_key(n)]
