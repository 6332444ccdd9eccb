"""Text embedders: the built-in MiniLM (int8 ONNX from a PyPI package, no network) and Ollama.

The model's files (package, sha256, the optimised-graph cache) are index/model_files.py's.
"""

from __future__ import annotations

import importlib.resources
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import Any, Protocol, runtime_checkable

import numpy as np

from vault_core.config import EmbedderConfig, LLMConfig
from vault_core.index.model_files import (
    BUILTIN_MODEL_SHA256,
    WEIGHTS_FILE,
    EmbedderError,
    builtin_model_path,
    optimized_model_path,
    publish,
    staging_folder,
    verify_sha256,
)
from vault_core.index.token_vectors import TOKEN_DIMS, basis_for, reduce_batch
from vault_core.store.memory import MappedFile, release_free_memory

log = logging.getLogger("nvault.embed")

BUILTIN_MODEL_NAME = "all-MiniLM-L6-v2-int8"
MAX_TOKENS = 256
# One onnxruntime call pads every text to the longest in it, and the int8 kernels' working memory
# grows with the padded tokens of the call (~0.23 MB each): texts are sorted by token count and a
# call is cut at TOKEN_BUDGET padded tokens. Measured on 2 cores (docs/benchmarks.md): 512 tokens
# adds ~50 MB over the loaded model where 2,048 added ~490 MB, and CPU per chunk does not improve
# with bigger calls.
TOKEN_BUDGET = 512
MAX_BATCH = 64
CPU = ["CPUExecutionProvider"]


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...

    def load(self) -> None: ...

    def release(self) -> None: ...

    def release_if_idle(self, idle_s: float) -> bool: ...


@runtime_checkable
class TokenEmbedder(Protocol):
    """An embedder that also returns reduced token vectors from the same forward pass."""

    def embed_documents_with_tokens(
        self, texts: list[str]
    ) -> tuple[np.ndarray, list[np.ndarray] | None]: ...

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, np.ndarray | None]: ...


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
        self._weights: MappedFile | None = None  # the cached model's mapped weights file
        self._input_names: set[str] = set()
        self._run_options: Any = None
        self._in_use = 0  # calls running now: an idle release waits for them
        self._used_at = 0.0

    def load(self) -> None:
        """Load the ONNX session and tokenizer (idempotent, thread-safe)."""
        with self._loaded:
            self._load_locked()

    @contextmanager
    def _using(self) -> Iterator[tuple[Any, Any]]:
        """The session and tokenizer for one call, loaded if an idle release freed them. After
        the call, the pages of the weights file it read go back to the page cache (memory.py's
        MappedFile): the session is still referenced here, so its mapping is still there."""
        with self._loaded:
            self._load_locked()
            self._in_use += 1
            session, tokenizer, weights = self._session, self._tokenizer, self._weights
        try:
            yield session, tokenizer
        finally:
            if weights is not None:
                weights.drop()
            with self._loaded:
                self._in_use -= 1
                self._used_at = time.monotonic()

    def release_if_idle(self, idle_s: float) -> bool:
        """Free the session once no call has used it for `idle_s` seconds (0: never). A
        long-running server is idle most of its life; the next call reloads it from the
        cache in ~0.13 s."""
        with self._loaded:
            idle = time.monotonic() - self._used_at
            if idle_s <= 0 or self._session is None or self._in_use or idle < idle_s:
                return False
            self._session = self._tokenizer = self._weights = None
        release_free_memory()
        log.info("embedding model freed after %.0f s unused; it reloads on the next call", idle)
        return True

    def _load_locked(self) -> None:
        if self._session is not None:
            return
        import onnxruntime as ort
        from tokenizers import Tokenizer

        session = self._open_session()
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
        weights = optimized_model_path(ort.__version__).parent / WEIGHTS_FILE
        self._weights = MappedFile(weights) if weights.is_file() else None
        self._used_at = time.monotonic()
        release_free_memory()

    def _options(self, level: str) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = self.threads or (os.cpu_count() or 1)
        options.inter_op_num_threads = 1
        # No spin-waiting between ops: a spinning worker kept a core busy after each query's
        # embedding, beside LanceDB's query on a 2-core box. In a 100k reader at load ~10 a
        # hybrid search took 137 -> 82 ms p50 and 152 -> 96 ms CPU; 600 chunks embedded no
        # slower with 30% less CPU (docs/benchmarks.md "Hybrid tail and base memory at 100k").
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = getattr(ort.GraphOptimizationLevel, level)
        # Measured on the 500 longest chunks of vaultofknowledge (docs/benchmarks.md): with
        # glibc serving every intermediate tensor, freed blocks piled up between trims (+170 MB
        # peak over the loaded model) or, with the fixed mmap threshold (store/memory.py), each
        # op's buffer was a fresh mapping (~30% more CPU); the memory pattern planner's one block
        # per shape added more. ORT's own arena, without memory patterns, reuses its blocks
        # within a call and is shrunk once per `embed_documents`: memory follows the work in hand.
        options.enable_cpu_mem_arena = True
        options.enable_mem_pattern = False
        options.log_severity_level = 3
        return options

    def _open_session(self) -> Any:
        """The optimised graph from this user's cache, else the packaged model (and fill the cache).

        The packaged weights are int8 with a dequantising Cast/Mul in front of each: optimising
        the graph folds them into fp32 weights, which took ~0.5 s and a +216 MB transient on
        every start. The optimised graph is saved once, its weights in a separate file that
        onnxruntime maps into memory: later starts take ~0.13 s with no transient, the pages are
        shared by every nvault process on the machine, and the vectors are bit-identical.
        """
        import onnxruntime as ort

        cached = optimized_model_path(ort.__version__)
        if cached.is_file():
            try:
                return ort.InferenceSession(
                    str(cached), sess_options=self._options("ORT_ENABLE_ALL"), providers=CPU
                )
            except Exception as exc:  # a damaged cache: rebuild it from the package
                log.warning("cached model %s unusable (%s); rebuilding it", cached, exc)
                shutil.rmtree(cached.parent, ignore_errors=True)
        model_path = builtin_model_path()
        verify_sha256(model_path, BUILTIN_MODEL_SHA256)
        # EXTENDED, not ALL: ALL's layout changes are specific to this CPU, the cache may not be.
        options = self._options("ORT_ENABLE_EXTENDED")
        staging = staging_folder(cached)
        if staging is not None:
            options.optimized_model_filepath = str(staging / cached.name)
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_file_name", WEIGHTS_FILE
            )
            options.add_session_config_entry(
                "session.optimized_model_external_initializers_min_size_in_bytes", "1024"
            )
        try:
            session = ort.InferenceSession(str(model_path), sess_options=options, providers=CPU)
        except Exception:
            if staging is None:
                raise
            shutil.rmtree(staging, ignore_errors=True)  # e.g. a full disk while saving
            options = self._options("ORT_ENABLE_EXTENDED")
            return ort.InferenceSession(str(model_path), sess_options=options, providers=CPU)
        if staging is not None:
            publish(staging, cached.parent)
        return session

    def release(self) -> None:
        """Free the session (~100 MB): a one-shot index has nothing left to embed. The next
        call loads it again."""
        with self._loaded:
            self._session = self._tokenizer = self._weights = None
        release_free_memory()

    def _run(
        self, session: Any, encodings: list[Any], shrink: bool = False, tokens: bool = False
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Pooled vectors, and with `tokens` each text's reduced token vectors from the same
        forward pass (index/token_vectors.py)."""
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros((len(encodings), width), dtype=np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = session.run(None, feeds, self._run_options if shrink else None)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
        basis = self.token_basis if tokens else None
        if basis is None:
            return vectors, []
        return vectors, reduce_batch(hidden, [len(e.ids) for e in encodings], basis)

    @property
    def token_basis(self) -> np.ndarray | None:
        """The shipped projection for this model's token vectors (None: no re-ranking stage)."""
        return basis_for(self.name)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed(texts, tokens=False)[0]

    def embed_documents_with_tokens(
        self, texts: list[str]
    ) -> tuple[np.ndarray, list[np.ndarray] | None]:
        """Vectors and reduced token vectors, one forward pass (None: no basis for the model)."""
        vectors, tokens = self._embed(texts, tokens=self.token_basis is not None)
        return vectors, tokens if self.token_basis is not None else None

    def _embed(self, texts: list[str], tokens: bool) -> tuple[np.ndarray, list[np.ndarray]]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        token_out: list[np.ndarray] = [np.zeros((0, TOKEN_DIMS), np.int8)] * len(texts)
        if not texts:
            return out, token_out

        def run(batch: list[int], shrink: bool = False) -> None:
            vectors, reduced = self._run(session, [encodings[j] for j in batch], shrink, tokens)
            out[batch] = vectors
            for j, t in zip(batch, reduced, strict=False):
                token_out[j] = t

        with self._using() as (session, tokenizer):
            encodings = tokenizer.encode_batch(texts, add_special_tokens=True)
            order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
            batch: list[int] = []
            for i in order:
                width = len(encodings[i].ids)  # the longest so far: order is ascending
                full = (len(batch) + 1) * width > self.budget or len(batch) >= self.batch_size
                if batch and full:
                    run(batch)
                    batch = []
                batch.append(i)
            if batch:  # the arena gives its blocks back once per call of this method, not per
                # batch: with glibc's fixed mmap threshold a shrink per batch made every batch
                # fault fresh pages in (`nvault index` took 1.25x the bare embedder's time)
                run(batch, shrink=True)
        return out, token_out

    def embed_query(self, text: str) -> np.ndarray:
        """One text, the arena shrunk after it: a 256-token paragraph (the editor's `[[`
        completion) left ~25 MB in the arena for good; short queries cost the same either
        way (2.7-2.8 ms), a paragraph ~5 ms more (58 vs 53 ms, docs/benchmarks.md)."""
        return self.embed_query_with_tokens(text)[0]

    def embed_query_with_tokens(self, text: str) -> tuple[np.ndarray, np.ndarray | None]:
        """The query's vector and its reduced token vectors, one forward pass (None: no basis)."""
        tokens = self.token_basis is not None
        with self._using() as (session, tokenizer):
            vectors, reduced = self._run(session, [tokenizer.encode(text)], True, tokens)
        return vectors[0], reduced[0] if reduced else None


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

    def load(self) -> None:
        """The model lives in the Ollama server: nothing to load here."""

    def release(self) -> None:
        """The model lives in the Ollama server: nothing to free here."""

    def release_if_idle(self, idle_s: float) -> bool:
        """The model lives in the Ollama server: nothing to free here."""
        return False


_BUILTIN_CACHE: dict[tuple[int, int], MiniLMEmbedder] = {}


def make_embedder(config: EmbedderConfig, llm: LLMConfig) -> Embedder:
    """The configured embedder; the built-in one is loaded once per process and shared."""
    if config.provider == "ollama":
        return OllamaEmbedder(config.model, llm, batch_size=config.batch_size)
    key = (config.batch_size, config.threads)
    if key not in _BUILTIN_CACHE:
        _BUILTIN_CACHE[key] = MiniLMEmbedder(batch_size=config.batch_size, threads=config.threads)
    return _BUILTIN_CACHE[key]
