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
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

from vault_core.index.catalog import NoteRecord
from vault_core.index.columnar import as_catalog
from vault_core.parse.anchors import heading_slugs
from vault_core.parse.markdown import Heading, Link


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
    """Name tables and the resolved link graph for one version of the catalog."""

    def __init__(self, notes: Mapping[str, NoteRecord] | Iterable[NoteRecord]) -> None:
        self.notes = as_catalog(notes)
        self.by_name: dict[str, list[str]] = defaultdict(list)
        self.by_alias: dict[str, list[str]] = defaultdict(list)
        self.by_title: dict[str, list[str]] = defaultdict(list)
        # `[[folder/name]]`: every path under each of its trailing segments ('b/c' for
        # 'a/b/c.md'), so a path link is a lookup, not a scan of every note (100k notes).
        self.by_suffix: dict[str, list[str]] = defaultdict(list)
        self.by_key: dict[str, list[str]] = defaultdict(list)  # the whole path, no '.md'
        self.folded: dict[str, str] = {}  # path.casefold() -> path
        for note in self.notes.values():
            key = _strip_md(note.path.casefold())
            self.by_key[key].append(note.path)
            self.folded[note.path.casefold()] = note.path
            parts = key.split("/")
            for i in range(len(parts)):
                self.by_suffix["/".join(parts[i:])].append(note.path)
            name = _norm(note.path.rsplit("/", 1)[-1])
            self.by_name[_strip_md(name)].append(note.path)
            if not name.endswith(".md"):
                self.by_name[name].append(note.path)  # attachments by full file name
            for alias in note.aliases:
                self.by_alias[_norm(alias)].append(note.path)
            self.by_title[_norm(note.title)].append(note.path)

    # -- resolution -----------------------------------------------------------------------
    def candidates(self, target: str, source: str = "") -> list[str]:
        """Every note `target` could mean, best first."""
        wanted = _strip_md(_norm(target))
        if not wanted:
            return [source] if source in self.notes else []
        found: list[str] = []
        if "/" in wanted:
            base = posixpath.dirname(source)
            rel = posixpath.normpath(posixpath.join(base, wanted)).casefold() if base else wanted
            found = [*self.by_suffix.get(wanted, ()), *self.by_key.get(rel, ())]
            if wanted in self.folded:
                found.append(self.folded[wanted])
        else:
            found = list(self.by_name.get(wanted, []))
        if not found:
            found = list(self.by_alias.get(wanted, [])) or list(self.by_title.get(wanted, []))
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
                    (self.folded[o.casefold()] for o in options if o.casefold() in self.folded),
                    None,
                )
        return Resolution(
            link=link,
            source=source,
            target=target,
            candidates=[target] if target else [],
            heading_found=self._has_anchor(target, link),
        )

    def _has_anchor(self, target: str | None, link: Link) -> bool:
        if target is None or target not in self.notes:
            return True
        note = self.notes[target]
        if link.heading:
            return anchor_heading(note.headings, link) is not None
        if link.block:
            return any(b.id == link.block for b in note.blocks)
        return True

    # -- graph ----------------------------------------------------------------------------
    @cached_property
    def resolutions(self) -> dict[str, list[Resolution]]:
        return {
            path: [self.resolve(link, path) for link in note.links]
            for path, note in self.notes.items()
        }

    @cached_property
    def incoming(self) -> dict[str, list[Resolution]]:
        result: dict[str, list[Resolution]] = defaultdict(list)
        for items in self.resolutions.values():
            for res in items:
                if res.target is not None and res.target != res.source:
                    result[res.target].append(res)
        return result

    def outgoing(self, path: str) -> list[Resolution]:
        return self.resolutions.get(path, [])

    def backlinks(self, path: str) -> list[Resolution]:
        return self.incoming.get(path, [])

    def broken(self) -> list[Resolution]:
        return [r for items in self.resolutions.values() for r in items if r.broken]

    def ambiguous(self) -> list[Resolution]:
        return [r for items in self.resolutions.values() for r in items if r.ambiguous]

    def neighbours(self, path: str) -> set[str]:
        """Notes linked from or to `path` (either direction)."""
        out = {r.target for r in self.outgoing(path) if r.target}
        inc = {r.source for r in self.backlinks(path)}
        return (out | inc) - {path}

    def shortest_link_text(self, path: str) -> str:
        """The shortest `[[...]]` target that resolves to `path` unambiguously from anywhere."""
        note = self.notes[path]
        stem = note.stem
        if self.by_name.get(_norm(stem)) == [path] or len(self.by_name.get(_norm(stem), [])) == 1:
            return stem
        parts = _strip_md(path).split("/")
        for i in range(len(parts) - 2, -1, -1):
            candidate = "/".join(parts[i:])
            if self.candidates(candidate)[:1] == [path] and len(self.candidates(candidate)) == 1:
                return candidate
        return _strip_md(path)


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
