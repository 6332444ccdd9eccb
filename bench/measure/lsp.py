"""Language-server latency: hover and `[[` completion p50/p95 over N requests each, and server RSS.

Usage:
    python -m bench.measure.lsp [CORPUS] [--cache DIR] [-n 200]

CORPUS defaults to ../shared/corpora/vaultofknowledge. It is copied once to `<cache>/<name>`
(default /tmp/nvault-bench-cache, shared with the other bench scripts) and indexed there; later
runs reuse it. The server is the real `python -m vault_lsp` subprocess, driven over stdio by
pytest-lsp's client; times are client-side round trips. Prints one JSON object.

Hover: on N links (each from a different source note where possible), twice: `hover_right_after_open`
sends each hover the moment its document is opened (it competes with that document's diagnostics
and the warming of its links' summaries: a worst case), then, 3 s after the last open, `hover`
repeats the same N hovers on the now open documents (someone reading a note, then hovering).
Completion: N different paragraphs from the vault, each with ` [[` appended, completion at the end
(so every request runs a fresh hybrid search over its paragraph).

    python -m bench.measure.lsp [CORPUS] --big-doc [-n 20]

measures only `textDocument/documentLink` and `textDocument/foldingRange` on one open buffer made
of the corpus's notes concatenated, at 5 MB (above the 4 M-character parse cap, so links are not
parsed: documentLink answers []) and at 3.5 MB (parsed): the first request (which parses the new
buffer version) and then N repeats each.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import filelock
from lsprotocol import types
from pygls.uris import from_fs_path

from bench.harness import CORPORA, emit, summary
from bench.lsp_session import vault_lsp
from vault_core.parse.markdown import parse_note
from vault_core.vault import Vault

DEFAULT_CORPUS = CORPORA / "vaultofknowledge"
DEFAULT_CACHE = Path(os.environ.get("NVAULT_BENCH_CACHE", "/tmp/nvault-bench-cache"))
MARKER = "lsp-bench-synced"
SETTLE_S = 3.0


def cached_vault(corpus: Path, cache: Path) -> Path:
    """Copy and index `corpus` once under `cache` (waits while another process is the writer)."""
    corpus = corpus.resolve()
    root = cache / corpus.name
    cache.mkdir(parents=True, exist_ok=True)
    while True:
        with filelock.FileLock(str(cache / f"{corpus.name}.lock")):
            if not root.exists():
                shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".nvault"))
            with Vault.open(root) as vault:
                if vault.is_writer:
                    vault.sync()
                    (root / ".nvault" / MARKER).write_text("ok", encoding="utf-8")
                    return root
        print(f"waiting: another process is indexing {root}", file=sys.stderr)
        time.sleep(15)


def pick_work(root: Path, n: int, seed: int = 7) -> tuple[list[tuple[str, int, int]], list[str]]:
    """(hover targets: rel, line0, col) and paragraphs for completion, from the vault's notes."""
    rng = random.Random(seed)
    notes = sorted(p for p in root.rglob("*.md") if ".nvault" not in p.parts)
    rng.shuffle(notes)
    hovers: list[tuple[str, int, int]] = []
    paragraphs: list[str] = []
    for path in notes:
        rel = path.relative_to(root).as_posix()
        text = path.read_text(encoding="utf-8", errors="replace")
        parsed = parse_note(text, rel)
        wiki = [link for link in parsed.links if link.kind == "wiki" and link.target]
        if wiki and len(hovers) < n:
            link = rng.choice(wiki)
            hovers.append((rel, link.line - 1, link.start_col + 3))
        for para in text.split("\n\n"):
            words = para.split()
            if 12 <= len(words) <= 120 and not para.lstrip().startswith(("#", "---", "```", "|")):
                paragraphs.append(" ".join(words))
                break
    while len(hovers) < n and hovers:
        hovers.append(hovers[len(hovers) % max(1, len(hovers))])
    return hovers[:n], paragraphs[:n]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


async def _hover(client: Any, uri: str, line0: int, col: int) -> tuple[float, bool]:
    """(round trip in ms, whether the answer was empty) of one hover."""
    t0 = time.perf_counter()
    result = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line0, character=col),
        )
    )
    return (time.perf_counter() - t0) * 1000, result is None


async def run(root: Path, n: int) -> dict[str, Any]:
    hovers, paragraphs = pick_work(root, n)
    async with vault_lsp(root) as session:
        client, started, init_ms = session.client, session.started, session.initialize_ms
        while True:
            status = await client.protocol.send_request_async("nvault/status", {})
            if status.notes and not status.indexing.active:
                break
            await asyncio.sleep(1)
        ready_s = time.perf_counter() - started
        pid = client._server.pid if client._server else 0
        stages = {"ready": rss_mb(pid)}
        opened: set[str] = set()
        after_open_ms: list[float] = []
        empty_hovers = 0
        for rel, line0, col in hovers:
            uri = from_fs_path(str(root / rel)) or ""
            if uri not in opened:
                text = (root / rel).read_text(encoding="utf-8", errors="replace")
                client.text_document_did_open(
                    types.DidOpenTextDocumentParams(
                        text_document=types.TextDocumentItem(
                            uri=uri, language_id="markdown", version=1, text=text
                        )
                    )
                )
                opened.add(uri)
            ms, empty = await _hover(client, uri, line0, col)
            after_open_ms.append(ms)
            empty_hovers += empty
        await asyncio.sleep(SETTLE_S)  # the documents' diagnostics and first warming are done
        stages["documents_open"] = rss_mb(pid)
        hover_ms: list[float] = []
        for rel, line0, col in hovers:
            ms, empty = await _hover(client, from_fs_path(str(root / rel)) or "", line0, col)
            hover_ms.append(ms)
            empty_hovers += empty
        stages["after_hovers"] = rss_mb(pid)
        completion_ms: list[float] = []
        uri = from_fs_path(str(root / "nvault-bench-scratch.md")) or ""
        text = paragraphs[0] + " [["
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="markdown", version=1, text=text
                )
            )
        )
        items = 0
        for version, para in enumerate(paragraphs, start=2):
            text = para + " [["
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
            t0 = time.perf_counter()
            result = await client.text_document_completion_async(
                types.CompletionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    position=types.Position(line=0, character=len(text)),
                )
            )
            completion_ms.append((time.perf_counter() - t0) * 1000)
            items += len(result.items) if result else 0
        rss = stages["after_completions"] = rss_mb(pid)
    return {
        "notes": status.notes,
        "chunks": status.chunks,
        "initialize_ms": round(init_ms, 1),
        "ready_s": round(ready_s, 2),
        "hover": {**summary(hover_ms), "goal_p95_ms": 30},
        "hover_right_after_open": summary(after_open_ms),
        "empty_hovers": empty_hovers,
        "completion": {
            **summary(completion_ms),
            "mean_items": round(items / max(1, len(paragraphs)), 1),
            "goal_p95_ms": 80,
        },
        "server_rss_mb": rss,
        "server_rss_mb_by_stage": stages,
    }


BIG_SIZES = (5_000_000, 3_500_000)


async def run_big_doc(root: Path, n: int) -> dict[str, Any]:
    notes = sorted(p for p in root.rglob("*.md") if ".nvault" not in p.parts)
    corpus_text = "\n\n".join(p.read_text(encoding="utf-8", errors="replace") for p in notes)
    async with vault_lsp(root) as session:
        client = session.client
        while not (await client.protocol.send_request_async("nvault/status", {})).notes:
            await asyncio.sleep(1)
        out: dict[str, Any] = {}
        for size in BIG_SIZES:
            text = (corpus_text * (size // max(1, len(corpus_text)) + 1))[:size]
            uri = from_fs_path(str(root / f"nvault-bench-big-{size}.md")) or ""
            client.text_document_did_open(
                types.DidOpenTextDocumentParams(
                    text_document=types.TextDocumentItem(
                        uri=uri, language_id="markdown", version=1, text=text
                    )
                )
            )
            doc = types.TextDocumentIdentifier(uri=uri)
            result: dict[str, Any] = {"chars": len(text), "lines": text.count("\n") + 1}
            for name, send in (
                (
                    "document_link",
                    lambda doc=doc: client.text_document_document_link_async(
                        types.DocumentLinkParams(text_document=doc)
                    ),
                ),
                (
                    "folding_range",
                    lambda doc=doc: client.text_document_folding_range_async(
                        types.FoldingRangeParams(text_document=doc)
                    ),
                ),
            ):
                times: list[float] = []
                count = 0
                for _ in range(n + 1):
                    t0 = time.perf_counter()
                    answer = await send()
                    times.append((time.perf_counter() - t0) * 1000)
                    count = len(answer or [])
                result[name] = {
                    "first_ms": round(times[0], 1),
                    **summary(times[1:]),
                    "items": count,
                    "goal_p95_ms": 200,
                }
            out[f"{size // 100_000 / 10:g}MB"] = result
    return {"big_document": out}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument(
        "--big-doc", action="store_true", help="only documentLink/foldingRange on a 5 MB buffer"
    )
    args = parser.parse_args()
    if not args.corpus.is_dir():
        emit({"error": f"corpus not found: {args.corpus}"})
        return 2
    root = cached_vault(args.corpus, args.cache)
    result = asyncio.run(run_big_doc(root, args.n) if args.big_doc else run(root, args.n))
    result = {
        "corpus": args.corpus.name,
        "vault": str(root),
        "requests": args.n,
        **result,
    }
    emit(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
