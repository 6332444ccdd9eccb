"""Link resolution with Obsidian's rules, backlinks, broken and ambiguous links.

`[[name]]` resolves by file name (case-insensitive, `.md` optional), then by path suffix for
`[[folder/name]]`, then alias, then title. Among several candidates the one nearest the linking
note wins (same folder, then shortest path); the link is reported as ambiguous.
A `#fragment` lands on a heading by its text (any case and spacing); a Markdown link's
fragment may also be the heading's GitHub slug (`#boot-modes`, `#faq-1`): `anchor_heading`.
"""

from __future__ import annotations

import posixpath
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from vault_core.index.catalog import NoteRecord, stem_of
from vault_core.index.columnar import Catalog, as_catalog
from vault_core.index.link_edges import NO_KEY, EdgeRows, Edges
from vault_core.index.link_graph_patch import next_graph
from vault_core.index.link_text import (
    LINK_SPAN_RE,
    anchor_heading,
    heading_key,
    strip_links,
    uses_slug,
)
from vault_core.index.name_table import (
    NameRows,
    NameTable,
    _joined,
    _norm,
    _relative,
    _strip_md,
    _wanted,
)
from vault_core.index.note_names import name_key
from vault_core.parse.markdown import Block, Heading, Link

__all__ = [
    "LINK_SPAN_RE",
    "LinkGraph",
    "Resolution",
    "anchor_heading",
    "heading_key",
    "strip_links",
    "uses_slug",
]


@dataclass(slots=True, kw_only=True)
class Resolution:
    """Where one link lands. A plain dataclass: the graph holds one per link of the vault."""

    link: Link
    source: str
    target: str | None  # vault-relative path, None when broken
    candidates: list[str] = field(default_factory=list)
    heading_found: bool = True

    @property
    def broken(self) -> bool:
        return self.target is None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


class LinkGraph:
    """Name tables and the resolved link graph for one version of the catalog.

    Notes are ids (their place in the catalog's order); the name tables are NumPy arrays
    (index/name_table.py) and the resolved links are int32 columns (index/link_edges.py), so
    the graph costs tens of bytes a note and a link, not a Python object each. A `Resolution`
    is built when someone asks for one. After a save, `following` derives the next version's
    graph from this one, resolving again only the links a changed name can move.
    """

    by_key: NameTable
    _folded: NameTable
    by_suffix: NameTable
    by_name: NameTable
    by_alias: NameTable
    by_title: NameTable

    def __init__(self, notes: Mapping[str, NoteRecord] | Iterable[NoteRecord]) -> None:
        self._start(as_catalog(notes))
        aliases, titles = self.notes.column("aliases"), self.notes.column("title")
        names = NameRows()
        for i, path in enumerate(self.paths):
            names.add(i, path, aliases[path] or (), titles[path])
        for table, (keys, owners) in names.tables.items():
            setattr(self, table, NameTable(keys, owners, self.paths))

    def _start(
        self, notes: Catalog, paths: list[str] | None = None, ids: dict[str, int] | None = None
    ) -> None:
        self.notes = notes
        self.paths: list[str] = list(notes) if paths is None else paths
        self.ids: dict[str, int] = {p: i for i, p in enumerate(self.paths)} if ids is None else ids
        self._anchor_memo: dict[str, tuple[list[Heading], list[Block]]] | None = None
        self._candidate_memo: dict[tuple[str, str], list[tuple[str, str]]] | None = None

    @classmethod
    def following(
        cls, previous: LinkGraph, notes: Catalog, changed: Iterable[str] | None = None
    ) -> LinkGraph:
        """The graph of `notes`, derived from `previous` (the graph of an earlier version of
        the catalog) when few notes changed between them: `changed` (or, when None, what the
        catalogs' sha256 columns say) is re-keyed in the name tables and its links resolved;
        of the other links only those whose looked-up names a changed note had or has are
        resolved again. Equal to `LinkGraph(notes)`, at the cost of what changed."""
        return next_graph(cls, previous, notes, changed)

    def folded(self, key: str) -> str | None:
        """The path whose casefolded form is `key` (case-insensitive file systems)."""
        found = self._folded.get(key)
        return found[-1] if found else None  # the last one, as the dict it replaces kept

    def nbytes(self) -> int:
        """Bytes of the NumPy arrays: name tables, and the links once they were resolved."""
        total = sum(getattr(self, table).nbytes() for table in NameRows.TABLES)
        edges = self.__dict__.get("_edges")
        return total + (edges.nbytes() if edges is not None else 0)

    # -- resolution -----------------------------------------------------------------------
    def candidates(self, target: str, source: str = "") -> list[str]:
        """Every note `target` could mean, best first: in the linking note's folder, then
        by depth, length and path."""
        wanted = _wanted(target)
        if not wanted:
            return [source] if source in self.notes else []
        memo = self._candidate_memo
        key = (wanted, posixpath.dirname(source) if "/" in wanted else "")  # what it depends on
        ranked = memo.get(key) if memo is not None else None
        if ranked is None:
            ranked = self._ranked(wanted, source)
            if memo is not None:
                memo[key] = ranked
        here = posixpath.dirname(source)
        return [p for f, p in ranked if f == here] + [p for f, p in ranked if f != here]

    def _ranked(self, wanted: str, source: str) -> list[tuple[str, str]]:
        """(folder, path) of every note `wanted` names, by depth, length and path: the order
        that does not depend on the linking note's folder (37 copies of a vault gave every
        name 37 candidates, and sorting them for each link was most of a 100k build)."""
        found: list[str] = []
        if "/" in wanted:
            found = [*self.by_suffix.get(wanted), *self.by_key.get(_relative(wanted, source))]
            folded = self.folded(wanted)
            if folded is not None:
                found.append(folded)
        else:
            found = self.by_name.get(wanted)
        if not found:
            found = self.by_alias.get(wanted) or self.by_title.get(wanted)
        ordered = sorted(set(found), key=lambda p: (p.count("/"), len(p), p))
        return [(posixpath.dirname(p), p) for p in ordered]

    def resolve(self, link: Link, source: str) -> Resolution:
        if link.kind == "markdown":
            return self._resolve_markdown(link, source)
        cands = self.candidates(link.target, source)
        target = cands[0] if cands else None
        return Resolution(
            link=link,
            source=source,
            target=target,
            candidates=cands,
            heading_found=self._has_anchor(target, link),
        )

    def _resolve_markdown(self, link: Link, source: str) -> Resolution:
        if not link.target:
            target = source
        else:
            joined = _joined(link.target, source)
            options = [joined, f"{joined}.md"]
            target = next((p for p in options if p in self.notes), None)
            if target is None:  # case-insensitive file systems and sloppy links
                target = next(
                    (f for o in options if (f := self.folded(o.casefold())) is not None), None
                )
        return Resolution(
            link=link,
            source=source,
            target=target,
            candidates=[target] if target else [],
            heading_found=self._has_anchor(target, link),
        )

    def _has_anchor(self, target: str | None, link: Link) -> bool:
        if target is None or (not link.heading and not link.block) or target not in self.notes:
            return True
        memo = self._anchor_memo
        found = memo.get(target) if memo is not None else None
        if found is None:
            found = self.notes.anchors(target)
            if memo is not None:
                memo[target] = found
        headings, blocks = found
        if link.heading:
            return anchor_heading(headings, link) is not None
        return any(b.id == link.block for b in blocks)

    def lookup_keys(self, link: Link, source: str) -> tuple[int, int]:
        """Hashes of the names resolving `link` looks up (the keys of the name tables that
        `candidates` and `_resolve_markdown` read): when a note gains or loses one of them,
        the link may land elsewhere (`following`)."""
        if link.kind == "markdown":
            if not link.target:
                return NO_KEY, NO_KEY
            folded = _joined(link.target, source).casefold()
            return hash(folded), hash(f"{folded}.md")
        wanted = _wanted(link.target)
        if not wanted:
            return NO_KEY, NO_KEY
        return hash(wanted), hash(_relative(wanted, source)) if "/" in wanted else hash(wanted)

    # -- graph ----------------------------------------------------------------------------
    @contextmanager
    def _memos(self) -> Iterator[None]:
        """While many links resolve: each target's headings decoded once, and each (name,
        folder) looked up once."""
        self._anchor_memo, self._candidate_memo = {}, {}
        try:
            yield
        finally:
            self._anchor_memo = self._candidate_memo = None

    def _add_row(self, rows: EdgeRows, source: str, ordinal: int, link: Link | None = None):
        link = self.notes[source].links[ordinal] if link is None else link
        res = self.resolve(link, source)
        target = -1 if res.target is None else self.ids[res.target]
        keys = self.lookup_keys(link, source)
        rows.add(self.ids[source], ordinal, target, res.ambiguous, keys, shown_key(link))

    @cached_property
    def _edges(self) -> Edges:
        """Every link resolved once, in catalog order."""
        rows = EdgeRows()
        with self._memos():
            for path, links in self.notes.link_lists():
                for k, link in enumerate(links):
                    self._add_row(rows, path, k, link)
        return Edges.of(len(self.paths), rows)

    def _resolutions(self, edges: Iterable[int]) -> list[Resolution]:
        """The Resolutions of these edges (rows of `_edges`), re-resolved from the links."""
        sources, ordinals = self._edges.sources, self._edges.ordinals
        found: list[Resolution] = []
        for e in edges:
            source = self.paths[int(sources[e])]
            found.append(self.resolve(self.notes[source].links[int(ordinals[e])], source))
        return found

    @property
    def resolutions(self) -> dict[str, list[Resolution]]:
        """Every note's resolved links, built afresh on each call: whole-vault readers walk
        it once (graph report, lint, see-also's link sets) and keep what they need."""
        return {
            path: [self.resolve(link, path) for link in links]
            for path, links in self.notes.link_lists()
        }

    def outgoing(self, path: str) -> list[Resolution]:
        note = self.notes.get(path)
        return [self.resolve(link, path) for link in note.links] if note is not None else []

    def backlink_links(self, path: str) -> list[Link]:
        """The links of other notes that land on `path`, as written (not resolved again)."""
        i = self.ids.get(path)
        if i is None:
            return []
        rows = self._edges.into(i)
        sources, ordinals = self._edges.sources[rows], self._edges.ordinals[rows]
        return [
            self.notes[self.paths[s]].links[k]
            for s, k in zip(sources.tolist(), ordinals.tolist(), strict=True)
        ]

    def backlink_names(self, path: str) -> np.ndarray:
        """`shown_key` of every link of another note that lands on `path` (NO_KEY where the
        name is not a mention key): how the vault links it, read from the link columns."""
        i = self.ids.get(path)
        if i is None:
            return np.zeros(0, np.int64)
        return self._edges.shown[self._edges.into(i)]

    def backlinks(self, path: str) -> list[Resolution]:
        i = self.ids.get(path)
        return [] if i is None else self._resolutions(self._edges.into(i).tolist())

    def linking_notes(self, path: str) -> list[str]:
        """The notes that link to `path` (each once, catalog order): backlinks' sources
        without building a Resolution for each link."""
        i = self.ids.get(path)
        if i is None:
            return []
        sources = self._edges.sources[self._edges.into(i)].tolist()
        return [self.paths[s] for s in dict.fromkeys(sources)]

    def link_count(self) -> int:
        """Every link of the vault, broken ones included."""
        return len(self._edges)

    def linked_pairs(self) -> tuple[np.ndarray, np.ndarray]:
        """(source ids, target ids): each pair of notes one links to the other once,
        self-links and broken links left out; ids index `paths`. The one place whole-vault
        readers (graph report, lint, related()'s link sets) take links from."""
        edges, n = self._edges, max(len(self.paths), 1)
        linked = (edges.targets >= 0) & (edges.targets != edges.sources)
        pairs = np.unique(edges.sources[linked].astype(np.int64) * n + edges.targets[linked])
        return pairs // n, pairs % n

    def in_degrees(self) -> np.ndarray:
        """How many notes link to each note (by id): `len(linking_notes(p))` for every note
        at once, so ranking 100k names by it is not 100k searches."""
        return np.bincount(self.linked_pairs()[1], minlength=len(self.paths))

    def link_sets(self) -> tuple[defaultdict[str, set[str]], defaultdict[str, set[str]]]:
        """(note -> the notes it links to, note -> the notes linking to it), self-links and
        broken links left out: read from the link columns, so whole-vault readers (graph
        report, lint) resolve no link and decode no record."""
        out: defaultdict[str, set[str]] = defaultdict(set)
        inc: defaultdict[str, set[str]] = defaultdict(set)
        paths = self.paths
        sources, targets = self.linked_pairs()
        for s, t in zip(sources.tolist(), targets.tolist(), strict=True):
            out[paths[s]].add(paths[t])
            inc[paths[t]].add(paths[s])
        return out, inc

    def broken(self) -> list[Resolution]:
        return self._resolutions(np.flatnonzero(self._edges.targets < 0).tolist())

    def ambiguous(self) -> list[Resolution]:
        return self._resolutions(np.flatnonzero(self._edges.ambiguous).tolist())

    def neighbours(self, path: str) -> set[str]:
        """Notes linked from or to `path` (either direction)."""
        i = self.ids.get(path)
        if i is None:
            return set()
        edges = self._edges
        out = edges.targets[edges.starts[i] : edges.starts[i + 1]]
        inc = edges.sources[edges.into(i)]
        linked = set(out[out >= 0].tolist()) | set(inc.tolist())
        return {self.paths[j] for j in linked} - {path}

    def shortest_link_text(self, path: str) -> str:
        """The shortest `[[...]]` target that resolves to `path` unambiguously from anywhere."""
        stem = stem_of(path)
        named = self.by_name.get(_norm(stem))
        if named == [path] or len(named) == 1:
            return stem
        parts = _strip_md(path).split("/")
        for i in range(len(parts) - 2, -1, -1):
            candidate = "/".join(parts[i:])
            if self.candidates(candidate) == [path]:  # resolved once, not twice
                return candidate
        return _strip_md(path)


def shown_key(link: Link) -> int:
    """Hash of the mention key (index/note_names.py) of the name a link shows: its label, else
    its target's last part; NO_KEY when that is no mention key. Per process, as `hash` is."""
    key = name_key(link.label or link.target.rsplit("/", 1)[-1])
    return hash(key) if key else NO_KEY
