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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from vault_core.index.catalog import NoteRecord, stem_of
from vault_core.index.columnar import as_catalog
from vault_core.index.name_table import NameTable
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


def _norm(name: str) -> str:
    return name.strip().replace("\\", "/").casefold()


def _strip_md(name: str) -> str:
    return name[:-3] if name.endswith(".md") else name


class LinkGraph:
    """Name tables and the resolved link graph for one version of the catalog.

    Notes are ids (their place in the catalog's order); the name tables are NumPy arrays
    (index/name_table.py) and the resolved links are int32 columns (source, link ordinal,
    target, flags), so the graph costs tens of bytes a note and a link, not a Python object
    each. A `Resolution` is built when someone asks for one.
    """

    def __init__(self, notes: Mapping[str, NoteRecord] | Iterable[NoteRecord]) -> None:
        self.notes = as_catalog(notes)
        self.paths: list[str] = list(self.notes)
        self._anchor_memo: dict[str, tuple[list[Heading], list[Block]]] | None = None
        self._candidate_memo: dict[tuple[str, str], list[str]] | None = None
        self.ids: dict[str, int] = {p: i for i, p in enumerate(self.paths)}
        paths = self.paths
        every = range(len(paths))
        folded = [p.casefold() for p in paths]
        keys = [_strip_md(f) for f in folded]  # the whole path, no '.md'
        self.by_key = NameTable(keys, every, paths)
        self._folded = NameTable(folded, every, paths)  # path.casefold()
        # `[[folder/name]]`: every path under each of its trailing segments ('b/c' for
        # 'a/b/c.md'), so a path link is a lookup, not a scan of every note (100k notes).
        suffixes, owners = [], []
        for i, key in enumerate(keys):
            for suffix in _suffixes_of(key):
                suffixes.append(suffix)
                owners.append(i)
        self.by_suffix = NameTable(suffixes, owners, paths)
        names, owners = [], []
        for i, path in enumerate(paths):
            for name in _name_keys(path):
                names.append(name)
                owners.append(i)
        self.by_name = NameTable(names, owners, paths)
        aliases = self.notes.column("aliases")
        named = [(_norm(a), i) for i, p in enumerate(paths) for a in aliases[p] or ()]
        self.by_alias = NameTable([a for a, _ in named], [i for _, i in named], paths)
        titles = self.notes.column("title")
        self.by_title = NameTable([_norm(titles[p] or "") for p in paths], every, paths)

    def folded(self, key: str) -> str | None:
        """The path whose casefolded form is `key` (case-insensitive file systems)."""
        found = self._folded.get(key)
        return found[-1] if found else None  # the last one, as the dict it replaces kept

    def nbytes(self) -> int:
        """Bytes of the NumPy arrays: name tables, and the links once they were resolved."""
        tables = (self.by_key, self._folded, self.by_suffix, self.by_name, self.by_alias)
        total = sum(t.nbytes() for t in (*tables, self.by_title))
        for name in ("_edges", "_incoming"):
            if name in self.__dict__:
                total += sum(int(a.nbytes) for a in self.__dict__[name])
        return total

    # -- resolution -----------------------------------------------------------------------
    def candidates(self, target: str, source: str = "") -> list[str]:
        """Every note `target` could mean, best first."""
        wanted = _strip_md(_norm(target))
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
            base = posixpath.dirname(source)
            rel = posixpath.normpath(posixpath.join(base, wanted)).casefold() if base else wanted
            found = [*self.by_suffix.get(wanted), *self.by_key.get(rel)]
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
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), link.target))
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

    # -- graph ----------------------------------------------------------------------------
    @cached_property
    def _edges(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every link resolved once: (first link of each note, source id, link ordinal,
        target id or -1, ambiguous flag), links in catalog order; `_incoming` sorts them by
        target."""
        self._anchor_memo = {}  # each target's headings decoded once while every link resolves
        self._candidate_memo = {}  # and each (name, folder) looked up once
        starts: list[int] = []
        sources: list[int] = []
        ordinals: list[int] = []
        targets: list[int] = []
        ambiguous: list[bool] = []
        for src, (path, links) in enumerate(self.notes.link_lists()):
            starts.append(len(targets))
            for k, link in enumerate(links):
                res = self.resolve(link, path)
                sources.append(src)
                ordinals.append(k)
                targets.append(-1 if res.target is None else self.ids[res.target])
                ambiguous.append(res.ambiguous)
        starts.append(len(targets))
        self._anchor_memo = self._candidate_memo = None
        return (
            np.asarray(starts, dtype=np.int32),
            np.asarray(sources, dtype=np.int32),
            np.asarray(ordinals, dtype=np.int32),
            np.asarray(targets, dtype=np.int32),
            np.asarray(ambiguous, dtype=np.bool_),
        )

    def edge_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(source id, target id or -1) of every link, catalog order; ids index `paths`. For
        whole-graph readers (see-also's link sets) that need no Resolution objects."""
        _, sources, _, targets, _ = self._edges
        return sources, targets

    def _resolutions(self, edges: Iterable[int]) -> list[Resolution]:
        """The Resolutions of these edges (indexes into `_edges`), re-resolved from the links."""
        _, sources, ordinals, _, _ = self._edges
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

    @cached_property
    def _incoming(self) -> tuple[np.ndarray, np.ndarray]:
        """(edges ordered by target, stable so sources keep catalog order; their targets)."""
        targets = self._edges[3]
        order = np.argsort(targets, kind="stable").astype(np.int32)
        return order, targets[order]

    def _incoming_edges(self, i: int) -> list[int]:
        """Edges that land on note `i` from another note, in catalog order."""
        order, sorted_targets = self._incoming
        lo, hi = np.searchsorted(sorted_targets, [i, i + 1])
        edges = order[lo:hi]
        return edges[self._edges[1][edges] != i].tolist()

    def backlink_links(self, path: str) -> list[Link]:
        """The links of other notes that land on `path`, as written (not resolved again)."""
        i = self.ids.get(path)
        if i is None:
            return []
        edges = self._incoming_edges(i)
        _, sources, ordinals, _, _ = self._edges
        return [
            self.notes[self.paths[s]].links[k]
            for s, k in zip(sources[edges].tolist(), ordinals[edges].tolist(), strict=True)
        ]

    def backlinks(self, path: str) -> list[Resolution]:
        i = self.ids.get(path)
        return [] if i is None else self._resolutions(self._incoming_edges(i))

    def linking_notes(self, path: str) -> list[str]:
        """The notes that link to `path` (each once, catalog order): backlinks' sources
        without building a Resolution for each link."""
        i = self.ids.get(path)
        if i is None:
            return []
        sources = self._edges[1][self._incoming_edges(i)].tolist()
        return [self.paths[s] for s in dict.fromkeys(sources)]

    def broken(self) -> list[Resolution]:
        return self._resolutions(np.flatnonzero(self._edges[3] < 0).tolist())

    def ambiguous(self) -> list[Resolution]:
        return self._resolutions(np.flatnonzero(self._edges[4]).tolist())

    def neighbours(self, path: str) -> set[str]:
        """Notes linked from or to `path` (either direction)."""
        i = self.ids.get(path)
        if i is None:
            return set()
        starts, sources, _, targets, _ = self._edges
        out = targets[starts[i] : starts[i + 1]]
        inc = sources[self._incoming_edges(i)]
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


def _suffixes_of(key: str) -> list[str]:
    if "/" not in key:
        return [key]
    parts = key.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _name_keys(path: str) -> list[str]:
    name = _norm(path.rsplit("/", 1)[-1])
    keys = [_strip_md(name)]
    if not name.endswith(".md"):
        keys.append(name)  # attachments by full file name, as well as without '.md'
    return keys


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
