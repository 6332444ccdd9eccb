"""Vault configuration: one pydantic model, from defaults, the vault's `.nvault/config.toml`
(only what a vault may set, see trust.py), the user's config, then flags."""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from vault_core.globs import check_glob
from vault_core.location import IndexLocation
from vault_core.places import index_uri, is_remote_uri, merge, vault_root
from vault_core.trust import UserConfig, split_vault_settings

# Never indexed, whatever a config says: nvault's own index, version control, editor state, trash.
NEVER_INDEXED: frozenset[str] = frozenset({".nvault", ".git", ".obsidian", ".trash"})

DEFAULT_IGNORES: tuple[str, ...] = (
    ".git",
    ".obsidian",
    ".trash",
    ".nvault",
    "node_modules",
    ".venv",
    "__pycache__",
    "_SOURCE_LICENSE.txt",
)


log = logging.getLogger("vault_core.config")
MODEL_IDLE_ENV = "NVAULT_MODEL_IDLE_S"
DEFAULT_MODEL_IDLE_S = 600.0


def _model_idle_s() -> float:
    raw = os.environ.get(MODEL_IDLE_ENV)
    if raw is None:
        return DEFAULT_MODEL_IDLE_S
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{MODEL_IDLE_ENV} must be a number of seconds, not {raw!r}") from None


class EmbedderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["builtin", "ollama"] = "builtin"
    model: str = "all-MiniLM-L6-v2-int8"
    batch_size: int = Field(
        default=64,
        ge=1,
        le=512,
        description="most texts per embedding call (builtin: see embed.py)",
    )
    threads: int = Field(default=0, ge=0, description="onnxruntime intra-op threads; 0 = all cores")
    idle_release_s: float = Field(
        default_factory=_model_idle_s,
        ge=0,
        description="a long-running process frees the built-in model after this many seconds "
        "unused (~60 MB; it reloads in ~0.13 s); 0 = never",
    )
    token_vectors: bool = Field(
        default=True,
        description="store each chunk's reduced token vectors for hybrid search's MaxSim "
        "re-rank (query/rerank.py): +64 bytes a token, about doubling the index on disk; "
        "false keeps the index small and search skips the re-rank",
    )


class LLMConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = Field(
        default_factory=lambda: os.environ.get("OLLAMA_HOST", "http://127.0.0.1:11434")
    )
    model: str = Field(default_factory=lambda: os.environ.get("NVAULT_LLM_MODEL", "gemma3:4b"))
    timeout_s: float = Field(default=120.0, gt=0)
    max_input_chars: int = Field(default=12_000, ge=1_000)
    engine: Literal["auto", "llm", "extractive"] = "auto"


class Limits(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_file_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    max_pages: int = Field(default=2_000, ge=1)
    max_rows: int = Field(default=100_000, ge=1)
    chunk_chars: int = Field(default=1_000, ge=200)
    chunk_overlap: int = Field(default=100, ge=0)
    max_chunks_per_file: int = Field(
        default=1_000,
        ge=1,
        description="a longer file (a data dump, one 5 MB line) is indexed up to here, with a warning",
    )


class VaultConfig(BaseModel):
    """Everything a vault needs to know; the servers and CLI build one and hand it to `Vault`."""

    model_config = ConfigDict(extra="forbid")

    root: Path
    index_dir: Path | None = None
    index: str | None = Field(
        default=None,
        description="where the index lives: a folder, or s3://bucket/prefix on object storage",
    )
    endpoint_url: str | None = Field(
        default=None, description="an S3-compatible store (MinIO, Ceph); else $AWS_ENDPOINT_URL"
    )
    region: str | None = Field(default=None, description="else $AWS_REGION / $AWS_DEFAULT_REGION")
    lease_ttl_s: float = Field(
        default=30.0, gt=0, description="object storage: how long a dead writer blocks the next"
    )
    ignore: list[str] = Field(default_factory=list, description="extra glob patterns to skip")
    allow_writes: list[str] = Field(
        default_factory=list,
        description="folders (relative to the root) where agents may write; user-only, never from the vault",
    )
    embedder: EmbedderConfig = Field(default_factory=EmbedderConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    limits: Limits = Field(default_factory=Limits)
    debounce_ms: int = Field(default=150, ge=0)
    ann_min_chunks: int = Field(
        default=150_000,
        ge=1,
        description="past this many chunks the writer builds an ANN index and search reads it "
        "instead of holding every vector in memory (docs/benchmarks.md, 100k notes)",
    )
    rescan_interval_s: float = Field(default=180.0, ge=0, description="0 disables the light rescan")
    include_hidden: list[str] = Field(
        default_factory=list,
        description="dot-folders and dot-files to index after all, by name (e.g. '.attachments'); "
        "other dot-entries are skipped, and .nvault, .git, .obsidian, .trash always are",
    )
    defang_urls: bool = Field(
        default=False,
        description="MCP results write external URLs as hxxp://host[.]tld so no client follows them",
    )
    _ignored: list[str] = PrivateAttr(default_factory=list)

    @field_validator("ignore")
    @classmethod
    def _bounded_globs(cls, patterns: list[str]) -> list[str]:
        for pattern in patterns:
            check_glob(pattern)  # a GlobError is a ValueError: a clear validation error
        return patterns

    @property
    def ignored_settings(self) -> list[str]:
        """Why the vault's own config lost keys it may not set (said in `status`)."""
        return list(self._ignored)

    @property
    def index_location(self) -> IndexLocation:
        uri = index_uri(self.root, self.index, self.index_dir)
        if is_remote_uri(uri):
            return IndexLocation(uri=uri, endpoint_url=self.endpoint_url, region=self.region)
        return IndexLocation(uri=uri)

    @property
    def index_path(self) -> Path:
        """The local folder: the index itself, or (object storage) this machine's state."""
        return self.index_location.state_dir(self.root)

    @property
    def ignore_globs(self) -> list[str]:
        return [*DEFAULT_IGNORES, *self.ignore]

    @classmethod
    def load(cls, root: str | Path | None = None, **overrides: object) -> VaultConfig:
        """Config for `root` (or $NVAULT_ROOT, or the cwd): defaults, then what the vault's
        `.nvault/config.toml` may set, then the user's config, then `overrides` (flags)."""
        root_path = vault_root(root)
        data: dict[str, object] = {}
        ignored: list[str] = []
        config_file = root_path / ".nvault" / "config.toml"
        if config_file.is_file():
            data, ignored = split_vault_settings(
                tomllib.loads(config_file.read_text(encoding="utf-8"))
            )
        for warning in ignored:
            log.warning("%s: %s", root_path, warning)
        data = merge(data, UserConfig.load().for_vault(root_path))
        data.update({k: v for k, v in overrides.items() if v is not None})
        data["root"] = root_path
        config = cls.model_validate(data)
        config._ignored = ignored
        return config


class IndexChoice(BaseModel):
    """What a server was told about the index (`--index`, `--endpoint-url`, `--read-only`)."""

    model_config = ConfigDict(extra="forbid")

    index: str | None = None
    endpoint_url: str | None = None
    read_only: bool = False

    def config(self, root: Path) -> VaultConfig:
        return VaultConfig.load(root, index=self.index, endpoint_url=self.endpoint_url)
