"""`nvault related`, `nvault mentions`, `nvault graph`: linking help from the terminal."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from rich.markup import escape

from vault_cli.common import Commands, console, emit_json, err_console, open_vault

if TYPE_CHECKING:
    from vault_core.linking.graph_report import GraphReport

COMMANDS: Commands = {}  # the subcommands this module adds; main.py merges them
SECTIONS = ("orphans", "broken", "ambiguous", "hubs", "duplicates")  # of `graph`, in report order


def cmd_related(args: argparse.Namespace) -> int:
    from vault_core.linking.related import SIGNALS, related  # heavy: not for `nvault --help`

    unknown = set(args.signal or ()) - SIGNALS
    if unknown:  # checked here, not by argparse: SIGNALS lives with the heavy linking code
        err_console.print(
            f"error: unknown --signal {', '.join(sorted(unknown))}; choose from "
            f"{', '.join(sorted(SIGNALS))}",
            markup=False,
        )
        return 2
    with open_vault(args) as vault:
        path = vault.resolve(args.note).path
        signals = set(args.signal) if args.signal else SIGNALS
        hits = related(
            vault, path, args.limit, signals=signals, exclude_links=not args.include_linked
        )
        if args.json:
            emit_json([h.model_dump() for h in hits])
            return 0
        if not hits:
            console.print("no suggestions")
        for i, hit in enumerate(hits, 1):
            console.print(
                f"[bold]{i}. {escape(f'[[{hit.link_text}]]')}[/]  [dim]{escape(hit.path)}  "
                f"({hit.score:.0%})[/]"
            )
            console.print(f"   {'; '.join(hit.reasons)}", markup=False)
            if hit.passage:
                p = hit.passage
                console.print(
                    f"   [dim]{escape(p.citation)} "
                    f"(matches your lines {p.source_start_line}-{p.source_end_line})[/]"
                )
                console.print(f"   {p.snippet}\n", markup=False)
    return 0


def setup_related(p: argparse.ArgumentParser) -> None:
    p.add_argument("note", help="note path, file name, alias or title")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument(
        "--signal",
        action="append",
        help="use only this signal: semantic, keyword or graph (repeatable; default: all)",
    )
    p.add_argument("--include-linked", action="store_true", help="keep notes already linked")
    p.add_argument("--json", action="store_true")


def cmd_mentions(args: argparse.Namespace) -> int:
    from vault_core.linking.mention_rank import ranked_mentions

    with open_vault(args) as vault:
        path = vault.resolve(args.note).path
        found = ranked_mentions(vault, path, show_all=args.all)
        if args.json:
            emit_json([m.model_dump() for m in found])
            return 0
        if not found:
            console.print(
                "no unlinked mentions worth linking (--all lists every one, scored)"
                if not args.all
                else "no unlinked mentions"
            )
        for m in found:
            more = f"  (+{len(m.others)} more)" if m.others else ""
            line = f"{m.path}:{m.line}:{m.start_col + 1}  {m.text!r} -> {m.replacement}{more}"
            if args.all:
                mark = "*" if m.shown else " "
                linked = ", already linked" if m.already_linked else ""
                line = f"{mark} {m.score:.2f}  {line}  [{'; '.join(m.reasons)}{linked}]"
            console.print(line, markup=False)
    return 0


def setup_mentions(p: argparse.ArgumentParser) -> None:
    p.add_argument("note", help="note path, file name, alias or title")
    p.add_argument(
        "--all",
        action="store_true",
        help="every mentioned note with its score (* = in the default list), linked ones too",
    )
    p.add_argument("--json", action="store_true")


def cmd_graph(args: argparse.Namespace) -> int:
    from vault_core.linking.graph_report import graph_health
    from vault_core.linking.suggest import suggest_links_for_vault

    with open_vault(args) as vault:
        if args.suggest:
            report = suggest_links_for_vault(
                vault, limit_per_note=args.limit, min_score=args.min_score
            )
            if args.json:
                emit_json(report)
            else:
                console.print(report.markdown(), markup=False)
            return 0
        wanted = [k for k in SECTIONS if getattr(args, k)]
        health = graph_health(vault, duplicates=not wanted or "duplicates" in wanted)
        if args.json:
            data = health.model_dump()
            emit_json({k: data[k] for k in wanted} if wanted else data)
            return 0
        show = wanted or list(SECTIONS)
        if not wanted:
            console.print(f"{health.notes} notes, {health.links} links")
        _print_sections(health, show, args.limit)
    return 0


def _print_sections(h: GraphReport, show: list[str], limit: int) -> None:
    for name in show:
        heading, lines = _section(h, name, limit)
        console.print(heading)
        for line in lines:
            console.print(line, markup=False)


def _section(h: GraphReport, name: str, limit: int) -> tuple[str, list[str]]:
    """One section of the graph report: its heading (rich markup) and its plain-text lines."""
    if name == "orphans":
        heading = f"[bold]orphans[/] ({len(h.orphans)}: no links in or out)"
        return heading, [f"  {path}" for path in h.orphans[:limit]]
    if name == "broken":
        heading = f"[bold]broken links[/] ({len(h.broken)})"
        return heading, [f"  {i.source}:{i.line}  {i.raw}" for i in h.broken[:limit]]
    if name == "ambiguous":
        heading = f"[bold]ambiguous links[/] ({len(h.ambiguous)})"
        return heading, [
            f"  {i.source}:{i.line}  {i.raw} -> {i.target} (also {', '.join(i.candidates[1:])})"
            for i in h.ambiguous[:limit]
        ]
    if name == "hubs":
        lines = [f"  {hub.backlinks:>4} backlinks  {hub.path}" for hub in h.hubs[:limit]]
        return "[bold]most-linked notes[/]", lines
    heading = f"[bold]possible duplicates[/] ({len(h.duplicates)}: you may want to merge)"
    lines = []
    for d in h.duplicates[:limit]:
        lines.append(
            f"  {d.a}  ~  {d.b}  ({d.text_similarity:.0%} shared text, "
            f"{d.changed_lines} lines differ)"
        )
        for c in d.differences[:3]:
            a = f"{d.a}:{c.a_lines} {c.a_text!r}" if c.a_lines else f"not in {d.a}"
            b = f"{d.b}:{c.b_lines} {c.b_text!r}" if c.b_lines else f"not in {d.b}"
            lines.append(f"      {a}  vs  {b}")
    return heading, lines


def setup_graph(p: argparse.ArgumentParser) -> None:
    for name, help_text in (
        ("orphans", "notes with no links either way"),
        ("broken", "links that resolve to nothing"),
        ("ambiguous", "links that match several notes"),
        ("hubs", "most-linked notes"),
        ("duplicates", "note pairs with nearly the same content"),
    ):
        p.add_argument(f"--{name}", action="store_true", help=help_text)
    p.add_argument(
        "--suggest", action="store_true", help="see-also and mention suggestions for every note"
    )
    p.add_argument(
        "--limit", type=int, default=20, help="rows per section (per note with --suggest)"
    )
    p.add_argument(
        "--min-score",
        type=float,
        default=0.0,
        help="with --suggest: only see-also notes with at least this confidence (0-1)",
    )
    p.add_argument("--json", action="store_true")


COMMANDS["related"] = (cmd_related, setup_related, "notes NOTE should link to, with reasons")
COMMANDS["mentions"] = (cmd_mentions, setup_mentions, "plain-text mentions of other notes in NOTE")
COMMANDS["graph"] = (cmd_graph, setup_graph, "link graph health: orphans, broken, hubs, duplicates")
