"""`#tag` outside headings: the vault's tags, fuzzy-matched, most used first."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_lsp.documents import Doc
from vault_lsp.features.completion.context import MAX_ITEMS, Cursor, item
from vault_lsp.matcher import fuzzy

if TYPE_CHECKING:
    from vault_core.index.link_graph import LinkGraph
    from vault_core.vault import Vault

TAG_OPEN = re.compile(r"(?:^|[\s(])#([\w/\-]*)$")
HEADING_LINE = re.compile(r"^\s{0,3}#{1,6}\s")


class TagCompleter:
    """Tag counts per link graph (recounted when the graph changes)."""

    def __init__(self) -> None:
        self._graph: LinkGraph | None = None
        self._tags: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def tags(self, vault: Vault) -> list[tuple[str, int]]:
        graph = vault.graph
        with self._lock:
            if graph is not self._graph:
                counts: Counter[str] = Counter()
                for note in graph.notes.facts():  # the columns: no record decoded
                    if note.kind == "note":
                        counts.update(note.tags)
                self._graph = graph
                self._tags = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            return self._tags

    def complete(self, vault: Vault, doc: Doc, cursor: Cursor) -> types.CompletionList | None:
        tag = TAG_OPEN.search(cursor.before)
        if tag is None or HEADING_LINE.match(cursor.line):
            return None
        typed = tag.group(1).casefold()
        rng = doc.text.range(cursor.line0, tag.start(1), cursor.line0, cursor.col)
        matches = [(fuzzy(typed, name.casefold()), name, count) for name, count in self.tags(vault)]
        matches = sorted((m for m in matches if m[0] > 0), key=lambda m: (-m[0], -m[2], m[1]))
        items = [
            item(name, name, rng, i, kind=types.CompletionItemKind.Keyword, detail=f"{count} notes")
            for i, (_, name, count) in enumerate(matches)
        ]
        return types.CompletionList(is_incomplete=False, items=items[:MAX_ITEMS])
