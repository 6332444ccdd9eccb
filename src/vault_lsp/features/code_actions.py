"""Code actions: create a missing note, disambiguate a link, add see-also links, link a mention,
create a note from the selection. Each returns a ready WorkspaceEdit (no command round trip).
"""

from __future__ import annotations

import logging
import posixpath
import re
from typing import TYPE_CHECKING

from lsprotocol import types

from vault_core.parse.anchors import visible_text
from vault_lsp.documents import Doc, Documents, format_link
from vault_lsp.edits import BAD_NAME, create_note_edit, doc_edit, new_note_path
from vault_lsp.link_suggestions import LinkSuggestions
from vault_lsp.server import Feature

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
SEE_ALSO = "See also"
SEE_ALSO_COUNT = 5
URL_RE = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://\S+")
MAX_TITLE = 60


def safe_title(line: str) -> str:
    """A note name from a line of text: what a reader sees (link labels, no URLs, no Markdown
    marks), no path separators or characters file systems and wiki links refuse, cut on a word."""
    text = visible_text(re.sub(r"^\s*(?:#+|[-*+>]|\d+[.)])\s*", "", line))
    text = URL_RE.sub(" ", text)
    text = BAD_NAME.sub(" ", text.replace("/", " ").replace("`", " ").replace("*", " "))
    text = " ".join(text.split()).strip(" .-_~()")
    if len(text) > MAX_TITLE:
        text = text[:MAX_TITLE].rsplit(" ", 1)[0].rstrip(" .,;-(")
    return text or "Untitled"


def _overlaps(a: types.Range, line0: int) -> bool:
    return a.start.line <= line0 <= a.end.line


def link_actions(
    docs: Documents,
    vault: Vault,
    doc: Doc,
    rng: types.Range,
    context: list[types.Diagnostic],
) -> list[types.CodeAction]:
    if doc.parsed is None:
        return []
    out: list[types.CodeAction] = []
    for link in doc.parsed.links:
        if not _overlaps(rng, link.line - 1):
            continue
        res = vault.graph.resolve(link, doc.rel or "")
        diag = [
            d
            for d in context
            if d.range.start.line == link.line - 1 and d.code in ("broken-link", "ambiguous-link")
        ]
        if res.broken and link.target and vault.names_complete:
            path = new_note_path(vault, link.target, doc.rel)
            name = posixpath.basename(link.target)
            out.append(
                types.CodeAction(
                    title=f"Create note '{path}'",
                    kind=types.CodeActionKind.QuickFix,
                    diagnostics=diag or None,
                    is_preferred=True,
                    edit=create_note_edit(docs, path, f"# {name}\n\n"),
                )
            )
        elif res.ambiguous:
            for cand in res.candidates:
                text = format_link(link, vault.graph.shortest_link_text(cand))
                out.append(
                    types.CodeAction(
                        title=f"Link to {cand}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=diag or None,
                        edit=types.WorkspaceEdit(
                            document_changes=[
                                doc_edit(
                                    doc.uri,
                                    doc.version,
                                    [types.TextEdit(range=doc.link_range(link), new_text=text)],
                                )
                            ]
                        ),
                    )
                )
    return out


def see_also_action(
    suggestions: LinkSuggestions, vault: Vault, doc: Doc, context: list[types.Diagnostic]
) -> types.CodeAction | None:
    """Insert or extend `## See also` with the top related notes not linked yet."""
    if doc.rel is None or doc.parsed is None or doc.rel not in vault.catalog:
        return None
    linked = {vault.graph.resolve(link, doc.rel).target for link in doc.parsed.links}
    items = [
        i for i in suggestions.related(vault, doc.rel, limit=SEE_ALSO_COUNT) if i.path not in linked
    ]
    if not items:
        return None
    bullets = "".join(f"- [[{i.link_text}]]\n" for i in items)
    lines = doc.text.lines
    headings = doc.parsed.headings
    section = next((h for h in headings if h.text.strip().casefold() == SEE_ALSO.casefold()), None)
    if section is not None:
        end = next(
            (h.line - 1 for h in headings if h.line > section.line and h.level <= section.level),
            len(lines),
        )
        last = max(
            (i for i in range(section.line - 1, end) if lines[i].strip()), default=section.line - 1
        )
        pos = doc.text.pos(last, len(lines[last]))
        edit = types.TextEdit(
            range=types.Range(start=pos, end=pos), new_text="\n" + bullets.rstrip("\n")
        )
        if last == section.line - 1:
            edit.new_text = "\n\n" + bullets.rstrip("\n")
    else:
        end_pos = doc.text.end()
        tail = (
            ""
            if not doc.text.source or doc.text.source.endswith("\n\n")
            else ("\n" if doc.text.source.endswith("\n") else "\n\n")
        )
        edit = types.TextEdit(
            range=types.Range(start=end_pos, end=end_pos),
            new_text=f"{tail}## {SEE_ALSO}\n\n{bullets}",
        )
    hint = [d for d in context if d.code == "related-not-linked"]
    return types.CodeAction(
        title=f"Add see-also links ({', '.join(i.title for i in items)})",
        kind=types.CodeActionKind.QuickFix if hint else types.CodeActionKind.RefactorRewrite,
        diagnostics=hint or None,
        edit=types.WorkspaceEdit(document_changes=[doc_edit(doc.uri, doc.version, [edit])]),
    )


def mention_actions(
    suggestions: LinkSuggestions, vault: Vault, doc: Doc, rng: types.Range
) -> list[types.CodeAction]:
    if doc.rel is None or doc.rel not in vault.catalog:
        return []
    out: list[types.CodeAction] = []
    for m in suggestions.mentions(vault, doc.rel, doc.text.source):
        line0 = m.line - 1
        if not _overlaps(rng, line0):
            continue
        written = doc.text.line(line0)[m.start_col : m.end_col]
        if m.text and written.casefold() != m.text.casefold():
            continue  # the buffer moved on since it was indexed
        target = vault.graph.shortest_link_text(m.path)
        text = m.replacement or (
            f"[[{written}]]"
            if written.casefold() == target.casefold()
            else f"[[{target}|{written}]]"
        )
        out.append(
            types.CodeAction(
                title=f"Link this mention of '{m.title}'",
                kind=types.CodeActionKind.RefactorRewrite,
                edit=types.WorkspaceEdit(
                    document_changes=[
                        doc_edit(
                            doc.uri,
                            doc.version,
                            [
                                types.TextEdit(
                                    range=doc.text.range(line0, m.start_col, line0, m.end_col),
                                    new_text=text,
                                )
                            ],
                        )
                    ]
                ),
            )
        )
    return out


def extract_action(
    docs: Documents, vault: Vault, doc: Doc, rng: types.Range
) -> types.CodeAction | None:
    """Move the selection into a new note (titled by its first line) and link it in place."""
    if rng.start == rng.end:
        return None
    l0, c0 = doc.text.col(rng.start)
    l1, c1 = doc.text.col(rng.end)
    lines = doc.text.lines
    selected = (
        "\n".join([lines[l0][c0:], *lines[l0 + 1 : l1], lines[l1][:c1]])
        if l1 > l0
        else lines[l0][c0:c1]
    )
    if not selected.strip():
        return None
    first = next(line for line in selected.split("\n") if line.strip())
    title = safe_title(first)
    rest = selected.split("\n")
    body_lines = rest[rest.index(first) + 1 :] if re.match(r"^\s*#", first) else rest
    body = f"# {title}\n\n" + "\n".join(body_lines).strip("\n") + "\n"
    path = new_note_path(vault, title, doc.rel)
    link = posixpath.basename(path)[:-3]
    created = create_note_edit(docs, path, body).document_changes or []
    linked = doc_edit(doc.uri, doc.version, [types.TextEdit(range=rng, new_text=f"[[{link}]]")])
    return types.CodeAction(
        title=f"Create note '{path}' from selection",
        kind=types.CodeActionKind.RefactorExtract,
        edit=types.WorkspaceEdit(document_changes=[*created, linked]),
    )


class CodeActions(Feature):
    """Quick fixes and refactors, each a ready WorkspaceEdit."""

    def register(self) -> None:
        kinds = [
            types.CodeActionKind.QuickFix,
            types.CodeActionKind.RefactorRewrite,
            types.CodeActionKind.RefactorExtract,
        ]
        self.server.document_request(
            types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(code_action_kinds=kinds), list
        )(self.code_action)

    def code_action(
        self, params: types.CodeActionParams, doc: Doc, vault: Vault
    ) -> list[types.CodeAction]:
        if doc.rel is None:
            return []
        return actions(
            self.server.docs, self.server.suggestions, self.see_also_on, vault, doc, params
        )

    @property
    def see_also_on(self) -> bool:
        return self.server.session.options.features.seeAlso


def actions(
    docs: Documents,
    suggestions: LinkSuggestions,
    see_also: bool,
    vault: Vault,
    doc: Doc,
    params: types.CodeActionParams,
) -> list[types.CodeAction]:
    context = list(params.context.diagnostics or [])
    out = link_actions(docs, vault, doc, params.range, context)
    for make in (
        lambda: mention_actions(suggestions, vault, doc, params.range),
        lambda: [a] if (a := extract_action(docs, vault, doc, params.range)) else [],
        lambda: (
            [a] if see_also and (a := see_also_action(suggestions, vault, doc, context)) else []
        ),
    ):
        try:
            out.extend(make())
        except Exception:
            log.exception("a code action failed; offering the others")
    only = params.context.only
    if only:
        out = [a for a in out if a.kind and any(str(a.kind).startswith(str(k)) for k in only)]
    return out
