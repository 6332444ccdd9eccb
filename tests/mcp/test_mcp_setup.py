"""`nvault setup CLIENT` prints each client's documented config shape, `--write` merges it with a
diff and a backup, and the printed MCP config starts a server the SDK's client can use.

The shapes checked here are the ones each client documents: Claude Desktop, Cursor and a Claude
Code project `mcpServers` (command, args; Claude Code adds `type`), VS Code `.vscode/mcp.json`
`servers` with `type: stdio`, Codex `[mcp_servers.NAME]` in config.toml, Zed `context_servers`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Literal

import pytest
from mcp.client.stdio import StdioServerParameters
from mcp_helpers import SyncClient, indexed_vault, make_vault
from pydantic import BaseModel, ConfigDict

pytestmark = pytest.mark.timeout(600)
NVAULT = "import sys; from vault_cli.main import main; sys.exit(main(sys.argv[1:]))"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Stdio(Strict):  # Claude Desktop, Cursor
    command: str
    args: list[str]


class ClaudeCodeServer(Stdio):
    type: Literal["stdio"]
    env: dict[str, str]


class VSCodeServer(Stdio):
    type: Literal["stdio"]


class ZedServer(Stdio):
    env: dict[str, str]


def nvault(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", NVAULT, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def printed(client: str, root: Path) -> str:
    done = nvault("setup", client, "--root", str(root))
    assert done.returncode == 0, done.stderr
    assert "# file: " in done.stderr  # where it goes is said, outside the config itself
    return done.stdout


def check_launch(server: Stdio, root: Path) -> None:
    assert Path(server.command).is_absolute() and os.access(server.command, os.X_OK)
    assert Path(server.command).name == "vault-mcp" or server.args[:2] == ["-m", "vault_mcp"]
    assert server.args[-2:] == ["--root", str(root)]


@pytest.mark.parametrize(
    ("client", "top", "model"),
    [
        ("claude-desktop", "mcpServers", Stdio),
        ("cursor", "mcpServers", Stdio),
        ("claude-code", "mcpServers", ClaudeCodeServer),
        ("vscode", "servers", VSCodeServer),
        ("zed", "context_servers", ZedServer),
    ],
)
def test_printed_json_matches_the_clients_documented_shape(
    client: str, top: str, model: type[Stdio], tmp_path: Path
) -> None:
    root = make_vault(tmp_path / "notes")
    data = json.loads(printed(client, root))
    assert list(data) == [top] and list(data[top]) == ["nvault"]
    check_launch(model.model_validate(data[top]["nvault"]), root)


def test_printed_codex_toml_and_neovim_lua(tmp_path: Path) -> None:
    root = make_vault(tmp_path / "notes")
    data = tomllib.loads(printed("codex", root))
    check_launch(Stdio.model_validate(data["mcp_servers"]["nvault"]), root)
    lua = printed("neovim", root)
    assert "vim.lsp.config('vault_lsp', {" in lua and "vim.lsp.enable('vault_lsp')" in lua
    cmd = lua.split("cmd = { ", 1)[1].split(" }", 1)[0]
    first = json.loads(cmd.split(", ")[0])
    assert Path(first).is_absolute() and os.access(first, os.X_OK), cmd
    assert f"vaultRoot = {json.dumps(str(root))}" in lua


def test_write_merges_shows_the_diff_and_keeps_a_backup(tmp_path: Path) -> None:
    root = make_vault(tmp_path / "notes")
    home = tmp_path / "home"
    codex = home / ".codex" / "config.toml"
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
    env["CODEX_HOME"] = str(codex.parent)
    codex.parent.mkdir(parents=True)
    before = '# my settings\nmodel = "o3"  # keep\n\n[mcp_servers.other]\ncommand = "other"\n'
    codex.write_text(before, encoding="utf-8")

    done = nvault("setup", "codex", "--root", str(root), "--write", env=env)
    assert done.returncode == 0, done.stderr
    assert "+[mcp_servers.nvault]" in done.stdout and "the old file is kept as" in done.stdout
    after = codex.read_text(encoding="utf-8")
    assert after.startswith(before)  # comments, layout and the other server untouched
    servers = tomllib.loads(after)["mcp_servers"]
    assert servers["other"] == {"command": "other"} and "nvault" in servers
    backups = list(codex.parent.glob("config.toml.*.bak"))
    assert [b.read_text(encoding="utf-8") for b in backups] == [before]
    again = nvault("setup", "codex", "--root", str(root), "--write", env=env)
    assert "already holds" in again.stdout and codex.read_text(encoding="utf-8") == after

    desktop = home / ".config" / "Claude" / "claude_desktop_config.json"
    done = nvault("setup", "claude-desktop", "--root", str(root), "--write", env=env)
    assert done.returncode == 0 and desktop.is_file(), done.stderr  # a new file: no backup
    assert json.loads(desktop.read_text(encoding="utf-8"))["mcpServers"]["nvault"]["args"][-1] == (
        str(root)
    )

    zed = home / ".config" / "zed" / "settings.json"
    zed.parent.mkdir(parents=True)
    commented = '// Zed settings\n{\n  "theme": "One Dark"\n}\n'
    zed.write_text(commented, encoding="utf-8")
    done = nvault("setup", "zed", "--root", str(root), "--write", env=env)
    assert done.returncode != 0 and "nothing was changed" in done.stderr
    assert zed.read_text(encoding="utf-8") == commented and not list(zed.parent.glob("*.bak"))


def test_the_printed_mcp_config_starts_a_working_server(tmp_path: Path) -> None:
    """Start the server exactly as Claude Desktop would from the printed config."""
    root = indexed_vault(tmp_path / "notes")
    entry = json.loads(printed("claude-desktop", root))["mcpServers"]["nvault"]
    env = {k: v for k, v in os.environ.items() if k != "NVAULT_ROOT"}
    params = StdioServerParameters(command=entry["command"], args=entry["args"], env=env)
    with SyncClient(params) as client:
        found = client.ok("search", {"query": "quagga", "mode": "keyword"})
    assert "animals/zebra.md" in json.dumps(found)
