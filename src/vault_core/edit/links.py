"""The one link-rewrite planner: which links a move breaks, and their new text.

Shared by MCP `move_note`, `nvault mv` and the language server's rename (and
`workspace/willRenameFiles`). Only links that resolve to the moved note are rewritten, and only
their path part: `#heading`, `#^block`, `|alias`, the `!` of an embed, a Markdown link's title,
angle brackets and URL-encoding stay as written. Wiki links that reach the note by an alias are
left alone (the alias still works). The moved note's own relative Markdown links are rewritten
for its new folder.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Mapping
from urllib.parse import quote

from vault_core.edit.models import LinkRewrite
from vault_core.index.link_graph import LinkGraph
from vault_core.parse.markdown import Link, parse_note

WIKI_TARGET_RE = re.compile(r"^!?\[\[(\s*)([^#|\]]*?)(\s*)(?=[#|\]])")


def md_dest(path: str, source: str) -> str:
    """Relative destination for a `[text](dest)` link from `source` to `path`, URL-encoded."""
    rel = posixpath.relpath(path, posixpath.dirname(source) or ".")
    return quote(rel, safe="/#^.-_~")


def md_raw_path(link: Link) -> str:
    """The path part of a Markdown link's destination exactly as written (`Space%20Manager.md`)."""
    dest = link.raw[link.raw.index("](") + 2 : -1].strip()
    if dest.startswith("<"):
        dest = dest[1 : dest.find(">")] if ">" in dest else dest[1:]
    else:
        dest = dest.split(None, 1)[0] if dest else dest
    return dest.split("#", 1)[0]


def _stem(path: str) -> str:
    name = posixpath.basename(path)
    return name[:-3] if name.lower().endswith(".md") else name


def wiki_target(graph: LinkGraph, link: Link, old_rel: str, new_rel: str) -> str:
    """The note part for a wiki link to `new_rel`: its name, or its path when the link used
    a path or the name would be ambiguous."""
    keep_ext = link.target.lower().endswith(".md")
    taken = [p for p in graph.candidates(_stem(new_rel)) if p not in (new_rel, old_rel)]
    base = new_rel[:-3] if new_rel.lower().endswith(".md") else new_rel
    name = base if ("/" in link.target or taken) else _stem(new_rel)
    return f"{name}.md" if keep_ext and not name.lower().endswith(".md") else name


def _md_path_text(link: Link, new_path: str, source: str) -> tuple[int, int, str] | None:
    """(start, end) in `link.raw` of the destination's path part, and its replacement."""
    head = link.raw.index("](") + 2
    rest = link.raw[head:]
    lead = len(rest) - len(rest.lstrip())
    at = head + lead
    angle = link.raw[at] == "<"
    if angle:
        at += 1
    written = md_raw_path(link)
    if not link.raw.startswith(written, at):
        return None
    rel = posixpath.relpath(new_path, posixpath.dirname(source) or ".")
    if not written.lower().endswith(".md") and rel.lower().endswith(".md"):
        rel = rel[:-3]  # the link left out `.md`: so does its rewrite
    encoded = "%" in written or not angle
    text = quote(rel, safe="/#^.-_~()") if encoded else rel
    return at, at + len(written), text


def rewrite_link(
    graph: LinkGraph, link: Link, new_source: str, old_target: str, new_target: str
) -> str | None:
    """`link`'s raw text pointing at `new_target` from `new_source`; None: leave it."""
    if link.kind == "wiki":
        match = WIKI_TARGET_RE.match(link.raw)
        if match is None or not link.target:
            return None
        new = wiki_target(graph, link, old_target, new_target)
        return link.raw[: match.start(2)] + new + link.raw[match.end(2) :]
    span = _md_path_text(link, new_target, new_source)
    if span is None:
        return None
    a, b, text = span
    return link.raw[:a] + text + link.raw[b:]


def plan_move(
    graph: LinkGraph,
    old_rel: str,
    new_rel: str,
    texts: Mapping[str, str],
) -> list[LinkRewrite]:
    """Every link in `texts` (path -> current text) that a move of `old_rel` to `new_rel`
    would break, with its new text. `texts` should hold the note's backlink sources and
    the note itself (see `sources_for_move`)."""
    note = graph.notes.get(old_rel)
    aliases = {a.casefold() for a in note.aliases} - {_stem(old_rel).casefold()} if note else set()
    out: list[LinkRewrite] = []
    for source, text in sorted(texts.items()):
        moved_self = source == old_rel
        new_source = new_rel if moved_self else source
        for link in parse_note(text, source).links:
            res = graph.resolve(link, source)
            if res.target is None:
                continue
            if res.target == old_rel:
                if link.kind == "wiki" and (
                    not link.target or link.target.strip().casefold() in aliases
                ):
                    continue
                new = rewrite_link(graph, link, new_source, old_rel, new_rel)
            elif moved_self and link.kind == "markdown" and link.target:
                new = rewrite_link(graph, link, new_source, res.target, res.target)
            else:
                continue
            if new is not None and new != link.raw:
                out.append(LinkRewrite.of(source, link, new))
    return out


def sources_for_move(graph: LinkGraph, old_rel: str, extra: Iterable[str] = ()) -> list[str]:
    """The notes whose links a move of `old_rel` may touch: its backlinks and itself."""
    return sorted({r.source for r in graph.backlinks(old_rel)} | {old_rel} | set(extra))
