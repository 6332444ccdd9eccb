"""Settings split by trust: what a vault may say about itself, and what only the user may say.

A vault's own `.nvault/config.toml` is part of the folder, and a folder can be a cloned repo
written by anyone. So it may tune how its own notes are indexed (chunking, limits, ignore globs,
embedder batch size, weights), and nothing that widens what leaves the machine (`llm.host`),
where nvault writes (`index`, `index_dir`, `endpoint_url`, `region`), what an agent may change
(`allow_writes`), or how the servers listen (`http`, `client_roots`). Those keys come only from
flags, the environment, or the user's own config outside every vault:

    $XDG_CONFIG_HOME/nvault/config.toml   (default ~/.config/nvault/config.toml)

    client_roots = ["~/notes"]         # folders an MCP client's roots may open (and below them)
    [llm]                               # any VaultConfig key: applies to every vault
    host = "http://127.0.0.1:11434"
    [vaults."/home/me/notes"]           # one vault, keyed by its absolute path (also a client root)
    index = "/fast/disk/notes-index"
    allow_writes = ["inbox"]

A vault file that sets a user-only key keeps working: the key is dropped, and `status` and the
log say so once.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from vault_core.places import merge, read_user_config, user_config_path, vault_table

log = logging.getLogger("vault_core.config")

# key (dotted for nested tables) -> what it would let a vault do
USER_ONLY: dict[str, str] = {
    "root": "pick its own root",
    "index": "choose where nvault writes",
    "index_dir": "choose where nvault writes",
    "endpoint_url": "choose where nvault writes",
    "region": "choose where nvault writes",
    "allow_writes": "let agents change files",
    "llm.host": "send note text off this machine",
    "http": "change how the server listens",
    "client_roots": "choose which folders a client may open",
    "vaults": "configure other vaults",
}


class UserConfig(BaseModel):
    """The user's own settings: for every vault, per vault, and which client roots may open."""

    model_config = ConfigDict(extra="forbid")

    client_roots: list[Path] = Field(
        default_factory=list, description="folders an MCP client's roots may open (and below)"
    )
    vaults: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="absolute vault path -> its settings"
    )
    settings: dict[str, Any] = Field(
        default_factory=dict, description="VaultConfig keys for every vault"
    )

    @classmethod
    def load(cls, path: Path | None = None) -> UserConfig:
        """The user config, or an empty one when there is no file; a broken file is an error
        that names it (a user setting silently lost could widen nothing, but would surprise)."""
        data = read_user_config(path)
        roots = data.pop("client_roots", [])
        vaults = data.pop("vaults", {})
        return cls.model_validate({"client_roots": roots, "vaults": vaults, "settings": data})

    def for_vault(self, root: Path) -> dict[str, Any]:
        """The settings for `root`: the global ones, then its own table over them."""
        return merge(self.settings, vault_table(self.vaults, root))

    def allowed_roots(self) -> list[Path]:
        return [_resolved(p) for p in [*self.client_roots, *map(Path, self.vaults)]]

    def client_root_verdict(self, root: Path, has_index: bool) -> str | None:
        """None when an MCP client may open `root`; else why not, in one sentence.

        A folder listed by the user may be indexed; a folder below one may be opened only if
        it already has an index (nvault never starts indexing a folder nobody named)."""
        root = _resolved(root)
        allowed = self.allowed_roots()
        if any(root == a for a in allowed):
            return None
        if any(root.is_relative_to(a) for a in allowed):
            if has_index:
                return None
            return (
                f"the client's root {root} has no nvault index and is not listed itself: "
                f"run `nvault index` there, or add it to client_roots in {user_config_path()}"
            )
        return (
            f"the client's root {root} is not a folder the user allowed: add it to client_roots "
            f"in {user_config_path()}, or start the server with --root"
        )


def split_vault_settings(data: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(the vault file's settings without user-only keys, one warning naming those dropped)."""
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in data.items():
        if key in USER_ONLY:
            dropped.append(key)
            continue
        if isinstance(value, dict):
            inner = {k: v for k, v in value.items() if f"{key}.{k}" not in USER_ONLY}
            dropped += [f"{key}.{k}" for k in value if f"{key}.{k}" in USER_ONLY]
            kept[key] = inner
        else:
            kept[key] = value
    if not dropped:
        return kept, []
    keys = ", ".join(f"`{key}` (would {USER_ONLY[key]})" for key in dropped)
    return kept, [
        f"the vault's .nvault/config.toml sets {keys}: user-only settings, ignored; set them "
        f"with flags, the environment or {user_config_path()}"
    ]


def _resolved(path: Path) -> Path:
    return path.expanduser().resolve()
