"""What stored token vectors cost (issue 31): embedding CPU with and without them, and the
re-ranking stage's one read of 20 chunks' token rows.

Usage:
    python -m bench.measure.token_cost INDEXED_VAULT [--chunks 48] [--reps 3] [--reads 60]

CPU is `process_time` (less sensitive to other processes than wall time) with one ONNX Runtime
thread, the two calls alternated. The read takes the token rows of 20 chunks at a time, chunks
drawn with the harness's seed, as a query's top 20 notes would. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.harness import emit, percentile, rng
from vault_core.index.embed import MiniLMEmbedder
from vault_core.vault import Vault


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path)
    parser.add_argument("--chunks", type=int, default=48)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--reads", type=int, default=60)
    args = parser.parse_args()
    with Vault.open(args.vault, writer=False) as vault:
        rows = vault.store.scan_columns(["text", "text_hash"]).to_pylist()
        texts = [r["text"] for r in rows[: args.chunks]]
        hashes = [r["text_hash"] for r in rows]
        draw = rng()
        reads = []
        for _ in range(args.reads):
            picked = draw.sample(hashes, 20)
            t0 = time.perf_counter()
            found = vault.store.token_vectors(picked)
            reads.append((time.perf_counter() - t0) * 1000)
            assert len(found) == len(set(picked)), "the index lacks token vectors"
    embedder = MiniLMEmbedder(threads=1)
    embedder.embed_documents(texts[:4])  # load and warm
    cpu: dict[str, list[float]] = {"vectors": [], "vectors_and_tokens": []}
    for _ in range(args.reps):
        for name, call in (
            ("vectors", embedder.embed_documents),
            ("vectors_and_tokens", embedder.embed_documents_with_tokens),
        ):
            t0 = time.process_time()
            call(texts)
            cpu[name].append(round(time.process_time() - t0, 3))
    emit(
        {
            "chunks_embedded": len(texts),
            "cpu_s": cpu,
            "token_read_ms_p50_p95": [
                round(percentile(reads, 50), 2),
                round(percentile(reads, 95), 2),
            ],
        }
    )


if __name__ == "__main__":
    main()
