"""Recovery time and re-embedded chunks per fault, on a real vault (default vaultofknowledge).

The vault is indexed once (cached under $NVAULT_BENCH_CACHE/recovery-<corpus>); each fault gets
a fresh copy (files + index), is applied, and then the vault is opened as a writer and phase 1
is run (every file's row, links, keywords, and every vector that could be reused), as
`nvault index` does first. Recovery time is open + phase 1: from then on the index equals the
folder for names and keywords. `vectors_lost` counts the chunks that had a vector before the
fault and have none after the recovery, i.e. what phase 2 has to embed again (the goal: 0
whenever the damaged index still held readable vectors). A census checks the index equals the
folder. `--template DIR` uses an already indexed copy (it may be partly embedded: the counts
are relative to the vectors it holds).

    python -m bench.measure.recovery [--corpus vaultofknowledge] [--only KIND ...] > recovery.json
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import CACHE, REPO, corpus, emit, is_ready, log, machine, mark_ready, timer

# The fault suite's own faults and census, so the bench and the tests break the index alike. The
# test helpers import each other from tests/ (pytest's `pythonpath = ["tests"]`), so that root is
# put on the path here: the one place a bench reaches into tests/.
sys.path.insert(0, str(REPO / "tests"))
from reliability.faults import CORRUPTIONS, census, corrupt

from vault_core.vault import Vault

FAULTS = (*CORRUPTIONS, "index-folder-deleted", "deleted-under-running-writer")


def build(name: str) -> Path:
    target = CACHE / f"recovery-{name}"
    if is_ready(target):
        return target
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(corpus(name), target, ignore=shutil.ignore_patterns(".git", ".nvault"))
    log(f"indexing {target} once (phase 1 and 2)...")
    with timer() as took, Vault.open(target) as vault:
        report = vault.sync()
    mark_ready(target, {"seconds": took[0], "embedded": report.embedded})
    return target


def run_fault(template: Path, kind: str, scratch: Path, before: int) -> dict[str, Any]:
    root = scratch / kind
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("writer.lock", ".bench-ready"))
    index_dir = root / ".nvault"
    if kind == "deleted-under-running-writer":
        with Vault.open(root) as vault:
            vault.sync(embed=False)
            vault.keep_vectors_in_memory()  # what `watch` and the servers do when they start
            shutil.rmtree(index_dir)
            started = time.perf_counter()
            report = vault.sync(embed=False)
            seconds = time.perf_counter() - started
            return _result(vault, root, kind, seconds, report, before)
    if kind == "index-folder-deleted":
        shutil.rmtree(index_dir)
    else:
        corrupt(kind, index_dir)
    started = time.perf_counter()
    with Vault.open(root) as vault:
        opened = time.perf_counter() - started
        report = vault.sync(embed=False)
        seconds = time.perf_counter() - started
        result = _result(vault, root, kind, seconds, report, before)
    result.update({"open_s": round(opened, 2)})
    return result


def _result(
    vault: Vault, root: Path, kind: str, seconds: float, report: Any, before: int
) -> dict[str, Any]:
    found = census(root)
    return {
        "fault": kind,
        "action": vault.recovery.action if vault.recovery else None,
        "recovery_s": round(seconds, 2),
        "vectors_lost": before - vault.store.count_embedded(),
        "chunks": vault.store.count_chunks(),
        "reparsed_files": len(report.added) + len(report.updated),
        "notice": vault.notice,
        "census_ok": not any(found.values()),
        "census": {k: len(v) for k, v in found.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--corpus", default="vaultofknowledge")
    parser.add_argument("--only", nargs="*", choices=FAULTS)
    parser.add_argument("--template", type=Path, help="an already indexed copy of the corpus")
    args = parser.parse_args()
    template = args.template or build(args.corpus)
    with Vault.open(template) as vault:
        status = vault.status()
        before = vault.store.count_embedded()
    results = []
    with tempfile.TemporaryDirectory(prefix="nvault-recovery-") as scratch:
        for kind in args.only or FAULTS:
            log(f"fault {kind}...")
            results.append(run_fault(template, kind, Path(scratch), before))
            log(f"  {results[-1]}")
            shutil.rmtree(Path(scratch) / kind, ignore_errors=True)
    emit(
        {
            "bench": "recovery",
            "corpus": args.corpus,
            "files": status.notes + status.attachments,
            "chunks": status.chunks,
            "chunks_embedded": before,
            "faults": results,
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
