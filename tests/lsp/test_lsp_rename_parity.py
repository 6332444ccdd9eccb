"""Rename parity on a real corpus (silverbullet-docs): the editor's file-explorer rename
(`workspace/willRenameFiles`, a real `vault-lsp`) and MCP `move_note` (a real `vault-mcp` with
writes enabled) run the same planner and leave every file byte-identical."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from lsp_support import apply_workspace_edit, lsp_client, uri
from lsprotocol import types
from poll import await_for

sys.path.insert(0, str(Path(__file__).parents[1] / "mcp"))  # the MCP tests' client helper
from mcp_helpers import SyncClient, server_params

pytestmark = pytest.mark.timeout(900)

MOVES = [
    ("docs/Command Palette.md", "moved/Palette.md"),
    ("docs/Space Manager.md", "docs/Spaces/Space Manager renamed.md"),
]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in root.rglob("*.md")
        if ".nvault" not in p.parts
    }


async def test_will_rename_files_and_move_note_make_the_same_edits(
    copy_vault: Callable[[], Path], tmp_path: Path
) -> None:
    lsp_root = copy_vault()
    mcp_root = tmp_path / "mcp-copy"
    shutil.copytree(lsp_root, mcp_root, ignore=shutil.ignore_patterns("writer.lock"))
    before = snapshot(lsp_root)

    async with lsp_client(lsp_root, via="workspace") as client:

        async def ready() -> bool:
            status = await client.protocol.send_request_async("nvault/status", {})
            return bool(status and status.notes >= 200)

        await await_for(ready, timeout=120)
        for old, new in MOVES:
            edit = await client.workspace_will_rename_files_async(
                types.RenameFilesParams(
                    files=[types.FileRename(old_uri=uri(lsp_root, old), new_uri=uri(lsp_root, new))]
                )
            )
            assert edit is not None and edit.document_changes, old
            apply_workspace_edit(edit)
            (lsp_root / new).parent.mkdir(parents=True, exist_ok=True)
            (lsp_root / old).rename(lsp_root / new)
            client.workspace_did_rename_files(
                types.RenameFilesParams(
                    files=[types.FileRename(old_uri=uri(lsp_root, old), new_uri=uri(lsp_root, new))]
                )
            )
            await await_for(lambda n=new: _indexed(client, n), timeout=60)

    with SyncClient(server_params(mcp_root, "--allow-writes", ".")) as mcp:
        rewritten = 0
        for old, new in MOVES:
            version = mcp.ok("document_map", {"path": old})["version"]
            receipt = mcp.ok("move_note", {"path": old, "new_path": new, "version": version})
            rewritten += len(receipt["links_rewritten"])
    after_lsp, after_mcp = snapshot(lsp_root), snapshot(mcp_root)
    assert rewritten >= 5
    assert after_lsp != before
    assert after_lsp.keys() == after_mcp.keys()
    differ = [p for p in after_lsp if after_lsp[p] != after_mcp[p]]
    assert not differ, differ[:5]


async def _indexed(client: object, rel: str) -> bool:
    status = await client.protocol.send_request_async("nvault/status", {})  # type: ignore[attr-defined]
    return bool(status)
