"""The one way a test waits for something: poll a condition until it holds, never sleep a guess.

`wait_for` for plain tests, `await_for` for async ones (the LSP client); both return the
condition's first truthy value and fail with what they waited for.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")


def _timed_out(what: str, timeout: float, last: object) -> AssertionError:
    return AssertionError(f"{what or 'condition'} not met within {timeout}s (last: {last!r})")


def wait_for(
    predicate: Callable[[], T],
    timeout: float = 60.0,
    every: float = 0.05,
    what: str = "",
    ignore: tuple[type[Exception], ...] = (),
) -> T:
    """Poll until `predicate()` is truthy; its value, or AssertionError on timeout. Exceptions
    of the `ignore` types count as "not yet" (an index being rebuilt under the reader)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except ignore:
            value = None  # type: ignore[assignment]
        if value:
            return value
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout, value)
        time.sleep(every)


async def await_for(
    predicate: Callable[[], Any | Awaitable[Any]],
    timeout: float = 60.0,
    every: float = 0.2,
    what: str = "",
) -> Any:
    """`wait_for` inside an event loop: the predicate may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise _timed_out(what, timeout, value)
        await asyncio.sleep(every)
