"""JSON-RPC the way the LSP spec says, where pygls 2 stays silent.

pygls drops a request whose params do not fit the method's type (the error is raised inside
`json.loads` and only logged), answers nothing before `initialize` or after `shutdown`, and its
framing never recovers from a wrong `Content-Length`. `VaultProtocol` answers each of these at
once (InvalidParams, ServerNotInitialized, InvalidRequest, ParseError); `serve_stdio` reads
frames so that a wrong length costs that one message, never the ones after it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import threading
from dataclasses import dataclass
from typing import Any, BinaryIO

import cattrs
from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcParseError,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger("vault_lsp")

HEADERS_RE = re.compile(rb"Content-Length:[ \t]*(\d+)[ \t]*\r?\n(?:[!-9;-~]+:[^\n]*\n)*\r?\n", re.I)
# A header line can never occur inside a JSON body (JSON strings cannot hold a raw newline), so
# seeing one there means the declared length was too long: the next message starts here.
NEXT_FRAME_RE = re.compile(rb"Content-Length:[ \t]*\d+[ \t]*\r?\n", re.I)
ID_RE = re.compile(rb'"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")')
IDLE_S = 1.0  # a body shorter than declared is handled once the client has been quiet this long
READ_CHUNK = 1 << 16


@dataclass
class Rejected:
    """A message refused before dispatch; `id` is None for a notification or an unknown id."""

    id: int | str | None
    error: JsonRpcException


def _describe(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    if isinstance(cause, cattrs.ClassValidationError):
        return "; ".join(cattrs.transform_error(cause))[:500]
    return str(cause)[:500]


class VaultProtocol(LanguageServerProtocol):
    """pygls' protocol plus the spec's answers for bad params, early and late requests."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._initialize_seen = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException as exc:
            method = data.get("method")
            if method is None:
                raise
            msg_id = data.get("id")
            why = _describe(exc)
            log.warning("invalid params for %s: %s", method, why)
            return Rejected(
                msg_id if isinstance(msg_id, int | str) else None,
                JsonRpcInvalidParams(f"Invalid params for {method}: {why}"),
            )

    def handle_message(self, message: Any) -> None:
        if isinstance(message, Rejected):
            self.reject(message.id, message.error)
            return
        if not hasattr(message, "jsonrpc") or message.jsonrpc != self.VERSION:
            self.reject(_id_of(message), JsonRpcInvalidRequest("Not a JSON-RPC 2.0 message"))
            return
        method = getattr(message, "method", None)
        is_request = method is not None and hasattr(message, "id")
        if method == types.EXIT or method is None:  # exit, or a response to our request
            super().handle_message(message)
            return
        if self._shutdown:
            if is_request:
                self.reject(message.id, JsonRpcInvalidRequest(f"{method}: the server is shut down"))
            return
        if not self._initialize_seen:
            if method == types.INITIALIZE and is_request:
                self._initialize_seen = True
                super().handle_message(message)
            elif is_request:
                self.reject(
                    message.id,
                    JsonRpcServerNotInitialized(f"{method}: send 'initialize' first"),
                )
            return
        if method == types.INITIALIZE:
            self.reject(_id_of(message), JsonRpcInvalidRequest("initialize was already received"))
            return
        super().handle_message(message)

    def reject(self, msg_id: int | str | None, error: JsonRpcException) -> None:
        """Answer a request with `error` (notifications get nothing, as the spec says)."""
        if msg_id is None:
            if isinstance(error, JsonRpcParseError | JsonRpcInvalidRequest):  # "id": null
                err = {"code": error.code, "message": error.message}
                self._send_data({"jsonrpc": self.VERSION, "id": None, "error": err})
            return
        self._send_data(types.ResponseErrorMessage(id=msg_id, error=error.to_response_error()))


def _id_of(message: Any) -> int | str | None:
    found = message.get("id") if isinstance(message, dict) else getattr(message, "id", None)
    return found if isinstance(found, int | str) else None


class FrameReader:
    """LSP frames from a byte stream, resynchronising on the next header after a bad length."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._buf = bytearray()
        self._eof = False
        self._chunks: asyncio.Queue[bytes] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        # a daemon thread: a blocked read must never keep the process alive after `exit`
        threading.Thread(target=self._pump, args=(loop,), name="lsp-stdin", daemon=True).start()

    def _pump(self, loop: asyncio.AbstractEventLoop) -> None:
        # os.read on the descriptor, not the buffered object: a daemon thread blocked inside a
        # BufferedReader aborts the interpreter at exit
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):
            fd = None
        read = (lambda n: os.read(fd, n)) if fd is not None else self._stream.read
        while True:
            try:
                chunk = read(READ_CHUNK)
            except (OSError, ValueError):
                chunk = b""
            loop.call_soon_threadsafe(self._chunks.put_nowait, chunk)
            if not chunk:
                return

    async def _fill(self, timeout: float | None = None) -> bool:
        """Wait for more bytes; False on EOF or when `timeout` passes first."""
        if self._eof:
            return False
        try:
            chunk = await asyncio.wait_for(self._chunks.get(), timeout)
        except TimeoutError:
            return False
        if not chunk:
            self._eof = True
            return False
        self._buf += chunk
        return True

    async def next_body(self) -> tuple[bytes, str | None] | None:
        """(body, what was wrong with its framing or None); None at the end of the stream.

        Linear in the message size: each arriving chunk is scanned once for a next header."""
        while True:
            headers = HEADERS_RE.search(self._buf)
            if headers is not None:
                break
            if not await self._fill():
                return None
        if headers.start() > 0:
            log.warning("skipped %d bytes between messages", headers.start())
        length, start = int(headers.group(1)), headers.end()
        scan_from = start
        while True:
            end = min(len(self._buf), start + length)
            following = NEXT_FRAME_RE.search(self._buf, scan_from, end)
            if following is not None:  # declared too long: the next message is already here
                return self._take(
                    start, following.start()
                ), "Content-Length longer than the message"
            if len(self._buf) >= start + length:
                return self._take(start, start + length), None
            scan_from = max(start, end - 64)  # a header may straddle two chunks
            if await self._fill(IDLE_S):
                continue
            if self._eof:
                return (
                    (self._take(start, end), "the stream ended mid-message")
                    if end > start
                    else None
                )
            if _is_json(bytes(self._buf[start:end])):  # quiet, and what came is a whole message
                return self._take(start, end), "Content-Length longer than the message"

    def _take(self, start: int, end: int) -> bytes:
        body = bytes(self._buf[start:end])
        del self._buf[:end]
        return body


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except ValueError:
        return False
    return True


async def serve_stdio(stop: threading.Event, stdin: BinaryIO, protocol: VaultProtocol) -> None:
    """The main loop: read a frame, parse it, dispatch it; every bad frame gets an answer."""
    frames = FrameReader(stdin)
    while not stop.is_set():
        got = await frames.next_body()
        if got is None:
            break
        body, problem = got
        if problem:
            log.warning("%s (%d bytes)", problem, len(body))
        try:
            message = json.loads(body, object_hook=protocol.structure_message)
        except ValueError as exc:
            found = ID_RE.search(body)
            msg_id = json.loads(found.group(1)) if found else None
            why = problem or "the message is not valid JSON"
            protocol.reject(msg_id, JsonRpcParseError(f"Parse error: {why} ({exc})"))
            continue
        except JsonRpcException as exc:  # a malformed response from the client: nobody to answer
            log.warning("ignoring a malformed message: %s", _describe(exc))
            continue
        try:
            protocol.handle_message(message)
        except Exception:
            log.exception("could not handle a message")
            protocol.reject(_id_of(message), JsonRpcInvalidRequest("Invalid request"))
