"""Turning a local model's reply into a validated pydantic object.

Local models break JSON in predictable ways (code fences, chatter around the object, a bare
array, trailing commas, one bad list item). We repair what is mechanical and drop only the items
that do not validate; the client (llm.py) retries once when nothing is usable.
"""

from __future__ import annotations

import json
import re
import typing
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


@dataclass
class Structured(Generic[M]):
    """A validated reply plus what it took to get it (for logs and result metadata)."""

    value: M
    attempts: int
    dropped: int = 0
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- JSON repair

_FENCE = re.compile(r"```[a-zA-Z0-9_-]*\s*\n?(.*?)```", re.DOTALL)


def _structural(text: str, start: int = 0) -> Iterator[tuple[int, str]]:
    """(index, char) of every character outside JSON strings (quotes included), from `start`."""
    in_str = esc = False
    for i in range(start, len(text)):
        ch = text[i]
        if not in_str:
            in_str = ch == '"'
            yield i, ch
        elif esc:
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == '"':
            in_str = False


def _strip_trailing_commas(text: str) -> str:
    """Remove commas directly before `}` or `]`, ignoring anything inside strings."""
    drop = {
        i for i, ch in _structural(text) if ch == "," and text[i + 1 :].lstrip()[:1] in ("}", "]")
    }
    return "".join(ch for i, ch in enumerate(text) if i not in drop)


def _balanced_span(text: str, start: int) -> str | None:
    """The JSON value starting at `start` (a `{` or `[`), matched to its closing bracket."""
    depth = 0
    for i, ch in _structural(text, start):
        if ch in "{[":
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
