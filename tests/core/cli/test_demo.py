"""`nvault demo` as a newcomer runs it: a real process on the shipped sample vault, offline."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from vault_cli.demo import demo_source


def test_the_sample_vault_ships_notes_a_pdf_and_a_docx() -> None:
    source = demo_source()
    notes = list(source.rglob("*.md"))
    assert 45 <= len(notes) <= 60
    assert (source / "attachments" / "memory-research-summary.pdf").stat().st_size < 20_000
    assert (source / "attachments" / "study-plan.docx").stat().st_size < 60_000
    linked = [n for n in notes if "[[" in n.read_text(encoding="utf-8")]
    assert len(linked) > len(notes) // 2


def test_nvault_demo_shows_each_job_on_a_copy(tmp_path: Path) -> None:
    before = sorted(p.relative_to(demo_source()) for p in demo_source().rglob("*"))
    target = tmp_path / "demo"
    env = {"OLLAMA_HOST": "http://127.0.0.1:9"}  # offline: no LLM anywhere
    done = subprocess.run(
        [sys.executable, "-m", "vault_cli.main", "demo", "--dir", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "indexed 52 notes and 2 attachments" in out
    assert "1. concepts/Spacing Effect.md:" in out  # hybrid search, cited by lines
    assert "attachments/memory-research-summary.pdf p. 2" in out  # type:pdf, cited by page
    assert "2. Related notes" in out and "[[Testing Effect]]" in out
    assert "-> [[Working Memory]]" in out and "-> [[Cognitive Load]]" in out
    assert "Spaced Repetition  ·  techniques/Spaced Repetition.md" in out
    assert "Review each item just before you would forget it" in out  # the hover summary
    assert f"vault-mcp --root {target}" in out and "vault-lsp" in out
    assert (target / ".nvault").is_dir()  # the copy was indexed ...
    after = sorted(p.relative_to(demo_source()) for p in demo_source().rglob("*"))
    assert after == before  # ... and the shipped vault was not touched
    again = subprocess.run(
        [sys.executable, "-m", "vault_cli.main", "demo", "--dir", str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode != 0 and "already exists" in again.stderr
