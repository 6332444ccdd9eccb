"""Fit the PCA basis the MaxSim stage projects token vectors on, and ship it as a package asset.

Usage:
    python -m bench.fit.token_basis [VAULT] [--sample 300] [--check]

Deterministic: the vault's chunks as the product makes them (index/prepare.py), sorted by path
and ordinal, `--sample` of them evenly spaced; their token vectors (the built-in model's
`last_hidden_state`, `[CLS]`/`[SEP]` left out, L2-normalised, float32) -> the top TOKEN_DIMS
right singular vectors of the centred matrix. Default vault: silverbullet-docs (MIT), so the
asset derives from no non-commercial text and from neither vault latency or SciFact is scored
on. Writes src/vault_core/assets/minilm-token-basis.{npy,json}; `--check` refits and exits 1
if the shipped file differs. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from bench.harness import REPO, corpus, emit, log
from bench.measure.scifact_maxsim import token_vectors
from vault_core.config import VaultConfig
from vault_core.index.embed import MiniLMEmbedder
from vault_core.index.prepare import prepare_file
from vault_core.index.scan import Scanner
from vault_core.index.token_vectors import BASIS_ASSET, BASIS_META, TOKEN_DIMS, BasisInfo

ASSETS = REPO / "src" / "vault_core" / "assets"


def sample_texts(root: Path, sample: int) -> list[str]:
    config = VaultConfig(root=root)
    found, _ = Scanner(config).scan("")
    texts: list[str] = []
    for rel, (mtime, size) in sorted(found.items()):
        if rel.startswith("_SOURCE_LICENSE"):
            continue
        prepared = prepare_file(config, rel, mtime, size, None)
        texts.extend(d.text for d in prepared.drafts)
    step = max(1, len(texts) // sample)
    return texts[::step][:sample]


def fit(texts: list[str], embedder: MiniLMEmbedder) -> tuple[np.ndarray, int]:
    x = np.vstack(token_vectors(embedder, texts)).astype(np.float64)
    x -= x.mean(axis=0)
    _, _, vt = np.linalg.svd(x, full_matrices=False)
    basis = vt[:TOKEN_DIMS].T
    basis *= np.sign(basis[np.abs(basis).argmax(axis=0), range(TOKEN_DIMS)])  # fixed signs
    return basis.astype(np.float32), len(x)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", nargs="?", default=None)
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    root = (Path(args.vault) if args.vault else corpus("silverbullet-docs")).resolve()
    texts = sample_texts(root, args.sample)
    embedder = MiniLMEmbedder()
    basis, tokens = fit(texts, embedder)
    info = BasisInfo(
        model=embedder.name, dims=TOKEN_DIMS, fitted_on=root.name, chunks=len(texts), tokens=tokens
    )
    if args.check:
        shipped = np.load(ASSETS / BASIS_ASSET)
        same = bool(np.allclose(shipped, basis, atol=1e-4))
        emit({"same_as_shipped": same, **info.model_dump()})
        raise SystemExit(0 if same else 1)
    np.save(ASSETS / BASIS_ASSET, basis)
    (ASSETS / BASIS_META).write_text(json.dumps(info.model_dump(), indent=2) + "\n")
    log(f"wrote {ASSETS / BASIS_ASSET}")
    emit({"written": str(ASSETS / BASIS_ASSET), **info.model_dump()})


if __name__ == "__main__":
    main()
