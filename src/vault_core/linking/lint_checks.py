"""The deterministic lint checks: one function per kind, each returning findings with their fix.

Each reads the `LintContext` (link sets, file texts read once) and the indexes the rest of
linking/ keeps (duplicates, ranked mentions, `related()`'s note vectors); none writes.
"""

from __future__ import annotations

import difflib
import posixpath
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np

from vault_core.linking.graph_report import find_duplicates
from vault_core.linking.lint_claims import contradiction_candidates
from vault_core.linking.lint_models import (
    FixPlan,
    LintContext,
    LintFinding,
    LintKind,
    LintLocation,
    add_link,
    append,
    create_note,
    delete_note,
    replace_text,
)
from vault_core.linking.mention_rank import note_vectors, ranked_mentions
from vault_core.linking.related_index import note_index

INDEX_STEMS = {"index", "_index", "readme", "moc", "home", "contents", "toc"}
INDEX_WORD_RE = re.compile(r"\b(moc|index|map of content)\b", re.I)
INDEX_SHARE = 0.5  # an index note lists at least this share of its folder; drift is the rest
MISSING_PAGE_NOTES = 3  # a name linked from this many notes without a page deserves one
CLOSE_NAME = 0.85  # difflib ratio above which a broken link's target is a typo of a note's name
STALE_SLACK_S = 1.0  # mtimes this close are the same moment (file systems round them)
NEAREST_BLOCK = 512  # notes whose nearest neighbour is computed per matrix product


def broken_links(ctx: LintContext) -> list[LintFinding]:
    """Links that resolve to nothing; fixed by the note they most likely meant, else a new page."""
    stems = {n.stem.casefold(): p for p, n in ctx.notes.items()}
    by_length: dict[int, list[str]] = defaultdict(list)
    for stem in stems:
        by_length[len(stem)].append(stem)
    memo: dict[str, list[str]] = {}

    def close_to(name: str) -> list[str]:
        """difflib's best match above CLOSE_NAME, among names of a length that can reach it."""
        if name not in memo:
            low, high = int(len(name) * 0.7), int(len(name) / 0.7) + 1
            pool = [s for n in range(low, high + 1) for s in by_length.get(n, ())]
            memo[name] = difflib.get_close_matches(name, pool, 1, CLOSE_NAME)
        return memo[name]

    found = []
    for res in ctx.graph.broken():
        if res.source not in ctx.notes or not ctx.in_scope(res.source):
            continue
        link = res.link
        close = close_to(link.target.casefold())
        fix: FixPlan
        if close and (text := ctx.text(res.source)) is not None:
            meant = stems[close[0]]
            new_raw = link.raw.replace(link.target, ctx.link_text(meant), 1)
            fix = replace_text(
                res.source, link.raw, new_raw, text.count(link.raw), ctx.version(res.source)
            )
            message = (
                f"broken link {link.raw}: no note named {link.target!r}; did you mean {meant}?"
            )
        else:
            fix = create_note(_new_page_path(link.target), f"# {_page_title(link.target)}\n")
            message = f"broken link {link.raw}: no note named {link.target!r}"
        found.append(
            LintFinding(
                kind="broken_link",
                note=res.source,
                location=LintLocation(
                    line=link.line, start_col=link.start_col, end_col=link.end_col
                ),
                message=message,
                fix=fix,
            )
        )
    return found


def orphans(ctx: LintContext) -> list[LintFinding]:
    """Notes nothing links and that link nothing; fixed by a link from the nearest note."""
    lonely = [p for p in ctx.scoped() if not ctx.out[p] and not ctx.inc[p]]
    return _link_to_nearest(
        ctx, lonely, "orphan", "orphan: no note links here and it links to none", from_nearest=True
    )


def no_outgoing_links(ctx: LintContext) -> list[LintFinding]:
    """Notes others link that link nowhere (orphans are reported as orphans)."""
    dead_ends = [p for p in ctx.scoped() if not ctx.out[p] and ctx.inc[p]]
    return _link_to_nearest(
        ctx, dead_ends, "no_outgoing_links", "links to no other note", severity="hint"
    )


def _link_to_nearest(
    ctx: LintContext,
    paths: list[str],
    kind: LintKind,
    message: str,
    *,
    from_nearest: bool = False,
    severity: Literal["info", "hint"] = "info",
) -> list[LintFinding]:
    """One finding per note, fixed by a link between it and its nearest note by content: from
    the nearest one to it (`from_nearest`, an orphan), or from it to the nearest."""
    near = _nearest(ctx, paths)
    found = []
    for path in paths:
        other = near.get(path)
        fix = None
        if other:
            source, target = (other, path) if from_nearest else (path, other)
            fix = add_link(source, ctx.link_text(target), ctx.version(source))
        hint = f"; the nearest note by content is {other}" if other else ""
        found.append(
            LintFinding(
                kind=kind,
                note=path,
                message=message + hint,
                fix=fix,
                related=[other] if other else [],
                severity=severity,
            )
        )
    return found


def duplicates(ctx: LintContext) -> list[LintFinding]:
    """Near-copies (linking/duplicates.py); the fix deletes the copy fewer notes link, after a merge."""
    found = []
    for pair in find_duplicates(ctx.vault):
        if pair.a not in ctx.notes or pair.b not in ctx.notes:
            continue
        keep, drop = sorted((pair.a, pair.b), key=lambda p: (-len(ctx.inc[p]), len(p), p))
        found.append(
            LintFinding(
                kind="duplicate",
                note=drop,
                message=(
                    f"near-duplicate of {keep} ({pair.text_similarity:.0%} shared text, "
                    f"{pair.changed_lines} lines differ): merge what differs into {keep}, then "
                    "delete this copy (the dry run lists the links that would break)"
                ),
                fix=delete_note(drop, ctx.version(drop)),
                related=[keep],
            )
        )
    return found


def missing_pages(ctx: LintContext) -> list[LintFinding]:
    """Names linked from several notes that have no page."""
    by_name: dict[str, list[Any]] = defaultdict(list)
    for res in ctx.graph.broken():
        if res.source in ctx.notes and res.link.target and res.link.kind == "wiki":
            by_name[res.link.target.strip().casefold()].append(res)
    found = []
    for items in by_name.values():
        sources = sorted({r.source for r in items})
        if len(sources) < MISSING_PAGE_NOTES:
            continue
        name = items[0].link.target.strip()
        first = next(r for r in items if r.source == sources[0])
        found.append(
            LintFinding(
                kind="missing_page",
                note=sources[0],
                location=LintLocation(
                    line=first.link.line, start_col=first.link.start_col, end_col=first.link.end_col
                ),
                message=f"{len(sources)} notes link [[{name}]], which has no page",
                fix=create_note(_new_page_path(name), f"# {_page_title(name)}\n"),
                related=sources[1:],
            )
        )
    return found


def index_drift(ctx: LintContext) -> list[LintFinding]:
    """An index or MOC note that lists some notes of its folder but not all of them."""
    found = []
    for path in ctx.scoped():
        if not is_index_note(ctx, path):
            continue
        folder = posixpath.dirname(path)
        members = folder_notes(ctx, folder, path)
        listed = ctx.out[path] & set(members)
        if len(listed) < max(2, INDEX_SHARE * len(members)):
            continue  # a page that lists little of its folder is not (or no longer) its index
        missing = [p for p in members if p not in listed]
        if not missing:
            continue
        lines = "".join(f"- [[{ctx.link_text(p)}]]\n" for p in missing)
        found.append(
            LintFinding(
                kind="index_drift",
                note=path,
                message=f"index of {folder or 'the vault root'} misses {len(missing)} of its "
                f"{len(members)} notes: {', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}",
                fix=append(path, lines),
                related=missing,
            )
        )
    return found


def is_index_note(ctx: LintContext, path: str) -> bool:
    note = ctx.notes[path]
    folder = posixpath.basename(posixpath.dirname(path)).casefold()
    stem = note.stem.casefold()
    tags = {t.casefold().lstrip("#") for t in note.tags}
    return (
        stem in INDEX_STEMS
        or (bool(folder) and stem == folder)
        or bool(INDEX_WORD_RE.search(note.stem))
        or bool(tags & {"moc", "index"})
    )


def folder_notes(ctx: LintContext, folder: str, index: str | None = None) -> list[str]:
    """The notes directly in `folder` (not in its subfolders), the index note itself left out."""
    return [p for p in ctx.by_folder.get(folder, ()) if p != index]


def stale_sources(ctx: LintContext) -> list[LintFinding]:
    """Notes last changed before a file named in their `sources:` frontmatter."""
    found = []
    for path in ctx.scoped():
        note = ctx.notes[path]
        sources = note.frontmatter.get("sources")
        if not sources:
            continue
        for source in [sources] if isinstance(sources, str) else list(sources):
            found += _stale(ctx, path, str(source))
    return found


def _stale(ctx: LintContext, path: str, source: str) -> list[LintFinding]:
    name = source.strip().removeprefix("[[").removesuffix("]]").split("|")[0].strip()
    if not name or re.match(r"^[a-z][\w+.-]*://", name, re.I):
        return []  # a URL: nothing local to compare with
    target = _source_file(ctx, path, name)
    note = ctx.notes[path]
    if target is None:
        return [
            LintFinding(
                kind="stale_sources",
                note=path,
                message=f"source {name!r} in the frontmatter is not in the vault",
                fix=None,
            )
        ]
    mtime = (Path(ctx.vault.root) / target).stat().st_mtime
    if mtime <= note.mtime + STALE_SLACK_S:
        return []
    when = datetime.fromtimestamp(mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
    todo = f"\n> [!todo] Source [[{target}]] changed on {when}, after this note; re-check it.\n"
    return [
        LintFinding(
            kind="stale_sources",
            note=path,
            message=f"older than its source {target} (changed {when})",
            fix=append(path, todo),
            related=[target] if target in ctx.graph.notes else [],
        )
    ]


def _source_file(ctx: LintContext, path: str, name: str) -> str | None:
    """A `sources:` entry as a vault-relative file: a note or attachment name, else a path."""
    cands = ctx.graph.candidates(name, path)
    if cands:
        return cands[0]
    root = Path(ctx.vault.root).resolve()
    for base in (posixpath.dirname(path), ""):
        full = (root / base / name).resolve()
        if full.is_file() and full.is_relative_to(root):
            return full.relative_to(root).as_posix()
    return None


def unlinked_mentions(ctx: LintContext) -> list[LintFinding]:
    """The ranked default list (mention_rank.py): names worth linking, each once per note."""
    found = []
    for path in ctx.scoped():
        text = ctx.text(path)
        if text is None:
            continue
        lines = text.split("\n")
        for m in ranked_mentions(ctx.vault, path, text):
            line = lines[m.line - 1]
            new = line[: m.start_col] + m.replacement + line[m.end_col :]
            old, new = _unique(text, lines, m.line - 1, line, new)
            places = ", ".join(f"{o.line}:{o.start_col + 1}" for o in m.others[:8])
            more = f"; {len(m.others)} more (line:col {places})" if m.others else ""
            found.append(
                LintFinding(
                    kind="unlinked_mention",
                    note=path,
                    location=LintLocation(line=m.line, start_col=m.start_col, end_col=m.end_col),
                    message=f"{m.text!r} names {m.target} (score {m.score:.2f}: "
                    f"{'; '.join(m.reasons) or 'named in plain text'}){more}",
                    fix=replace_text(path, old, new, 1, ctx.version(path)),
                    related=[m.target],
                    severity="hint",
                )
            )
    return found


def _unique(text: str, lines: list[str], i: int, old: str, new: str) -> tuple[str, str]:
    """`old` (line i) and `new` grown by the lines around them until `old` occurs once in
    `text`, so the plan replaces exactly this place."""
    a = b = i
    while text.count(old) > 1 and (a > 0 or b < len(lines) - 1):
        a, b = max(a - 1, 0), min(b + 1, len(lines) - 1)
        old = "\n".join(lines[a : b + 1])
    return old, "\n".join([*lines[a:i], new, *lines[i + 1 : b + 1]])


def _nearest(ctx: LintContext, paths: list[str]) -> dict[str, str]:
    """Each note's most similar other note by content (`related()`'s note vectors)."""
    index = note_index(ctx.vault)
    wanted = [p for p in paths if p in index.pos and index.has_vector[index.pos[p]]]
    if len(wanted) < len(paths):
        ctx.notices.append(
            f"{len(paths) - len(wanted)} notes have no vectors yet: their link fixes are missing"
        )
    if not wanted:
        return {}
    vecs = note_vectors(index)
    usable = np.flatnonzero(index.has_vector & np.isin(index.paths, list(ctx.notes)))
    found: dict[str, str] = {}
    for a in range(0, len(wanted), NEAREST_BLOCK):
        block = wanted[a : a + NEAREST_BLOCK]
        rows = np.array([index.pos[p] for p in block], np.int64)
        sims = vecs[rows] @ vecs[usable].T
        sims[np.arange(len(rows)), np.searchsorted(usable, rows).clip(max=len(usable) - 1)] = -2
        for path, best in zip(block, np.argmax(sims, axis=1).tolist(), strict=True):
            other = index.paths[int(usable[best])]
            if other != path:
                found[path] = other
    return found


def _new_page_path(name: str) -> str:
    name = name.strip().removesuffix(".md")
    return f"{name}.md"


def _page_title(name: str) -> str:
    return name.strip().removesuffix(".md").rsplit("/", 1)[-1]


CHECKS: dict[str, Callable[[LintContext], list[LintFinding]]] = {
    "broken_link": broken_links,
    "orphan": orphans,
    "no_outgoing_links": no_outgoing_links,
    "duplicate": duplicates,
    "missing_page": missing_pages,
    "index_drift": index_drift,
    "stale_sources": stale_sources,
    "unlinked_mention": unlinked_mentions,
    "contradiction_candidate": contradiction_candidates,
}
