"""Live-sync latency: save -> searchable, delete -> gone, writer -> reader lag, idle CPU.

Usage: python -m bench.measure.live INDEXED_VAULT [--edits 100] [--deletes 30] [--idle 60]

INDEXED_VAULT is a vault folder with its `.nvault` index already built (build it once with
`nvault --root DIR index`; indexing vaultofknowledge takes minutes). It is copied to a temp dir
(mtimes kept) so runs never touch it. `--multiply N` first builds an N-times-larger vault from N
copies of it (their chunk texts repeat, so the vectors are reused, not re-embedded) and caches it
beside the source as `<name>-xN`. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import random
import shutil
import string
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

from bench.harness import emit, summary_ms
from vault_core.vault import Vault

READER = r"""
import sys, time
from vault_core.vault import Vault
vault = Vault.open(sys.argv[1], watch=True)
print("ready" if not vault.is_writer else "writer?!", flush=True)
for line in sys.stdin:
    token, path = line.rstrip("\n").split("\t", 1)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if any(h.path == path for h in vault.search(token, mode="keyword", limit=3)):
            break
        time.sleep(0.01)
    print(time.time(), flush=True)
"""


def summary(values: list[float]) -> dict[str, float]:
    """The harness's summary of durations in seconds, or {} when nothing was measured."""
    return summary_ms(values, digits=1) if values else {}


def multiplied(source: Path, times: int) -> Path:
    """`source` copied `times` times into sub-folders, indexed (vectors reused), cached."""
    target = source.with_name(f"{source.name}-x{times}")
    if (target / ".nvault" / "index.json").is_file():
        return target
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source / ".nvault", target / ".nvault")
    for i in range(times):
        shutil.copytree(
            source, target / f"copy{i}", ignore=shutil.ignore_patterns(".nvault", ".obsidian")
        )
    with Vault.open(target) as vault:
        vault.sync()
    return target


def token(rng: random.Random) -> str:
    return "zqv" + "".join(rng.choice(string.ascii_lowercase) for _ in range(9)) + "x"


def wait_for(check: Callable[[], bool], timeout: float = 60.0, step: float = 0.01) -> float | None:
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if check():
            return time.perf_counter() - start
        time.sleep(step)
    return None


def run(source: Path, edits: int, deletes: int, idle_s: float, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="nvault-live-"))
    root = work / source.name
    shutil.copytree(source, root)
    proc = psutil.Process()
    started = time.perf_counter()
    vault = Vault.open(root, watch=True)
    open_s = time.perf_counter() - started
    wait_for(lambda: vault.watcher.syncs >= 1, timeout=3600, step=0.05)
    catch_up_s = time.perf_counter() - started
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert reader.stdin and reader.stdout
    assert reader.stdout.readline().strip() == "ready"
    notes = sorted(p for p, n in vault.catalog.items() if n.kind == "note" and n.size < 20_000)
    picked = rng.sample(notes, edits + deletes)
    save, lag, misses = [], [], 0
    for rel in picked[:edits]:
        tok = token(rng)
        with open(root / rel, "a", encoding="utf-8") as fh:
            fh.write(f"\n\n{tok}\n")
        took = wait_for(
            lambda tok=tok, rel=rel: any(
                h.path == rel for h in vault.search(tok, mode="keyword", limit=3)
            )
        )
        if took is None:
            misses += 1
            continue
        seen_writer = time.time()
        save.append(took)
        reader.stdin.write(f"{tok}\t{rel}\n")
        reader.stdin.flush()
        lag.append(max(float(reader.stdout.readline()) - seen_writer, 0.0))
        time.sleep(rng.uniform(0.05, 0.3))  # separate saves, like a person typing and saving
    gone = []
    for rel in picked[edits:]:
        (root / rel).unlink()
        took = wait_for(lambda rel=rel: rel not in vault.catalog)
        if took is None:
            misses += 1
        else:
            gone.append(took)
    wait_for(lambda: not vault.progress.active and not vault.watcher._pending, step=0.05)
    time.sleep(2)  # let the last commit and its optimize finish before measuring idle
    reader_ps = psutil.Process(reader.pid)
    cpu0, rcpu0, t_idle = proc.cpu_times(), reader_ps.cpu_times(), time.perf_counter()
    time.sleep(idle_s)
    cpu1, rcpu1, elapsed = proc.cpu_times(), reader_ps.cpu_times(), time.perf_counter() - t_idle
    status = vault.status()
    result = {
        "vault": str(source),
        "notes": status.notes,
        "attachments": status.attachments,
        "chunks": status.chunks,
        "watcher": status.watcher,
        "open_s": round(open_s, 2),
        "catch_up_s": round(catch_up_s, 2),
        "save_to_searchable": summary(save),
        "delete_to_gone": summary(gone),
        "writer_to_reader_lag": summary(lag),
        "misses": misses,
        "idle_s": round(elapsed, 1),
        "idle_cpu_percent_writer": round(
            100 * ((cpu1.user + cpu1.system) - (cpu0.user + cpu0.system)) / elapsed, 3
        ),
        "idle_cpu_percent_reader": round(
            100 * ((rcpu1.user + rcpu1.system) - (rcpu0.user + rcpu0.system)) / elapsed, 3
        ),
        "syncs": vault.watcher.syncs,
        "sync_seconds_last_50": summary([r.seconds for r in vault.watcher.history]),
        "debounce_ms": vault.config.debounce_ms,
        "cores": psutil.cpu_count(),
        "load_avg_1m": round(psutil.getloadavg()[0], 2),
    }
    reader.stdin.close()
    reader.wait(timeout=60)
    vault.close()
    shutil.rmtree(work, ignore_errors=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", type=Path, help="a vault folder with a built .nvault index")
    parser.add_argument("--edits", type=int, default=100)
    parser.add_argument("--deletes", type=int, default=30)
    parser.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU sampling")
    parser.add_argument("--multiply", type=int, default=1, help="bench an N-times copy instead")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    source = args.vault.resolve()
    if not (source / ".nvault" / "index.json").is_file():
        parser.error(f"{source} has no built index: run `nvault --root {source} index` first")
    if args.multiply > 1:
        source = multiplied(source, args.multiply)
    emit(run(source, args.edits, args.deletes, args.idle, args.seed))


if __name__ == "__main__":
    main()
