"""A header-read deadline for the HTTP transport: a client that opens a connection and then
dribbles (or never finishes) its request headers is cut off.

uvicorn has a keep-alive timeout between requests but none for a request's headers, so 50
half-sent requests stayed open for as long as their senders liked. Its h11 protocol is kept
whole; this subclass only arms a timer whenever the connection waits for a new request and
closes the connection if the headers are not in by then.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

HEADER_TIMEOUT_ENV = "NVAULT_HTTP_HEADER_TIMEOUT_S"
HEADER_TIMEOUT_S = 10.0


def header_timeout_s() -> float:
    """Seconds a connection may take to send a request's headers (`$NVAULT_HTTP_HEADER_TIMEOUT_S`)."""
    try:
        return float(os.environ.get(HEADER_TIMEOUT_ENV) or HEADER_TIMEOUT_S)
    except ValueError:
        return HEADER_TIMEOUT_S


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request headers take too long."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.header_timeout_s = header_timeout_s()
        self._header_timer: asyncio.TimerHandle | None = None

    def _waiting_for_request(self) -> bool:
        return self.cycle is None or self.cycle.response_complete

    def _arm(self) -> None:
        if self._header_timer is None and self._waiting_for_request():
            self._header_timer = self.loop.call_later(self.header_timeout_s, self._expire)

    def _expire(self) -> None:
        self._header_timer = None
        if self._waiting_for_request() and not self.transport.is_closing():
            self.logger.info("closing a connection whose request headers took too long")
            self.transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        self._arm()  # a new request may be starting: its headers get the deadline
        super().data_received(data)
        if not self._waiting_for_request() and self._header_timer is not None:
            self._header_timer.cancel()  # the headers are in; the app handles the rest
            self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None
        super().connection_lost(exc)
