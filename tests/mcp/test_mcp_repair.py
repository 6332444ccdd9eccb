"""A damaged index under the MCP server: repaired on open, said once (status `notice` and one
MCP log message), and the tools answer from the rebuilt index."""

from __future__ import annotations

import os
from pathlib import Path

from mcp_helpers import SyncClient, indexed_vault, server_params
from poll import wait_for


def test_damaged_index_is_repaired_and_said_in_status(tmp_path: Path) -> None:
    root = indexed_vault(
        tmp_path / "vault",
        {"animals/zebra.md": "# Zebra\n\nThe quagga was a zebra.\n", "b.md": "# B\n\nplain\n"},
    )
    (root / ".nvault" / "index.json").write_bytes(os.urandom(64))  # both copies garbage:
    (root / ".nvault" / "lance" / "index.json").write_text("{")  # a rebuild, reusing vectors
    with SyncClient(server_params(root)) as client:

        def found() -> bool:
            out = client.ok("search", {"query": "quagga", "mode": "keyword"})
            return bool(out["hits"]) and out["hits"][0]["path"] == "animals/zebra.md"

        wait_for(found, timeout=120)
        status = client.ok("status")
        assert status["notice"] and "repaired" in status["notice"], status
        assert "corrupt-" in status["notice"]
    assert any(p.name.startswith("corrupt-") for p in (root / ".nvault").iterdir())
