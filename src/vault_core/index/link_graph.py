"""Link resolution with Obsidian's rules, backlinks, broken and ambiguous links.

`[[name]]` resolves by file name (case-insensitive, `.md` optional), then by path suffix for
`[[folder/name]]`, then alias, then title. Among several candidates the one nearest the linking
note wins (same folder, then shortest path); the link is reported as ambiguous.
A `#fragment` lands on a heading by its text (any case and spacing); a Markdown link's
fragment may also be the heading's GitHub slug (`#boot-modes`, `#faq-1`): `anchor_heading`.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from vault_core.index.catalog import NoteRecord, stem_of
from vault_core.index.columnar import Catalog, as_catalog
from vault_core.index.link_edges import NO_KEY, EdgeRows, Edges
from vault_core.index.name_table import (
    NameRows,
    NameTable,
    _norm,
    _strip_md,
    _wanted,
)
from vault_core.parse.anchors import heading_slugs
from vault_core.parse.markdown import Block, Heading, Link


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

    def _start(self, notes: Catalog) -> None:
        self.notes = notes
        self.paths: list[str] = list(notes)
        self.ids: dict[str, int] = {p: i for i, p in enumerate(self.paths)}
        self._anchor_memo: dict[str, tuple[list[Heading], list[Block]]] | None = None
        self._candidate_memo: dict[tuple[str, str], list[str]] | None = None

    @classmethod
    def following(
        cls, previous: LinkGraph, notes: Catalog, changed: Iterable[str] | None = None
    ) -> LinkGraph:
        """The graph of `notes`, derived from `previous` (the graph of an earlier version of
        the catalog) when few notes changed between them: `changed` (or, when None, what the
        catalogs' sha256 columns say) is re-keyed in the name tables and its links resolved;
        of the other links only those whose looked-up names a changed note had or has are
        resolved again. Equal to `LinkGraph(notes)`, at the cost of what changed."""
        dirty = set(notes.changed_since(previous.notes) if changed is None else changed)
        if len(dirty) > max(PATCH_MAX_NOTES, len(previous.paths) // 10):
            return cls(notes)
        graph = cls.__new__(cls)
        graph._start(notes)
        ids = graph.ids
        remap = np.fromiter(
            (ids.get(p, -1) for p in previous.paths), dtype=np.int32, count=len(previous.paths)
        )
        gone = [previous.ids[p] for p in dirty if p in previous.ids]
        remap[gone] = -1
        came = sorted(ids[p] for p in dirty if p in ids)
        names, old_names = NameRows(), NameRows()
        for i in came:
            path = graph.paths[i]
            names.add(i, path, notes[path].aliases, notes.title(path))
        for i in gone:
            path = previous.paths[i]
            old_names.add(i, path, previous.notes[path].aliases, previous.notes.title(path))
        for table, (keys, owners) in names.tables.items():
            patched = getattr(previous, table).patched(remap, keys, owners, graph.paths)
            setattr(graph, table, patched)
        edges = previous.__dict__.get("_edges")
        if edges is not None:  # else they are built in full when first asked for
            moved = np.fromiter(names.hashes() | old_names.hashes(), dtype=np.int64)
            redo = edges.stale(remap, moved)
            rows = EdgeRows()
            with graph._memos():
                for e in redo.tolist():
                    source = graph.paths[int(remap[edges.sources[e]])]
                    graph._add_row(rows, source, int(edges.ordinals[e]))
                for i in came:
                    for k in range(len(notes[graph.paths[i]].links)):
                        graph._add_row(rows, graph.paths[i], k)
            graph.__dict__["_edges"] = edges.patched(len(graph.paths), remap, redo, rows)
        return graph

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
        """Every note `target` could mean, best first."""
        wanted = _wanted(target)
        if not wanted:
            return [source] if source in self.notes else []
        memo = self._candidate_memo
        if memo is None:
            return self._candidates(wanted, source)
        key = (wanted, posixpath.dirname(source))  # all the answer depends on
        found = memo.get(key)
        if found is None:
            found = memo[key] = self._candidates(wanted, source)
        return list(found)

    def _candidates(self, wanted: str, source: str) -> list[str]:
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
        src_dir = posixpath.dirname(source)
        return sorted(
            set(found),
            key=lambda p: (posixpath.dirname(p) != src_dir, p.count("/"), len(p), p),
        )

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
        rows.add(self.ids[source], ordinal, target, res.ambiguous, self.lookup_keys(link, source))

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
            if self.candidates(candidate)[:1] == [path] and len(self.candidates(candidate)) == 1:
                return candidate
        return _strip_md(path)


PATCH_MAX_NOTES = 2000  # past this many changed notes (or a tenth), `following` builds afresh


def _relative(wanted: str, source: str) -> str:
    """`[[sub/name]]` read from `source`'s folder: the whole-path key it may mean."""
    base = posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, wanted)).casefold() if base else wanted


def _joined(target: str, source: str) -> str:
    """A Markdown link's target as a vault path, from `source`'s folder."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def heading_key(text: str) -> str:
    return " ".join(text.casefold().replace("#", " ").split())


def anchor_heading(headings: Sequence[Heading], link: Link) -> Heading | None:
    """The heading `link`'s `#fragment` lands on, or None.

    By text first (Obsidian: `[[Note#Boot modes]]`, `[x](Note.md#Boot%20modes)`); then, for
    Markdown links, by GitHub slug with its duplicate suffix (`#boot-modes`, `#boot-modes-1`).
    """
    if not link.heading:
        return None
    wanted = heading_key(link.heading)
    found = next((h for h in headings if heading_key(h.text) == wanted), None)
    if found is not None or link.kind != "markdown":
        return found
    slug = link.heading.strip().lower()
    slugs = heading_slugs(h.text for h in headings)
    return next((h for h, s in zip(headings, slugs, strict=True) if s == slug), None)


def uses_slug(headings: Sequence[Heading], link: Link) -> bool:
    """True when `link` reaches its heading by slug rather than by the heading's text."""
    if link.kind != "markdown" or not link.heading:
        return False
    wanted = heading_key(link.heading)
    return not any(heading_key(h.text) == wanted for h in headings) and (
        anchor_heading(headings, link) is not None
    )


LINK_SPAN_RE = re.compile(
    r"!?\[\[([^\[\]\n]+?)\]\]|!?\[([^\[\]\n]*)\]\(\s*(?:<[^>\n]+>|[^)\s]+)[^)\n]*\)"
)


def strip_links(text: str, keep_words: bool = False) -> str:
    """Text without its links, for asking which links a note should have (link recovery).

    `[[t|label]]` and `[label](t)` keep the label; embeds go. A bare `[[t]]` goes too, or with
    `keep_words` leaves the note name it shows (`[[folder/Note#Part]]` -> "Note"), as if the
    writer had typed the words and never linked them.
    """

    def repl(m: re.Match[str]) -> str:
        inner = m.group(1)
        if inner is None:
            return m.group(2) or ""
        if "|" in inner:
            return inner.split("|", 1)[1]
        if not keep_words or m.group(0).startswith("!"):
            return ""
        name = re.split(r"[#^]", inner, maxsplit=1)[0].rsplit("/", 1)[-1]
        return re.sub(r"\.md$", "", name, flags=re.IGNORECASE)

    return LINK_SPAN_RE.sub(repl, text)
