"""The exact configuration one MCP client or editor needs for a vault (`nvault setup CLIENT`).

Printed with this install's absolute command path (a client started from a desktop menu does not
see the venv's PATH), in the shape the client documents. `--write` merges it into the client's
config file: the diff is shown, the old file kept beside it as a backup, every other setting left
as it was (TOML through tomlkit, which keeps comments and layout). Tests start the server exactly
as the printed MCP config says, so these docs cannot drift from what works.
"""

from __future__ import annotations

import difflib
import json
import os
import shlex
import shutil
import sys
import time
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from vault_cli.common import CLIENTS

SERVER_NAME = "nvault"


class Launch(BaseModel):
    """How a client starts one of our servers."""

    command: str  # absolute
    args: list[str]


class ClientSetup(BaseModel):
    """What `nvault setup CLIENT` prints and, with `--write`, merges."""

    client: str
    file: Path  # the client's config file that `--write` merges into
    format: Literal["json", "toml", "lua"]
    keys: list[str]  # where the entry goes in that file (json/toml)
    entry: dict[str, Any]  # the server's entry (json/toml); empty for lua
    text: str  # the snippet as the client's file would hold it
    note: str  # one line: where it goes, what else to do

    def launch(self) -> Launch:
        """The command line the client will run (what the tests start)."""
        if self.format == "lua":
            raise ValueError("the Neovim config starts vault-lsp; see its `cmd`")
        command = self.entry["command"]
        return Launch(command=command, args=list(self.entry.get("args", [])))


def launch(tool: Literal["vault-mcp", "vault-lsp"], root: Path | None) -> Launch:
    """This install's `tool`, by absolute path; `python -m` when the script is not beside us."""
    script = Path(sys.executable).parent / tool
    found = str(script) if script.is_file() else shutil.which(tool)
    rest = ["--root", str(root)] if root is not None else []
    if found:
        return Launch(command=str(Path(found).absolute()), args=rest)
    module = tool.replace("-", "_")
    return Launch(command=sys.executable, args=["-m", module, *rest])


def _home(*parts: str) -> Path:
    return Path.home().joinpath(*parts)


def _claude_desktop_file() -> Path:
    if sys.platform == "darwin":
        return _home("Library", "Application Support", "Claude", "claude_desktop_config.json")
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", _home())) / "Claude" / "claude_desktop_config.json"
    base = Path(os.environ.get("XDG_CONFIG_HOME") or _home(".config"))
    return base / "Claude" / "claude_desktop_config.json"


def _json_setup(client: str, file: Path, keys: list[str], entry: dict[str, Any], note: str) -> Any:
    data: dict[str, Any] = {}
    node = data
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = entry
    return ClientSetup(
        client=client,
        file=file,
        format="json",
        keys=keys,
        entry=entry,
        text=json.dumps(data, indent=2) + "\n",
        note=note,
    )


def client_setup(client: str, root: Path, cwd: Path | None = None) -> ClientSetup:
    """The configuration `client` documents, for the vault at `root`."""
    cwd = cwd or Path.cwd()
    mcp = launch("vault-mcp", root)
    stdio = {"command": mcp.command, "args": mcp.args}
    if client == "claude-code":
        return _json_setup(
            client,
            cwd / ".mcp.json",
            ["mcpServers", SERVER_NAME],
            {"type": "stdio", **stdio, "env": {}},
            "a project's .mcp.json (Claude Code asks once before using it); or run: claude mcp add "
            f"{SERVER_NAME} -- {' '.join(shlex.quote(a) for a in [mcp.command, *mcp.args])}",
        )
    if client == "claude-desktop":
        return _json_setup(
            client,
            _claude_desktop_file(),
            ["mcpServers", SERVER_NAME],
            stdio,
            "Claude Desktop's config; restart Claude Desktop after writing it",
        )
    if client == "cursor":
        return _json_setup(
            client,
            _home(".cursor", "mcp.json"),
            ["mcpServers", SERVER_NAME],
            stdio,
            "Cursor's global MCP config (a project's .cursor/mcp.json takes the same shape)",
        )
    if client == "vscode":
        return _json_setup(
            client,
            cwd / ".vscode" / "mcp.json",
            ["servers", SERVER_NAME],
            {"type": "stdio", **stdio},
            "this workspace's .vscode/mcp.json (Copilot agent mode); run it from the workspace",
        )
    if client == "zed":
        base = Path(os.environ.get("XDG_CONFIG_HOME") or _home(".config"))
        return _json_setup(
            client,
            base / "zed" / "settings.json",
            ["context_servers", SERVER_NAME],
            {**stdio, "env": {}},
            "Zed's settings.json; the server then shows in the Agent Panel's settings",
        )
    if client == "codex":
        import tomlkit

        home = Path(os.environ.get("CODEX_HOME") or _home(".codex"))
        doc = tomlkit.document()
        table = tomlkit.table(is_super_table=True)
        table[SERVER_NAME] = stdio
        doc["mcp_servers"] = table
        return ClientSetup(
            client=client,
            file=home / "config.toml",
            format="toml",
            keys=["mcp_servers", SERVER_NAME],
            entry=stdio,
            text=tomlkit.dumps(doc),
            note="Codex's config.toml (`codex mcp list` shows it)",
        )
    if client == "neovim":
        lsp = launch("vault-lsp", None)
        cmd = ", ".join(_lua_string(a) for a in [lsp.command, *lsp.args])
        text = (
            "-- nvault: the notes language server (Neovim 0.11+); written by `nvault setup neovim`\n"
            "vim.lsp.config('vault_lsp', {\n"
            f"  cmd = {{ {cmd} }},\n"
            "  filetypes = { 'markdown' },\n"
            "  root_markers = { '.nvault', '.obsidian', '.git' },\n"
            f"  init_options = {{ vaultRoot = {_lua_string(str(root))} }},\n"
            "})\n"
            "vim.lsp.enable('vault_lsp')\n"
        )
        base = Path(os.environ.get("XDG_CONFIG_HOME") or _home(".config"))
        return ClientSetup(
            client=client,
            file=base / "nvim" / "plugin" / "nvault.lua",
            format="lua",
            keys=[],
            entry={},
            text=text,
            note="a file of its own in Neovim's plugin/ folder, which Neovim runs at start",
        )
    raise ValueError(f"unknown client {client!r}: choose one of {', '.join(CLIENTS)}")


def _lua_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # then a valid Lua string literal too


def merged_text(setup: ClientSetup, old: str | None) -> str:
    """The client's file with our entry merged in; every other setting kept."""
    if setup.format == "lua" or old is None or not old.strip():
        return setup.text
    if setup.format == "toml":
        import tomlkit

        doc = tomlkit.parse(old)
        node: Any = doc
        for key in setup.keys[:-1]:
            if key not in node:
                node[key] = tomlkit.table(is_super_table=True)
            node = node[key]
        node[setup.keys[-1]] = setup.entry
        return tomlkit.dumps(doc)
    try:
        data = json.loads(old)
    except ValueError as exc:  # Zed's and VS Code's files may hold comments: never guess
        raise ValueError(
            f"{setup.file} is not plain JSON ({exc}); nothing was changed: add the printed "
            "entry by hand"
        ) from exc
    if not isinstance(data, dict):
        raise ValueError(f"{setup.file} does not hold a JSON object; nothing was changed")
    node = data
    for key in setup.keys[:-1]:
        node = node.setdefault(key, {})
        if not isinstance(node, dict):
            raise ValueError(f"{setup.file}: `{key}` is not an object; nothing was changed")
    node[setup.keys[-1]] = setup.entry
    return json.dumps(data, indent=2) + "\n"


def write_setup(setup: ClientSetup) -> tuple[str, Path | None]:
    """Merge into the client's file: the diff, and the backup's path (None for a new file)."""
    from vault_core.location import atomic_write_text

    old = setup.file.read_text(encoding="utf-8") if setup.file.is_file() else None
    new = merged_text(setup, old)
    diff = "".join(
        difflib.unified_diff(
            (old or "").splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{setup.file} (before)",
            tofile=f"{setup.file}",
        )
    )
    if old == new:
        return "", None
    backup = None
    if old is not None:
        backup = setup.file.with_name(f"{setup.file.name}.{time.strftime('%Y%m%d-%H%M%S')}.bak")
        shutil.copy2(setup.file, backup)
    atomic_write_text(setup.file, new)
    return diff, backup
