"""Small shared pieces: the handler guard and conversions of custom-request params."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

log = logging.getLogger("vault_lsp")
F = TypeVar("F", bound=Callable[..., Any])


def guard(default: Callable[[], Any] | Any = None) -> Callable[[F], F]:
    """Log any exception and answer `default` instead: one bad request never stops the server."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("%s failed; answering an empty result", fn.__name__)
                return default() if callable(default) else default

        return wrapper  # type: ignore[return-value]

    return decorate


def plain(obj: Any) -> Any:
    """Custom-request params arrive as namedtuples (pygls); turn them back into dicts/lists."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, dict):
        return {k: plain(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v) for v in obj]
    return obj


def attr(obj: Any, *names: str, default: Any = None) -> Any:
    """First present attribute or key among `names` (results of sibling modules vary in shape)."""
    for name in names:
        if isinstance(obj, dict) and name in obj:
            return obj[name]
        if hasattr(obj, name):
            return getattr(obj, name)
    return default


def items_of(result: Any) -> list[Any]:
    """A list of items from a list or from a result model with `.items`/`.suggestions`."""
    if result is None:
        return []
    if isinstance(result, list | tuple):
        return list(result)
    for name in ("items", "suggestions", "related", "mentions", "results"):
        value = attr(result, name)
        if isinstance(value, list | tuple):
            return list(value)
    return []
