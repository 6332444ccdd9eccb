"""The MCP `initialize` request a raw stdio client sends, built from the SDK's own models.

Benches that time the handshake and tests that speak JSON-RPC over the pipes by hand (to see the
bytes, or to close stdin mid-call) share this one message, so they all ask the same thing.
"""

from __future__ import annotations

from typing import Any

import mcp.types as mcp_types


def initialize_params(client: str) -> dict[str, Any]:
    """The `params` of an `initialize` from a client named `client` at the SDK's protocol."""
    params = mcp_types.InitializeRequestParams(
        protocolVersion=mcp_types.LATEST_PROTOCOL_VERSION,
        capabilities=mcp_types.ClientCapabilities(),
        clientInfo=mcp_types.Implementation(name=client, version="0"),
    )
    return params.model_dump(by_alias=True, mode="json", exclude_none=True)


def initialize_request(client: str, request_id: int = 1) -> dict[str, Any]:
    """The whole JSON-RPC `initialize` request."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": initialize_params(client),
    }
