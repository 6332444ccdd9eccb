"""JSON-RPC by the spec, tested with raw bytes over stdio against the real `vault-lsp` process:
bad params, requests before `initialize` and after `shutdown`, garbage and wrong Content-Length
each get an answer, and the server keeps answering afterwards."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.timeout(300)
REPLY_WAIT_S = 60.0  # a generous ceiling for a busy machine; not a timing assertion


class RawClient:
    """Frames JSON-RPC by hand so a test can send exactly the bytes it wants."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vault_lsp", "--root", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=open(os.environ.get("RAW_LSP_STDERR", os.devnull), "wb"),  # noqa: SIM115
        )
        self._buf = b""
        self._replies: list[dict[str, Any]] = []  # read while waiting for another id

    def send_bytes(self, body: bytes, length: int | None = None) -> None:
        header = f"Content-Length: {len(body) if length is None else length}\r\n\r\n"
        assert self.proc.stdin is not None
        self.proc.stdin.write(header.encode() + body)
        self.proc.stdin.flush()

    def send(self, message: dict[str, Any], length_delta: int = 0) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.send_bytes(body, len(body) + length_delta)

    def reply(self, msg_id: Any) -> dict[str, Any]:
        """The response with `msg_id` (notifications are skipped, other replies kept for later)."""
        for kept in self._replies:
            if kept.get("id") == msg_id:
                self._replies.remove(kept)
                return kept
        deadline = time.monotonic() + REPLY_WAIT_S
        while time.monotonic() < deadline:
            message = self._next(deadline)
            if message is None or "method" in message:
                continue
            if message.get("id") == msg_id:
                return message
            self._replies.append(message)
        raise AssertionError(f"no reply to {msg_id!r}")

    def _next(self, deadline: float) -> dict[str, Any] | None:
        assert self.proc.stdout is not None
        while True:
            if b"\r\n\r\n" in self._buf:
                head, rest = self._buf.split(b"\r\n\r\n", 1)
                length = int(head.split(b"\r\n")[0].split(b":")[1])
                if len(rest) >= length:
                    self._buf = rest[length:]
                    return json.loads(rest[:length])
            if time.monotonic() > deadline:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    return None
                self._buf += chunk

    def initialize(self) -> None:
        self.send({"id": "init", "method": "initialize", "params": {"capabilities": {}}})
        assert "capabilities" in self.reply("init")["result"]
        self.send({"method": "initialized", "params": {}})

    def status(self, msg_id: int) -> dict[str, Any]:
        self.send({"id": msg_id, "method": "nvault/status", "params": {}})
        return self.reply(msg_id)


@pytest.fixture
def raw(tmp_path: Path) -> Iterator[RawClient]:
    (tmp_path / "a.md").write_text("# A\nSee [[b]].\n", encoding="utf-8")
    (tmp_path / "b.md").write_text("# B\n", encoding="utf-8")
    client = RawClient(tmp_path)
    yield client
    if client.proc.poll() is None:
        client.proc.kill()
    client.proc.wait(30)


def _hover(msg_id: int, params: Any) -> dict[str, Any]:
    return {"id": msg_id, "method": "textDocument/hover", "params": params}


def test_request_before_initialize_is_server_not_initialized(raw: RawClient) -> None:
    raw.send(
        _hover(
            1, {"textDocument": {"uri": "file:///a.md"}, "position": {"line": 0, "character": 0}}
        )
    )
    assert raw.reply(1)["error"]["code"] == -32002
    raw.send({"method": "textDocument/didOpen", "params": {}})  # notifications are dropped
    raw.initialize()
    assert "result" in raw.status(2)


def test_malformed_params_get_invalid_params(raw: RawClient) -> None:
    raw.initialize()
    raw.send(_hover(1, {"textDocument": {"uri": "file:///a.md"}}))
    error = raw.reply(1)["error"]
    assert error["code"] == -32602 and "position" in error["message"]
    raw.send(_hover(2, [1, 2]))
    assert raw.reply(2)["error"]["code"] == -32602
    raw.send({"id": 3, "method": "textDocument/definition", "params": None})
    assert raw.reply(3)["error"]["code"] == -32602
    raw.send(
        {"method": "textDocument/didChange", "params": {"bogus": 1}}
    )  # no reply to a notification
    assert "result" in raw.status(4)


def test_second_initialize_and_request_after_shutdown_are_invalid_requests(raw: RawClient) -> None:
    raw.initialize()
    raw.send({"id": 1, "method": "initialize", "params": {"capabilities": {}}})
    assert raw.reply(1)["error"]["code"] == -32600
    raw.send({"id": 2, "method": "shutdown"})
    assert raw.reply(2)["result"] is None
    raw.send({"id": 3, "method": "nvault/status", "params": {}})
    error = raw.reply(3)["error"]
    assert error["code"] == -32600 and "shut down" in error["message"]
    raw.send({"method": "exit"})
    assert raw.proc.wait(30) == 0


def test_wrong_content_length_costs_one_message_at_most(raw: RawClient) -> None:
    raw.initialize()
    # too long, followed by a good message: both are answered
    raw.send({"id": 1, "method": "nvault/status", "params": {}}, length_delta=40)
    assert "result" in raw.status(2)
    assert "result" in raw.reply(1)
    # too short: that message gets a parse error (its id recovered), the next one is answered
    raw.send({"id": 3, "method": "nvault/status", "params": {}}, length_delta=-5)
    error = raw.reply(3)["error"]
    assert error["code"] == -32700
    assert "result" in raw.status(4)
    # too long with nothing after it: answered once the client goes quiet
    raw.send({"id": 5, "method": "nvault/status", "params": {}}, length_delta=100)
    assert "result" in raw.reply(5)
    # not JSON at all: a parse error with a null id, and the server goes on
    raw.send_bytes(b"{this is not json")
    error = raw.reply(None)["error"]
    assert error["code"] == -32700
    raw.send_bytes(b"[1, 2]")
    assert raw.reply(None)["error"]["code"] == -32600
    assert "result" in raw.status(6)
