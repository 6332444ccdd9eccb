"""Documents as the features see them: vault path, lines, parsed links, client positions.

An open buffer wins over the file on disk (it is what the user sees); it is re-parsed with
`vault_core.parse.markdown.parse_note` once per version. Columns from the parser are code points; the
client counts in its negotiated encoding (UTF-16 for VS Code), so every range goes through `Text`.
"""

from __future__ import annotations

import logging
import posixpath
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from vault_core.parse.markdown import Link, ParsedNote, parse_note

if TYPE_CHECKING:
    from pygls.workspace import Workspace

log = logging.getLogger("vault_lsp")

MAX_DOC_CHARS = 4_000_000  # larger buffers are not parsed (no links, no diagnostics)
MAX_LINE_CHARS = 200_000  # a longer line is skipped by position lookups
REL_CACHE_SIZE = 10_000  # remembered uri -> vault path answers


class Text:
    """Lines of a document and conversions between parser columns and client positions."""

    def __init__(self, source: str, units: Callable[[str], int]) -> None:
        self.source = source
        self.lines = [line[:-1] if line.endswith("\r") else line for line in source.split("\n")]
        self._units = units

    def line(self, line0: int) -> str:
        return self.lines[line0] if 0 <= line0 < len(self.lines) else ""

    def pos(self, line0: int, col: int) -> types.Position:
        line0 = max(0, min(line0, len(self.lines) - 1))
        text = self.lines[line0]
        col = max(0, min(col, len(text)))
        return types.Position(line=line0, character=self._units(text[:col]))

    def range(
        self, line0: int, c0: int, line1: int | None = None, c1: int | None = None
    ) -> types.Range:
        line1 = line0 if line1 is None else line1
        c1 = c0 if c1 is None else c1
        return types.Range(start=self.pos(line0, c0), end=self.pos(line1, c1))

    def line_range(self, line0: int) -> types.Range:
        return self.range(line0, 0, line0, len(self.line(line0)))

    def col(self, position: types.Position) -> tuple[int, int]:
        """(line0, code-point column) for a client position, clamped to the document."""
        line0 = max(0, min(position.line, len(self.lines) - 1))
        text = self.lines[line0]
        if len(text) > MAX_LINE_CHARS:
            return line0, min(position.character, len(text))
        units = 0
        for i, ch in enumerate(text):
            if units >= position.character:
                return line0, i
            units += self._units(ch)
        return line0, len(text)

    def end(self) -> types.Position:
        return self.pos(len(self.lines) - 1, len(self.lines[-1]))


@dataclass
class Doc:
    uri: str
    rel: str | None  # vault-relative path; None outside the vault
    version: int | None
    text: Text
    parsed: ParsedNote | None  # None for huge or binary buffers

    def link_at(self, position: types.Position) -> Link | None:
        if self.parsed is None:
            return None
        line0, col = self.text.col(position)
        for link in self.parsed.links:
            if link.line == line0 + 1 and link.start_col <= col <= link.end_col:
                return link
        return None

    def link_range(self, link: Link) -> types.Range:
        return self.text.range(link.line - 1, link.start_col, link.line - 1, link.end_col)

    def title_line(self) -> int:
        """0-based line of the title: its H1, else the first body line."""
        if self.parsed is None:
            return 0
        line = self.parsed.title_line or self.parsed.body_start_line
        return max(line - 1, 0)


class Documents:
    """Maps URIs to vault paths and parses buffers once per version."""

    def __init__(self, workspace: Callable[[], Workspace], root: Callable[[], Path | None]) -> None:
        self._workspace = workspace  # raises until `initialize` made one
        self._root = root
        self._cache: dict[str, tuple[int | None, str, Doc]] = {}
        self._lock = threading.Lock()
        self._rels: dict[tuple[Path | None, str], str | None] = {}

    def _units(self) -> Callable[[str], int]:
        try:
            return self._workspace().position_codec.client_num_units
        except Exception:
            return lambda s: len(s.encode("utf-16-le")) // 2

    # -- paths ----------------------------------------------------------------------------
    def rel_of(self, uri: str) -> str | None:
        """The vault-relative path of `uri` (None outside the vault); memoised, since resolving
        symlinks costs syscalls and `for_rel` asks it of every open document."""
        key = (self._root(), uri)
        if key not in self._rels:
            if len(self._rels) > REL_CACHE_SIZE:
                self._rels.clear()
            self._rels[key] = self._resolve_rel(key[0], uri)
        return self._rels[key]

    @staticmethod
    def _resolve_rel(root: Path | None, uri: str) -> str | None:
        try:
            path = to_fs_path(uri)
        except Exception:
            return None
        if root is None or not path:
            return None
        full = Path(path).resolve()
        if not full.is_relative_to(root):
            return None
        rel = full.relative_to(root).as_posix()
        return None if rel in ("", ".") else rel

    def uri_of(self, rel: str) -> str:
        root = self._root()
        return from_fs_path(str((root or Path("/")) / rel)) or ""

    def open_uris(self) -> list[str]:
        """URIs of open buffers, spelled exactly as the client sent them."""
        try:
            docs = self._workspace().text_documents
            return [d.uri for d in list(docs.values())]
        except Exception:
            return []

    # -- documents ------------------------------------------------------------------------
    def get(self, uri: str) -> Doc | None:
        """The open buffer for `uri`, else the file on disk; None when neither is readable."""
        version: int | None = None
        source: str | None = None
        try:
            workspace = self._workspace()
            document = workspace.text_documents.get(unquote(uri))
            if document is not None:
                uri, version, source = document.uri, document.version, document.source
        except Exception:
            log.debug("no workspace document for %s", uri)
        rel = self.rel_of(uri)
        if source is None:
            if rel is None:
                return None
            source = self.read_disk(rel)
            if source is None:
                return None
        return self._make(uri, rel, version, source)

    def for_rel(self, rel: str) -> Doc | None:
        """The note at `rel`: its open buffer (under the client's URI) if open, else the file."""
        for open_uri in self.open_uris():
            if self.rel_of(open_uri) == rel:
                return self.get(open_uri)
        return self.get(self.uri_of(rel))

    def read_disk(self, rel: str) -> str | None:
        root = self._root()
        if root is None:
            return None
        try:
            return (root / rel).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None

    def _make(self, uri: str, rel: str | None, version: int | None, source: str) -> Doc:
        with self._lock:
            cached = self._cache.get(uri)
            if cached and cached[0] == version and cached[1] is source:
                return cached[2]
        parsed: ParsedNote | None = None
        if len(source) <= MAX_DOC_CHARS and "\x00" not in source:
            try:
                parsed = parse_note(source, rel or posixpath.basename(uri))
            except Exception:
                log.exception("could not parse %s", uri)
        doc = Doc(
            uri=uri, rel=rel, version=version, text=Text(source, self._units()), parsed=parsed
        )
        if version is not None:
            with self._lock:
                self._cache[uri] = (version, source, doc)
        return doc

    def forget(self, uri: str) -> None:
        with self._lock:
            self._cache.pop(uri, None)


# -- link text --------------------------------------------------------------------------------
def anchor_span(link: Link) -> tuple[int, int] | None:
    """Offsets in `link.raw` of its heading fragment (after the `#`); None without one."""
    if not link.heading:
        return None
    markdown = link.kind == "markdown"
    at = link.raw.find("#", link.raw.index("](") + 2 if markdown else 0)
    if at < 0:
        return None
    end_re = r"[^\s>)]*" if markdown else r"[^|\]]*"
    found = re.match(end_re, link.raw[at + 1 :])
    return at + 1, at + 1 + (found.end() if found else 0)


def format_link(
    link: Link,
    target: str,
    *,
    heading: str | None = None,
    keep_anchor: bool = True,
) -> str:
    """`link` as written, with a new note part (and optionally a new heading)."""
    head = heading if heading is not None else (link.heading if keep_anchor else None)
    block = link.block if keep_anchor and heading is None else None
    bang = "!" if link.embed else ""
    if link.kind == "wiki":
        anchor = f"#^{block}" if block else (f"#{head}" if head else "")
        label = f"|{link.label}" if link.label else ""
        return f"{bang}[[{target}{anchor}{label}]]"
    anchor = f"#^{block}" if block else (f"#{quote(head, safe='')}" if head else "")
    return f"{bang}[{link.label or ''}]({target}{anchor})"
