"""Shared pieces of the study tools (analyze, compare, quiz): result models, engine choice, cache.

Every result names the engine that produced it and cites lines of the note it came from; the
cache key covers the note's sha256, so a changed note is never served a stale answer.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from vault_core.study.llm import LLMClient, LLMUnavailable
from vault_core.study.text import WORD_RE, Unit, normalize_ws, plain
from vault_core.wire import Location

CACHE_VERSION = 3  # 2: candidate links come from related(); 3: link_text, quiz distractors
Engine = Literal["llm", "extractive"]
EngineChoice = Literal["auto", "llm", "extractive"]
QuestionType = Literal["mcq", "true_false", "cloze"]
R = TypeVar("R", bound=BaseModel)


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Citation(Location, Closed):
    """Where a claim comes from: `quote` is verbatim text of lines `start_line..end_line`."""

    start_line: int = Field(ge=1)
    end_line: int = Field(ge=1)
    quote: str

    @classmethod
    def of(cls, path: str, unit: Unit) -> Citation:
        """A unit's own lines, quoted verbatim."""
        return cls(path=path, start_line=unit.start_line, end_line=unit.end_line, quote=unit.text)


class KeyPoint(Closed):
    text: str
    citation: Citation


class KeyTerm(Closed):
    term: str
    weight: float
    kind: Literal["term", "entity", "code"] = "term"


class LinkCandidate(Closed):
    path: str
    title: str
    link_text: str = Field(
        description="what to write inside [[ ]]: the name the link resolver reads as this note"
    )
    score: float
    reason: str


class StudyMeta(Closed):
    """Provenance shared by every study result."""

    engine: Engine
    model: str | None = None
    engine_reason: str = ""
    cached: bool = False
    warnings: list[str] = Field(default_factory=list)

    def origin(self) -> str:
        """Which engine answered, as the rendered results say it: `llm (model), cached`."""
        model = f" ({self.model})" if self.model else ""
        return self.engine + model + (", cached" if self.cached else "")


class AnalyzeResult(Closed):
    path: str
    title: str
    sha256: str
    meta: StudyMeta
    summary: str
    key_points: list[KeyPoint]
    terms: list[KeyTerm]
    open_questions: list[str]
    suggested_tags: list[str]
    candidate_links: list[LinkCandidate]


class Agreement(Closed):
    text: str
    a: Citation
    b: Citation
    similarity: float | None = None


class Difference(Closed):
    text: str
    a: Citation
    b: Citation
    contradiction: bool = False


class SideOnly(Closed):
    text: str
    citation: Citation
    terms: list[str] = Field(default_factory=list)


class Answer(Closed):
    text: str
    citations: list[Citation]


class CompareResult(Closed):
    a: str
    b: str
    a_title: str
    b_title: str
    meta: StudyMeta
    agreements: list[Agreement]
    differences: list[Difference]
    only_in_a: list[SideOnly]
    only_in_b: list[SideOnly]
    question: str | None = None
    answer: Answer | None = None


class Question(Closed):
    type: QuestionType
    prompt: str
    options: list[str]
    correct_index: int = Field(ge=0)
    explanation: str
    citation: Citation

    @property
    def answer(self) -> str:
        return self.options[self.correct_index]


class QuizResult(Closed):
    scope: str
    scope_kind: Literal["note", "folder", "tag", "query"]
    paths: list[str]
    requested: int
    types: list[QuestionType]
    meta: StudyMeta
    questions: list[Question]


# ---------------------------------------------------------------- engine choice


def choose_engine(requested: EngineChoice, client: LLMClient) -> tuple[Engine, str]:
    """`auto` takes the LLM only when Ollama answers and the model is pulled; `llm` insists.
    `extractive` asks nothing of Ollama: the editor's hover summaries are extractive, and
    probing would load the HTTP client (~9 MB in a language server) for an answer never used."""
    if requested == "extractive":
        return "extractive", "requested"
    status = client.status()
    if status.ok:
        return "llm", f"{status.model} on {status.host}"
    if requested == "llm":
        raise LLMUnavailable(f"{status.error}; {status.fix}")
    return "extractive", f"LLM unavailable ({status.error}); to enable: {status.fix}"


# ---------------------------------------------------------------- cache


class StudyCache:
    """`<index_dir>/study-cache/<key>.json`, one file per result, replaced atomically.

    Bounded: a hit refreshes the file's mtime, and when the folder outgrows `max_bytes` the least
    recently used entries go (answers for old versions of notes age out this way too).
    """

    PRUNE_EVERY = 32  # puts between size checks (a check lists the folder)

    def __init__(self, index_dir: Path, max_bytes: int = 64 * 1024 * 1024) -> None:
        self.dir = Path(index_dir) / "study-cache"
        self.max_bytes = max_bytes
        self._puts = 0

    @staticmethod
    def key(tool: str, shas: Sequence[str], engine: str, model: str | None, args: Any) -> str:
        blob = json.dumps(
            [CACHE_VERSION, tool, list(shas), engine, model, args], sort_keys=True, default=str
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:40]

    def get(self, key: str, model: type[R]) -> R | None:
        path = self.dir / f"{key}.json"
        try:
            value = model.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValidationError, ValueError):
            return None  # missing, torn by an old crash, or from an older schema: recompute
        with contextlib.suppress(OSError):
            os.utime(path)  # recently used: the last to be pruned
        return value

    def put(self, key: str, value: BaseModel) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=f".{key}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(value.model_dump_json())
            os.replace(tmp, self.dir / f"{key}.json")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        if self._puts % self.PRUNE_EVERY == 0:
            self.prune()
        self._puts += 1

    def prune(self) -> int:
        """Drop least recently used entries until the cache fits `max_bytes`; returns how many."""
        entries = []
        for path in self.dir.glob("*.json"):
            with contextlib.suppress(OSError):
                st = path.stat()
                entries.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in entries)
        removed = 0
        for _, size, path in sorted(entries, key=lambda e: e[0]):
            if total <= self.max_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                removed += 1
            total -= size
        return removed


# ---------------------------------------------------------------- citations from an LLM


def numbered(text: str, start: int = 1, end: int | None = None) -> str:
    """Note text with `N| ` line prefixes, so a model can cite lines it can see."""
    lines = text.split("\n")
    end = end or len(lines)
    return "\n".join(f"{n}| {lines[n - 1]}" for n in range(start, end + 1) if lines[n - 1].strip())


def _words(text: str) -> set[str]:
    return {w.casefold() for w in WORD_RE.findall(plain(text)) if len(w) > 2}


def locate(
    text: str, path: str, quote: str, start: int, end: int, hint: str = ""
) -> Citation | None:
    """A verified citation for a model's claim, or None when nothing in the note supports it.

    Tries the quote verbatim (anywhere in the note), then the model's own line range if it
    shares most words with the claim, then the best window of up to 3 lines.
    """
    lines = text.split("\n")
    n = len(lines)
    q = normalize_ws(quote).casefold()
    if len(q) >= 8:
        near = list(range(max(start - 1, 0), min(end, n)))
        for i in [*near, *range(n)]:  # the model's own range first, then anywhere
            for width in (1, 2, 3, 4):
                window = normalize_ws(" ".join(lines[i : i + width])).casefold()
                if q in window:
                    j = i + width
                    return Citation(path=path, start_line=i + 1, end_line=j, quote=quote.strip())
    want = _words(quote) or _words(hint)
    if not want:
        return None

    def support(a: int, b: int) -> float:
        return len(want & _words(" ".join(lines[a - 1 : b]))) / len(want)

    if 1 <= start <= end <= n and end - start < 12 and support(start, end) >= 0.6:
        return Citation(path=path, start_line=start, end_line=end, quote=_span(lines, start, end))
    best, where = 0.0, (0, 0)
    for i in range(1, n + 1):
        for width in (0, 1, 2):
            if i + width <= n and (s := support(i, i + width)) > best + 1e-9:
                best, where = s, (i, i + width)
    if best >= 0.6:
        return Citation(
            path=path, start_line=where[0], end_line=where[1], quote=_span(lines, *where)
        )
    return None


def _span(lines: list[str], start: int, end: int, limit: int = 300) -> str:
    quote = normalize_ws(" ".join(lines[start - 1 : end]))
    return quote[:limit].rstrip()  # a prefix, so it is still verbatim text of those lines


def render_citation(c: Citation) -> str:
    return f"[{c.citation}]"
