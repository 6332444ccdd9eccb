"""The consoles nvault prints to, described so that another process can print exactly as
this one would.

A search answered by a running watcher is rendered in that process for the asking terminal:
the client sends how its stdout and stderr look (a terminal or not, colours, width), and the
server renders into consoles built from that description with these same settings. Only rich
and the standard library, so describing a console costs the client no heavy import.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from rich.markup import escape

from vault_core.errors import VaultError, describe_failure


def stdout_console(**kw: Any) -> Console:
    """Hits and plain results: never wrapped (a long citation stays one line for grep)."""
    return Console(highlight=False, soft_wrap=True, **kw)


def stderr_console(**kw: Any) -> Console:
    """Notes, warnings and errors."""
    return Console(stderr=True, highlight=False, **kw)


def describe(console: Console) -> dict[str, Any]:
    """What decides how `console` renders, as JSON (query/render.py's ConsoleSpec)."""
    return {
        "terminal": console.is_terminal,
        "color_system": console.color_system,
        "width": console.width,
        "no_color": bool(console.no_color),
    }


def replica(
    *, stderr: bool, terminal: bool, color_system: str | None, width: int, no_color: bool
) -> tuple[Console, io.StringIO]:
    """A console that renders into a string exactly as the one `describe` saw prints."""
    buffer = io.StringIO()
    make = stderr_console if stderr else stdout_console
    console = make(
        file=buffer,
        force_terminal=terminal,
        color_system=color_system,
        width=width,
        no_color=no_color,
        legacy_windows=False,
    )
    return console, buffer


def print_failure(console: Console, exc: BaseException) -> int:
    """Any failure as the one sentence a person reads; the exit code it gets (2: nvault
    understood what was wrong, 1: unexpected)."""
    console.print(f"[red]error:[/] {escape(describe_failure(exc))}", soft_wrap=True)
    return 2 if isinstance(exc, VaultError) else 1
