"""Where a cold index's memory goes: RSS after each step, and per embedder call size.

    python -m bench.measure.memory [--corpus vaultofknowledge]

Steps run in one fresh process on a copy of the corpus (no index): import, open, phase 1, model
load, then one embedder call per padded-token budget (each in a fresh child process, since
allocator high-water marks never come down). RSS is read from /proc/self/statm and ru_maxrss.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.harness import corpus, emit, load_average, log, machine

STEPS = r"""
import json, resource, sys, time
def rss():
    with open("/proc/self/statm") as fh:
        now = int(fh.read().split()[1]) * 4096 / 2**20
    return {"now_mb": round(now, 1),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
out = {}
from vault_core.vault import Vault
out["import"] = rss()
vault = Vault.open(sys.argv[1])
out["open"] = rss()
t = time.perf_counter()
vault.sync(embed=False)
out["phase1"] = {**rss(), "seconds": round(time.perf_counter() - t, 1),
                 "chunks": vault.progress.chunks_total}
vault.embedder.load()
out["model_loaded"] = rss()
step = vault.embed_step(max_chunks=256)
out["first_256_chunks_embedded"] = {**rss(), "seconds": round(step.seconds, 1)}
vault.close()
print(json.dumps(out))
"""

CALL = r"""
import json, random, resource, sys, time
from vault_core.index.embed import MiniLMEmbedder
budget = int(sys.argv[1])
e = MiniLMEmbedder(budget=budget)
e.load()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
r = random.Random(1)
texts = ["hello world alpha beta " * r.randint(3, 70) for _ in range(200)]
c = time.process_time()
e.embed_documents(texts)
print(json.dumps({"budget_tokens": budget,
                  "added_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - base, 1),
                  "cpu_ms_per_text": round((time.process_time() - c) / 200 * 1000, 1)}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="vaultofknowledge")
    args = parser.parse_args()
    result: dict[str, object] = {"bench": "memory", "load_average_at_start": load_average()}
    with tempfile.TemporaryDirectory(prefix="nvault-mem-") as tmp:
        root = Path(tmp) / "vault"
        shutil.copytree(corpus(args.corpus), root, ignore=shutil.ignore_patterns(".nvault"))
        log("steps")
        proc = subprocess.run(
            [sys.executable, "-c", STEPS, str(root)], capture_output=True, text=True, check=True
        )
        result["steps"] = json.loads(proc.stdout.strip().splitlines()[-1])
    calls = []
    for budget in (256, 512, 1024, 2048):
        log("embedder call budget", budget)
        proc = subprocess.run(
            [sys.executable, "-c", CALL, str(budget)], capture_output=True, text=True, check=True
        )
        calls.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result["embedder_calls"] = calls
    result["peak_rss_children_mb"] = round(
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1
    )
    result["seconds"] = round(time.process_time(), 1)
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
