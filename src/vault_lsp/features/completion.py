"""Completion: `[[` and `](` note links ranked by the paragraph, `#` headings, `^` blocks, `#tags`.

Relevance is hybrid `vault.search` over the paragraph around the cursor (the half-typed link
removed), aggregated by note; what is typed then filters and breaks ties by fuzzy match.
The inserted text is `vault.graph.shortest_link_text` (or a relative path for `](`).
`](` also completes paths like a file picker: the folder's subfolders and attachments after
the ranked notes, and once a `/` is typed (`./`, `../`, `/` from the vault root, `folder/`),
that folder's entries. `](note.md#` offers the headings' GitHub slugs.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from lsprotocol import types

from vault_core.edit.links import md_dest
from vault_core.index.link_graph import LinkGraph
from vault_core.parse.anchors import heading_slugs
from vault_lsp.common import guard
from vault_lsp.documents import Doc

if TYPE_CHECKING:
    from vault_core.vault import Vault
    from vault_lsp.server import VaultLanguageServer

log = logging.getLogger("vault_lsp")
WIKI_OPEN = re.compile(r"\[\[([^\[\]]*)$")
MD_OPEN = re.compile(r"\]\(([^()\s]*)$")
TAG_OPEN = re.compile(r"(?:^|[\s(])#([\w/\-]*)$")
MAX_ITEMS = 100  # the list is incomplete: the client asks again as the user types
RELEVANT = 30
CONTEXT_CHARS = 400  # the end of the paragraph: what is being written now


@dataclass
class Name:
    path: str
    label: str
    title: str
    alias: bool
    key: str  # casefolded label


def fuzzy(query: str, name: str) -> float:
    """0 for no match; higher is better (prefix > word start > substring > subsequence)."""
    if not query:
        return 1.0
    if name.startswith(query):
        return 4.0
    if re.search(r"(?:^|[\s_\-/.])" + re.escape(query), name):
        return 3.0
    if query in name:
        return 2.0
    it = iter(name)
    return 1.0 if all(ch in it for ch in query) else 0.0


class Ranker:
    """Per-graph name table and a small cache of paragraph searches."""

    def __init__(self) -> None:
        self._graph: LinkGraph | None = None
        self._names: list[Name] = []
        self._tags: list[tuple[str, int]] = []
        self._searches: dict[str, list[str]] = {}
        self._link_text: dict[str, str] = {}
        self._lock = threading.Lock()

    def names(self, vault: Vault) -> tuple[list[Name], list[tuple[str, int]]]:
        graph = vault.graph
        with self._lock:
            if graph is not self._graph:
                names: list[Name] = []
                tags: Counter[str] = Counter()
                for note in graph.notes.values():
                    if note.kind != "note":
                        continue
                    names.append(
                        Name(note.path, note.title, note.title, False, note.title.casefold())
                    )
                    for alias in note.aliases:
                        names.append(Name(note.path, alias, note.title, True, alias.casefold()))
                    tags.update(note.tags)
                self._graph, self._names = graph, names
                self._tags = sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))
                self._searches.clear()
                self._link_text = {}
            return self._names, self._tags

    def link_text(self, vault: Vault, path: str) -> str:
        """`shortest_link_text`, memoised per graph (it scans the vault for ambiguous stems)."""
        cached = self._link_text.get(path)
        if cached is None:
            cached = self._link_text[path] = vault.graph.shortest_link_text(path)
        return cached

    def relevant(self, vault: Vault, context: str, exclude: str | None) -> list[str]:
        """Notes ranked by hybrid search over `context`, best first."""
        if len(context.split()) < 3:
            return []
        with self._lock:
            cached = self._searches.get(context)
        if cached is None:
            hits = vault.search(context, mode="hybrid", limit=RELEVANT)
            scores: dict[str, float] = {}
            for hit in hits:
                scores[hit.path] = scores.get(hit.path, 0.0) + hit.score
            cached = [p for p, _ in sorted(scores.items(), key=lambda kv: -kv[1])]
            with self._lock:
                if len(self._searches) > 64:
                    self._searches.clear()
                self._searches[context] = cached
        return [p for p in cached if p != exclude]


def paragraph(doc: Doc, line0: int, cut: tuple[int, int]) -> str:
    """The paragraph around `line0`, with columns `cut` of that line (the open link) removed."""
    lines = doc.text.lines
    start = line0
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = line0
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    here = lines[line0][: cut[0]] + " " + lines[line0][cut[1] :]
    text = " ".join([*lines[start:line0], here, *lines[line0 + 1 : end + 1]])
    text = re.sub(r"\[\[|\]\]|[#*_>`]", " ", text)
    return " ".join(text.split())[-CONTEXT_CHARS:]


def _item(
    label: str, new_text: str, rng: types.Range, rank: int, **kw: Any
) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        text_edit=types.TextEdit(range=rng, new_text=new_text),
        sort_text=f"{rank:05d}",
        filter_text=kw.pop("filter_text", label),
        **kw,
    )


def note_items(
    ranker: Ranker,
    vault: Vault,
    doc: Doc,
    typed: str,
    rng: types.Range,
    md: bool,
    closing: str,
    line0: int,
    cut: tuple[int, int],
) -> list[types.CompletionItem]:
    names, _ = ranker.names(vault)
    relevant = ranker.relevant(vault, paragraph(doc, line0, cut), doc.rel)
    rel_rank = {p: i for i, p in enumerate(relevant)}
    query = typed.strip().casefold()
    scored: list[tuple[tuple[float, float, float, int], Name]] = []
    for name in names:
        quality = fuzzy(query, name.key) if query else 1.0
        if quality <= 0 or name.path == doc.rel:
            continue
        bucket = 1.0 if quality >= 2.0 or not query else 0.0
        rank = rel_rank.get(name.path, len(relevant) + 1)
        scored.append(((-bucket, rank, -quality, len(name.label)), name))
    scored.sort(key=lambda s: (s[0], s[1].key))
    items: list[types.CompletionItem] = []
    seen: set[tuple[str, str]] = set()
    for rank, (_, name) in enumerate(scored[:MAX_ITEMS]):
        if (name.path, name.label) in seen:
            continue
        seen.add((name.path, name.label))
        if md:
            text = md_dest(name.path, doc.rel or "")
        else:
            text = ranker.link_text(vault, name.path)
            if name.alias:
                text = f"{text}|{name.label}"
        detail = name.path + (f"  (alias of {name.title})" if name.alias else "")
        if name.path in rel_rank:
            detail += "  · related to this paragraph"
        items.append(
            _item(
                name.label,
                text + closing,
                rng,
                rank,
                kind=types.CompletionItemKind.Reference
                if name.alias
                else types.CompletionItemKind.File,
                detail=detail,
            )
        )
    return items


def complete(
    ranker: Ranker, vault: Vault, doc: Doc, position: types.Position
) -> types.CompletionList | None:
    line0, col = doc.text.col(position)
    line = doc.text.line(line0)
    before, after = line[:col], line[col:]
    wiki = WIKI_OPEN.search(before)
    md = None if wiki else MD_OPEN.search(before)
    found = wiki or md
    if found is not None:
        inner = found.group(1)
        start = found.start(1)
        if "|" in inner:
            return None  # typing a label: nothing to complete
        close = "]]" if wiki else ")"
        tail = re.match(r"[^\[\]()\s|#]*" + re.escape(close), after)
        end = col + (len(tail.group(0)) - len(close) if tail else 0)
        closing = "" if tail else close
        if "#" in inner:
            target, frag = inner.split("#", 1)
            frag_start = start + len(target) + 1
            return anchor_items(
                vault,
                doc,
                target,
                frag,
                doc.text.range(line0, frag_start, line0, end),
                bool(md),
                closing,
            )
        rng = doc.text.range(line0, start, line0, end)
        if md and ("/" in inner or inner.startswith(".")):
            slash = start + inner.rfind("/") + 1
            seg = doc.text.range(line0, slash, line0, end)
            return types.CompletionList(
                is_incomplete=True, items=path_items(vault, doc, inner, seg, closing, 0)
            )
        items = note_items(
            ranker, vault, doc, inner, rng, bool(md), closing, line0, (found.start(0), end)
        )
        if md:
            items += path_items(vault, doc, inner, rng, closing, len(items), notes=False)
        return types.CompletionList(is_incomplete=True, items=items)
    tag = TAG_OPEN.search(before)
    if tag is not None and not re.match(r"^\s{0,3}#{1,6}\s", line):
        _, tags = ranker.names(vault)
        typed = tag.group(1).casefold()
        rng = doc.text.range(line0, tag.start(1), line0, col)
        matches = [(fuzzy(typed, name.casefold()), name, count) for name, count in tags]
        matches = sorted((m for m in matches if m[0] > 0), key=lambda m: (-m[0], -m[2], m[1]))
        items = [
            _item(
                name, name, rng, i, kind=types.CompletionItemKind.Keyword, detail=f"{count} notes"
            )
            for i, (_, name, count) in enumerate(matches)
        ]
        return types.CompletionList(is_incomplete=False, items=items[:MAX_ITEMS])
    return None


def anchor_items(
    vault: Vault, doc: Doc, target: str, frag: str, rng: types.Range, md: bool, closing: str
) -> types.CompletionList:
    """Headings (`#`) or blocks (`#^`) of the linked note, or of this buffer for `[[#`."""
    if not target.strip():
        headings = doc.parsed.headings if doc.parsed else []
        blocks = doc.parsed.blocks if doc.parsed else []
    else:
        res_paths = vault.graph.candidates(unquote(target) if md else target, doc.rel or "")
        note = vault.catalog.get(res_paths[0]) if res_paths else None
        headings = note.headings if note else []
        blocks = note.blocks if note else []
    items: list[types.CompletionItem] = []
    if frag.startswith("^"):
        for i, block in enumerate(blocks):
            items.append(
                _item(
                    f"^{block.id}",
                    f"^{block.id}{closing}",
                    rng,
                    i,
                    kind=types.CompletionItemKind.Reference,
                    detail=f"line {block.line}",
                )
            )
    else:
        slugs = heading_slugs(h.text for h in headings) if md else []
        for i, heading in enumerate(headings):
            text = quote(slugs[i], safe="-_") if md else heading.text
            items.append(
                _item(
                    heading.text,
                    text + closing,
                    rng,
                    i,
                    kind=types.CompletionItemKind.Module,
                    detail=f"{'#' * heading.level} line {heading.line}",
                )
            )
    return types.CompletionList(is_incomplete=False, items=items)


IGNORED_DIRS = {".git", ".nvault", ".obsidian", ".trash", "node_modules"}


def path_items(
    vault: Vault,
    doc: Doc,
    typed: str,
    rng: types.Range,
    closing: str,
    first_rank: int,
    notes: bool = True,
) -> list[types.CompletionItem]:
    """Entries of the folder `typed` names (relative to this note; `/` = the vault root),
    filtered by its last segment. Folders insert `name/` and ask again; `notes=False` leaves
    out Markdown files (the ranked note items already cover them)."""
    folder, _, prefix = unquote(typed).rpartition("/")
    base = "" if folder.startswith("/") else posixpath.dirname(doc.rel or "")
    rel_dir = posixpath.normpath(posixpath.join(base, folder.lstrip("/")))
    if rel_dir == ".." or rel_dir.startswith("../"):
        return []  # outside the vault
    root = vault.root.resolve()
    full = (root / ("" if rel_dir == "." else rel_dir)).resolve()
    if not full.is_relative_to(root) or not full.is_dir():
        return []
    try:
        entries = sorted(os.scandir(full), key=lambda e: (not e.is_dir(), e.name.casefold()))
    except OSError:
        return []
    query = prefix.casefold()
    items: list[types.CompletionItem] = []
    for entry in entries:
        name = entry.name
        is_dir = entry.is_dir()
        if name in IGNORED_DIRS or name.startswith(".") or fuzzy(query, name.casefold()) <= 0:
            continue
        if not notes and not is_dir and name.lower().endswith(".md"):
            continue
        rank = first_rank + len(items)
        if is_dir:
            items.append(
                _item(
                    f"{name}/",
                    f"{quote(name)}/",
                    rng,
                    rank,
                    kind=types.CompletionItemKind.Folder,
                    command=types.Command(title="", command="editor.action.triggerSuggest"),
                )
            )
        else:
            items.append(
                _item(name, quote(name) + closing, rng, rank, kind=types.CompletionItemKind.File)
            )
        if len(items) >= MAX_ITEMS:
            break
    return items


def setup(server: VaultLanguageServer) -> None:
    ranker = Ranker()

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION,
        types.CompletionOptions(trigger_characters=["[", "(", "#", "^"]),
    )
    @server.thread()
    @guard()
    def completion(params: types.CompletionParams) -> types.CompletionList | None:
        if not server.session.options.features.completion:
            return None
        if summaries := getattr(server, "summaries", None):
            summaries.touch()
        found = server.doc_and_vault(params.text_document.uri)
        if found is None:
            return None
        doc, vault = found
        return complete(ranker, vault, doc, params.position)
