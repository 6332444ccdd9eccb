"""`nvault analyze|compare|quiz|doctor`: the study tools and the health check in the terminal."""

from __future__ import annotations

import argparse

from rich.markup import escape

from vault_cli.common import Commands, console, emit_json, err_console, open_vault

COMMANDS: Commands = {}  # the subcommands this module adds; main.py merges them
ENGINES = ["auto", "llm", "extractive"]


def _engine_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, help="default: the config's llm.engine (auto)")
    p.add_argument("--json", action="store_true")


def cmd_analyze(args: argparse.Namespace) -> int:
    from vault_core.study.analyze import render_analysis  # heavy: not for `nvault --help`

    with open_vault(args) as vault:
        result = vault.analyze(args.note, args.engine)
        emit_json(result) if args.json else console.print(render_analysis(result), markup=False)
    return 0


def setup_analyze(p: argparse.ArgumentParser) -> None:
    p.add_argument("note", help="note path, file name, alias or title")
    _engine_option(p)


def cmd_compare(args: argparse.Namespace) -> int:
    from vault_core.study.compare import render_comparison

    with open_vault(args) as vault:
        result = vault.compare(args.note_a, args.note_b, args.question, args.engine)
        emit_json(result) if args.json else console.print(render_comparison(result), markup=False)
    return 0


def setup_compare(p: argparse.ArgumentParser) -> None:
    p.add_argument("note_a")
    p.add_argument("note_b")
    p.add_argument("--question", help="answer this across both notes")
    _engine_option(p)


def cmd_quiz(args: argparse.Namespace) -> int:
    from vault_core.study.quiz import render_quiz

    types = [t.strip() for t in args.types.split(",")] if args.types else None
    with open_vault(args) as vault:
        try:
            result = vault.quiz(args.scope, args.n, types, args.engine)
        except ValueError as exc:
            console.print(f"error: {exc}")
            return 2
        if args.json:
            emit_json(result)
        else:
            console.print(render_quiz(result, show_answers=not args.hide_answers), markup=False)
    return 0


def setup_quiz(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "scope", help="a note, a folder ('projects/'), a tag ('#biology') or a search query"
    )
    p.add_argument("-n", type=int, default=5, help="number of questions")
    p.add_argument("--types", help="comma-separated: mcq,true_false,cloze")
    p.add_argument("--hide-answers", action="store_true")
    _engine_option(p)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Checks the embedder, the index and Ollama, and says how to fix what is missing.

    Exits 0 when search works: the LLM is optional (analyze/compare/quiz fall back to the
    extractive engine), so its absence is a warning, not a failure. `--json` prints only JSON.
    """
    from vault_core.errors import VaultError
    from vault_core.store.integrity import check_index
    from vault_core.study.llm import LLMClient

    index_bad = False  # a damaged index is a real failure (exit 1); a missing LLM is not
    with open_vault(args) as vault:
        if vault.remote:  # probed through LanceDB; the folder repairs do not apply to a bucket
            health = vault.store.integrity()
        else:
            health = check_index(vault.config.index_path, vault.embedder.dim)
        if not health.ok and vault.remote and args.repair:
            raise VaultError(
                f"The index at {vault.location.uri} is damaged ({health.summary()}): "
                "`--repair` rebuilds a folder; for object storage, delete the prefix and run "
                "`nvault index --index URI` where the notes are."
            )
        if not health.ok and not args.repair:
            index_bad = True
            (err_console if args.json else console).print(
                f"[red]bad[/]   index: {escape(health.summary())}; `nvault doctor --repair` "
                "rebuilds it from your notes"
            )
        elif not health.ok:
            if not vault.is_writer:
                raise VaultError(
                    "another nvault process is indexing this vault; it repairs the index on its "
                    "next rescan (or stop it and run `nvault doctor --repair` again)"
                )
            vault.repair(health)
            console.print(f"[green]fixed[/] {escape(vault.notice or 'index repaired')}")
            vault.sync(embed=False)
        status = vault.status()
        llm = LLMClient(vault.config.llm).status()
        if args.json:
            emit_json({"vault": status.model_dump(mode="json"), "llm": llm.model_dump()})
            return 1 if index_bad else 0
        console.print(f"[green]ok[/]    embedder {status.model} (dim {status.dim}), loaded offline")
        console.print(
            f"[green]ok[/]    index {status.index_dir}: {status.notes} notes, {status.chunks} chunks ({status.role})"
        )
        if status.skipped:
            console.print(
                f"[yellow]note[/]  {len(status.skipped)} files skipped: `nvault status` lists why"
            )
        if llm.ok:
            console.print(
                f"[green]ok[/]    Ollama {llm.version or ''} at {llm.host}, model {llm.model}"
            )
        else:
            console.print(f"[yellow]warn[/]  LLM (optional): {llm.error}", markup=False)
            if llm.fix:
                console.print(f"      fix: {llm.fix}", markup=False)
            console.print("      analyze/compare/quiz still work with the extractive engine")
    return 1 if index_bad else 0


COMMANDS["analyze"] = (
    cmd_analyze,
    setup_analyze,
    "summary, key points, terms, questions, links for a note",
)
COMMANDS["compare"] = (cmd_compare, setup_compare, "what two notes agree on, where they differ")
COMMANDS["quiz"] = (cmd_quiz, setup_quiz, "questions with answers cited to your notes")


def setup_doctor(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--repair", action="store_true", help="rebuild a damaged index (reusing its vectors)"
    )


COMMANDS["doctor"] = (cmd_doctor, setup_doctor, "check the setup and the index")
