"""Answer a stdio client's `initialize` while the protocol SDK is still importing.

Importing the MCP SDK takes ~1.1 s and pygls ~0.6 s on a 2-core machine (mostly building
protocol models), so the handshake waited for imports that have nothing to do with its answer.
That answer depends only on the server's code and arguments and on the client's request, so it
is cached per exact request the first time the real server gives it (`$XDG_CACHE_HOME/nvault`).
From then on this module answers from the cache at once, while the server imports behind it.

The real server still reads the `initialize` request (replayed through a pipe on fd 0), so its
state is exactly as if it had answered; its own answer is dropped (fd 1 is a pipe read by a
filter thread). If that answer differs from the cached one, the cache is rewritten and a warning
logged: the client got the old answer once. This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, NoReturn

log = logging.getLogger("nvault.stdio")
Framing = Literal["lines", "headers"]  # MCP stdio: one JSON per line; LSP: Content-Length
DISABLE_ENV = "NVAULT_NO_EARLY_ANSWER"
CACHE_VERSION = "1"


def split_message(buf: bytes, framing: Framing) -> tuple[bytes, bytes] | None:
    """(the first whole message's body, the bytes after it), or None if none is whole yet."""
    if framing == "lines":
        end = buf.find(b"\n")
        return None if end < 0 else (buf[:end], buf[end + 1 :])
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    length = None
    for line in buf[:end].split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if length is None:
        raise ValueError("an LSP message without Content-Length")
    start = end + 4
    if len(buf) < start + length:
        return None
    return buf[start : start + length], buf[start + length :]


def frame(body: bytes, framing: Framing) -> bytes:
    if framing == "lines":
        return body + b"\n"
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nvault" / "handshake"


def code_stamp(modules: list[str]) -> list[Any]:
    """Size and mtime of every .py file of our packages, and of each SDK's entry file: an edit
    or an upgrade makes a new cache key without importing anything."""
    stamp: list[Any] = []
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is None or spec.origin is None:
            stamp.append([name, None])
            continue
        origin = Path(spec.origin)
        files = sorted(origin.parent.rglob("*.py")) if name.startswith("vault_") else [origin]
        for file in files:
            info = file.stat()
            stamp.append([str(file), info.st_size, info.st_mtime_ns])
    return stamp


def cache_key(request: dict[str, Any], argv: list[str], modules: list[str]) -> str:
    params = dict(request.get("params") or {})
    params.pop("processId", None)  # differs on every start, changes nothing in the answer
    identity = {
        "v": CACHE_VERSION,
        "python": sys.executable,
        "argv": argv,
        "cwd": os.getcwd(),
        "env": {k: v for k, v in os.environ.items() if k.startswith("NVAULT_")},
        "code": code_stamp(modules),
        "params": params,
    }
    blob = json.dumps(identity, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


class EarlyAnswer:
    """Runs a stdio server with its `initialize` answered from the cache (see module doc)."""

    def __init__(self, framing: Framing, argv: list[str], modules: list[str]) -> None:
        self.framing = framing
        self.argv = argv
        self.modules = modules
        self.client_in = os.dup(0)  # the client's ends; fds 0 and 1 become pipes
        self.client_out = os.dup(1)
        self.out_lock = threading.Lock()
        self.init_id: Any = None
        self.key: str | None = None
        self.sent: dict[str, Any] | None = None  # the cached result we answered with
        self.filter_done = threading.Event()

    def run(self, serve: Callable[[], int]) -> int:
        """Call `serve` (the real server, reading fd 0 and writing fd 1) behind the pipes."""
        in_read, in_write = os.pipe()
        out_read, out_write = os.pipe()
        os.dup2(in_read, 0)
        os.dup2(out_write, 1)
        os.close(in_read)
        os.close(out_write)
        threading.Thread(target=self._pump_input, args=(in_write,), daemon=True).start()
        threading.Thread(target=self._filter_output, args=(out_read,), daemon=True).start()
        try:
            code = serve()
        finally:
            with contextlib.suppress(OSError, ValueError):  # pygls closes stdout on `exit`
                sys.stdout.flush()
            with contextlib.suppress(OSError):
                os.close(1)  # the filter sees the end of the server's output, forwards the rest
            self.filter_done.wait(5)
        return code

    def _write(self, data: bytes) -> None:
        with self.out_lock:
            write_all(self.client_out, data)

    def _pump_input(self, pipe: int) -> None:
        """Client -> server: answer the first message if it is a cached `initialize`."""
        buf: bytes | None = b""  # until the first message is whole; None after
        try:
            while chunk := os.read(self.client_in, 65536):
                if buf is not None:
                    buf += chunk
                    if not self._first_message(buf):
                        continue
                    chunk, buf = buf, None
                write_all(pipe, chunk)
        except OSError:
            pass
        finally:
            os.close(pipe)

    def _first_message(self, buf: bytes) -> bool:
        """False until the first message in `buf` is whole; then answers it if it is a cached
        `initialize`. Malformed input is not ours to judge: the server answers it."""
        try:
            parts = split_message(buf, self.framing)
            if parts is None:
                return False
            request = json.loads(parts[0])
        except ValueError:
            return True
        if not isinstance(request, dict) or request.get("method") != "initialize":
            return True
        self.init_id = request.get("id")
        self.key = cache_key(request, self.argv, self.modules)
        cached = self._load(self.key)
        if cached is not None:
            self.sent = cached
            answer = {"jsonrpc": "2.0", "id": self.init_id, "result": cached}
            self._write(frame(json.dumps(answer).encode(), self.framing))
        return True

    def _filter_output(self, pipe: int) -> None:
        """Server -> client: drop the server's own `initialize` answer when we already sent one."""
        buf = b""
        waiting = True
        try:
            while chunk := os.read(pipe, 65536):
                if not waiting:
                    self._write(chunk)
                    continue
                buf += chunk
                while waiting and (parts := split_message(buf, self.framing)) is not None:
                    body, buf = parts
                    waiting = not self._is_init_answer(body)
                    if waiting or self.sent is None:
                        self._write(frame(body, self.framing))
                if not waiting and buf:
                    self._write(buf)
                    buf = b""
        except (OSError, ValueError):
            if buf:
                self._write(buf)
        finally:
            os.close(pipe)
            self.filter_done.set()

    def _is_init_answer(self, body: bytes) -> bool:
        """True for the server's answer to `initialize`; caches it (or checks the cached one)."""
        if self.key is None or b'"result"' not in body:
            return False
        try:
            message = json.loads(body)
        except ValueError:
            return False
        if not isinstance(message, dict) or message.get("id") != self.init_id:
            return False
        result = message.get("result")
        if result is None or "error" in message:
            return True
        if self.sent is not None and result != self.sent:
            log.warning("the cached initialize answer was out of date; it is refreshed now")
        if result != self.sent:
            self._store(self.key, result)
        return True

    @staticmethod
    def _load(key: str) -> dict[str, Any] | None:
        try:
            data = json.loads((cache_dir() / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _store(key: str, result: dict[str, Any]) -> None:
        folder = cache_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f"{key}.{os.getpid()}.tmp"
            tmp.write_text(json.dumps(result), encoding="utf-8")
            os.replace(tmp, folder / f"{key}.json")
        except OSError:
            log.debug("could not cache the initialize answer", exc_info=True)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def serve_and_exit(
    framing: Framing,
    argv: list[str],
    modules: list[str],
    serve: Callable[[list[str]], int],
    *,
    early: bool = True,
) -> NoReturn:
    """Run a stdio server (with the early answer unless disabled) and end the process."""
    if early and not os.environ.get(DISABLE_ENV):
        code = EarlyAnswer(framing, argv, modules).run(lambda: serve(argv))
    else:
        code = serve(argv)
    # Leave without interpreter finalisation: daemon threads may sit inside native code (the
    # vault still opening, LanceDB, onnxruntime), and tearing them down aborts the process.
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code or 0)


def launch(
    framing: Framing,
    modules: list[str],
    serve: Callable[[list[str]], int],
    not_stdio: tuple[str, ...],
    argv: list[str] | None = None,
) -> NoReturn:
    """A console script's `main`: its command line (sys.argv's unless given), served with the
    early answer unless an option in `not_stdio` means the server will not speak on stdio."""
    args = sys.argv[1:] if argv is None else argv
    stdio = not any(a.split("=")[0] in not_stdio for a in args)
    serve_and_exit(framing, args, modules, serve, early=stdio)
