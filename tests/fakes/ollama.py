"""A scripted Ollama server on 127.0.0.1 (random port) for tests.

Serves `/api/chat`, `/api/tags`, `/api/embed`, `/api/version`. Chat replies come from a queue of
`Reply` objects (content, optional delay, optional HTTP status) or, when the queue is empty, from a
`responder(request_json) -> str` callable. Every request is recorded for assertions.

    with FakeOllama(models=["gemma3:4b"]) as fake:
        fake.script(Reply('{"a": 1}'), Reply("garbage"))
        LLMClient(LLMConfig(host=fake.url, model="gemma3:4b"))...
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    content: str = ""
    delay_s: float = 0.0
    status: int = 200
    error: str | None = None


def fake_vector(text: str, dim: int) -> list[float]:
    """Deterministic bag-of-words hash embedding: similar texts get similar vectors."""
    vec = [0.0] * dim
    for tok in re.findall(r"\w+", text.lower()):
        h = int.from_bytes(hashlib.blake2b(tok.encode(), digest_size=8).digest(), "big")
        vec[h % dim] += 1.0 if (h >> 32) & 1 else -1.0
    norm = math.sqrt(sum(v * v for v in vec)) or 1.0
    return [v / norm for v in vec]


class FakeOllama:
    def __init__(
        self,
        models: Iterable[str] = ("gemma3:4b",),
        *,
        embed_dim: int = 16,
        responder: Callable[[dict[str, Any]], str] | None = None,
        version: str = "0.9.0",
    ) -> None:
        self.models = list(models)
        self.embed_dim = embed_dim
        self.responder = responder
        self.version = version
        self.replies: deque[Reply] = deque()
        self.requests: list[tuple[str, dict[str, Any]]] = []
        self._stop = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- lifecycle
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeOllama:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # release any reply that is sleeping
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOllama:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- scripting
    def script(self, *replies: Reply | str) -> None:
        for r in replies:
            self.replies.append(Reply(r) if isinstance(r, str) else r)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [body for path, body in self.requests if path == "/api/chat"]

    # -- HTTP
    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                body = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout or cancellation)

            def do_GET(self) -> None:
                fake.requests.append((self.path, {}))
                if self.path == "/api/tags":
                    models = [
                        {"name": m, "model": m, "size": 1, "digest": "0"} for m in fake.models
                    ]
                    self._send(200, {"models": models})
                elif self.path == "/api/version":
                    self._send(200, {"version": fake.version})
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                fake.requests.append((self.path, body))
                model = body.get("model", "")
                if self.path in ("/api/chat", "/api/embed") and model not in fake.models:
                    self._send(404, {"error": f'model "{model}" not found, try pulling it first'})
                elif self.path == "/api/chat":
                    self._chat(body)
                elif self.path == "/api/embed":
                    inputs = body.get("input", [])
                    inputs = [inputs] if isinstance(inputs, str) else inputs
                    vecs = [fake_vector(t, fake.embed_dim) for t in inputs]
                    self._send(200, {"model": model, "embeddings": vecs})
                else:
                    self._send(404, {"error": f"no route {self.path}"})

            def _chat(self, body: dict[str, Any]) -> None:
                if fake.replies:
                    reply = fake.replies.popleft()
                elif fake.responder is not None:
                    reply = Reply(fake.responder(body))
                else:
                    reply = Reply(status=500, error="FakeOllama: no scripted reply left")
                if reply.delay_s and fake._stop.wait(reply.delay_s):
                    return
                if reply.status != 200:
                    self._send(reply.status, {"error": reply.error or "error"})
                    return
                self._send(
                    200,
                    {
                        "model": body.get("model"),
                        "created_at": "2025-01-01T00:00:00Z",
                        "message": {"role": "assistant", "content": reply.content},
                        "done": True,
                        "done_reason": "stop",
                    },
                )

        return Handler
