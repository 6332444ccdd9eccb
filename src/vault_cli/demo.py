"""`nvault demo`: nvault's main jobs in one command, on a sample vault shipped in the package.

The vault (src/vault_core/assets/demo/: 52 linked notes on learning and memory, a PDF and a
DOCX) is copied to a temporary folder, indexed, and then searched, linked and summarised the
way an agent (MCP) and an editor (LSP) would, with a line of explanation for each. It runs
offline: nothing but the bundled model is needed.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import textwrap
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from rich.markup import escape
from rich.text import Text

from vault_cli.common import Commands, console

if TYPE_CHECKING:
    from vault_core.query.answer import SearchAnswer

COMMANDS: Commands = {}
SEARCH = "why does cramming fail before an exam"
FILTERED = "sleep type:pdf"
RELATED_NOTE = "Sleep and Memory"
MENTIONS_NOTE = "journal/2025-05-20 note review.md"
HOVER_NOTE = "Spaced Repetition"


def demo_source() -> Path:
    """The sample vault inside the installed package."""
    return Path(str(resources.files("vault_core") / "assets" / "demo"))


def copy_demo(target: Path | None) -> Path:
    """A fresh copy of the sample vault: in `target` (which must not exist yet) or a temp dir."""
    if target is None:
        target = Path(tempfile.mkdtemp(prefix="nvault-demo-")) / "vault"
    elif target.exists():
        raise FileExistsError(f"{target} already exists: pass a new folder to --dir")
    shutil.copytree(demo_source(), target)
    return target


def _say(title: str, why: str) -> None:
    console.print(f"\n[bold cyan]{escape(title)}[/]")
    console.print(f"[dim]{escape(why)}[/]")


def _top(answer: SearchAnswer, n: int) -> SearchAnswer:
    return answer.model_copy(update={"hits": answer.hits[:n]})


def run_demo(root: Path) -> None:
    from vault_core.query.answer import SearchRequest
    from vault_core.query.render import marked, print_text  # the engine: not for `nvault --help`
    from vault_core.vault import Vault

    started = time.monotonic()
    with Vault.open(root) as vault:
        console.print(f"[bold]nvault demo[/]: a sample vault on learning and memory, in {root}")
        report = vault.sync()
        notes = sum(1 for n in vault.catalog.values() if n.kind == "note")
        files = len(vault.catalog) - notes
        console.print(
            f"indexed {notes} notes and {files} attachments ({report.embedded} passages "
            f"embedded) in {time.monotonic() - started:.1f} s"
        )

        _say(
            f"1. Hybrid search: nvault search {root} {SEARCH!r}",
            "Meaning and keywords together; every hit cites path:lines, matched words are marked.",
        )
        print_text(_top(vault.find(SearchRequest(query=SEARCH)), 3), console)
        _say(
            f"   With the query language: {FILTERED!r}",
            'Also: "exact phrase", -excluded, a OR b, tag:x, path:folder/, after:/before:DATE. '
            "Attachments are cited by page.",
        )
        print_text(_top(vault.find(SearchRequest(query=FILTERED)), 1), console)

        _say(
            f"2. Related notes: nvault related {root} {RELATED_NOTE!r}",
            "Notes this one should link to and does not yet, with the reasons.",
        )
        for item in vault.related(RELATED_NOTE, limit=3):
            console.print(f"   [bold]{escape(f'[[{item.link_text}]]')}[/]  ({item.score:.0%})")
            console.print(f"      {'; '.join(item.reasons)}", markup=False)

        _say(
            f"3. Unlinked mentions: nvault mentions {root} {MENTIONS_NOTE!r}",
            "Places where a note names another note in plain text: links waiting to be made.",
        )
        for m in vault.unlinked_mentions(MENTIONS_NOTE)[:3]:
            console.print(f"   {m.path}:{m.line}  {m.text!r} -> {m.replacement}", markup=False)

        _say(
            f"4. Hover: what an editor shows over [[{HOVER_NOTE}]]",
            "Title, a short summary (extractive here; an LLM's if Ollama runs), tags, backlinks.",
        )
        note = vault.resolve(HOVER_NOTE)
        summary = textwrap.shorten(
            vault.analyze(note.path, engine="extractive").summary, 320, placeholder=" …"
        )
        backlinks = {r.source for r in vault.backlinks(note.path)}
        console.print(Text(f"   {note.title}  ·  {note.path}", style="bold"))
        console.print(Text("   ").append(marked(summary, [])))
        tags = " ".join(f"#{t}" for t in note.tags)
        console.print(f"   {tags}  ·  {len(backlinks)} backlinks", markup=False)

        _say("5. Next", "The same engine for an agent, an editor, and your own notes:")
        for line in (
            f"nvault get {root} 'Spaced Repetition'        print a note (or NOTE:12-20)",
            f"claude mcp add nvault-demo -- vault-mcp --root {root}",
            "vault-lsp                                     language server over stdio "
            "(docs/editors.md; VS Code extension in vscode-extension/)",
            "nvault index ~/notes && nvault search ~/notes 'what did I write about X'",
        ):
            console.print(f"   {line}", markup=False)
    console.print(
        f"\n[dim]demo done in {time.monotonic() - started:.1f} s; the copy stays in {root} "
        "(delete it when you are done).[/]"
    )


def cmd_demo(args: argparse.Namespace) -> int:
    root = copy_demo(Path(args.dir).expanduser().resolve() if args.dir else None)
    run_demo(root)
    return 0


def setup_demo(p: argparse.ArgumentParser) -> None:
    p.add_argument("--dir", help="copy the sample vault here (a new folder) instead of a temp dir")


COMMANDS["demo"] = (cmd_demo, setup_demo, "try nvault on a small sample vault (offline, ~15 s)")
