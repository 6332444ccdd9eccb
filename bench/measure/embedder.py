"""Raw embedder throughput on real chunks: the ceiling the first index is measured against.

Chunks come from vaultofknowledge, parsed and chunked exactly as the indexer does. Each setting
embeds the same chunks; `fixed16` is the old way (texts sorted by characters, batches of 16,
onnxruntime's memory arena on), `budget` is today's (sorted by tokens, batches cut at a token budget).

    python -m bench.measure.embedder [--chunks 1500]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.harness import corpus, current_rss_mb, emit, load_average, log, machine, peak_rss_mb
from vault_core.config import Limits
from vault_core.index.embed import MiniLMEmbedder
from vault_core.parse.chunk import chunk_sections, markdown_sections
from vault_core.parse.markdown import parse_note


def real_chunks(root: Path, wanted: int) -> list[str]:
    limits = Limits()
    texts: list[str] = []
    for path in sorted(root.rglob("*.md")):
        text = path.read_text(encoding="utf-8", errors="replace")
        note = parse_note(text, path.relative_to(root).as_posix())
        sections = markdown_sections(text, note)
        for draft in chunk_sections(note.title, sections, limits.chunk_chars, limits.chunk_overlap):
            texts.append(draft.text)
        if len(texts) >= wanted:
            break
    return texts[:wanted]


def fixed16(embedder: MiniLMEmbedder, texts: list[str]) -> np.ndarray:
    """The old batching: sorted by characters, 16 at a time, padded to the longest in each."""
    embedder.load()
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    for start in range(0, len(order), 16):
        idx = order[start : start + 16]
        out[idx] = embedder._run(
            embedder._session, embedder._tokenizer.encode_batch([texts[i] for i in idx])
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--chunks", type=int, default=1500)
    args = parser.parse_args()
    texts = real_chunks(corpus("vaultofknowledge"), args.chunks)
    log(f"{len(texts)} chunks")
    runs: dict[str, dict[str, float]] = {}
    embedder = MiniLMEmbedder()
    embedder.load()
    embedder.embed_documents(texts[:64])  # warm-up
    reference = None
    for name, run in (
        ("fixed16", lambda: fixed16(embedder, texts)),
        ("budget", lambda: embedder.embed_documents(texts)),
    ):
        started, cpu = time.perf_counter(), time.process_time()
        vectors = run()
        wall = time.perf_counter() - started
        if reference is None:
            reference = vectors
        runs[name] = {
            "seconds": round(wall, 2),
            "cpu_seconds": round(time.process_time() - cpu, 2),
            "chunks_per_s": round(len(texts) / wall, 1),
            "rss_mb_after": current_rss_mb(),
            "max_abs_diff_vs_fixed16": float(np.abs(vectors - reference).max()),
        }
        log(name, runs[name])
    emit(
        {
            "bench": "embedder",
            "chunks": len(texts),
            "runs": runs,
            "speedup": round(runs["budget"]["chunks_per_s"] / runs["fixed16"]["chunks_per_s"], 3),
            "peak_rss_mb": peak_rss_mb(),
            "load_average_at_start": load_average(),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
