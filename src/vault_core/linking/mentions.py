"""Unlinked mentions: plain-text occurrences of other notes' titles or aliases inside a note.

Read-only; the health report is in health.py, the vault-wide suggestion report in suggest.py.
"""

from __future__ import annotations

import itertools
import posixpath
import re
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel, Field

from vault_core.index.terms import STOPWORDS
from vault_core.parse.markdown import blank_inline_code, code_mask, split_frontmatter

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.vault_index import VaultIndex

TOKEN_RE = re.compile(r"\w+|[^\w\s]")
SPAN_RE = re.compile(
    r"!?\[\[[^\[\]\n]+?\]\]|!?\[[^\[\]\n]*\]\([^)\n]*\)|<[^>\n]+>|\b[a-zA-Z][\w+.\-]*://\S+"
)
MIN_NAME_CHARS = 3


# -- unlinked mentions --------------------------------------------------------------------
class Mention(BaseModel):
    """A plain-text occurrence of another note's title or alias, ready to become a link."""

    path: str = Field(description="the note the mention is in")
    line: int = Field(description="1-based")
    start_col: int = Field(description="0-based, inclusive")
    end_col: int = Field(description="0-based, exclusive")
    text: str = Field(description="the text as written")
    target: str = Field(description="path of the note it names")
    link_text: str = Field(description="shortest [[...]] target for that note")
    replacement: str = Field(description="what to write instead of `text` to make it a link")
    already_linked: bool = Field(description="this note already links to the target elsewhere")


class _Matcher:
    """A word-level trie over every usable title, alias and file name: first token -> names."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
        self.gaps: dict[tuple[str, ...], list[bool]] = {}
        for note in graph.notes.values():
            if note.kind != "note":
                continue
            for name in {note.title, note.stem, *note.aliases}:
                key = _name_key(name)
                if key:
                    owners[key].add(note.path)
                    spans = list(TOKEN_RE.finditer(name.strip()))
                    self.gaps.setdefault(
                        key, [a.end() != b.start() for a, b in itertools.pairwise(spans)]
                    )
        self.first: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for key in owners:
            self.first[key[0]].append(key)
        for keys in self.first.values():
            keys.sort(key=len, reverse=True)  # longest match wins
        self.owners = owners
        self._link_text: dict[str, str] = {}

    def link_text(self, path: str) -> str:
        if path not in self._link_text:
            self._link_text[path] = self.graph.shortest_link_text(path)
        return self._link_text[path]


def _name_key(name: str) -> tuple[str, ...] | None:
    """Token tuple of a name, or None when it is too short or too common to be a mention."""
    name = name.strip()
    if len(name) < MIN_NAME_CHARS:
        return None
    tokens = tuple(t.casefold() for t in TOKEN_RE.findall(name))
    words = [t for t in tokens if t[0].isalnum() or t[0] == "_"]
    if not words or all(w in STOPWORDS or w.isdigit() for w in words):
        return None
    return tokens


_MATCHERS: WeakKeyDictionary[Any, _Matcher] = WeakKeyDictionary()
_LOCK = threading.Lock()


def _matcher(vault: VaultIndex) -> _Matcher:
    graph = vault.graph
    with _LOCK:
        cached = _MATCHERS.get(vault)
        if cached is None or cached.graph is not graph:
            cached = _Matcher(graph)
            _MATCHERS[vault] = cached
        return cached


def _maskable_lines(text: str) -> list[str | None]:
    """Each line with links, inline code and URLs blanked; None for frontmatter and code blocks."""
    lines = text.split("\n")
    _, body_start, _ = split_frontmatter(text)
    mask = code_mask(lines)
    result: list[str | None] = []
    for i, line in enumerate(lines):
        if i < body_start - 1 or mask[i]:
            result.append(None)
            continue
        line = blank_inline_code(line)
        result.append(SPAN_RE.sub(lambda m: " " * len(m.group(0)), line))
    return result


def unlinked_mentions(vault: VaultIndex, path: str, text: str | None = None) -> list[Mention]:
    """Where this note names another note in plain text (not in links, code or frontmatter)."""
    matcher = _matcher(vault)
    graph = matcher.graph
    if text is None:
        note = graph.notes.get(path)
        if note is None or note.kind != "note":
            return []  # attachments have no Markdown to link from
        text = (vault.root / path).read_text(encoding="utf-8", errors="replace")
    linked = {r.target for r in graph.outgoing(path) if r.target}
    src_dir = posixpath.dirname(path)
    found: list[Mention] = []
    for line_no, line in enumerate(_maskable_lines(text), start=1):
        if not line:
            continue
        tokens = list(TOKEN_RE.finditer(line))
        folded = [t.group(0).casefold() for t in tokens]
        i = 0
        while i < len(tokens):
            hit = _match_at(matcher, tokens, folded, i, line)
            if hit is None:
                i += 1
                continue
            key, end = hit
            i += len(key)
            owners = matcher.owners[key]
            if path in owners:
                continue  # the note's own name
            target = min(owners, key=lambda p: (posixpath.dirname(p) != src_dir, p.count("/"), p))
            start_col, end_col = tokens[i - len(key)].start(), end
            written = line[start_col:end_col]
            link_text = matcher.link_text(target)
            same = written.casefold() == link_text.casefold()
            found.append(
                Mention(
                    path=path,
                    line=line_no,
                    start_col=start_col,
                    end_col=end_col,
                    text=written,
                    target=target,
                    link_text=link_text,
                    replacement=f"[[{written}]]" if same else f"[[{link_text}|{written}]]",
                    already_linked=target in linked,
                )
            )
    return found


def _match_at(
    matcher: _Matcher, tokens: list[re.Match[str]], folded: list[str], i: int, line: str
) -> tuple[tuple[str, ...], int] | None:
    for key in matcher.first.get(folded[i], ()):
        n = len(key)
        if tuple(folded[i : i + n]) != key:
            continue
        # spaced like the name: "Node.js" matches "node.js", not "node . js"
        spans, gaps = tokens[i : i + n], matcher.gaps[key]
        if all(
            (
                line[spans[j].end() : spans[j + 1].start()].isspace()
                if gaps[j]
                else spans[j].end() == spans[j + 1].start()
            )
            for j in range(n - 1)
        ):
            return key, spans[-1].end()
    return None
