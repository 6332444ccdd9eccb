"""Where a vault, its index and the user's config are, with the standard library only.

A search answered by a running watcher must find the vault's query socket without importing
pydantic (config.py's models cost ~0.2 s of a 0.2 s budget). config.py, trust.py and location.py
build on these same functions, so the light way and the validated way to find the index folder
cannot disagree.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path
from typing import Any

ROOT_ENV = "NVAULT_ROOT"
USER_CONFIG_ENV = "NVAULT_USER_CONFIG"
ENDPOINT_ENV = "AWS_ENDPOINT_URL"
REMOTE_SCHEMES = ("s3://",)


def choose_root(*candidates: tuple[str | Path | None, str]) -> tuple[Path | None, str]:
    """The first given (value, source) as an absolute path, with its source; (None, "none")
    if none is given. Every front end picks its vault root here, in its own order."""
    for value, source in candidates:
        if value:
            return Path(value).expanduser().resolve(), source
    return None, "none"


def vault_root(root: str | Path | None) -> Path:
    """The CLI's and config's order: the argument, then $NVAULT_ROOT, then the cwd."""
    chosen, _ = choose_root((root, "argument"), (os.environ.get(ROOT_ENV), ROOT_ENV))
    return chosen or Path.cwd().resolve()


def user_config_path() -> Path:
    """`$NVAULT_USER_CONFIG`, else `$XDG_CONFIG_HOME/nvault/config.toml` (default ~/.config)."""
    explicit = os.environ.get(USER_CONFIG_ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "nvault" / "config.toml"


def read_user_config(path: Path | None = None) -> dict[str, Any]:
    """The user config's TOML as a dict ({} without a file); a broken file is an error that
    names it (a user setting silently lost would surprise)."""
    path = path or user_config_path()
    if not path.is_file():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"cannot read the user config {path}: {exc}") from exc


def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` on top of `base`, table by table (a [llm] in both keeps the keys of each)."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def same_path(a: Path, b: Path) -> bool:
    return a.expanduser().resolve() == b.expanduser().resolve()


def vault_table(vaults: dict[str, Any], root: Path) -> dict[str, Any]:
    """The user's `[vaults."PATH"]` table for `root`, or {}."""
    for key, table in vaults.items():
        if same_path(Path(key), root):
            return table if isinstance(table, dict) else {}
    return {}


def is_remote_uri(uri: str | Path | None) -> bool:
    return isinstance(uri, str) and uri.startswith(REMOTE_SCHEMES)


def user_cache_dir() -> Path:
    """This user's nvault cache folder (`$XDG_CACHE_HOME/nvault`): what can be rebuilt."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nvault"


def endpoint(endpoint_url: str | None) -> str | None:
    return endpoint_url or os.environ.get(ENDPOINT_ENV) or None


def index_uri(root: Path, index: str | None, index_dir: Path | str | None) -> str:
    """`s3://bucket/prefix`, or the index folder: `index_dir`, `index`, else ROOT/.nvault."""
    if is_remote_uri(index):
        return str(index).rstrip("/")
    if index_dir:
        return str(Path(index_dir))
    return str(Path(index).expanduser().resolve() if index else root / ".nvault")


def state_dir(uri: str, endpoint_url: str | None, root: Path) -> Path:
    """A local folder for what never leaves this machine (the query socket, study cache):
    the index folder itself, or a per-user cache folder keyed by the remote URI."""
    if not is_remote_uri(uri):
        return Path(uri)
    key = hashlib.sha256(f"{endpoint(endpoint_url)}|{uri}|{root}".encode()).hexdigest()[:16]
    return user_cache_dir() / "remote" / key


def index_state_dir(
    root: str | Path | None, index: str | None = None, endpoint_url: str | None = None
) -> Path:
    """`VaultConfig.load(root, index=..., endpoint_url=...).index_path`, without pydantic.

    Only the flags and the user's config say where the index is (a vault's own config may
    not, trust.py). A setting of the wrong type is a ValueError; the caller then loads the
    validated config, which says what is wrong."""
    path = vault_root(root)
    user = read_user_config()
    vaults = user.pop("vaults", {})
    user.pop("client_roots", None)
    settings = merge(user, vault_table(vaults if isinstance(vaults, dict) else {}, path))
    index = index if index is not None else settings.get("index")
    index_dir = settings.get("index_dir")
    endpoint_url = endpoint_url if endpoint_url is not None else settings.get("endpoint_url")
    for value in (index, index_dir, endpoint_url):
        if value is not None and not isinstance(value, str):
            raise ValueError(f"not a string in the user config: {value!r}")
    return state_dir(index_uri(path, index, index_dir), endpoint_url, path)
