"""`nvault search --format`: the same SearchAnswer as text, JSON, JSONL, CSV, Markdown, paths
only (`files`, for xargs and quickfix lists) or ripgrep's `--vimgrep` lines (`path:line:col:text`).

Machine formats print hits only on stdout; the "nothing matched" sentence and the catching-up
note go to stderr, so a pipe never mistakes them for a hit. The CLI prints to its own consoles;
a running watcher answering `nvault search` renders into replicas of the asking terminal's
(terminal.py), so both print the same bytes from this one code.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field
from rich.console import Console
from rich.text import Text

from vault_core.errors import VaultError
from vault_core.query.answer import SearchAnswer, SearchRequest
from vault_core.query.formats import Format
from vault_core.query.matching import query_terms, term_spans
from vault_core.query.search import SearchHit
from vault_core.terminal import print_failure, replica

CSV_FIELDS = ["rank", "citation", "path", "start_line", "end_line", "title", "section", "score"]


# `--format json`/`jsonl` lead with the keys in the order they have always been printed (scripts
# diff the output); any other field follows in the model's order, never left out
RECORD_ORDER = (
    *("path", "title", "heading_path", "start_line", "end_line", "snippet", "score"),
    *("page", "sheet", "row_start", "row_end"),
)


def hit_record(hit: SearchHit) -> dict[str, Any]:
    """A hit as JSON: every field plus its citation."""
    data = hit.model_dump(mode="json")
    return {**{k: data[k] for k in RECORD_ORDER}, **data, "citation": hit.citation}


def marked(snippet: str, spans: list[tuple[int, int]]) -> Text:
    """The snippet with its matched words in bold, for the terminal."""
    text = Text(snippet)
    for start, end in spans:
        text.stylize("bold yellow", start, end)
    return text


def render(answer: SearchAnswer, fmt: Format, root: Path) -> str | None:
    """The answer in `fmt` (None for `text`, which is printed with styles by `print_text`)."""
    hits = answer.hits
    if fmt == "json":
        return json.dumps([hit_record(h) for h in hits], indent=2, ensure_ascii=False)
    if fmt == "jsonl":
        return "\n".join(json.dumps(hit_record(h), ensure_ascii=False) for h in hits)
    if fmt == "files":
        return "\n".join(dict.fromkeys(h.path for h in hits))
    if fmt == "csv":
        return _csv(hits)
    if fmt == "md":
        return "\n\n".join(_markdown(i, h) for i, h in enumerate(hits, 1))
    if fmt == "vimgrep":
        terms = query_terms(answer.parsed.text)
        return "\n".join(_vimgrep(h, root, terms) for h in hits)
    return None


def print_answer(answer: SearchAnswer, fmt: Format, root: Path, out: Console, err: Console) -> None:
    """What `nvault search` prints: hits on `out`, notes on `err` (on `out` for `text`)."""
    if answer.progress.embedding_pending or answer.progress.active:
        err.print(f"note: the index is still catching up ({answer.progress.describe()})")
    message = answer.message()
    if fmt == "text":
        if message:
            out.print(message, markup=False)
        print_text(answer, out)
        return
    if message:
        err.print(message, markup=False)
    text = render(answer, fmt, root)
    if text:
        out.file.write(text + "\n")  # as print() would: no markup, no wrapping


class ConsoleSpec(BaseModel):
    """How the asking process's console renders (terminal.describe)."""

    terminal: bool
    color_system: Literal["standard", "256", "truecolor", "windows"] | None
    width: int = Field(ge=1, le=10_000)
    no_color: bool


class RenderRequest(BaseModel):
    """`nvault search` asked over the query socket: the request as the CLI would build it, the
    format, and how the asking process's stdout and stderr render (terminal.py)."""

    search: dict[str, Any] = Field(description="plain values, checked by SearchRequest.from_plain")
    format: Format = "text"
    stdout: ConsoleSpec
    stderr: ConsoleSpec


class Rendered(BaseModel):
    """What the asking CLI writes, byte for byte, and the exit code it returns."""

    stdout: str = ""
    stderr: str = ""
    code: int = 0


def render_search(
    raw: dict[str, Any], find: Callable[[SearchRequest], SearchAnswer], root: Path
) -> Rendered:
    """Validate, search with `find`, and print into replicas of the asker's consoles. A bad
    request (a query syntax error, a limit out of range) is said as the CLI says it."""
    request = RenderRequest.model_validate(raw)  # a malformed one is the caller's bug: raised
    out, out_text = replica(stderr=False, **request.stdout.model_dump())
    err, err_text = replica(stderr=True, **request.stderr.model_dump())
    try:
        search = SearchRequest.from_plain(request.search)
        search.parsed()
    except (ValueError, VaultError) as exc:  # pydantic's ValidationError is a ValueError
        code = print_failure(err, exc)
        return Rendered(stderr=err_text.getvalue(), code=code)
    print_answer(find(search), request.format, root, out, err)
    return Rendered(stdout=out_text.getvalue(), stderr=err_text.getvalue())


def print_text(answer: SearchAnswer, out: Console) -> None:
    for i, hit in enumerate(answer.hits, 1):
        crumb = " > ".join([hit.title, *hit.heading_path])
        ranks = ", ".join(f"{k} #{v}" for k, v in hit.ranks.items())
        head = Text(f"{i}. {hit.citation}", style="bold")
        head.append(f"  {crumb}  ({ranks})", style="dim")
        out.print(head)
        out.print(Text("   ").append(marked(hit.snippet, hit.match_spans)))
        if hit.also_at:
            out.print(Text(f"   same passage also at {', '.join(hit.also_at)}", style="dim"))
        out.print()


def _csv(hits: list[SearchHit]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, [*CSV_FIELDS, "snippet"], lineterminator="\n")
    writer.writeheader()
    for i, h in enumerate(hits, 1):
        writer.writerow(
            {
                "rank": i,
                "citation": h.citation,
                "path": h.path,
                "start_line": h.start_line,
                "end_line": h.end_line,
                "title": h.title,
                "section": " > ".join(h.heading_path),
                "score": h.score,
                "snippet": h.snippet,
            }
        )
    return buffer.getvalue().rstrip("\n")


def _markdown(i: int, hit: SearchHit) -> str:
    """A numbered item: the citation as a link, the snippet quoted with matched words bold."""
    parts, last = [], 0
    for start, end in hit.match_spans:
        parts += [_md_escape(hit.snippet[last:start]), f"**{_md_escape(hit.snippet[start:end])}**"]
        last = end
    parts.append(_md_escape(hit.snippet[last:]))
    section = " > ".join(hit.heading_path)
    title = f"{hit.title} > {section}" if section and section != hit.title else hit.title
    target = hit.path.replace(" ", "%20")
    also = f"\n   (same passage also at {', '.join(hit.also_at)})" if hit.also_at else ""
    return f"{i}. [{_md_escape(hit.citation)}]({target}) {_md_escape(title)}\n   > {''.join(parts)}{also}"


def _md_escape(text: str) -> str:
    return "".join("\\" + c if c in "\\`*_[]<>|" else c for c in text)


def _vimgrep(hit: SearchHit, root: Path, terms: frozenset[str]) -> str:
    """`path:line:col:text` at the first matched word of the passage (col in bytes, 1-based,
    as ripgrep counts); the passage's first line when only its meaning matched."""
    flat = " ".join(hit.snippet.split())
    if not hit.start_line:  # an attachment's page or rows: no file lines to point into
        return f"{hit.path}:1:1:{flat}"
    try:
        lines = (root / hit.path).read_text(encoding="utf-8", errors="replace").split("\n")
    except OSError:
        return f"{hit.path}:{hit.start_line}:1:{flat}"
    passage = lines[hit.start_line - 1 : max(hit.end_line, hit.start_line)]
    for offset, line in enumerate(passage):
        spans = term_spans(line, terms)
        if spans:
            col = len(line[: spans[0][0]].encode()) + 1
            return f"{hit.path}:{hit.start_line + offset}:{col}:{line}"
    first = next((k for k, line in enumerate(passage) if line.strip()), 0)
    text = passage[first] if passage else flat
    return f"{hit.path}:{hit.start_line + first}:1:{text}"
