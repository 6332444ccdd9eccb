"""Which note a name means (path, file name, alias, title), and saying so when it is not clear.

Every front end resolves user-typed names here, so an ambiguous name is an error listing the
candidates in the CLI, the MCP tools and the study tools alike. Links inside notes resolve in
`links.LinkGraph` (Obsidian's nearest-wins rule, flagged as ambiguous there).

A name is clear when exactly one note matches it at the strongest level that matches at all
(exact path > file name or path suffix > alias > title); weaker matches of the same name are
returned beside the answer as `ambiguous`. Several matches at the strongest level are an error.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from typing import Literal

from pydantic import BaseModel, Field

from vault_core.errors import VaultError
from vault_core.index.catalog import NoteRecord, stem_of
from vault_core.index.columnar import Catalog
from vault_core.index.link_graph import LinkGraph, _norm, _strip_md

MatchKind = Literal["path", "file name", "alias", "title"]


class Candidate(BaseModel):
    path: str
    title: str
    matched_by: MatchKind


class NameMatch(BaseModel):
    note: NoteRecord
    matched_by: MatchKind
    ambiguous: list[Candidate] = Field(
        default_factory=list, description="other notes the name also matches, less strongly"
    )


class AmbiguousNote(VaultError):
    """Several notes match a name equally well; the caller must pick one by path."""

    def __init__(self, name: str, candidates: list[Candidate]) -> None:
        listed = "; ".join(f"{c.path} (title {c.title!r})" for c in candidates)
        super().__init__(
            f"{name!r} is ambiguous: {len(candidates)} notes match it ({listed}). "
            "Pass one of these paths instead."
        )
        self.name, self.candidates = name, candidates


def wikilink_target(name: str) -> str:
    """`[[Name#Heading|label]]` -> `Name`; other names unchanged."""
    target = name[2:-2] if name.startswith("[[") and name.endswith("]]") else name
    return target.split("|")[0].split("#")[0].strip()


def match_name(
    name: str, catalog: Catalog, graph: LinkGraph, relpath: Callable[[str], str]
) -> NameMatch | None:
    """The note `name` means, with weaker matches listed; None when nothing matches.

    `relpath` checks a path-like name against the vault root (raising for one that escapes).
    Raises AmbiguousNote when several notes match at the strongest level.
    """
    if "/" in name or "\\" in name or name.endswith(".md"):
        rel = relpath(name)
        for exact in (rel, f"{rel}.md"):
            if exact in catalog:
                return NameMatch(note=catalog[exact], matched_by="path")
    target = wikilink_target(name)
    wanted = _strip_md(_norm(target))
    if not wanted:
        return None
    levels: list[tuple[MatchKind, list[str]]] = [
        ("file name", _by_file(graph, wanted)),
        ("alias", graph.by_alias.get(wanted, [])),
        ("title", graph.by_title.get(wanted, [])),
    ]
    seen: dict[str, Candidate] = {}
    for kind, paths in levels:
        for path in sorted(paths):
            if path in catalog and path not in seen:
                seen[path] = Candidate(path=path, title=catalog[path].title, matched_by=kind)
    if not seen:
        return None
    best_kind = next(c.matched_by for c in seen.values())
    best = [c for c in seen.values() if c.matched_by == best_kind]
    if len(best) > 1:
        raise AmbiguousNote(name, list(seen.values()))
    others = [c for c in seen.values() if c.path != best[0].path]
    return NameMatch(note=catalog[best[0].path], matched_by=best_kind, ambiguous=others)


def _by_file(graph: LinkGraph, wanted: str) -> list[str]:
    """Notes whose file name (or, for `folder/name`, path suffix) is `wanted`."""
    if "/" not in wanted:
        return list(graph.by_name.get(wanted, []))
    return [
        p
        for p in graph.notes
        if _strip_md(p.casefold()) == wanted or _strip_md(p.casefold()).endswith("/" + wanted)
    ]


def duplicate_titles(graph: LinkGraph) -> set[str]:
    """Paths of notes whose title another note has too (lists show the path beside them)."""
    return {p for paths in graph.by_title.values() if len(paths) > 1 for p in paths}


def display_name(graph: LinkGraph, path: str) -> str:
    """The note's title, with its path added when another note has the same title."""
    note = graph.notes[path]
    if len(graph.by_title.get(_norm(note.title), [])) > 1:
        return f"{note.title} ({path})"
    return note.title


def close_names(name: str, catalog: Catalog, n: int = 5) -> list[str]:
    """Paths of notes whose title, file name or path looks like `name` ("did you mean")."""
    names: dict[str, str] = {}
    for path, title in catalog.column("title").items():  # no record decoded (100k notes)
        names[title.casefold()] = path
        names[stem_of(path).casefold()] = path
        names[path.casefold()] = path
    close = difflib.get_close_matches(name.casefold(), list(names), n=n * 2, cutoff=0.5)
    return list(dict.fromkeys(names[c] for c in close))[:n]
