"""Cold start: a vault with no index, from the first millisecond to fully embedded.

    python -m bench.measure.coldstart [--corpus vaultofknowledge] [--multiply 1] [--phase1-only]
                              [--raw-sample 1000] [--skip-cli]
    python -m bench.measure.coldstart --cli-vs-raw 2   # only: index, then the bare embedder, twice

Two runs on fresh copies of the corpus (no `.nvault`):

1. server: a process opens `Vault.open(root, watch=True)` (what `vault-mcp` and `vault-lsp` do)
   and polls it every 50 ms: when phase 1 ends; when keyword search finds a token unique to the
   last file phase 1 reads; when the name of that note resolves (`vault.resolve`, what LSP
   definition/hover call); when every chunk has a vector. RSS is sampled all along.
2. cli: `nvault index ROOT` as a subprocess: wall time and peak RSS (RUSAGE_CHILDREN).

Then the raw embedder rate on a random sample of the same chunk texts (a fresh MiniLMEmbedder,
same process, nothing else running) gives the ceiling the full index is compared with.
Prints one JSON object; progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import corpus, emit, load_average, log, machine

WORKER = r"""
import json, os, sys, threading, time
t0 = time.monotonic()
from vault_core.vault import Vault

root, token, last_path, last_name, phase1_only = sys.argv[1:6]
peak = {"rss": 0.0}
def rss_mb():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
def sample():
    while True:
        peak["rss"] = max(peak["rss"], rss_mb())
        time.sleep(0.05)
threading.Thread(target=sample, daemon=True).start()
vault = Vault.open(root, watch=True)
marks = {"opened_s": time.monotonic() - t0}
def mark(name):
    if name not in marks:
        marks[name] = round(time.monotonic() - t0, 2)
        marks[name.replace("_s", "") + "_peak_rss_mb"] = round(peak["rss"], 1)
        print(json.dumps({"mark": name, "at": marks[name]}), file=sys.stderr, flush=True)
while True:
    p = vault.progress
    if p.total and "files_counted_s" not in marks:
        mark("files_counted_s")
    if vault.names_complete and "phase1_s" not in marks:
        mark("phase1_s")
        marks["files"] = p.total
        marks["chunks"] = p.chunks_total
    if "keyword_last_file_s" not in marks:
        if any(h.path == last_path for h in vault.search(token, mode="keyword", limit=5)):
            mark("keyword_last_file_s")
    if "name_last_file_s" not in marks:
        try:
            if vault.resolve(last_path).path == last_path:
                mark("name_last_file_s")
        except Exception:
            pass
    if "phase1_s" in marks and phase1_only == "1":
        break
    if "phase1_s" in marks and not vault.progress.embedding_pending and vault.progress.chunks_total:
        mark("embedded_s")
        break
    time.sleep(0.05)
marks["chunks_embedded"] = vault.progress.chunks_embedded
marks["peak_rss_mb"] = round(peak["rss"], 1)
vault.close()
print(json.dumps(marks), flush=True)
"""


def fresh_copy(source: Path, multiply: int, into: Path) -> Path:
    root = into / "vault"
    if multiply <= 1:
        shutil.copytree(source, root, ignore=shutil.ignore_patterns(".nvault"))
    else:
        for i in range(multiply):
            shutil.copytree(source, root / f"copy{i}", ignore=shutil.ignore_patterns(".nvault"))
    return root


def last_file_token(root: Path) -> tuple[str, str, str]:
    """The last Markdown file phase 1 reads (sorted path order) and a token only it contains."""
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    last = files[-1]
    token = "zqxcoldstart" + str(random.Random(7).randint(10**6, 10**7))
    path = root / last
    path.write_text(path.read_text(encoding="utf-8") + f"\n\n{token}\n", encoding="utf-8")
    return token, last, Path(last).stem


def run_server(root: Path, phase1_only: bool) -> dict[str, object]:
    token, last, name = last_file_token(root)
    log(f"server run on {root} (last file {last})")
    proc = subprocess.run(
        [sys.executable, "-c", WORKER, str(root), token, last, name, "1" if phase1_only else "0"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _timed_child(argv: list[str]) -> tuple[float, float, str]:
    """Wall seconds, this child's own peak RSS (MB) and its stdout."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{argv[:3]} failed")
    return round(time.monotonic() - started, 1), round(usage.ru_maxrss / 1024, 1), out


def run_cli(root: Path) -> dict[str, object]:
    log(f"cli run on {root}")
    nvault = Path(sys.executable).with_name("nvault")
    seconds, peak, _ = _timed_child([str(nvault), "index", str(root)])
    return {"seconds": seconds, "peak_rss_mb": peak}


RAW_ALL = r"""
import json, sys, time, lancedb
from vault_core.index.embed import MiniLMEmbedder
table = lancedb.connect(sys.argv[1]).open_table("chunks")
texts = table.search().select(["text"]).limit(None).to_arrow()["text"].to_pylist()
embedder = MiniLMEmbedder()
embedder.load()
started = time.perf_counter()
embedder.embed_documents(texts)  # one call: sorted by tokens over the whole vault, the ideal
print(json.dumps({"chunks": len(texts), "seconds": round(time.perf_counter() - started, 1)}))
"""


def cli_vs_raw(source: Path, rounds: int, tmp: Path) -> dict[str, object]:
    """`nvault index` on a fresh copy, then the bare embedder on every chunk text of that index
    in a fresh process, `rounds` times back to back: the ratio of each pair is what the goal
    (full index <= 1.1x raw embed time) reads, under the same load."""
    pairs = []
    for round_ in range(rounds):
        root = fresh_copy(source, 1, tmp / f"pair{round_}")
        cli = run_cli(root)
        log(f"raw embedder on the chunks of {root}")
        raw_seconds, raw_peak, out = _timed_child(
            [sys.executable, "-c", RAW_ALL, str(root / ".nvault" / "lance")]
        )
        raw = json.loads(out.strip().splitlines()[-1])
        pairs.append(
            {
                "index_seconds": cli["seconds"],
                "index_peak_rss_mb": cli["peak_rss_mb"],
                "raw_embed_seconds": raw["seconds"],
                "raw_process_seconds": raw_seconds,
                "raw_peak_rss_mb": raw_peak,
                "chunks": raw["chunks"],
                "ratio": round(float(cli["seconds"]) / raw["seconds"], 3),  # type: ignore[arg-type]
                "load_average_after": load_average(),
            }
        )
        log(json.dumps(pairs[-1]))
        shutil.rmtree(root, ignore_errors=True)
    return {"pairs": pairs, "worst_ratio": max(p["ratio"] for p in pairs)}  # type: ignore[type-var]


def raw_rate(root: Path, sample: int) -> dict[str, object]:
    """Chunks/s of the bare embedder on a random sample of the index's own chunk texts."""
    import lancedb

    from vault_core.index.embed import MiniLMEmbedder

    table = lancedb.connect(str(root / ".nvault" / "lance")).open_table("chunks")
    texts = table.search().select(["text"]).limit(None).to_arrow()["text"].to_pylist()
    picked = random.Random(11).sample(texts, min(sample, len(texts)))
    embedder = MiniLMEmbedder()
    embedder.load()
    embedder.embed_documents(picked[:16])
    started = time.perf_counter()
    embedder.embed_documents(picked)
    seconds = time.perf_counter() - started
    return {"sample": len(picked), "chunks_per_s": round(len(picked) / seconds, 2)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="vaultofknowledge")
    parser.add_argument("--multiply", type=int, default=1)
    parser.add_argument("--phase1-only", action="store_true")
    parser.add_argument("--raw-sample", type=int, default=1000)
    parser.add_argument("--skip-cli", action="store_true")
    parser.add_argument(
        "--cli-vs-raw", type=int, default=0, metavar="ROUNDS", help="only the index/raw pairs"
    )
    args = parser.parse_args()
    source = corpus(args.corpus)
    result: dict[str, object] = {
        "bench": "coldstart",
        "corpus": args.corpus,
        "multiply": args.multiply,
        "load_average_at_start": load_average(),
    }
    with tempfile.TemporaryDirectory(prefix="nvault-cold-") as tmp:
        if args.cli_vs_raw:
            result["cli_vs_raw"] = cli_vs_raw(source, args.cli_vs_raw, Path(tmp))
            result["machine"] = machine()
            emit(result)
            return
        server_root = fresh_copy(source, args.multiply, Path(tmp) / "server")
        result["server"] = server = run_server(server_root, args.phase1_only)
        log(json.dumps({"server": server}))  # kept even if a later part is stopped
        if not args.phase1_only:
            raw = raw_rate(server_root, args.raw_sample)
            chunks = int(server["chunks"])  # type: ignore[arg-type]
            raw["full_index_seconds_at_raw_rate"] = round(chunks / raw["chunks_per_s"], 1)  # type: ignore[operator]
            embed_s = float(server["embedded_s"]) - float(server["phase1_s"])  # type: ignore[arg-type]
            raw["index_rate_vs_raw"] = round(chunks / embed_s / raw["chunks_per_s"], 3)  # type: ignore[operator]
            result["raw_embedder"] = raw
        if not args.skip_cli:
            cli_root = fresh_copy(source, args.multiply, Path(tmp) / "cli")
            result["cli"] = run_cli(cli_root)
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
