"""The server process: live edits, clients that leave mid-call, HTTP on 127.0.0.1, client roots."""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import mcp_types as types
import pytest
from mcp_helpers import (
    SyncClient,
    copy_vault,
    http_client,
    indexed_vault,
    make_vault,
    server_params,
    spawn,
    text,
    user_config,
)
from poll import wait_for

from bench.mcp_wire import initialize_request


@pytest.fixture(scope="module")
def warm_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return indexed_vault(tmp_path_factory.mktemp("mcplife") / "vault")


def test_live_edit_shows_up_in_search(warm_vault: Path, tmp_path: Path) -> None:
    root = copy_vault(warm_vault, tmp_path / "vault")
    with SyncClient(server_params(root)) as client:
        wait_for(lambda: client.ok("status")["ready"])
        assert client.ok("search", {"query": "flibbertigibbet", "mode": "keyword"})["hits"] == []
        note = root / "food" / "tea.md"
        note.write_text(note.read_text() + "\nOolong is a flibbertigibbet of a tea.\n")
        (root / "new.md").write_text("# New\n\nA brand new note about a snorkelwhale.\n")

        def found(word: str) -> list[dict[str, Any]]:
            return client.ok("search", {"query": word, "mode": "keyword"})["hits"]

        hits = wait_for(lambda: found("flibbertigibbet"), timeout=60)
        assert hits[0]["path"] == "food/tea.md"
        assert hits[0]["start_line"] <= 7 <= hits[0]["end_line"]
        assert wait_for(lambda: found("snorkelwhale"), timeout=60)[0]["path"] == "new.md"
        (root / "new.md").unlink()
        wait_for(lambda: not found("snorkelwhale"), timeout=60)


def _rpc(proc: subprocess.Popen[bytes], message: dict[str, Any]) -> None:
    assert proc.stdin is not None
    proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()


def test_server_exits_cleanly_when_the_client_leaves_mid_call(
    warm_vault: Path, tmp_path: Path
) -> None:
    """Raw JSON-RPC over the pipes: start a call, close stdin before the answer, expect exit 0."""
    root = copy_vault(warm_vault, tmp_path / "vault")
    params = server_params(root)
    proc = spawn(params, pipes=True)
    try:
        _rpc(
            proc,
            initialize_request("leaver", 1),
        )
        assert proc.stdout is not None
        reply = json.loads(proc.stdout.readline())
        assert reply["id"] == 1 and reply["result"]["serverInfo"]["name"] == "nvault"
        _rpc(proc, {"jsonrpc": "2.0", "method": "notifications/initialized"})
        _rpc(
            proc,
            {
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "quiz", "arguments": {"scope": "animals/", "n": 10}},
            },
        )
        proc.stdin.close()  # the client goes away with the call in flight
        code = proc.wait(timeout=120)
        stderr = proc.stderr.read().decode() if proc.stderr else ""
        assert code == 0, stderr[-2000:]
        assert "Traceback" not in stderr, stderr[-2000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    # the vault is fine and a fresh client on a fresh server gets answers
    with SyncClient(server_params(root)) as client:
        hits = client.ok("search", {"query": "quagga"})["hits"]
        assert hits[0]["path"] == "animals/zebra.md"
        assert client.ok("status")["role"] == "writer"  # the old process let go of the lock


def test_second_client_session_after_the_first_one_closed(warm_vault: Path) -> None:
    for _ in range(2):
        with SyncClient(server_params(warm_vault)) as client:
            assert client.ok("search", {"query": "espresso"})["hits"][0]["path"] == "food/coffee.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_on_localhost(warm_vault: Path) -> None:
    port = _free_port()
    params = server_params(
        warm_vault, "--http", "--port", str(port), env={"NVAULT_MCP_TOKEN": "life-token"}
    )
    proc = spawn(params)
    url = f"http://127.0.0.1:{port}/mcp"

    def listening() -> bool:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0

    try:
        wait_for(listening, timeout=120, every=0.2)
        with SyncClient(http_client(url, "life-token")) as client:
            hits = client.ok("search", {"query": "quagga"})["hits"]
            assert hits[0]["citation"].startswith("animals/zebra.md:")
            bad = client.call_tool("read_note", {"path_or_title": "../../etc/passwd"})
            assert bad.is_error and "outside the vault" in text(bad)
        leaver = SyncClient(http_client(url, "life-token")).__enter__()
        leaver.submit(lambda c: c.call_tool("quiz", {"scope": "animals/", "n": 10}))
        leaver.close()  # gone with a call in flight
        with SyncClient(http_client(url, "life-token")) as second:
            assert second.ok("status")["notes"] == 8
            assert second.ok("search", {"query": "espresso"})["hits"][0]["path"] == "food/coffee.md"
        assert proc.poll() is None  # the HTTP server outlives its clients
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_vault_root_from_the_clients_roots(warm_vault: Path, tmp_path: Path) -> None:
    async def roots(_context: Any) -> types.ListRootsResult:
        return types.ListRootsResult(
            roots=[
                types.Root(uri=(warm_vault / "no-such-folder").as_uri()),
                types.Root(uri=warm_vault.as_uri(), name="notes"),
            ]
        )

    env = user_config(tmp_path, f"client_roots = [{json.dumps(str(warm_vault))}]\n")
    params = server_params(None, env=env)
    with SyncClient(params, mode="legacy", list_roots_callback=roots) as client:
        status = wait_for(lambda: client.ok("status")["ready"] and client.ok("status"))
        assert status["root_source"] == "client roots"
        assert Path(status["root"]) == warm_vault.resolve()
        assert client.ok("search", {"query": "quagga"})["hits"][0]["path"] == "animals/zebra.md"


def test_no_root_anywhere_is_a_clear_error(tmp_path: Path) -> None:
    with SyncClient(server_params(None), mode="legacy") as client:
        result = client.call_tool("search", {"query": "zebra"})
        assert result.is_error and "--root" in text(result) and "NVAULT_ROOT" in text(result)
        assert client.ok("status")["ready"] is False


def test_a_missing_root_folder_fails_fast(tmp_path: Path) -> None:
    params = server_params(tmp_path / "nope")
    done = subprocess.run(
        [params.command, *params.args], capture_output=True, env=params.env, timeout=120
    )
    assert done.returncode == 2 and b"not a folder" in done.stderr
    assert done.stdout == b""  # stdout is the protocol: nothing else goes there


def test_answers_at_once_on_a_cold_vault_and_says_it_is_catching_up(tmp_path: Path) -> None:
    """No index yet: search answers while the catch-up runs, flagged `catching_up` with progress."""
    files = {
        f"bulk/note-{i:03}.md": f"# Note {i}\n\nFiller paragraph {i} about gardens and rivers.\n"
        for i in range(120)
    }
    files["target.md"] = "# Target\n\nThe marmalade ziggurat stands here.\n"
    root = make_vault(tmp_path / "vault", files)
    seen_catching_up: list[dict[str, Any]] = []
    with SyncClient(server_params(root)) as client:

        def settled() -> bool:
            out = client.ok("search", {"query": "marmalade ziggurat", "mode": "keyword"})
            if out["catching_up"]:
                seen_catching_up.append(out)
                return False
            return bool(out["hits"]) and out["hits"][0]["path"] == "target.md"

        wait_for(settled, timeout=240, every=0.2)
        assert client.ok("status")["notes"] == 121
    assert seen_catching_up, "the first searches should have run during the catch-up"
    for out in seen_catching_up:
        progress = out["progress"]
        assert progress is not None and 0 <= progress["done"] <= progress["total"]
