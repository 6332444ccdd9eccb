"""`[[` and `](` note names, ranked by what the paragraph around the cursor is about.

Relevance is `link_targets` (vault_core): hybrid search over the paragraph around the cursor
(the half-typed link removed), aggregated by note; when the paragraph says too little
(`See also [[`), the section's notes fused with the note's see-also suggestions. What is typed
then filters and breaks ties by fuzzy match; names nothing ranked follow by backlink count.
Labels that look alike carry the note's path in `labelDetails`. The inserted text is
`vault.graph.shortest_link_text` (or a relative path for `](`, followed by the folder's
subfolders and attachments).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.edit.links import md_dest
from vault_core.index.link_graph import LinkGraph
from vault_core.linking.link_targets import LinkTargets, link_targets
from vault_lsp.documents import Doc
from vault_lsp.features.completion.context import MAX_ITEMS, LinkOpen, item
from vault_lsp.features.completion.paths import path_items
from vault_lsp.matcher import fuzzy

if TYPE_CHECKING:
    from vault_core.vault import Vault

CONTEXT_CHARS = 400  # the end of the paragraph: what is being written now
SECTION_CHARS = 1200  # of the section, when the paragraph says too little


@dataclass
class Name:
    path: str
    label: str
    title: str
    alias: bool
    key: str  # casefolded label
    links_in: int  # notes linking to it: orders the names no context ranked
    same_label: bool = False  # another note shows the same (casefolded) label


REASON = {
    "paragraph": "related to this paragraph",
    "section": "related to this section",
    "note": "see also for this note",
}


class Ranker:
    """Per-graph name table and a small cache of link-target rankings."""

    def __init__(self) -> None:
        self._graph: LinkGraph | None = None
        self._names: list[Name] = []
        self._targets: dict[tuple[object, ...], LinkTargets] = {}
        self._link_text: dict[str, str] = {}
        self._lock = threading.Lock()

    def names(self, vault: Vault) -> list[Name]:
        graph = vault.graph
        with self._lock:
            if graph is not self._graph:
                names: list[Name] = []
                # the columns and one in-degree count: at 100k notes decoding every record
                # (25 s) for each new graph version held completion up for minutes
                degrees = graph.in_degrees().tolist()
                for note in graph.notes.facts():
                    if note.kind != "note":
                        continue
                    links_in = degrees[graph.ids[note.path]]
                    names.append(
                        Name(
                            note.path,
                            note.title,
                            note.title,
                            False,
                            note.title.casefold(),
                            links_in,
                        )
                    )
                    for alias in note.aliases:
                        names.append(
                            Name(note.path, alias, note.title, True, alias.casefold(), links_in)
                        )
                owners: dict[str, set[str]] = {}
                for name in names:
                    owners.setdefault(name.key, set()).add(name.path)
                for name in names:
                    name.same_label = len(owners[name.key]) > 1
                self._graph, self._names = graph, names
                self._targets.clear()
                self._link_text = {}
            return self._names

    def link_text(self, vault: Vault, path: str) -> str:
        """`shortest_link_text`, memoised per graph (it scans the vault for ambiguous stems)."""
        cached = self._link_text.get(path)
        if cached is None:
            cached = self._link_text[path] = vault.graph.shortest_link_text(path)
        return cached

    def targets(self, vault: Vault, doc: Doc, line0: int, cut: tuple[int, int]) -> LinkTargets:
        """`link_targets` for the link open at `line0`, cached per context and index version."""
        para, section = paragraph(doc, line0, cut), section_text(doc, line0, cut)
        key = (id(vault), vault.generation, doc.rel, para, section)
        with self._lock:
            cached = self._targets.get(key)
        if cached is None:
            cached = link_targets(vault, doc.rel, para, section)
            with self._lock:
                if len(self._targets) > 64:
                    self._targets.clear()
                self._targets[key] = cached
        return cached


def _clean(lines: list[str], line0: int, cut: tuple[int, int], start: int, end: int) -> str:
    """Lines `start..end` (inclusive) as plain words, columns `cut` of `line0` removed."""
    here = lines[line0][: cut[0]] + " " + lines[line0][cut[1] :]
    text = " ".join([*lines[start:line0], here, *lines[line0 + 1 : end + 1]])
    return " ".join(re.sub(r"\[\[|\]\]|[#*_>`|]", " ", text).split())


def paragraph(doc: Doc, line0: int, cut: tuple[int, int]) -> str:
    """The paragraph around `line0`, with columns `cut` of that line (the open link) removed."""
    lines = doc.text.lines
    start = line0
    while start > 0 and lines[start - 1].strip():
        start -= 1
    end = line0
    while end + 1 < len(lines) and lines[end + 1].strip():
        end += 1
    return _clean(lines, line0, cut, start, end)[-CONTEXT_CHARS:]


def section_text(doc: Doc, line0: int, cut: tuple[int, int]) -> str:
    """The section around `line0` (its heading included; front matter left out), its end
    nearest the cursor kept when long."""
    lines = doc.text.lines
    headings = doc.parsed.headings if doc.parsed else []
    start = max((h.line - 1 for h in headings if h.line - 1 <= line0), default=0)
    end = min((h.line - 2 for h in headings if h.line - 1 > line0), default=len(lines) - 1)
    if start == 0 and lines and lines[0].strip() == "---":
        closing = next((i for i in range(1, line0) if lines[i].strip() in ("---", "...")), None)
        start = closing + 1 if closing is not None else 0
    return _clean(lines, line0, cut, start, end)[-SECTION_CHARS:]


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
    names = ranker.names(vault)
    found = ranker.targets(vault, doc, line0, cut)
    rel_rank = {p: i for i, p in enumerate(found.paths)}
    query = typed.strip().casefold()
    scored: list[tuple[tuple[float, float, float, int], Name]] = []
    for name in names:
        quality = fuzzy(query, name.key) if query else 1.0
        if quality <= 0 or name.path == doc.rel:
            continue
        bucket = 1.0 if quality >= 2.0 or not query else 0.0
        rank = rel_rank.get(name.path, len(rel_rank) + 1)
        # typed text: the shorter of equal matches is closer; nothing typed: the most linked
        last = len(name.label) if query else -name.links_in
        scored.append(((-bucket, rank, -quality, last), name))
    scored.sort(key=lambda s: (s[0], s[1].key, s[1].path))
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
        if name.path in found.why:
            detail += f"  · {REASON[found.why[name.path]]}"
        # identical-looking labels (`ADR`/`ADR`, `dom`/`DOM`) show which note each one is
        extra = {"label_details": types.CompletionItemLabelDetails(description=name.path)}
        items.append(
            item(
                name.label,
                text + closing,
                rng,
                rank,
                kind=types.CompletionItemKind.Reference
                if name.alias
                else types.CompletionItemKind.File,
                detail=detail,
                **(extra if name.same_label else {}),
            )
        )
    return items


class NoteCompleter:
    """Note names for an open link; the ranking state is per link graph (`Ranker`)."""

    def __init__(self) -> None:
        self.ranker = Ranker()

    def complete(self, vault: Vault, doc: Doc, link: LinkOpen) -> types.CompletionList:
        rng = link.range(doc)
        cut = (link.open_start, link.end)
        items = note_items(
            self.ranker, vault, doc, link.inner, rng, link.md, link.closing, link.cursor.line0, cut
        )
        if link.md:
            items += path_items(vault, doc, link.inner, rng, link.closing, len(items), notes=False)
        return types.CompletionList(is_incomplete=True, items=items)
