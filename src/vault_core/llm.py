"""LLM client for the study tools: Ollama, schema-constrained JSON, lenient validation, one retry.

Local models break JSON in predictable ways (code fences, chatter around the object, a bare
array, trailing commas, one bad list item). We repair what is mechanical, drop only the items that
do not validate, retry once with a stricter reminder when nothing is usable, else raise `LLMError`.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx
import ollama
from pydantic import BaseModel, ConfigDict, ValidationError

from vault_core.config import LLMConfig

M = TypeVar("M", bound=BaseModel)

STATUS_TIMEOUT_S = 3.0
RETRY_REMINDER = (
    "Your previous reply could not be used. Reply with ONE JSON object only, exactly matching the "
    "JSON schema below: no prose, no code fences, no comments, no trailing commas.\n\nSchema:\n"
)


class LLMError(RuntimeError):
    """The model could not give a usable answer; the message says why and what to do."""


class LLMUnavailable(LLMError):
    """Ollama is not reachable or the model is not pulled."""


class LLMTimeout(LLMError):
    """The model did not answer within `timeout_s`."""


class LLMCancelled(LLMError):
    """The caller cancelled the request (e.g. the editor closed the hover)."""


class LLMStatus(BaseModel):
    """What `doctor` reports: can we use the LLM engine, and if not, how to fix it."""

    model_config = ConfigDict(extra="forbid")

    host: str
    model: str
    reachable: bool
    model_present: bool
    version: str | None = None
    models: list[str] = []
    error: str | None = None
    fix: str | None = None

    @property
    def ok(self) -> bool:
        return self.reachable and self.model_present


@dataclass
class Structured(Generic[M]):
    """A validated reply plus what it took to get it (for logs and result metadata)."""

    value: M
    attempts: int
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- text budget


def condense(passages: Sequence[tuple[str, float]], max_chars: int, sep: str = "\n…\n") -> str:
    """Keep the best-scoring passages that fit in `max_chars`, joined in their original order.

    `passages` are in document order; a long note is cut down to its most relevant chunks instead
    of being truncated at an arbitrary character.
    """
    if sum(len(t) for t, _ in passages) + len(sep) * max(len(passages) - 1, 0) <= max_chars:
        return sep.join(t for t, _ in passages)
    order = sorted(range(len(passages)), key=lambda i: (-passages[i][1], i))
    kept: list[int] = []
    used = 0
    for i in order:
        cost = len(passages[i][0]) + (len(sep) if kept else 0)
        if used + cost <= max_chars:
            kept.append(i)
            used += cost
    if not kept and passages:  # even the best passage is too long: cut it
        return passages[order[0]][0][:max_chars]
    return sep.join(passages[i][0] for i in sorted(kept))


# ---------------------------------------------------------------- JSON repair

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)


def _strip_trailing_commas(text: str) -> str:
    """Remove commas directly before `}` or `]`, ignoring anything inside strings."""
    out: list[str] = []
    in_str = esc = False
    for i, ch in enumerate(text):
        if in_str:
            out.append(ch)
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
            continue
        if ch == '"':
            in_str = True
        elif ch == ",":
            rest = text[i + 1 :].lstrip()
            if rest[:1] in ("}", "]"):
                continue
        out.append(ch)
    return "".join(out)


def _balanced_span(text: str, start: int) -> str | None:
    """The JSON value starting at `start` (a `{` or `[`), matched to its closing bracket."""
    depth = 0
    in_str = esc = False
    for i in range(start, len(text)):
        ch = text[i]
        if in_str:
            if esc:
                esc = False
            elif ch == "\\":
                esc = True
            elif ch == '"':
                in_str = False
        elif ch == '"':
            in_str = True
        elif ch in "{[":
            depth += 1
        elif ch in "}]":
            depth -= 1
            if depth == 0:
                return text[start : i + 1]
    return None


def extract_json(text: str) -> Any:
    """Best-effort parse of the JSON value in a model reply; raises ValueError if there is none."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    for cand in candidates:
        for m in re.finditer(r"[\[{]", cand):
            span = _balanced_span(cand, m.start())
            if span is None:
                continue
            for attempt in (span, _strip_trailing_commas(span)):
                try:
                    return json.loads(attempt)
                except json.JSONDecodeError:
                    pass
    raise ValueError("no JSON object or array found in the reply")


# ---------------------------------------------------------------- lenient validation


def _list_item_model(annotation: Any) -> type[BaseModel] | None:
    """`SubModel` if the annotation is `list[SubModel]` (possibly Optional), else None."""
    origin = typing.get_origin(annotation)
    if origin in (list, Sequence):
        (arg,) = typing.get_args(annotation) or (None,)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
        return None
    if origin is not None:  # Union / Optional
        for arg in typing.get_args(annotation):
            found = _list_item_model(arg)
            if found:
                return found
    return None


def _is_list(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin in (list, Sequence):
        return True
    return origin is not None and any(_is_list(a) for a in typing.get_args(annotation))


def _coerce_top(schema: type[BaseModel], data: Any) -> Any:
    """Fix the common shape mistakes: a bare array, a one-element array, a wrapper object."""
    fields = schema.model_fields
    if isinstance(data, list):
        if len(data) == 1 and isinstance(data[0], dict):
            return data[0]
        list_fields = [n for n, f in fields.items() if _is_list(f.annotation)]
        if len(list_fields) == 1:
            return {list_fields[0]: data}
        return data
    if isinstance(data, dict) and len(data) == 1 and not (set(data) & set(fields)):
        (inner,) = data.values()
        if isinstance(inner, dict) and set(inner) & set(fields):
            return inner  # {"result": {...}}
    return data


def validate_lenient(schema: type[M], data: Any) -> tuple[M, int, int, list[str]]:
    """Validate, dropping only malformed list items and unknown top-level keys.

    Returns (value, items kept, items dropped, warnings). Raises ValidationError/ValueError when
    the object itself is unusable.
    """
    data = _coerce_top(schema, data)
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    warnings: list[str] = []
    clean: dict[str, Any] = {}
    kept = dropped = 0
    for key, value in data.items():
        info = schema.model_fields.get(key)
        if info is None:
            warnings.append(f"ignored unknown key {key!r}")
            continue
        if _is_list(info.annotation) and isinstance(value, dict | str):
            value = [value]  # an object (or a string) where an array was expected
        item_model = _list_item_model(info.annotation)
        if item_model is not None and isinstance(value, list):
            good = []
            for n, item in enumerate(value):
                if isinstance(item, list) and len(item) == 1:
                    item = item[0]
                try:
                    good.append(item_model.model_validate(item))
                except ValidationError as exc:
                    dropped += 1
                    warnings.append(f"dropped {key}[{n}]: {exc.errors()[0]['msg']}")
            kept += len(good)
            value = good
        clean[key] = value
    return schema.model_validate(clean), kept, dropped, warnings


def parse_reply(schema: type[M], text: str) -> Structured[M]:
    """Turn one raw model reply into a validated `schema`, or raise ValueError/ValidationError."""
    try:
        return Structured(schema.model_validate_json(text), attempts=1)
    except ValidationError:
        pass
    value, kept, dropped, warnings = validate_lenient(schema, extract_json(text))
    if dropped and not kept:
        raise ValueError(f"every list item was malformed ({dropped} dropped)")
    return Structured(value, attempts=1, dropped=dropped, warnings=warnings)


# ---------------------------------------------------------------- client


def _model_matches(wanted: str, have: str) -> bool:
    if ":" not in wanted:
        wanted += ":latest"
    if ":" not in have:
        have += ":latest"
    return wanted == have


class LLMClient:
    """One configured Ollama endpoint + model. Thread-safe; each request uses its own connection."""

    def __init__(self, config: LLMConfig | None = None) -> None:
        self.config = config or LLMConfig()
        self._status: LLMStatus | None = None
        self._status_at = 0.0
        self._lock = threading.Lock()

    @property
    def model(self) -> str:
        return self.config.model

    def status(self, max_age_s: float = 30.0) -> LLMStatus:
        """Reachability and model presence, cached for `max_age_s` (a hover must not probe)."""
        with self._lock:
            if self._status and time.monotonic() - self._status_at < max_age_s:
                return self._status
        st = self._probe()
        with self._lock:
            self._status, self._status_at = st, time.monotonic()
        return st

    def _probe(self) -> LLMStatus:
        host, model = self.config.host, self.config.model
        timeout = min(self.config.timeout_s, STATUS_TIMEOUT_S)
        base = dict(host=host, model=model)
        try:
            with ollama.Client(host=host, timeout=timeout) as client:
                names = [m.model or "" for m in client.list().models]
                version = None
                with contextlib.suppress(httpx.HTTPError, ValueError):
                    version = client._client.get("/api/version").json().get("version")
        except (ConnectionError, httpx.HTTPError, ollama.ResponseError) as exc:
            return LLMStatus(
                **base,
                reachable=False,
                model_present=False,
                error=f"Ollama is not reachable at {host}: {exc}",
                fix="install Ollama (https://ollama.com) and run `ollama serve`, or set llm.host; "
                "the study tools fall back to the extractive engine meanwhile",
            )
        present = any(_model_matches(model, n) for n in names)
        return LLMStatus(
            **base,
            reachable=True,
            model_present=present,
            version=version,
            models=names,
            error=None if present else f"model {model!r} is not pulled on {host}",
            fix=None
            if present
            else f"run `ollama pull {model}` (or set llm.model to one of "
            f"{', '.join(names) or 'your pulled models'})",
        )

    def chat_text(
        self,
        messages: list[dict[str, str]],
        *,
        fmt: dict[str, Any] | str | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """One non-streaming chat call with a hard deadline; abortable through `cancel`."""
        timeout = self.config.timeout_s
        client = ollama.Client(host=self.config.host, timeout=timeout)
        box: dict[str, Any] = {}

        def run() -> None:
            try:
                resp = client.chat(
                    model=self.config.model,
                    messages=messages,
                    format=fmt,
                    options={"temperature": 0},
                )
                box["text"] = resp.message.content or ""
            except BaseException as exc:
                box["error"] = exc

        worker = threading.Thread(target=run, name="nvault-llm", daemon=True)
        worker.start()
        deadline = time.monotonic() + timeout + 1.0
        try:
            while worker.is_alive():
                if cancel is not None and cancel.is_set():
                    raise LLMCancelled("the LLM request was cancelled")
                if time.monotonic() > deadline:
                    raise LLMTimeout(self._timeout_msg())
                worker.join(0.05)
        finally:
            if worker.is_alive():
                client.close()  # abort the in-flight request; the thread exits on its own
        if "error" in box:
            raise self._translate(box["error"]) from box["error"]
        client.close()
        return box["text"]

    def _timeout_msg(self) -> str:
        return (
            f"{self.config.model} did not answer within {self.config.timeout_s:g}s; raise "
            "llm.timeout_s, use a smaller model, or use engine='extractive'"
        )

    def _translate(self, exc: BaseException) -> LLMError:
        if isinstance(exc, httpx.TimeoutException):
            return LLMTimeout(self._timeout_msg())
        if isinstance(exc, ConnectionError | httpx.TransportError):
            return LLMUnavailable(f"Ollama is not reachable at {self.config.host}: {exc}")
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == 404:
                return LLMUnavailable(
                    f"model {self.config.model!r} is not available: {exc.error}; "
                    f"run `ollama pull {self.config.model}`"
                )
            return LLMError(f"Ollama error: {exc}")
        return LLMError(f"LLM request failed: {exc!r}")

    def structured(
        self,
        schema: type[M],
        system: str,
        user: str,
        *,
        cancel: threading.Event | None = None,
    ) -> Structured[M]:
        """Ask for one `schema` object; repair and validate it; retry once; else `LLMError`."""
        json_schema = schema.model_json_schema()
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        problems: list[str] = []
        for attempt in (1, 2):
            text = self.chat_text(messages, fmt=json_schema, cancel=cancel)
            try:
                result = parse_reply(schema, text)
            except (ValueError, ValidationError) as exc:
                problems.append(f"attempt {attempt}: {str(exc).splitlines()[0]}")
                reminder = RETRY_REMINDER + json.dumps(json_schema)
                messages = [
                    *messages[:2],
                    {"role": "assistant", "content": text[:2000]},
                    {"role": "user", "content": reminder},
                ]
                continue
            result.attempts = attempt
            return result
        raise LLMError(
            f"{self.config.model} returned no usable {schema.__name__} after 2 attempts "
            f"({'; '.join(problems)}); try a larger model or engine='extractive'"
        )
