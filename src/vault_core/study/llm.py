"""LLM client for the study tools: Ollama, schema-constrained JSON, lenient validation, one retry.

Local models break JSON in predictable ways (code fences, chatter around the object, a bare
array, trailing commas, one bad list item). We repair what is mechanical, drop only the items that
do not validate, retry once with a stricter reminder when nothing is usable, else raise `LLMError`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from vault_core.config import LLMConfig
from vault_core.errors import VaultError
from vault_core.study.llm_json import Structured, parse_reply

M = TypeVar("M", bound=BaseModel)

STATUS_TIMEOUT_S = 3.0
RETRY_REMINDER = (
    "Your previous reply could not be used. Reply with ONE JSON object only, exactly matching the "
    "JSON schema below: no prose, no code fences, no comments, no trailing commas.\n\nSchema:\n"
)


class LLMError(VaultError, RuntimeError):
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
        import httpx  # ollama and httpx load on first use: start-up never pays for them
        import ollama

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
        import ollama

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
        import httpx
        import ollama

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
