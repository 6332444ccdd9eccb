"""The early `initialize` answer of both stdio servers (vault_stdio): real processes over pipes.

The first start is answered by the server itself and fills the cache; the next start of the same
server with the same request is answered from the cache, and the server behind it still serves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from vault_files import write_files

from bench.mcp_wire import initialize_request
from vault_stdio.early_answer import cache_dir, frame, split_message

Message = dict[str, Any]


class Client:
    """A raw JSON-RPC client over a server's stdin/stdout, in either framing."""

    def __init__(self, argv: list[str], framing: str, cwd: Path) -> None:
        self.framing = framing
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )

    def send(self, message: Message) -> None:
        assert self.proc.stdin
        self.proc.stdin.write(frame(json.dumps(message).encode(), self.framing))  # type: ignore[arg-type]
        self.proc.stdin.flush()

    def receive(self) -> Message:
        out = self.proc.stdout
        assert out
        if self.framing == "lines":
            return json.loads(out.readline())
        length = 0
        while line := out.readline().strip():
            if line.lower().startswith(b"content-length"):
                length = int(line.split(b":")[1])
        return json.loads(out.read(length))

    def until(self, wanted_id: int) -> list[Message]:
        seen = []
        while True:
            message = self.receive()
            seen.append(message)
            if message.get("id") == wanted_id and "method" not in message:
                return seen

    def finish(self) -> tuple[int, bytes]:
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.close()
        rest = self.proc.stdout.read()
        return self.proc.wait(timeout=60), rest


def lsp_session(vault: Path, cwd: Path) -> tuple[Message, list[Message], int, bytes]:
    client = Client([sys.executable, "-m", "vault_lsp"], "headers", cwd)
    client.send(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": os.getpid(), "rootUri": vault.as_uri(), "capabilities": {}},
        }
    )
    answer = client.receive()
    client.send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
    client.send({"jsonrpc": "2.0", "id": 2, "method": "shutdown"})
    later = client.until(2)
    client.send({"jsonrpc": "2.0", "method": "exit"})
    code, rest = client.finish()
    return answer, later, code, rest


def mcp_session(vault: Path, cwd: Path) -> tuple[Message, list[Message], int, bytes]:
    client = Client([sys.executable, "-m", "vault_mcp", "--root", str(vault)], "lines", cwd)
    client.send(initialize_request("early-answer-test", 1))
    answer = client.receive()
    client.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    client.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    later = client.until(2)
    code, rest = client.finish()
    return answer, later, code, rest


@pytest.mark.parametrize("session", [lsp_session, mcp_session], ids=["lsp", "mcp"])
def test_second_start_is_answered_from_the_cache_and_still_serves(
    session: Any, tmp_path: Path, handshake_cache: Path
) -> None:
    vault = write_files(tmp_path / "vault", {"a.md": "# A\n\nSee [[b]].\n", "b.md": "# B\n"})
    before = set(cache_dir().glob("*.json")) if cache_dir().is_dir() else set()
    first, _, first_code, _ = session(vault, tmp_path)
    written = set(cache_dir().glob("*.json")) - before
    assert len(written) == 1, "the server's own answer is cached on the first start"
    assert json.loads(next(iter(written)).read_text()) == first["result"]

    second, later, code, rest = session(vault, tmp_path)
    assert second == first  # the same answer, now from the cache
    assert [m for m in later if m.get("id") == 1] == [], "the server's own answer is dropped"
    assert "result" in later[-1] and later[-1]["id"] == 2  # the real server serves behind it
    assert (code, rest) == (first_code, b"")
    assert code == 0


def test_a_stale_cached_answer_is_refreshed(tmp_path: Path, handshake_cache: Path) -> None:
    vault = write_files(tmp_path / "vault", {"a.md": "# A\n"})
    before = set(cache_dir().glob("*.json")) if cache_dir().is_dir() else set()
    real, _, _, _ = lsp_session(vault, tmp_path)
    (cached,) = set(cache_dir().glob("*.json")) - before
    stale = {**real["result"], "serverInfo": {"name": "stale", "version": "0"}}
    cached.write_text(json.dumps(stale))

    answered, _, _, _ = lsp_session(vault, tmp_path)
    assert answered["result"] == stale  # said once: the answer went out before the server ran
    assert json.loads(cached.read_text()) == real["result"]  # and put right for the next start
    again, _, _, _ = lsp_session(vault, tmp_path)
    assert again == real


def test_split_message_waits_for_whole_messages() -> None:
    body = b'{"id": 1}'
    framed = frame(body, "headers")
    assert split_message(framed[:10], "headers") is None
    assert split_message(framed[:-1], "headers") is None
    assert split_message(framed + b"Content", "headers") == (body, b"Content")
    assert split_message(b'{"a": 1}\n{"b"', "lines") == (b'{"a": 1}', b'{"b"')
    assert split_message(b'{"a": 1}', "lines") is None
    with pytest.raises(ValueError):
        split_message(b"X-Header: 1\r\n\r\n{}", "headers")
