"""The next version's `LinkGraph` derived from the previous one after a save.

Kept apart from the resolver (link_graph.py) because patching is its own job: renumber the
notes, patch the name tables, and re-resolve only the links a changed name can move.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from vault_core.index.columnar import Catalog
from vault_core.index.link_edges import EdgeRows
from vault_core.index.name_table import NameRows

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph

PATCH_MAX_NOTES = 2000  # past this many changed notes (or a tenth), `following` builds afresh


def next_graph(
    cls: type[LinkGraph], previous: LinkGraph, notes: Catalog, changed: Iterable[str] | None
) -> LinkGraph:
    """`LinkGraph.following`: the graph of `notes` patched from `previous`, or built afresh
    when too many notes changed."""
    dirty = set(notes.changed_since(previous.notes) if changed is None else changed)
    if len(dirty) > max(PATCH_MAX_NOTES, len(previous.paths) // 10):
        return cls(notes)
    graph = cls.__new__(cls)
    remap = _renumber(graph, previous, notes)
    gone = [previous.ids[p] for p in dirty if p in previous.ids]
    remap[gone] = -1
    kept = remap[remap >= 0]
    monotonic = bool(np.all(kept[1:] > kept[:-1]))
    came = sorted(graph.ids[p] for p in dirty if p in graph.ids)
    names, old_names = NameRows(), NameRows()
    for i in came:
        path = graph.paths[i]
        names.add(i, path, notes[path].aliases, notes.title(path))
    for i in gone:
        path = previous.paths[i]
        old_names.add(i, path, previous.notes[path].aliases, previous.notes.title(path))
    for table, (keys, owners) in names.tables.items():
        old = getattr(previous, table)
        setattr(graph, table, old.patched(remap, keys, owners, graph.paths, monotonic))
    edges = previous.__dict__.get("_edges")
    if edges is not None:  # else they are built in full when first asked for
        moved = np.fromiter(names.hashes() | old_names.hashes(), dtype=np.int64)
        redo = edges.stale(remap, moved)
        redone, added = EdgeRows(), EdgeRows()
        with graph._memos():
            for e in redo.tolist():
                source = graph.paths[int(remap[edges.sources[e]])]
                graph._add_row(redone, source, int(edges.ordinals[e]))
            for i in came:
                for k in range(len(notes[graph.paths[i]].links)):
                    graph._add_row(added, graph.paths[i], k)
        patched = edges.patched(len(graph.paths), remap, redo, redone, added, monotonic)
        graph.__dict__["_edges"] = patched
    return graph


def _renumber(graph: LinkGraph, previous: LinkGraph, notes: Catalog) -> np.ndarray:
    """Start `graph` as the graph of `notes`; returns old id -> new id (-1: gone). A save that
    changed or added notes keeps every id, and the path list and ids are shared."""
    n = len(previous.paths)
    extra = notes.appended_since(previous.notes)
    if extra is None:
        graph._start(notes)
        ids = graph.ids
        return np.fromiter((ids.get(p, -1) for p in previous.paths), dtype=np.int32, count=n)
    if extra:
        added = {p: n + k for k, p in enumerate(extra)}
        graph._start(notes, previous.paths + extra, {**previous.ids, **added})
    else:
        graph._start(notes, previous.paths, previous.ids)
    return np.arange(n, dtype=np.int32)
