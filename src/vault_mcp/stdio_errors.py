"""Stdio that answers what it cannot read: -32700 for a line that is not JSON (or nested past
the parser's limit), -32600 for JSON that is no JSON-RPC message (a batch, a number, an object
without `jsonrpc`/`method`).

The SDK's stdio transport hands such lines to the server as exceptions, and the server drops
them without a word, so a client with a malformed request waited for its own timeout. This wraps
the SDK's read stream only: every valid message passes through unchanged, in order.
"""

from __future__ import annotations

import logging
from types import TracebackType
from typing import Any, Self

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage
from mcp_types import INVALID_REQUEST, PARSE_ERROR, ErrorData, JSONRPCError
from pydantic import ValidationError

log = logging.getLogger("vault_mcp")


def error_for(exc: Exception) -> JSONRPCError:
    """The JSON-RPC error answering one unreadable line (id null unless the line had one)."""
    request_id: Any = None
    code, message = PARSE_ERROR, "Parse error: the line is not valid JSON"
    if isinstance(exc, ValidationError):
        errors = exc.errors(include_url=False)
        if not any(e["type"] == "json_invalid" for e in errors):
            code = INVALID_REQUEST
            message = (
                "Invalid Request: not a JSON-RPC 2.0 message (batches are not supported; send "
                "one object with jsonrpc, method and id per line)"
            )
            request_id = _request_id(errors)
    return JSONRPCError(jsonrpc="2.0", id=request_id, error=ErrorData(code=code, message=message))


def _request_id(errors: list[Any]) -> Any:
    for err in errors:
        given = err.get("input")
        request_id = given.get("id") if isinstance(given, dict) else None
        if isinstance(request_id, str | int) and not isinstance(request_id, bool):
            return request_id
    return None


class AnsweringReader:
    """The SDK's read stream, minus the exceptions: each is answered on the write stream."""

    def __init__(self, inner: Any, write: Any) -> None:
        self._inner = inner
        self._write = write

    @property
    def last_context(self) -> Any:
        return getattr(self._inner, "last_context", None)

    async def receive(self) -> SessionMessage:
        while True:
            item = await self._inner.receive()
            if not isinstance(item, Exception):
                return item
            answer = error_for(item)
            log.warning("answered an unreadable stdio line with %s", answer.error.code)
            await self._write.send(SessionMessage(answer))

    async def aclose(self) -> None:
        await self._inner.aclose()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> SessionMessage:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        await self.aclose()
        return None


async def serve_stdio(server: MCPServer) -> None:
    """`server.run("stdio")`, with unreadable lines answered (see module doc)."""
    async with stdio_server() as (read_stream, write_stream):
        low = server._lowlevel_server
        await low.run(
            AnsweringReader(read_stream, write_stream),
            write_stream,
            low.create_initialization_options(),
        )
