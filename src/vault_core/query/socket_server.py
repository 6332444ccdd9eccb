"""A running nvault process answers one-shot searches over a Unix socket in the index folder.

Opening a vault costs seconds (importing LanceDB alone is 1-2 s, then the catalog and the model);
a process that already holds the vault (`nvault watch`, `vault-mcp`, `vault-lsp`) answers in
milliseconds. The CLI asks here first and opens the vault itself only when nobody answers.
The socket is created with mode 0600 in the index folder: only the vault's owner can ask.
The client half uses the standard library only, so asking costs no heavy import.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("nvault.socket")

SOCKET_NAME = "query.sock"
MAX_REQUEST = 64 * 1024
# AF_UNIX paths are limited to ~107 bytes; deeper index folders simply get no socket.
MAX_PATH = 100

Answer = Callable[[dict[str, Any]], dict[str, Any]]


def socket_path(index_dir: Path) -> Path:
    return index_dir / SOCKET_NAME


def ask(index_dir: Path, request: dict[str, Any], timeout: float = 30.0) -> dict[str, Any] | None:
    """The running process's answer, or None when no process serves this vault."""
    path = socket_path(index_dir)
    if len(str(path)) > MAX_PATH or not path.exists():
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(json.dumps(request).encode() + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                part = conn.recv(1 << 16)
                if not part:
                    break
                data += part
    except OSError:
        return None  # stale socket file or a process that is going away: do it ourselves
    try:
        answer = json.loads(data)
    except ValueError:
        return None
    return answer if isinstance(answer, dict) else None


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        line = self.rfile.readline(MAX_REQUEST)
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise ValueError("request must be a JSON object")
            answer = self.server.answer(request)
        except Exception as exc:  # one bad request must not stop the service
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(answer, default=str).encode() + b"\n")


class _Server(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True

    def __init__(self, path: str, answer: Answer) -> None:
        self.answer = answer
        super().__init__(path, _Handler)


class QueryService:
    """Serves `answer(request)` on the vault's socket until `stop()`; one per vault at a time."""

    def __init__(self, index_dir: Path, answer: Answer) -> None:
        self.path = socket_path(index_dir)
        self.answer = answer
        self._server: _Server | None = None

    def start(self) -> bool:
        """True when this process now serves the vault (False: another one does, or no socket)."""
        if len(str(self.path)) > MAX_PATH or not hasattr(socket, "AF_UNIX"):
            return False
        if self.path.exists():
            if ask(self.path.parent, {"ping": True}, timeout=2) is not None:
                return False  # a live process already answers
            with contextlib.suppress(OSError):
                self.path.unlink()  # left by a process that died
        old_umask = os.umask(0o177)
        try:
            self._server = _Server(str(self.path), self.answer)
        except OSError as exc:
            log.info("no query socket (%s)", exc)
            return False
        finally:
            os.umask(old_umask)
        threading.Thread(
            target=self._server.serve_forever, name="nvault-socket", daemon=True
        ).start()
        return True

    @property
    def serving(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with contextlib.suppress(OSError):
            self.path.unlink()
