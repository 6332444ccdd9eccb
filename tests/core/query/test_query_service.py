"""A running vault answers one-shot searches over its query socket (query/socket_server.py)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from index_check import wait_until_indexed
from vault_files import write_files

from vault_core.query.socket_server import QueryService, ask, socket_path
from vault_core.vault import Vault

NVAULT_MAIN = "import sys; from vault_cli.main import main; sys.exit(main(sys.argv[1:]))"
FILES = {
    "alpha.md": "# Alpha\n\nThe quokkaphrase token lives here, beside a river.\n",
    "beta.md": "# Beta\n\nNothing to see, only [[alpha]].\n",
}


def test_a_watching_vault_answers_over_its_socket_and_the_cli_uses_it(tmp_path: Path) -> None:
    root = write_files(tmp_path / "v", FILES)
    vault = Vault.open(root, watch=True)
    try:
        wait_until_indexed(vault)
        path = socket_path(vault.config.index_path)
        assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
        answer = ask(vault.config.index_path, {"query": "quokkaphrase", "mode": "keyword"})
        assert answer is not None
        assert [h["path"] for h in answer["answer"]["hits"]] == ["alpha.md"]
        progress = answer["answer"]["progress"]
        assert progress["chunks_embedded"] == progress["chunks_total"]
        bad = ask(vault.config.index_path, {"mode": "keyword"})  # no query: an error, not a hang
        assert bad is not None and "error" in bad
        out = subprocess.run(
            [sys.executable, "-c", NVAULT_MAIN, "--root", str(root), "search", "quokkaphrase",
             "--mode", "keyword", "--json"],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        assert [h["path"] for h in json.loads(out.stdout)] == ["alpha.md"]
        out = subprocess.run(
            [sys.executable, "-c", NVAULT_MAIN, "--root", str(root), "status", "--json"],
            capture_output=True, text=True, timeout=120, check=True,
        )  # fmt: skip
        status = json.loads(out.stdout)  # the watching process's own view, not a reader's
        assert status["role"] == "writer" and status["watcher"] != "off", status
        assert status["notes"] == 2 and status["chunks"] == status["chunks_embedded"] > 0
    finally:
        vault.close()
    assert not path.exists(), "the socket goes away with the process"


def test_a_stale_socket_file_is_replaced_and_never_answers(tmp_path: Path) -> None:
    index = tmp_path / "idx"
    index.mkdir()
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(socket_path(index)))  # bound, never listening: like a process that died
    dead.close()
    assert ask(index, {"ping": True}, timeout=1) is None
    service = QueryService(index, lambda request: {"pong": request.get("ping")})
    try:
        assert service.start()
        assert ask(index, {"ping": True}) == {"pong": True}
        second = QueryService(index, lambda request: {"other": True})
        assert not second.start(), "a live service keeps the socket"
    finally:
        service.stop()
