"""Unlinked mentions: plain-text occurrences of other notes' titles or aliases inside a note.

Read-only; the graph report is in graph_report.py, the vault-wide suggestion report in suggest.py.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, Field

from vault_core.errors import FileNotHere
from vault_core.index.catalog import stem_of
from vault_core.index.link_edges import NO_KEY
from vault_core.index.note_names import (
    NAME_TOKEN_RE,
    TRIE_COLUMNS,
    StoredNames,
    name_columns,
    name_gaps,
    names_table,
    trie_names,
)
from vault_core.index.note_names import name_key as _name_key
from vault_core.index.terms import tokenize
from vault_core.linking.name_trie import Overlay, TrieArrays, TrieView
from vault_core.linking.per_graph import PerGraph
from vault_core.linking.related_index import note_index
from vault_core.parse.markdown import (
    HEADING_RE,
    blank_inline_code,
    body_start_line,
    raw_block_mask,
)

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.read_model import ReadModel

SPAN_RE = re.compile(
    r"!?\[\[[^\[\]\n]+?\]\]|!?\[[^\[\]\n]*\]\([^)\n]*\)|<[^>\n]+>|\b[a-zA-Z][\w+.\-]*://\S+"
)
# A one-word name is a common word when more than this share of the vault's notes use it (and
# more than COMMON_MIN_NOTES do): "system", "time", "data" (vaultofknowledge: 416, 319 notes).
COMMON_SHARE = 0.02
COMMON_MIN_NOTES = 10
UPDATE_MAX = 2_048  # changed notes past which the name trie is built afresh, not patched
LINKED_AS_NAME = 2  # the vault links the note with this very word at least this often...
LINK_RATE = 0.05  # ...and in at least this share of the notes that use the word
SENTENCE_START_RE = re.compile(r"(?:^|[.!?:;|>*+#\-–—]|\d[.)])\s*$")
HYPHEN_BEFORE_RE = re.compile(r"\w[-‐]$")  # "Meta-Ethics": a piece of a hyphenated compound
HYPHEN_AFTER_RE = re.compile(r"^[-‐]\w")  # "SilverBullet-specific"


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
    """A word-level trie over every usable title, alias and file name: first token -> names
    (linking/name_trie.py holds it as arrays; `owners`, `gaps`, `stems`, `first` and `keys_of`
    are mappings over them)."""

    def __init__(self, graph: LinkGraph, stored: StoredNames | None = None) -> None:
        """The trie of `graph`'s catalog; `stored` (the writer's tokenised names, kept with
        `related()`'s parts) gives every note whose sha still matches, the rest is tokenised."""
        self.graph = graph
        arrays = TrieArrays(graph.paths, graph.ids, _trie_rows(graph, stored))
        self._attach(TrieView(arrays, Overlay()))

    @classmethod
    def of_vault(cls, vault: ReadModel, graph: LinkGraph) -> _Matcher:
        """A process's first trie: from the names stored with `related()`'s parts."""
        return cls(graph, note_index(vault).parts.names)

    def _attach(self, view: TrieView) -> None:
        self.view = view
        self.owners, self.gaps, self.stems = view.owners, view.gaps, view.stems
        self.first, self.keys_of = view.first, view.keys_of
        self._fresh()

    def _fresh(self) -> None:
        """The memos of one catalog version."""
        self.notes_using: dict[str, int] = {}  # _WordRarity's memo for this catalog version
        self._link_text: dict[str, str] = {}
        self.linked_as = _LinkedAs(self.graph)

    def updated(self, graph: LinkGraph) -> _Matcher:
        """This trie for a later catalog version: the notes whose file changed (or that came
        or went) are taken out of the arrays and put back in the overlay; the arrays are
        shared. Built afresh once the overlay would hold more than UPDATE_MAX notes."""
        changed = graph.notes.changed_since(self.graph.notes)
        old = self.view.overlay
        if len(changed) + len(old.keys_of) > UPDATE_MAX:
            return _Matcher(graph)
        overlay = Overlay(
            removed=old.removed | set(changed),
            owners=dict(old.owners),
            gaps=dict(old.gaps),
            stems=dict(old.stems),
            keys_of=dict(old.keys_of),
            first=dict(old.first),
        )
        view = TrieView(self.view.arrays, overlay)
        for path in changed:
            overlay.stems.pop(path, None)
            for key in overlay.keys_of.pop(path, ()):
                left = overlay.owners.get(key, set()) - {path}  # new sets: the old version
                if left:  # still reads its own
                    overlay.owners[key] = left
                    continue
                overlay.owners.pop(key, None)
                overlay.first[key[0]] = overlay.first.get(key[0], set()) - {key}
                if not view.owners_of(key):
                    overlay.gaps.pop(key, None)
        for path in changed:
            note = graph.notes.get(path)
            if note is None or note.kind != "note":
                continue
            overlay.stems[path] = _name_key(stem_of(path))
            keys = []
            for name in trie_names(path, note.title, note.aliases):
                key = _name_key(name)
                if not key:
                    continue
                keys.append(key)
                if not view.owners_of(key):
                    overlay.gaps[key] = name_gaps(name)
                overlay.owners[key] = overlay.owners.get(key, set()) | {path}
                overlay.first[key[0]] = overlay.first.get(key[0], set()) | {key}
            overlay.keys_of[path] = keys
        new = _Matcher.__new__(_Matcher)
        new.graph = graph
        new._attach(view)
        return new

    def link_text(self, path: str) -> str:
        if path not in self._link_text:
            self._link_text[path] = self.graph.shortest_link_text(path)
        return self._link_text[path]


class _LinkedAs:
    """How the vault already links a note: (name as shown, target) -> count, counted per target
    from the hashes of its backlinks' shown names in the link columns (`backlink_names`:
    decoding each linking note's record cost ~40 ms a query at 100k notes)."""

    def __init__(self, graph: LinkGraph) -> None:
        self.graph = graph
        self._by_target: dict[str, dict[int, int]] = {}

    def get(self, item: tuple[tuple[str, ...], str], default: int = 0) -> int:
        key, target = item
        counts = self._by_target.get(target)
        if counts is None:
            names = self.graph.backlink_names(target)
            found, times = np.unique(names[names != NO_KEY], return_counts=True)
            counts = dict(zip(found.tolist(), times.tolist(), strict=True))
            self._by_target[target] = counts
        return counts.get(hash(key), default)


def _trie_rows(graph: LinkGraph, stored: StoredNames | None) -> pa.Table:
    """One row per Markdown note of the graph (`id`, `keys`, `gaps`, `stem`): the stored
    rows whose sha matches, the other notes' names tokenised now (from the catalog's columns:
    decoding 100k records cost ~20 s)."""
    tables: list[pa.Table] = []
    missing = graph.paths
    if stored is not None and len(stored.taken):
        taken = pa.array(stored.taken, pa.int64())
        tables.append(stored.table.select(list(TRIE_COLUMNS)).take(taken))
        ids = pc.index_in(stored.paths, value_set=pa.array(graph.paths, pa.string()))
        ids = pc.fill_null(ids, -1).to_numpy(zero_copy_only=False)
        have = np.zeros(len(graph.paths), np.bool_)
        have[ids[ids >= 0]] = True
        missing = [graph.paths[i] for i in np.flatnonzero(~have).tolist()]
    if missing or not tables:
        kinds, titles, aliases = name_columns(graph.notes, missing)
        fresh = names_table(missing, {}, kinds, titles, aliases, with_terms=False)
        tables.append(fresh.select(list(TRIE_COLUMNS)))
    table = pa.concat_tables(tables)
    table = table.filter(table.column("note"))
    ids = pc.index_in(table.column("path"), value_set=pa.array(graph.paths, pa.string()))
    return table.append_column("id", ids.cast(pa.int32()))


_MATCHERS = PerGraph(_Matcher, _Matcher.updated, _Matcher.of_vault)


def _matcher(vault: ReadModel) -> _Matcher:
    """The name trie of the vault's current catalog version."""
    return _MATCHERS.get(vault)


def _maskable_lines(text: str) -> list[str | None]:
    """Each line with links, inline code, URLs and `${...}` expressions blanked; None for
    frontmatter, code blocks (fenced or indented), raw HTML blocks and lines wholly inside a
    multi-line expression."""
    lines = text.split("\n")
    body_start = body_start_line(lines)
    mask = raw_block_mask(lines, body_start)
    result: list[str | None] = []
    depth = 0  # open braces of a `${...}` expression carried over from earlier lines
    for i, line in enumerate(lines):
        if i < body_start - 1 or mask[i]:
            result.append(None)
            continue
        if depth or "${" in line:
            line, depth = _blank_expressions(line, depth)
        line = blank_inline_code(line)
        result.append(SPAN_RE.sub(lambda m: " " * len(m.group(0)), line))
    return result


def _blank_expressions(line: str, depth: int) -> tuple[str, int]:
    """The line with `${...}` template expressions (SilverBullet's Space Lua, JS templates)
    blanked, braces counted across lines; returns the open depth left at its end."""
    out = list(line)
    i = 0
    while i < len(line):
        if depth == 0:
            if line.startswith("${", i):
                depth, out[i], out[i + 1] = 1, " ", " "
                i += 2
                continue
        else:
            depth += {"{": 1, "}": -1}.get(line[i], 0)
            out[i] = " "
        i += 1
    return "".join(out), depth


class _WordRarity:
    """How many notes use a word (the BM25 postings of the vault's current version)."""

    def __init__(self, vault: ReadModel, cache: dict[str, int] | None = None) -> None:
        self.vault = vault
        self.cache = {} if cache is None else cache  # word -> notes (per catalog version)

    def notes_using(self, word: str) -> int:
        if word not in self.cache:
            index = note_index(self.vault)
            self.cache[word] = max((index.doc_freq(t) for t in tokenize(word)), default=0)
        return self.cache[word]

    def common(self, word: str) -> bool:
        n_notes = len(note_index(self.vault).paths)
        return self.notes_using(word) > max(COMMON_SHARE * n_notes, COMMON_MIN_NOTES)


def _reads_as_name(
    matcher: _Matcher,
    rarity: _WordRarity,
    key: tuple[str, ...],
    target: str,
    line: str,
    start: int,
    end: int,
) -> bool:
    """Would a reader take these words for the note's name, not a common word in passing?

    Never a piece of a hyphenated compound ("Set-8", "Anti-Aliasing"), of a longer capitalised
    name ("Little Kernel"), or a shouted table header ("VALUE"). A one-word name that is a common
    word in this vault must be written capitalised mid-sentence as the note's file name, or be
    how the vault already links that note; rarer words and multi-word names stand as they are.
    """
    before, after, written = line[:start], line[end:], line[start:end]
    if HYPHEN_BEFORE_RE.search(before) or HYPHEN_AFTER_RE.match(after):
        return False
    words = [t for t in key if t[0].isalnum() or t[0] == "_"]
    if len(words) > 1:
        return True
    if written[:1].isupper() and _inside_longer_name(before, after):
        return False  # "Support Vector Machine", "Little Kernel"
    if written.isupper() and len(written) > 2 and not _spelled_upper(matcher, key, target):
        return False
    if not rarity.common(written):
        return True
    linked = matcher.linked_as.get((key, target), 0)
    if linked >= max(LINKED_AS_NAME, LINK_RATE * rarity.notes_using(written)):
        return True  # the writer links this word to this note often enough
    if not written[:1].isupper() or SENTENCE_START_RE.search(before):
        return False
    if _inside_longer_name(before, after, strict=True):
        return False  # "Real Path:", a label of its own
    return matcher.stems.get(target) == key  # not only an alias or a heading-title of the note


def _inside_longer_name(before: str, after: str, strict: bool = False) -> bool:
    """A capitalised word next to another; unless `strict`, a capitalised word before it that
    merely opens the sentence ("While Buddhism says") does not count."""
    prev = re.search(r"([A-Za-z][\w']*)\s+$", before)
    nxt = re.match(r"^\s+([A-Za-z][\w']*)", after)
    if nxt and nxt.group(1)[:1].isupper():
        return True
    return bool(
        prev
        and prev.group(1)[:1].isupper()
        and (strict or not SENTENCE_START_RE.search(before[: prev.start()]))
    )


def _spelled_upper(matcher: _Matcher, key: tuple[str, ...], target: str) -> bool:
    note = matcher.graph.notes[target]
    return any(_name_key(n) == key and n.isupper() for n in (note.stem, note.title, *note.aliases))


def unlinked_mentions(
    vault: ReadModel, path: str, text: str | None = None, *, strict: bool = True
) -> list[Mention]:
    """Where this note names another note in plain text (not in links, code, headings or
    frontmatter). `strict` (the default) keeps only what reads as the note's name
    (`_reads_as_name`); without it every name match counts (the link model's mention signal)."""
    return [m for m, as_name in scan_mentions(vault, path, text) if as_name or not strict]


def scan_mentions(
    vault: ReadModel, path: str, text: str | None = None
) -> list[tuple[Mention, bool]]:
    """Every name match in the note, each with whether it reads as the note's name (never in
    a heading; `_reads_as_name`): one pass for both the strict and the full list."""
    matcher = _matcher(vault)
    rarity = _WordRarity(vault, matcher.notes_using)
    graph = matcher.graph
    if text is None:
        note = graph.notes.get(path)
        if note is None or note.kind != "note":
            return []  # attachments have no Markdown to link from
        try:
            text = (vault.root / path).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError as exc:  # a reader of a shared index has no copy of the notes
            raise FileNotHere(
                f"{path} is not on this machine (only its index is): finding unlinked mentions "
                "needs the note's file, so run this where the notes are."
            ) from exc
    linked = {r.target for r in graph.outgoing(path) if r.target}
    src_dir = posixpath.dirname(path)
    found: list[tuple[Mention, bool]] = []
    for line_no, line in enumerate(_maskable_lines(text), start=1):
        if not line:
            continue
        heading = bool(HEADING_RE.match(line))
        tokens = list(NAME_TOKEN_RE.finditer(line))
        folded = [t.group(0).casefold() for t in tokens]
        starts = matcher.first
        i = 0
        while i < len(tokens):
            # most words start no name: skip them without a call
            hit = _match_at(matcher, tokens, folded, i, line) if folded[i] in starts else None
            if hit is None:
                i += 1
                continue
            key, end = hit
            i += len(key)
            owners = matcher.owners[key]
            if path in owners:
                continue  # the note's own name
            target = min(  # the note the vault links by this word most, else the nearest
                owners,
                key=lambda p: (
                    -matcher.linked_as.get((key, p), 0),
                    posixpath.dirname(p) != src_dir,
                    p.count("/"),
                    p,
                ),
            )
            start_col, end_col = tokens[i - len(key)].start(), end
            as_name = not heading and _reads_as_name(
                matcher, rarity, key, target, line, start_col, end_col
            )
            written = line[start_col:end_col]
            link_text = matcher.link_text(target)
            same = written.casefold() == link_text.casefold()
            mention = Mention(
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
            found.append((mention, as_name))
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
