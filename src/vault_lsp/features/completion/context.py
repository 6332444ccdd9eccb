"""What the cursor is in (the open `[[`/`](` link, or the line before it), and the item every
completer returns. The triggers are found here once; each completer handles one."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from vault_lsp.documents import Doc

MAX_ITEMS = 100  # the list is incomplete: the client asks again as the user types
WIKI_OPEN = re.compile(r"\[\[([^\[\]]*)$")
MD_OPEN = re.compile(r"\]\(([^()\s]*)$")


@dataclass(frozen=True)
class Cursor:
    line0: int
    col: int  # code points
    line: str

    @classmethod
    def at(cls, doc: Doc, position: types.Position) -> Cursor:
        line0, col = doc.text.col(position)
        return cls(line0, col, doc.text.line(line0))

    @property
    def before(self) -> str:
        return self.line[: self.col]


@dataclass(frozen=True)
class LinkOpen:
    """A `[[...` or `](...` link the cursor is inside, up to the cursor."""

    cursor: Cursor
    md: bool  # `](`: a Markdown link's destination
    inner: str  # typed so far after `[[` / `](`
    start: int  # column where `inner` starts
    end: int  # column where the replaced text ends (the rest of the target before a closer)
    closing: str  # `]]` / `)` to insert when the link is not closed yet
    open_start: int  # column of the `[[` / `](`

    @classmethod
    def at(cls, cursor: Cursor) -> LinkOpen | None:
        wiki = WIKI_OPEN.search(cursor.before)
        found = wiki or MD_OPEN.search(cursor.before)
        if found is None:
            return None
        close = "]]" if wiki else ")"
        tail = re.match(r"[^\[\]()\s|#]*" + re.escape(close), cursor.line[cursor.col :])
        end = cursor.col + (len(tail.group(0)) - len(close) if tail else 0)
        return cls(
            cursor=cursor,
            md=wiki is None,
            inner=found.group(1),
            start=found.start(1),
            end=end,
            closing="" if tail else close,
            open_start=found.start(0),
        )

    @property
    def labelled(self) -> bool:
        """Typing a label (`[[note|...`): nothing to complete."""
        return "|" in self.inner

    @property
    def anchored(self) -> bool:
        """`#` typed: a heading or (`#^`) a block of the target."""
        return "#" in self.inner

    @property
    def path_like(self) -> bool:
        """A Markdown destination typed as a path (`./`, `../`, `/`, `folder/`)."""
        return self.md and ("/" in self.inner or self.inner.startswith("."))

    def range(self, doc: Doc, start: int | None = None) -> types.Range:
        """From `start` (default: where the typed text starts) to the end of the target."""
        line0 = self.cursor.line0
        return doc.text.range(line0, self.start if start is None else start, line0, self.end)


def item(label: str, new_text: str, rng: types.Range, rank: int, **kw: Any) -> types.CompletionItem:
    return types.CompletionItem(
        label=label,
        text_edit=types.TextEdit(range=rng, new_text=new_text),
        sort_text=f"{rank:05d}",
        filter_text=kw.pop("filter_text", label),
        **kw,
    )
