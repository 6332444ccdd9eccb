"""Small shared pieces: the handler guard, custom-request params, and when a request was last served."""

from __future__ import annotations

import functools
import logging
import threading
import time
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


class Activity:
    """When an editor request was last served: background work (summaries) yields the CPU for
    `idle_s` after each one, so hover and completion never wait behind it."""

    def __init__(self, idle_s: float = 0.5) -> None:
        self.idle_s = idle_s
        self._busy_until = 0.0
        self._lock = threading.Lock()

    def touch(self) -> None:
        with self._lock:
            self._busy_until = time.monotonic() + self.idle_s

    def wait_idle(self) -> None:
        """Return once no request has been served for `idle_s`."""
        while (wait := self._busy_until - time.monotonic()) > 0:
            time.sleep(wait)
