"""Rename a note (from a link to it or its title line) or a heading, across the whole vault.

A note rename is one WorkspaceEdit: every link to the note rewritten (wiki links keep their
heading, block and label; markdown links get the new relative path), then a RenameFile.
A heading rename (from a heading line that is not the note's title, or from the `#fragment`
of a link) rewrites that heading and the links that land on it (`[[note#Heading]]`,
`[x](note.md#slug)`, keeping each link's style: text or slug), never the file.
Links that reach the note through an alias are left alone: the alias still works.
Once the client has moved the file, the two paths are synced at once (not after the watcher's
next pass), so the rewritten links resolve the moment they appear; `workspace/didRenameFiles`
does the same for renames made in the editor.
"""

from __future__ import annotations

import logging
import posixpath
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.edit.links import md_raw_path, plan_move, sources_for_move
from vault_core.index.link_graph import anchor_heading, heading_key, uses_slug
from vault_core.parse.anchors import slugify
from vault_core.parse.markdown import Heading, Link
from vault_lsp.common import guard
from vault_lsp.documents import Doc, Documents, anchor_span, format_link
from vault_lsp.edits import BAD_NAME, doc_edit
from vault_lsp.link_places import headings_of, links_to
from vault_lsp.server import Feature
from vault_lsp.session import Session

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")


@dataclass
class Target:
    kind: str  # "note" | "heading"
    path: str
    range: types.Range
    placeholder: str
    heading: str | None = None
    title_line: int | None = None  # 0-based H1 line to rewrite too (rename from the title)


def _heading_span(doc: Doc, line0: int, text: str) -> types.Range:
    line = doc.text.line(line0)
    start = line.find(text, line.find("#") + 1) if text else -1
    if start < 0:
        return doc.text.line_range(line0)
    return doc.text.range(line0, start, line0, start + len(text))


def _stem(path: str) -> str:
    name = posixpath.basename(path)
    return name[:-3] if name.lower().endswith(".md") else name


def target_at(docs: Documents, vault: Vault, doc: Doc, pos: types.Position) -> Target | None:
    link = doc.link_at(pos)
    if link is not None:
        return _link_target(docs, vault, doc, link, pos)
    if doc.parsed is None or doc.rel is None or doc.rel not in vault.catalog:
        return None
    heading = next((h for h in doc.parsed.headings if h.line - 1 == pos.line), None)
    if heading is None:
        return None
    rng = _heading_span(doc, pos.line, heading.text)
    if heading.line == doc.parsed.title_line:  # the title H1 names the note
        return Target("note", doc.rel, rng, _stem(doc.rel), title_line=pos.line)
    return Target("heading", doc.rel, rng, heading.text, heading.text)


def _link_target(
    docs: Documents, vault: Vault, doc: Doc, link: Link, pos: types.Position
) -> Target | None:
    """On a link: its `#fragment` names a heading; anywhere else, the note."""
    res = vault.graph.resolve(link, doc.rel or "")
    if res.target is None or vault.catalog.get(res.target) is None:
        return None
    line0, col = doc.text.col(pos)
    span = anchor_span(link)
    if span is not None and col >= link.start_col + span[0]:
        landed = anchor_heading(headings_of(docs, vault, res.target), link)
        if landed is None:
            return None
        h0, h1 = link.start_col + span[0], link.start_col + span[1]
        rng = doc.text.range(line0, h0, line0, h1)
        return Target("heading", res.target, rng, landed.text, landed.text)
    if link.kind == "wiki":
        if not link.target:
            return None
        t0 = link.start_col + (3 if link.embed else 2)
        return Target(
            "note",
            res.target,
            doc.text.range(line0, t0, line0, t0 + len(link.target)),
            _stem(res.target),
        )
    return Target("note", res.target, doc.link_range(link), _stem(res.target))


def move_edits(
    docs: Documents, vault: Vault, old_rel: str, new_rel: str
) -> dict[str, tuple[Doc, list[types.TextEdit]]]:
    """The link rewrites of moving `old_rel` to `new_rel` (vault_core's one planner, on the
    text the user sees: open buffers win over disk), as TextEdits per document uri."""
    graph = vault.graph
    open_rels = [r for u in docs.open_uris() if (r := docs.rel_of(u)) is not None]
    sources: dict[str, Doc] = {}
    for rel in sources_for_move(graph, old_rel, open_rels):
        doc = docs.for_rel(rel)
        if doc is not None and doc.parsed is not None:
            sources[rel] = doc
    out: dict[str, tuple[Doc, list[types.TextEdit]]] = {}
    texts = {rel: doc.text.source for rel, doc in sources.items()}
    for rw in plan_move(graph, old_rel, new_rel, texts):
        doc = sources[rw.source]
        rng = doc.text.range(rw.line - 1, rw.start_col, rw.line - 1, rw.end_col)
        out.setdefault(doc.uri, (doc, []))[1].append(types.TextEdit(range=rng, new_text=rw.new))
    return out


def _moved_notes(vault: Vault, old: str, new: str) -> list[tuple[str, str]]:
    """(old, new) for the file, or for every indexed file under a renamed folder."""
    if old in vault.catalog:
        return [(old, new)]
    prefix = old.rstrip("/") + "/"
    return [
        (p, new.rstrip("/") + "/" + p[len(prefix) :]) for p in vault.catalog if p.startswith(prefix)
    ]


def rename_note(docs: Documents, vault: Vault, t: Target, new_name: str) -> types.WorkspaceEdit:
    new_name = BAD_NAME.sub(" ", new_name).strip().strip("/")
    new_name = new_name[:-3] if new_name.lower().endswith(".md") else new_name
    if not new_name:
        raise ValueError("empty note name")
    new_rel = (
        f"{new_name}.md"
        if "/" in new_name
        else posixpath.join(posixpath.dirname(t.path), f"{new_name}.md")
    )
    if new_rel != t.path and (vault.root / new_rel).exists():
        raise ValueError(f"{new_rel} already exists")
    by_uri = move_edits(docs, vault, t.path, new_rel) if new_rel != t.path else {}
    if t.title_line is not None:
        own = docs.for_rel(t.path)
        if own is not None and own.parsed is not None:
            h1 = next(h for h in own.parsed.headings if h.line - 1 == t.title_line)
            title = types.TextEdit(
                range=_heading_span(own, t.title_line, h1.text),
                new_text=new_name.rsplit("/", 1)[-1],
            )
            by_uri.setdefault(own.uri, (own, []))[1].append(title)
    changes: list[types.TextDocumentEdit | types.RenameFile] = [
        doc_edit(doc.uri, doc.version, edits) for doc, edits in by_uri.values() if edits
    ]
    if new_rel != t.path:
        changes.append(types.RenameFile(old_uri=docs.uri_of(t.path), new_uri=docs.uri_of(new_rel)))
    return types.WorkspaceEdit(document_changes=changes)


MOVE_WAIT_S = 30.0


def sync_when_moved(session: Session, old_rel: str, new_rel: str) -> None:
    """Sync both paths as soon as the client has applied the RenameFile (watched in a thread)."""
    vault = session.get(timeout=0)
    if vault is None:
        return
    root = vault.root

    def wait_and_sync() -> None:
        deadline = time.monotonic() + MOVE_WAIT_S
        while time.monotonic() < deadline:
            if (root / new_rel).exists() and not (root / old_rel).exists():
                session.index([old_rel, new_rel])
                return
            time.sleep(0.05)
        log.info("rename of %s to %s was not applied within %.0f s", old_rel, new_rel, MOVE_WAIT_S)

    threading.Thread(target=wait_and_sync, name="nvault-rename-sync", daemon=True).start()


def rename_heading(docs: Documents, vault: Vault, t: Target, new_name: str) -> types.WorkspaceEdit:
    new_name = new_name.strip().lstrip("#").strip()
    if not new_name or t.heading is None or "\n" in new_name:
        raise ValueError("a heading needs some text on one line")
    headings = headings_of(docs, vault, t.path)
    by_uri: dict[str, tuple[Doc, list[types.TextEdit]]] = {}
    for doc, links in links_to(docs, vault, t.path, t.heading):
        by_uri[doc.uri] = (doc, [_relinked(link, headings, new_name, doc) for link in links])
    own = docs.for_rel(t.path)
    if own is not None and own.parsed is not None:
        wanted = heading_key(t.heading)
        heading = next((h for h in own.parsed.headings if heading_key(h.text) == wanted), None)
        if heading is not None:
            edit = types.TextEdit(
                range=_heading_span(own, heading.line - 1, heading.text), new_text=new_name
            )
            by_uri.setdefault(own.uri, (own, []))[1].append(edit)
    return types.WorkspaceEdit(
        document_changes=[doc_edit(d.uri, d.version, edits) for d, edits in by_uri.values()]
    )


def _relinked(link: Link, headings: Sequence[Heading], new_name: str, doc: Doc) -> types.TextEdit:
    """`link` pointing at the renamed heading, in the style it was written (text or slug)."""
    if link.kind == "markdown":
        anchor = slugify(new_name) if uses_slug(headings, link) else new_name
        text = format_link(link, md_raw_path(link), heading=anchor)
    else:
        text = format_link(link, link.target, heading=new_name)
    return types.TextEdit(range=doc.link_range(link), new_text=text)


FILE_OPERATIONS = types.FileOperationRegistrationOptions(
    filters=[types.FileOperationFilter(pattern=types.FileOperationPattern(glob="**/*"))]
)


class Rename(Feature):
    """Rename of notes and headings, and the links rewritten when files move in the editor."""

    def register(self) -> None:
        server = self.server
        server.document_request(types.TEXT_DOCUMENT_PREPARE_RENAME)(self.prepare)
        server.document_request(
            types.TEXT_DOCUMENT_RENAME, types.RenameOptions(prepare_provider=True)
        )(self.rename)
        server.feature(types.WORKSPACE_WILL_RENAME_FILES, FILE_OPERATIONS)(
            guard()(self.will_rename_files)
        )
        server.feature(types.WORKSPACE_DID_RENAME_FILES, FILE_OPERATIONS)(
            guard()(self.did_rename_files)
        )

    def prepare(
        self, params: types.PrepareRenameParams, doc: Doc, vault: Vault
    ) -> types.PrepareRenamePlaceholder | None:
        t = target_at(self.server.docs, vault, doc, params.position)
        return (
            types.PrepareRenamePlaceholder(range=t.range, placeholder=t.placeholder) if t else None
        )

    def rename(
        self, params: types.RenameParams, doc: Doc, vault: Vault
    ) -> types.WorkspaceEdit | None:
        docs = self.server.docs
        t = target_at(docs, vault, doc, params.position)
        if t is None:
            return None
        try:
            if t.kind == "heading":
                return rename_heading(docs, vault, t, params.new_name)
            edit = rename_note(docs, vault, t, params.new_name)
            for change in edit.document_changes or []:
                if isinstance(change, types.RenameFile):
                    new_rel = docs.rel_of(change.new_uri)
                    if new_rel is not None:
                        sync_when_moved(self.server.session, t.path, new_rel)
            return edit
        except ValueError as exc:  # a name that cannot work: say why instead of doing nothing
            self.server.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning, message=f"nvault rename: {exc}"
                )
            )
            return None

    def will_rename_files(self, params: types.RenameFilesParams) -> types.WorkspaceEdit | None:
        """A rename in the editor's file explorer: the links to the file, rewritten first."""
        docs = self.server.docs
        vault = self.server.session.get(timeout=0)
        if vault is None:
            return None
        by_uri: dict[str, tuple[Doc, list[types.TextEdit]]] = {}
        for moved in params.files:
            old, new = docs.rel_of(moved.old_uri), docs.rel_of(moved.new_uri)
            if old is None or new is None:
                continue
            for old_rel, new_rel in _moved_notes(vault, old, new):
                for key, (doc, edits) in move_edits(docs, vault, old_rel, new_rel).items():
                    by_uri.setdefault(key, (doc, []))[1].extend(edits)
        if not by_uri:
            return None
        return types.WorkspaceEdit(
            document_changes=[doc_edit(d.uri, d.version, e) for d, e in by_uri.values()]
        )

    def did_rename_files(self, params: types.RenameFilesParams) -> None:
        docs = self.server.docs
        paths = [docs.rel_of(u) for f in params.files for u in (f.old_uri, f.new_uri)]
        known = [p for p in paths if p is not None]
        if known:
            self.server.session.index(known)
