"""`nvault`: index, search and inspect a notes folder from the terminal."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.markup import escape

from vault_cli import demo, edit, evaluate, links, lint, reading, study, watch
from vault_cli import setup as client_setup
from vault_cli.common import (
    PROGRESS_STYLES,
    Commands,
    ask_running,
    console,
    emit_json,
    err_console,
    open_vault,
    vault_config,
)
from vault_core.errors import NoteNotFound
from vault_core.query.formats import FORMATS, Format
from vault_core.query.syntax_help import SYNTAX_HELP
from vault_core.terminal import describe, print_failure

if TYPE_CHECKING:
    from vault_core.results import VaultStatus
    from vault_core.vault import Vault

# Heavy modules (LanceDB, pyarrow, numpy, pydantic models, the model) are imported inside the
# commands that use them, so building the parser (`nvault --help`) loads none of them
# (tests/core/test_cli_startup.py); nothing here is imported late to dodge a cycle.

COMMANDS: Commands = {}
CLI_FIND_HINT = "`nvault search WORDS` finds notes by what they say."


def cmd_index(args: argparse.Namespace) -> int:
    from vault_cli.progress import sync_with_progress

    with open_vault(args) as vault:
        if not vault.is_writer:
            err_console.print(vault.reader_reason)
            return 1
        style = "none" if args.quiet else args.progress
        report = sync_with_progress(vault, style=style)
        if args.json:
            emit_json(report)
            return 0
        console.print(
            f"indexed {len(report.added)} new, {len(report.updated)} changed, {len(report.moved)} moved, "
            f"{len(report.deleted)} deleted, {report.unchanged} unchanged in {report.seconds:.1f}s "
            f"({report.embedded} chunks embedded, {report.reused} reused)"
        )
        for path, reason in sorted(report.errors.items()):
            console.print(f"[yellow]skipped[/] {path}: {reason}")
    return 0


def setup_index(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the sync report as JSON")
    p.add_argument(
        "--progress",
        choices=PROGRESS_STYLES,
        default="auto",
        help="how to show progress on stderr: a bar on a terminal, plain lines every ~5 s "
        "elsewhere (auto), or JSON lines",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress output")


def cmd_search(args: argparse.Namespace) -> int:
    fmt: Format = "json" if args.json else args.format
    plain = {
        "query": args.query,
        "mode": args.mode,
        "limit": args.limit,
        "filters": {
            "path": args.path,
            "tags": args.tag or [],
            "where": dict(w.split("=", 1) for w in args.where or []),
            "modified_since": args.since.isoformat() if args.since else None,
        },
        "per_note": args.per_note,
        "min_score": args.min_score,
    }
    # A running `nvault watch` or server searches and prints for this terminal in milliseconds,
    # and asking imports nothing heavy; opening the vault here takes seconds.
    terminals = {"stdout": describe(console), "stderr": describe(err_console)}
    reply = ask_running(args, {"render": {"search": plain, "format": fmt, **terminals}})
    rendered = reply.get("rendered") if reply else None
    if isinstance(rendered, dict):
        sys.stderr.write(str(rendered.get("stderr", "")))
        sys.stderr.flush()
        sys.stdout.write(str(rendered.get("stdout", "")))
        return int(rendered.get("code", 0))
    return _search_here(args, plain, fmt)


def _search_here(args: argparse.Namespace, plain: dict[str, Any], fmt: Format) -> int:
    """No process serves this vault (or an older one that does not render): open it here."""
    from vault_cli.progress import sync_with_progress
    from vault_core.query.answer import SearchRequest
    from vault_core.query.render import print_answer

    request = SearchRequest.from_plain(plain)
    request.parsed()  # a syntax error is said before anything is opened
    config = vault_config(args)
    with open_vault(args) as vault:
        if vault.is_writer and not vault.catalog:
            sync_with_progress(vault, keep_model=True)
        answer = vault.find(request)
    print_answer(answer, fmt, config.root, console, err_console)
    return 0


def setup_search(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help=f"query language: {SYNTAX_HELP}")
    p.add_argument("--mode", choices=["hybrid", "keyword", "semantic"], default="hybrid")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--path", help="folder prefix or glob, e.g. 'projects/' or '**/*.pdf'")
    p.add_argument("--tag", action="append", help="only notes with this tag (repeatable)")
    p.add_argument("--where", action="append", help="frontmatter FIELD=VALUE (repeatable)")
    p.add_argument("--since", type=datetime.fromisoformat, help="modified since (ISO date)")
    p.add_argument("--per-note", type=int, help="at most N hits per note")
    p.add_argument("--min-score", type=float, help="drop hits whose fused score is lower")
    p.add_argument("--format", choices=FORMATS, default="text", help="output format")
    p.add_argument("--json", action="store_true", help="same as --format json")


def cmd_status(args: argparse.Namespace) -> int:
    from vault_core.results import VaultStatus

    # A running `nvault watch` or server knows, and asking it costs no LanceDB import.
    answer = ask_running(args, {"status": True})
    if answer is not None and "status" in answer:
        return _print_status(args, VaultStatus.model_validate(answer["status"]))
    with open_vault(args) as vault:
        return _print_status(args, vault.status())


def _print_status(args: argparse.Namespace, status: VaultStatus) -> int:
    """What `status` prints, whoever answered (this process or a running server)."""
    if args.json:
        emit_json(status)
        return 0
    console.print(f"vault    {status.root}\nindex    {status.index_dir} ({status.role})")
    console.print(
        f"notes    {status.notes:,} notes, {status.attachments:,} attachments, {status.chunks:,} chunks"
    )
    console.print(f"model    {status.model} (dim {status.dim})")
    if status.ann is not None:  # past the switch point: the calibration readers use
        ann = status.ann
        recall = "not calibrated yet" if ann.recall_at_10 is None else f"{ann.recall_at_10:.3f}"
        console.print(
            f"vectors  {ann.index_type} index, {ann.partitions:,} partitions: probes "
            f"{ann.nprobes}, rescoring {ann.refine_factor}x, recall@10 {recall}"
        )
    console.print(f"index    {status.indexing.describe()}")
    if status.notice:
        console.print(f"[yellow]repaired[/] {escape(status.notice)}")
    console.print(f"synced   {status.last_sync or 'not in this process'}")
    if status.lag is not None:
        lag = status.lag
        console.print(
            f"lag      {lag.versions_behind} versions, {lag.seconds_behind:g} s behind the "
            f"writer ({escape(lag.writer or 'no writer holds the lease')}); last commit "
            f"{lag.last_commit_age_s if lag.last_commit_age_s is not None else '?'} s ago"
        )
    for issue in status.skipped:
        console.print(f"[yellow]skipped[/]  {escape(issue.path)}: {escape(issue.reason)}")
    for reason, paths in _grouped(status.warnings).items():
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3:,} more" if len(paths) > 3 else "")
        console.print(f"[dim]warning  {escape(reason)}: {escape(shown)}[/]")
    return 0


def _grouped(issues: list[Any]) -> dict[str, list[str]]:
    """Warnings by reason, so 268 empty files are one line, not 268."""
    groups: dict[str, list[str]] = {}
    for issue in issues:
        groups.setdefault(issue.reason, []).append(issue.path)
    return groups


def setup_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")


def _link_lines(vault: Vault, note: str, incoming: bool) -> list[dict[str, Any]]:
    record = vault.resolve(note)
    items = vault.backlinks(record.path) if incoming else vault.links(record.path)
    return [
        {
            "source": r.source,
            "line": r.link.line,
            "target": r.target,
            "raw": r.link.raw,
            "broken": r.broken,
            "ambiguous": r.ambiguous,
        }
        for r in items
    ]


def _print_links(args: argparse.Namespace, incoming: bool) -> int:
    with open_vault(args) as vault:
        rows = _link_lines(vault, args.note, incoming)
    if args.json:
        emit_json(rows)
        return 0
    for row in rows:
        if incoming:
            console.print(f"{row['source']}:{row['line']}  {row['raw']}", markup=False)
            continue
        flag = " [broken]" if row["broken"] else " [ambiguous]" if row["ambiguous"] else ""
        console.print(
            f"{args.note}:{row['line']}  {row['raw']} -> {row['target']}{flag}", markup=False
        )
    return 0


def cmd_backlinks(args: argparse.Namespace) -> int:
    return _print_links(args, incoming=True)


def cmd_links(args: argparse.Namespace) -> int:
    return _print_links(args, incoming=False)


def setup_note(p: argparse.ArgumentParser) -> None:
    p.add_argument("note", help="note path, file name, alias or title")
    p.add_argument("--json", action="store_true")


for _name, _fn, _setup, _help in (
    ("index", cmd_index, setup_index, "index (or re-sync) the vault"),
    ("search", cmd_search, setup_search, "hybrid search with path:line citations"),
    ("status", cmd_status, setup_json, "what is indexed, what was skipped and why"),
    ("backlinks", cmd_backlinks, setup_note, "notes that link to NOTE"),
    ("links", cmd_links, setup_note, "links going out of NOTE (broken ones flagged)"),
):
    COMMANDS[_name] = (_fn, _setup, _help)


for _module in (demo, watch, links, study, reading, client_setup, edit, lint, evaluate):
    COMMANDS.update(_module.COMMANDS)


def add_index_arguments(parser: argparse.ArgumentParser, hidden: bool = False) -> None:
    """`--index URI` and friends, before or after the command name."""
    helps = {
        "--index": "where the index lives: a folder or s3://bucket/prefix (default ROOT/.nvault)",
        "--endpoint-url": "an S3-compatible store's URL, e.g. MinIO (default $AWS_ENDPOINT_URL)",
        "--read-only": "never take the writer role (search a shared index without indexing)",
    }
    for flag, text in helps.items():
        kw: dict[str, Any] = {"help": argparse.SUPPRESS if hidden else text}
        if hidden:
            kw["default"] = argparse.SUPPRESS
        if flag == "--read-only":
            kw["action"] = "store_true"
        parser.add_argument(flag, **kw)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nvault", description=__doc__)
    parser.add_argument("--root", help="vault folder (default: $NVAULT_ROOT or the current folder)")
    add_index_arguments(parser)
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log details (and tracebacks) to stderr"
    )
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (_, setup, help_text) in COMMANDS.items():
        sub = subs.add_parser(name, help=help_text)
        sub.add_argument("--root", dest="root", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        add_index_arguments(sub, hidden=True)
        # Every command takes the vault the same way: `--root DIR` anywhere, or a leading DIR
        # (`nvault search ~/notes "query"`), taken only when more words are given than needed.
        sub.add_argument("root_arg", nargs="?", metavar="ROOT", help="vault folder")
        setup(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    if verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(name)s %(message)s")
    try:
        return COMMANDS[args.command][0](args)
    except NoteNotFound as exc:
        err_console.print(f"[red]error:[/] {escape(str(exc))} {CLI_FIND_HINT}")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # every failure is one sentence; the traceback only with -v
        if verbose:
            logging.getLogger("nvault").exception("%s failed", args.command)
        return print_failure(err_console, exc)


if __name__ == "__main__":
    sys.exit(main())
