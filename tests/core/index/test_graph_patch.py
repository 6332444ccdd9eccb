"""The link graph after a save is patched, not rebuilt (`LinkGraph.following`), and the patched
graph equals a graph built afresh: name tables, every resolved link, backlinks, broken and
ambiguous links, after added and removed links, renames, deletes, new names and aliases."""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import Catalog
from vault_core.index.link_graph import LinkGraph, shown_key
from vault_core.index.name_table import NameRows
from vault_core.parse.markdown import NoteMeta, parse_note
from vault_core.store.store import Store
from vault_core.vault import Vault


def assert_same_graph(patched: LinkGraph, fresh: LinkGraph) -> None:
    """Every array and every answer of the two graphs is the same."""
    assert patched.paths == fresh.paths and patched.ids == fresh.ids
    for name in NameRows.TABLES:
        mine, theirs = getattr(patched, name), getattr(fresh, name)
        for part in ("_hashes", "_crcs", "_ids"):
            assert np.array_equal(getattr(mine, part), getattr(theirs, part)), (name, part)
    a, b = patched._edges, fresh._edges
    for part in ("starts", "sources", "ordinals", "targets", "ambiguous", "keys", "shown"):
        assert np.array_equal(getattr(a, part), getattr(b, part)), part
    for path in fresh.paths:
        shown = [shown_key(link) for link in fresh.backlink_links(path)]
        assert patched.backlink_names(path).tolist() == shown, path
        assert patched.backlinks(path) == fresh.backlinks(path), path
        assert patched.linking_notes(path) == fresh.linking_notes(path), path
        assert patched.neighbours(path) == fresh.neighbours(path), path
    assert patched.broken() == fresh.broken()
    assert patched.ambiguous() == fresh.ambiguous()
    assert patched.resolutions == fresh.resolutions


def current_graph(vault: Vault) -> LinkGraph:
    """The vault's graph, checked to be a patch of the one before (its links resolved when it
    was derived, not left for a full build) and equal to a graph built afresh."""
    graph = vault.graph
    assert "_edges" in graph.__dict__, "the graph was built afresh, not patched"
    assert_same_graph(graph, LinkGraph(vault.catalog))
    return graph


NOTES = {
    "Index.md": "# Index\n\n[[Topic]] and [[deep/Topic]] and [t](deep/Topic.md) and [[Later]].\n",
    "deep/Topic.md": "---\naliases: [the topic]\n---\n# Topic\n\n## Part\n\nbody\n",
    "other/Topic.md": "# Other topic\n\n[[Index]]\n",
    "Other.md": "# Other\n\n[[the topic]] [[Nick]] [[Renamed Title]]\n",
    "deep/Reader.md": "# Reader\n\n[[Topic#Part]] [[Topic]]\n",
}


def test_saves_patch_the_graph_to_what_a_fresh_build_gives(
    make_vault: Callable[..., Vault],
) -> None:
    vault = make_vault(NOTES)
    root = vault.root
    before = vault.graph
    assert {r.source for r in before.backlinks("deep/Topic.md")} == {
        "Index.md",
        "Other.md",
        "deep/Reader.md",
    }
    assert before.broken()  # [[Later]], [[Nick]], [[Renamed Title]]

    # add a link, then take it away again
    original = (root / "Other.md").read_text()
    (root / "Other.md").write_text(original + "\n[[Index]]\n")
    vault.sync(["Other.md"])
    graph = current_graph(vault)
    assert "Other.md" in graph.linking_notes("Index.md")
    (root / "Other.md").write_text(original)
    vault.sync(["Other.md"])
    graph = current_graph(vault)
    assert "Other.md" not in graph.linking_notes("Index.md")

    # a rename: links by the old name now land on the other `Topic`, or nowhere
    shutil.move(root / "deep/Topic.md", root / "deep/Subject.md")
    vault.sync(["deep/Topic.md", "deep/Subject.md"])
    graph = current_graph(vault)
    (reader_link, _) = graph.outgoing("deep/Reader.md")
    assert reader_link.target == "other/Topic.md"
    assert graph.linking_notes("deep/Subject.md") == ["Other.md"]  # by its alias

    # a new note makes a dangling link resolve; a new alias and a new title do too
    (root / "Later.md").write_text("# Later\n\n[[Index]]\n")
    (root / "nick.md").write_text("---\naliases: [Nick]\n---\n# Someone\n")
    (root / "titled.md").write_text("# Renamed Title\n")
    vault.sync(["Later.md", "nick.md", "titled.md"])
    graph = current_graph(vault)
    assert graph.linking_notes("Later.md") == ["Index.md"]
    assert graph.linking_notes("nick.md") == ["Other.md"]
    assert graph.linking_notes("titled.md") == ["Other.md"]

    # a title changes: the link by the old title breaks
    (root / "titled.md").write_text("# Another title\n")
    vault.sync(["titled.md"])
    graph = current_graph(vault)
    assert graph.linking_notes("titled.md") == []

    # a delete: the links to it break or move to another candidate
    (root / "other/Topic.md").unlink()
    vault.sync(["other/Topic.md"])
    graph = current_graph(vault)
    assert all(r.target != "other/Topic.md" for r in graph.outgoing("deep/Reader.md"))
    assert graph.outgoing("deep/Reader.md")[1].target == "deep/Subject.md"  # by its title

    # and back: the Markdown link and the path link resolve again
    shutil.move(root / "deep/Subject.md", root / "deep/Topic.md")
    vault.sync(["deep/Subject.md", "deep/Topic.md"])
    graph = current_graph(vault)
    assert {r.source for r in graph.backlinks("deep/Topic.md")} >= {"Index.md", "deep/Reader.md"}


def test_a_patch_across_a_compacted_catalog(tmp_path: Path) -> None:
    """A catalog folded into a new table (or read again by a reader) is compared by sha256."""
    records = {p: record(p, t) for p, t in NOTES.items()}
    store = Store(tmp_path / "index", "test-model", 4, writer=True)
    store.upsert_notes([r.to_row() for r in records.values()])
    catalog = Catalog(store.notes_table())
    before = LinkGraph(catalog)
    before.backlinks("Index.md")  # its links resolved: the patch carries them over
    work = catalog.copy()
    work["Later.md"] = record("Later.md", "# Later\n")
    del work["other/Topic.md"]
    folded = work.compacted(force=True)
    assert folded.changed_since(catalog) == ["Later.md", "other/Topic.md"]
    patched = LinkGraph.following(before, folded)
    assert "_edges" in patched.__dict__
    assert_same_graph(patched, LinkGraph(folded))


def record(path: str, text: str) -> NoteRecord:
    """A note's record built from its parse as the indexer does (sha256: the text's)."""
    note = parse_note(text, path)
    meta = {f: getattr(note, f) for f in NoteMeta.model_fields}
    return NoteRecord(path=path, sha256=str(hash(text)), **meta)


NAMES = ["Topic", "topic", "Alpha", "Beta", "Gamma", "Index", "Notes", "Gone"]
FOLDERS = ["", "a/", "b/", "a/c/", "B/"]


def random_note(rng: random.Random) -> str:
    """Text with links of every form to names that collide across folders and cases."""
    parts = []
    if rng.random() < 0.3:
        parts.append(f"---\naliases: [{rng.choice(NAMES)} alias, {rng.choice(NAMES)}]\n---\n")
    parts.append(f"# {rng.choice(NAMES)} title\n\n## Part\n\n")
    for _ in range(rng.randrange(0, 6)):
        name = rng.choice(NAMES)
        folder = rng.choice(FOLDERS)
        parts.append(
            rng.choice(
                [
                    f"[[{name}]] ",
                    f"[[{folder}{name}]] ",
                    f"[[{name}#Part]] ",
                    f"[[{name} alias]] ",
                    f"[[{name} title|label]] ",
                    f"[x]({folder}{name}.md) ",
                    f"[y](../{name}.md) ",
                    f"[z]({folder}{name}) ",
                    "[[#Part]] ",
                    "![[pic.png]] ",
                ]
            )
        )
    return "".join(parts) + "\n"


def test_random_edits_patch_to_a_fresh_build() -> None:
    """Many small random saves (adds, edits, deletes, renames) on notes whose names collide:
    after each, the patched graph equals the graph built afresh."""
    rng = random.Random(30)
    catalog = Catalog()
    for _ in range(40):
        path = f"{rng.choice(FOLDERS)}{rng.choice(NAMES)}{rng.randrange(3) or ''}.md"
        catalog[path] = record(path, random_note(rng))
    catalog["pic.png"] = NoteRecord(path="pic.png", kind="attachment", title="pic.png")
    graph = LinkGraph(catalog)
    graph.backlinks("pic.png")
    for step in range(60):
        work = catalog.copy()
        for _ in range(rng.randrange(1, 4)):
            paths = list(work)
            action = rng.random()
            if action < 0.4:
                path = rng.choice(paths)
                work[path] = record(path, random_note(rng))
            elif action < 0.6:
                path = f"{rng.choice(FOLDERS)}{rng.choice(NAMES)}{rng.randrange(4) or ''}.md"
                work[path] = record(path, random_note(rng))
            elif action < 0.8:
                del work[rng.choice(paths)]
            else:
                old = rng.choice(paths)
                new = f"{rng.choice(FOLDERS)}{rng.choice(NAMES)}{rng.randrange(9)}.md"
                if new not in work:
                    kept = work[old]
                    del work[old]
                    work[new] = kept.model_copy(update={"path": new})
        if step % 20 == 19:
            work = work.compacted(force=True)
        patched = LinkGraph.following(graph, work)
        assert "_edges" in patched.__dict__
        assert_same_graph(patched, LinkGraph(work))
        assert_link_sets_from_resolutions(patched)
        catalog, graph = work, patched


def assert_link_sets_from_resolutions(graph: LinkGraph) -> None:
    """The link columns' sets and in-degrees are what resolving every link gives."""
    out: dict[str, set[str]] = {}
    inc: dict[str, set[str]] = {}
    for source, items in graph.resolutions.items():
        for res in items:
            if res.target and res.target != source:
                out.setdefault(source, set()).add(res.target)
                inc.setdefault(res.target, set()).add(source)
    got_out, got_inc = graph.link_sets()
    assert dict(got_out) == out and dict(got_inc) == inc
    assert graph.link_count() == sum(len(items) for items in graph.resolutions.values())
    degrees = graph.in_degrees()
    assert [int(degrees[graph.ids[p]]) for p in graph.paths] == [
        len(graph.linking_notes(p)) for p in graph.paths
    ]
