"""Bad input gets a tool error (isError) an agent can act on: never a traceback, never a file outside."""

from __future__ import annotations

import json
import os
import select
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp_helpers import SyncClient, http_client, indexed_vault, server_params, spawn, text

from bench.mcp_wire import initialize_request


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SyncClient, Path]]:
    base = tmp_path_factory.mktemp("mcperr")
    root = indexed_vault(base / "vault")
    secret = base / "secret.md"
    secret.write_text("# Secret\n\nthe password is hunter2\n", encoding="utf-8")
    os.symlink(secret, root / "escape.md")  # a symlink inside the vault pointing out of it
    os.symlink(base, root / "outside-dir")
    with SyncClient(server_params(root)) as c:
        yield c, base


CASES: list[tuple[str, dict[str, Any], str]] = [
    ("search", {"query": ""}, "query"),
    ("search", {"query": "   "}, "empty query"),
    ("search", {"query": "zebra", "limit": 0}, "limit"),
    ("search", {"query": "zebra", "limit": 10_000}, "limit"),
    ("search", {"query": "zebra", "limit": "many"}, "limit"),
    ("search", {"query": "zebra", "mode": "telepathy"}, "mode"),
    ("search", {"query": 42}, "query"),
    ("search", {"limit": 3}, "query"),
    ("search", {"query": "zebra", "path": "../"}, "outside the vault"),
    ("search", {"query": "zebra", "path": "/etc"}, "outside the vault"),
    ("search", {"query": "zebra", "path": "../**/*.md"}, "outside the vault"),
    ("read_note", {"path_or_title": "../secret.md"}, "outside the vault"),
    ("read_note", {"path_or_title": "/etc/passwd"}, "outside the vault"),
    ("read_note", {"path_or_title": "escape.md"}, "outside the vault"),
    ("read_note", {"path_or_title": "outside-dir/secret.md"}, "outside the vault"),
    ("read_note", {"path_or_title": ""}, "path_or_title"),
    ("read_note", {"path_or_title": "Coffee", "start_line": 0}, "start_line"),
    ("read_note", {"path_or_title": "Coffee", "start_line": 50}, "lines"),
    ("read_note", {"path_or_title": "no such note at all"}, "list_notes or search"),
    ("list_notes", {"limit": 0}, "limit"),
    ("list_notes", {"path": "../.."}, "outside the vault"),
    ("list_notes", {"modified_since": "yesterday-ish"}, "modified_since"),
    ("links", {"note": "../secret"}, "outside the vault"),
    ("backlinks", {"note": "Cofee"}, "Did you mean"),
    ("related", {"note": "Coffee", "limit": 10_000}, "limit"),
    ("analyze", {"note": "Coffee", "engine": "gpt-9"}, "engine"),
    ("compare", {"note_a": "Coffee", "note_b": "/etc/hosts"}, "outside the vault"),
    ("quiz", {"scope": "../../", "engine": "extractive"}, "outside the vault"),
    ("quiz", {"scope": "Coffee", "n": 0}, "n"),
    ("quiz", {"scope": "Coffee", "types": ["essay"]}, "types"),
]


@pytest.mark.parametrize(("tool", "args", "expect"), CASES, ids=[f"{t}-{a}" for t, a, _ in CASES])
def test_bad_input_is_a_clear_tool_error(
    setup: tuple[SyncClient, Path], tool: str, args: dict[str, Any], expect: str
) -> None:
    client, _ = setup
    result = client.call_tool(tool, args)
    message = text(result)
    assert result.is_error, f"{tool}{args} succeeded: {message[:300]}"
    assert expect.lower() in message.lower()
    assert "Traceback" not in message and "hunter2" not in message


def test_nothing_outside_the_vault_leaks_into_search_or_listing(
    setup: tuple[SyncClient, Path],
) -> None:
    client, _ = setup
    hits = client.ok("search", {"query": "password hunter2", "limit": 20})["hits"]
    assert all("hunter2" not in h["snippet"] for h in hits)
    paths = [n["path"] for n in client.ok("list_notes", {"limit": 500})["notes"]]
    assert "escape.md" not in paths and not any(p.startswith("outside-dir") for p in paths)


def test_unknown_tool_is_an_error_and_the_server_keeps_answering(
    setup: tuple[SyncClient, Path],
) -> None:
    client, _ = setup
    result = client.call_tool("delete_everything", {})
    assert result.is_error and "delete_everything" in text(result)
    assert client.ok("status")["ready"] is True


def test_the_server_writes_nothing_to_the_notes_folder(setup: tuple[SyncClient, Path]) -> None:
    client, base = setup
    root = base / "vault"

    def snapshot() -> dict[str, float]:
        return {
            str(p.relative_to(root)): p.stat().st_mtime
            for p in root.rglob("*")
            if ".nvault" not in p.parts and not p.is_symlink() and p.is_file()
        }

    before = snapshot()
    for tool, args in [
        ("search", {"query": "zebra"}),
        ("read_note", {"path_or_title": "Coffee"}),
        ("analyze", {"note": "Coffee", "engine": "extractive"}),
        ("quiz", {"scope": "food/", "n": 2, "engine": "extractive"}),
        ("links", {"note": "index.md"}),
    ]:
        client.call_tool(tool, args)
    assert snapshot() == before


def test_malformed_json_rpc_on_stdio_gets_an_answer(setup: tuple[SyncClient, Path]) -> None:
    vault = setup[1]
    proc = spawn(server_params(vault, "--no-watch"), pipes=True)
    assert proc.stdin is not None and proc.stdout is not None

    def ask(line: bytes) -> dict[str, Any]:
        proc.stdin.write(line + b"\n")
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 60)
        assert ready, f"no answer to {line[:40]!r}"
        return json.loads(proc.stdout.readline())

    try:
        hello = initialize_request("raw", 0)
        assert ask(json.dumps(hello).encode())["id"] == 0
        proc.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        for line, code in [
            (b"{not json", -32700),
            (b"[" * 100_000 + b"]" * 100_000, -32700),
            (b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]', -32600),
            (b"42", -32600),
        ]:
            answer = ask(line)
            assert answer["error"]["code"] == code and answer["id"] is None
        no_method = ask(b'{"jsonrpc":"2.0","id":5}')
        assert no_method["id"] == 5 and no_method["error"]["code"] == -32600
        assert ask(b'{"jsonrpc":"2.0","id":7,"method":"ping"}') == {
            "jsonrpc": "2.0",
            "id": 7,
            "result": {},
        }
    finally:
        proc.kill()
        proc.wait(timeout=30)


def test_http_connections_that_never_finish_their_headers_are_closed(
    setup: tuple[SyncClient, Path],
) -> None:
    vault = setup[1]
    env = {"NVAULT_MCP_TOKEN": "slow-token", "NVAULT_HTTP_HEADER_TIMEOUT_S": "2"}
    proc = spawn(server_params(vault, "--http", "--port", "0", "--no-watch", env=env), text=True)
    try:
        assert proc.stderr is not None
        port = 0
        for line in proc.stderr:
            if "serving streamable HTTP on" in line:
                port = int(line.split("127.0.0.1:")[1].split("/")[0])
                break
        slow = []
        for _ in range(10):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # and never the rest
            s.settimeout(30)
            slow.append(s)
        for s in slow:
            assert s.recv(1024) == b""  # closed by the server well before 30 s
            s.close()
        with SyncClient(http_client(f"http://127.0.0.1:{port}/mcp", "slow-token")) as c:
            assert c.ok("status")["root_source"] == "--root"  # whole requests still served
    finally:
        proc.terminate()
        proc.wait(timeout=30)
