"""Reduced token vectors: what the MaxSim re-ranking stage (query/rerank.py) compares.

The model's `last_hidden_state` per token (before mean pooling), `[CLS]`/`[SEP]` left out,
L2-normalised, projected on a fixed PCA basis to TOKEN_DIMS dimensions, re-normalised and
rounded to int8 (scale 127): 64 bytes a token. The basis is a package asset fitted once offline
(bench/fit/token_basis.py) for one model, so every index and every query project the same way;
a model without a basis gets no token vectors and search answers without the stage.
Measured on SciFact (docs/benchmarks.md "Round 5"): this form keeps the full vectors' gain.
"""

from __future__ import annotations

import importlib.resources
import json
from functools import cache

import numpy as np
from pydantic import BaseModel

TOKEN_DIMS = 64
SCALE = 127.0
BASIS_ASSET = "minilm-token-basis.npy"
BASIS_META = "minilm-token-basis.json"


class BasisInfo(BaseModel):
    """What the shipped basis was fitted on (bench/fit/token_basis.py writes it)."""

    model: str
    dims: int
    fitted_on: str
    chunks: int
    tokens: int


@cache
def basis_for(model: str) -> np.ndarray | None:
    """The 384 x TOKEN_DIMS projection shipped for `model`, or None (no token vectors)."""
    assets = importlib.resources.files("vault_core") / "assets"
    meta_file, basis_file = assets / BASIS_META, assets / BASIS_ASSET
    if not meta_file.is_file() or not basis_file.is_file():
        return None
    info = BasisInfo.model_validate(json.loads(meta_file.read_text(encoding="utf-8")))
    if info.model != model or info.dims != TOKEN_DIMS:
        return None
    with basis_file.open("rb") as fh:
        basis = np.load(fh)
    return np.ascontiguousarray(basis, dtype=np.float32)


def reduce_tokens(hidden: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """One text's token states (tokens x model dim, no [CLS]/[SEP]) -> int8 (tokens x dims)."""
    return reduce_batch(hidden[None], [len(hidden) + 2], basis, specials=False)[0]


def reduce_batch(
    hidden: np.ndarray, lengths: list[int], basis: np.ndarray, specials: bool = True
) -> list[np.ndarray]:
    """A padded batch's token states (texts x width x model dim) -> each text's int8 tokens,
    its [CLS]/[SEP] left out when `specials` (`lengths` count them). One matrix product for the
    whole batch, by einsum's own loop, not BLAS: OpenBLAS's threads spin after each small
    product beside ONNX Runtime's, which cost +25-45% of indexing CPU (docs/benchmarks.md)."""
    norms = np.linalg.norm(hidden, axis=2, keepdims=True)
    z = np.einsum("btd,dk->btk", hidden / np.clip(norms, 1e-12, None), basis, optimize=False)
    out = []
    for row, length in enumerate(lengths):
        part = z[row, 1 : length - 1] if specials else z[row, : length - 2]
        part = part / np.clip(np.linalg.norm(part, axis=1, keepdims=True), 1e-12, None)
        out.append(np.round(part * SCALE).astype(np.int8))
    return out


def as_unit(tokens: np.ndarray) -> np.ndarray:
    """Stored int8 tokens back to (near) unit float32 vectors for dot products."""
    return tokens.astype(np.float32) / SCALE
