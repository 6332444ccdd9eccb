"""Opt-in bearer token for the HTTP transport (`--token` / `NVAULT_MCP_TOKEN`).

127.0.0.1 keeps other machines out, not other local users or a browser tab's fetch to localhost.
With a token set, every HTTP request must carry `Authorization: Bearer <token>`; anything else
gets 401 before it reaches the MCP app. The comparison is constant-time (hmac.compare_digest).
"""

from __future__ import annotations

import hmac
import json
from typing import Any

Scope = dict[str, Any]
ASGIApp = Any
TOKEN_ENV = "NVAULT_MCP_TOKEN"


class BearerTokenMiddleware:
    """ASGI middleware: HTTP requests without the right bearer token get 401."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        if not token:
            raise ValueError("empty token: pass a non-empty --token or NVAULT_MCP_TOKEN")
        self.app = app
        self._expected = f"Bearer {token}".encode()

    def authorized(self, scope: Scope) -> bool:
        given = b""
        for name, value in scope.get("headers", []):
            if name.lower() == b"authorization":
                given = value
                break
        return hmac.compare_digest(given, self._expected)

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.authorized(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {
                "error": "unauthorized",
                "message": "this nvault server needs 'Authorization: Bearer <token>' "
                "(the token it was started with: --token or NVAULT_MCP_TOKEN)",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"www-authenticate", b'Bearer realm="nvault"'),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
