"""`nvault index`'s two phases as the person or program watching can read them.

On a terminal: one rich bar per phase. Elsewhere (CI logs, an agent running the CLI, `nohup`) a bar
draws nothing, so the run looked hung for minutes: there, one plain line per phase every ~5 s
(files or chunks, rate, ETA), as pip and cargo do; `--progress=json` prints the same as JSON
lines, `--quiet` nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import Any, Literal, TextIO

from pydantic import BaseModel
from rich.progress import BarColumn, Progress, TextColumn

from vault_cli.common import ProgressStyle as Style
from vault_cli.common import err_console
from vault_core.index.indexer import SyncReport
from vault_core.results import IndexProgress
from vault_core.vault import Vault

LINE_EVERY_S = 5.0


class PhaseLine(BaseModel):
    """One progress line (`--progress=json` prints these as they are)."""

    phase: Literal["reading", "embedding"]
    done: int
    total: int  # 0 while the files are still being counted
    unit: Literal["files", "chunks"]
    rate: float | None = None  # per second
    eta_s: float | None = None
    elapsed_s: float
    final: bool = False  # the phase's last line

    def plain(self) -> str:
        total = f"/{self.total:,}" if self.total else ""
        parts = [f"{self.phase}: {self.done:,}{total} {self.unit}"]
        if self.rate:
            parts.append(f"{self.rate:.1f}/s")
        if self.eta_s and not self.final:
            parts.append(f"ETA {int(self.eta_s) // 60}:{int(self.eta_s) % 60:02d}")
        parts.append("done" if self.final else f"{self.elapsed_s:.0f} s")
        return ", ".join(parts)


class LineReporter:
    """Plain or JSON lines, at most one per phase every `every` seconds plus each phase's last."""

    def __init__(self, style: Literal["plain", "json"], out: TextIO, every: float) -> None:
        self.style, self.out, self.every = style, out, every
        self.started = time.monotonic()
        self._last: dict[str, float] = {}

    def show(self, line: PhaseLine) -> None:
        now = time.monotonic()
        if not line.final and now - self._last.get(line.phase, self.started) < self.every:
            return
        self._last[line.phase] = now
        text = line.model_dump_json() if self.style == "json" else line.plain()
        print(text, file=self.out, flush=True)


def resolve_style(style: Style, stream: TextIO) -> Style:
    """`auto` is a bar on a terminal and plain lines anywhere else."""
    if style != "auto":
        return style
    return "bar" if stream.isatty() else "plain"


def sync_with_progress(
    vault: Vault, keep_model: bool = False, style: Style = "auto", every: float = LINE_EVERY_S
) -> SyncReport:
    """Phase 1 (read every file) then phase 2 (embed), each reported in `style`.

    Unless the caller searches next (`keep_model`), the model is freed before the final
    compaction, which then does not stack its memory on the model's."""
    style = resolve_style(style, sys.stderr)
    if style == "bar":
        with _Bars() as bars:
            return _sync(vault, keep_model, bars.show)
    if style == "none":
        return _sync(vault, keep_model, lambda line: None)
    assert style in ("plain", "json")
    return _sync(vault, keep_model, LineReporter(style, sys.stderr, every).show)


def _sync(vault: Vault, keep_model: bool, show: Callable[[PhaseLine], None]) -> SyncReport:
    started = time.monotonic()

    def elapsed() -> float:
        return max(time.monotonic() - started, 1e-3)

    def reading(done: int, total: int, path: str = "", final: bool = False) -> None:
        rate = done / elapsed() if done else None
        eta = (total - done) / rate if rate and total else None
        show(PhaseLine(phase="reading", done=done, total=total, unit="files", rate=rate,
                       eta_s=eta, elapsed_s=elapsed(), final=final))  # fmt: skip

    def embedding(p: IndexProgress, final: bool = False) -> None:
        show(PhaseLine(phase="embedding", done=p.chunks_embedded, total=p.chunks_total,
                       unit="chunks", rate=p.rate, eta_s=p.eta_s, elapsed_s=elapsed(),
                       final=final))  # fmt: skip

    if vault.embedding_expected():
        vault.load_model_in_background()  # phase 2 will need it: load it beside phase 1
    report = vault.sync(progress=reading, embed=False)
    reading(vault.progress.total or vault.progress.done, vault.progress.total, final=True)
    embedding(vault.progress)
    while (step := vault.embed_step(max_chunks=256, finish=False)).written:
        report.embedded += step.embedded
        report.reused += step.reused
        embedding(vault.progress)
    embedding(vault.progress, final=True)
    if not keep_model:
        vault.embedder.release()
    vault.finish_embedding()
    report.seconds = time.monotonic() - started
    return report


class _Bars:
    """One rich bar per phase, with honest counts, rate and ETA (a terminal only)."""

    def __init__(self) -> None:
        columns = (
            TextColumn("[bold]{task.description:<9}"),
            BarColumn(),
            TextColumn("{task.fields[count]}"),
            TextColumn("{task.fields[rate]}"),
            TextColumn("{task.fields[eta]}"),
        )
        self.progress = Progress(*columns, console=err_console, transient=True)
        self.tasks: dict[str, Any] = {}

    def __enter__(self) -> _Bars:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def show(self, line: PhaseLine) -> None:
        task = self.tasks.get(line.phase)
        if task is None:
            task = self.tasks[line.phase] = self.progress.add_task(
                line.phase, total=None, count="", rate="", eta=""
            )
        counting = line.phase == "reading" and not line.total
        eta = line.eta_s if line.phase == "embedding" else None
        self.progress.update(
            task,
            completed=line.done,
            total=line.total or None,
            count="counting files" if counting else f"{line.done:,}/{line.total:,} {line.unit}",
            rate=f"{line.rate:.1f}/s" if line.rate else "",
            eta=f"{int(eta) // 60}:{int(eta) % 60:02d} left" if eta else "",
        )
