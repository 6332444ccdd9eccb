"""Short note summaries for hover, without making hover wait for an analysis.

Order: an LLM summary already in the study cache, else the extractive `vault.analyze` summary
(computed in a background thread, then cached by the study tools), else the note's first
paragraph. Opening a document warms the summaries and related notes of everything it links to.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
from typing import TYPE_CHECKING

from vault_core.index.catalog import NoteRecord
from vault_core.parse.markdown import visible_text
from vault_lsp.common import Activity
from vault_lsp.documents import Doc
from vault_lsp.link_suggestions import LinkSuggestions

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
SUMMARY_CHARS = 320
WARM_LINKS = 12  # summaries prepared per checked document
HEADING_OR_FENCE = re.compile(r"^\s{0,3}(#{1,6}\s|```|~~~|---\s*$|\|)")


def clip(text: str, limit: int = SUMMARY_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def first_paragraph(lines: list[str], start: int = 0, max_lines: int = 3) -> str:
    """The first prose paragraph at or after 0-based `start` (headings, code, tables skipped)."""
    para: list[str] = []
    fenced = False
    for line in lines[start:]:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            fenced = not fenced
            if para:
                break
            continue
        if fenced:
            continue
        if not stripped:
            if para:
                break
            continue
        if HEADING_OR_FENCE.match(line):
            if para:
                break
            continue
        para.append(visible_text(stripped, keep_section=False))
        if len(para) >= max_lines:
            break
    return clip(" ".join(para))


class Summaries:
    """In-memory summaries by (path, sha256), filled by one background worker."""

    def __init__(self, suggestions: LinkSuggestions, activity: Activity) -> None:
        self._suggestions = suggestions
        self._activity = activity  # warming waits until no hover/completion was served for a while
        self._done: dict[tuple[str, str], str] = {}
        self._queued: set[tuple[str, str]] = set()
        self._queue: queue.Queue[tuple[Vault, str, str]] = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._work, name="nvault-summaries", daemon=True).start()

    def summary(self, vault: Vault, note: NoteRecord, text_lines: list[str]) -> tuple[str, str]:
        """(summary, source) where source is 'llm', 'extractive' or 'first paragraph'."""
        key = (note.path, note.sha256)
        with self._lock:
            done = self._done.get(key)
        if done is not None:
            return done, "extractive"
        cached = _cached_analysis(vault, note)
        if cached is not None:
            engine, text = cached
            if engine == "extractive":
                with self._lock:
                    self._done[key] = text
            return text, engine
        self.warm(vault, [note.path])
        body_start = 0
        if text_lines and text_lines[0].strip() == "---":
            body_start = next(
                (
                    i + 1
                    for i, line in enumerate(text_lines[1:], 1)
                    if line.strip() in ("---", "...")
                ),
                0,
            )
        return first_paragraph(text_lines, body_start), "first paragraph"

    def warm_links(self, vault: Vault, doc: Doc) -> None:
        """Prepare the summaries of what `doc` links to (the first WARM_LINKS notes)."""
        if doc.parsed is None:
            return
        graph = vault.graph
        targets = [graph.resolve(link, doc.rel or "").target for link in doc.parsed.links[:200]]
        self.warm(vault, [t for t in dict.fromkeys(targets) if t][:WARM_LINKS])

    def warm(self, vault: Vault, paths: list[str]) -> None:
        """Queue extractive summaries and related notes for `paths` (each once per content)."""
        for path in paths:
            note = vault.catalog.get(path)
            if note is None or note.kind != "note":
                continue
            key = (path, note.sha256)
            with self._lock:
                if key in self._done or key in self._queued:
                    continue
                self._queued.add(key)
            self._queue.put((vault, path, note.sha256))

    def _work(self) -> None:
        while True:
            vault, path, sha = self._queue.get()
            self._activity.wait_idle()
            try:
                result = vault.analyze(path, engine="extractive")
                summary = clip(result.summary or "")
                if summary:
                    with self._lock:
                        self._done[(path, sha)] = summary
                self._suggestions.related(vault, path, limit=3)
            except ImportError as exc:
                log.debug("warming %s: %s", path, exc)
            except Exception:
                log.exception("warming %s failed", path)


def _cached_analysis(vault: Vault, note: NoteRecord) -> tuple[str, str] | None:
    """An analysis already in the study cache (LLM first), without computing anything."""
    try:
        from vault_core.study.analyze import cached_analysis

        hit = cached_analysis(vault, note.path)
    except Exception:
        log.debug("study cache unavailable", exc_info=True)
        return None
    if hit is None or not hit.summary:
        return None
    return hit.meta.engine, clip(hit.summary)
