"""The name trie behind unlinked mentions: every note's title, alias and file name as token keys.

Built once per catalog version and patched on saves (`_Matcher.updated`); `_LinkedAs` says how
often the vault already links a note by a given word. Read by mentions.py's scan.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from vault_core.index.catalog import stem_of
from vault_core.index.terms import STOPWORDS
from vault_core.linking.per_graph import PerGraph

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

NAME_TOKEN_RE = re.compile(r"\w+|[^\w\s]")
MIN_NAME_CHARS = 3
UPDATE_MAX = 2_048  # changed notes past which the name trie is built afresh, not patched


class _Matcher:
    """A word-level trie over every usable title, alias and file name: first token -> names."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        self.owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.gaps: dict[tuple[str, ...], list[bool]] = {}
        self.stems: dict[str, tuple[str, ...] | None] = {}
        self.keys_of: dict[str, list[tuple[str, ...]]] = {}  # what each note added: for updates
        # the names come from the catalog's columns: decoding 100k records cost ~20 s
        kinds, titles = graph.notes.column("kind"), graph.notes.column("title")
        aliases = graph.notes.column("aliases")
        for path in graph.paths:
            if kinds[path] == "note":
                self._add(path, titles[path], aliases[path])
        self.first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in self.owners:
            self.first[key[0]].append(key)
        for keys in self.first.values():
            keys.sort(key=len, reverse=True)  # longest match wins
        self._fresh()

    def _fresh(self) -> None:
        """The memos of one catalog version."""
        self.notes_using: dict[str, int] = {}  # _WordRarity's memo for this catalog version
        self._link_text: dict[str, str] = {}
        self.linked_as = _LinkedAs(self.graph)

    def _add(self, path: str, title: str | None, aliases: list[str] | None) -> list[tuple]:
        """Index one note's names; returns the keys that had no owner before."""
        stem = stem_of(path)
        self.stems[path] = _name_key(stem)
        new, keys = [], []
        for name in {title or "", stem, *(aliases or ())}:
            key = _name_key(name)
            if key:
                keys.append(key)
                if key not in self.owners:
                    new.append(key)
                    self.owners[key] = set()
                self.owners[key].add(path)
                spans = list(NAME_TOKEN_RE.finditer(name.strip()))
                self.gaps.setdefault(
                    key, [a.end() != b.start() for a, b in itertools.pairwise(spans)]
                )
        self.keys_of[path] = keys
        return new

    def updated(self, graph: LinkGraph) -> _Matcher:
        """This trie for a later catalog version: the notes whose file changed (or that came
        or went) are taken out and put back; the rest is shared. Built afresh past
        UPDATE_MAX changed notes."""
        changed = graph.notes.changed_since(self.graph.notes)
        if len(changed) > UPDATE_MAX:
            return _Matcher(graph)
        new = _Matcher.__new__(_Matcher)
        new.graph = graph
        new.owners = defaultdict(set, self.owners)
        new.gaps, new.stems = dict(self.gaps), dict(self.stems)
        new.keys_of = dict(self.keys_of)
        new.first = defaultdict(list, self.first)
        for path in changed:
            new.stems.pop(path, None)
            for key in new.keys_of.pop(path, ()):
                left = new.owners[key] - {path}  # a new set: the old version still reads its own
                if left:
                    new.owners[key] = left
                    continue
                del new.owners[key]
                new.gaps.pop(key, None)
                new.first[key[0]] = [k for k in new.first[key[0]] if k != key]
        for path in changed:
            note = graph.notes.get(path)
            if note is None or note.kind != "note":
                continue
            for key in new._add_copying(path, note.title, note.aliases):
                keys = [*new.first[key[0]], key]
                keys.sort(key=len, reverse=True)
                new.first[key[0]] = keys
        new._fresh()
        return new

    def _add_copying(self, path: str, title: str | None, aliases: list[str]) -> list[tuple]:
        """`_add` on sets shared with an older version: each touched set is copied first."""
        for name in {title or "", stem_of(path), *(aliases or ())}:
            key = _name_key(name)
            if key and key in self.owners:
                self.owners[key] = set(self.owners[key])
        return self._add(path, title, aliases)

    def link_text(self, path: str) -> str:
        if path not in self._link_text:
            self._link_text[path] = self.graph.shortest_link_text(path)
        return self._link_text[path]


class _LinkedAs:
    """How the vault already links a note: (name as shown, target) -> count, counted per target
    from its backlinks when first asked (resolving every link of the vault up front cost a
    whole-vault pass per catalog version)."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        self._by_target: dict[str, Counter[tuple[str, ...]]] = {}

    def get(self, item: tuple[tuple[str, ...], str], default: int = 0) -> int:
        key, target = item
        counts = self._by_target.get(target)
        if counts is None:
            counts = Counter()
            for link in self.graph.backlink_links(target):
                shown = link.label or link.target.rsplit("/", 1)[-1]
                if shown_key := _name_key(shown):
                    counts[shown_key] += 1
            self._by_target[target] = counts
        return counts.get(key, default)


def _name_key(name: str) -> tuple[str, ...] | None:
    """Token tuple of a name, or None when it is too short or too common to be a mention."""
    name = name.strip()
    if len(name) < MIN_NAME_CHARS:
        return None
    tokens = tuple(t.casefold() for t in NAME_TOKEN_RE.findall(name))
    words = [t for t in tokens if t[0].isalnum() or t[0] == "_"]
    if not words or all(w in STOPWORDS or w.isdigit() for w in words):
        return None
    return tokens


_MATCHERS = PerGraph(_Matcher, _Matcher.updated)


def _matcher(vault: ReadModel) -> _Matcher:
    """The name trie of the vault's current catalog version."""
    return _MATCHERS.get(vault)
