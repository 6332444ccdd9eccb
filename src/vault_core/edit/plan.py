"""A write as a plan: the file changes (bytes before, bytes after) computed from what was read,
and the multi-file plan of a move (the note and every note whose links to it are rewritten)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from vault_core.edit.atomic import read_or_none
from vault_core.edit.links import plan_move, sources_for_move
from vault_core.edit.models import LinkRewrite, Operation
from vault_core.edit.paths import WritePolicy
from vault_core.edit.splice import RawNote, Splice, apply_splices
from vault_core.errors import WriteRefused
from vault_core.index.link_graph import LinkGraph


@dataclass
class Change:
    path: str
    before: bytes | None
    after: bytes | None
    new_path: str | None = None  # a move: `after` lands here and `path` goes


@dataclass
class Plan:
    operation: Operation
    changes: list[Change]
    links: list[LinkRewrite] = field(default_factory=list)
    message: str = ""


def plan_move_changes(
    root: Path, graph: LinkGraph, policy: WritePolicy, note: RawNote, new_rel: str
) -> Plan:
    """The move of `note` to `new_rel` as file changes: the note (its own relative links
    rewritten) and every note whose links to it are rewritten; refused when one of those lies
    outside the folders where writes are enabled."""
    sources = sources_for_move(graph, note.path)
    raws = {note.path: note}
    for src in sources:
        if src != note.path and (data := read_or_none(root / src)) is not None:
            raws[src] = RawNote(src, data)
    rewrites = plan_move(graph, note.path, new_rel, {p: r.text for p, r in raws.items()})
    by_source: dict[str, list[Splice]] = {}
    for rw in rewrites:
        raw = raws[rw.source]
        start = raw.line_offset(rw.line - 1) + rw.start_col
        end = raw.line_offset(rw.line - 1) + rw.end_col
        if raw.text[start:end] != rw.old:
            raise WriteRefused(f"{rw.source} changed while planning; nothing was written")
        by_source.setdefault(rw.source, []).append(raw.splice(start, end, rw.new))
    outside = []
    for src in by_source:
        try:
            policy.check(src)
        except WriteRefused:
            outside.append(src)
    if outside:
        raise WriteRefused(
            f"moving {note.path} must rewrite links in {len(outside)} note(s) outside "
            f"the folders where writes are enabled ({', '.join(outside[:20])}); nothing "
            "was written: ask the user to move it (nvault mv) or to enable those folders"
        )
    changes = [
        Change(
            note.path,
            note.raw,
            apply_splices(note.raw, by_source.pop(note.path, [])),
            new_path=new_rel,
        )
    ]
    for src, splices in sorted(by_source.items()):
        changes.append(Change(src, raws[src].raw, apply_splices(raws[src].raw, splices)))
    return Plan("move_note", changes, rewrites)
