"""Wiki lint on a big vault: wall and CPU time of a whole-vault `lint`, first and warm, per kind.

Usage: python -m bench.measure.lint [INDEXED_VAULT] [--copies 4] [--work DIR] [--runs 2]

The 10k-note vault is bench/measure/scale.py's: INDEXED_VAULT (default: bench/measure/linking.py's cached,
fully indexed vaultofknowledge, 2,719 notes) copied K times into `copyI/` folders with its index
rows copied and vectors perturbed, so nothing is re-embedded (4 copies: 10,876 files). Every note
then has three exact copies, so `duplicate` and ambiguous-name figures are the synthetic vault's,
not a real one's. The vault is opened as a reader (what a second process does); "first" includes
the scans themselves; "warm" runs on the unchanged vault read the findings lint keeps per catalog
version (vault_core/linking/lint.py); "uncached_per_kind" recomputes each kind with the indexes
warm. CPU time is reported beside wall time: on this shared 2-core box the
load average was 6-14, so wall time overstates what an idle machine takes.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import vault_core.linking.lint as lint_module
from bench.harness import CORPORA, emit, log, machine, peak_rss_mb
from bench.measure.linking import cached_vault
from bench.measure.scale import build
from vault_core.linking.lint import KINDS, lint
from vault_core.linking.related_index import note_index
from vault_core.vault import Vault


def timed(fn: Any) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, round(time.perf_counter() - wall, 2), round(time.process_time() - cpu, 2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("vault", nargs="?", type=Path)
    parser.add_argument("--copies", type=int, default=4)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nvault-scale"))
    parser.add_argument("--runs", type=int, default=2, help="warm runs after the first")
    args = parser.parse_args()
    source = args.vault or cached_vault(CORPORA / "vaultofknowledge", log=log)
    target = args.work / f"{source.name}-x{args.copies}"
    if args.copies > 1 and not (target / ".nvault" / "built").is_file():
        log(f"building {target} ({args.copies} copies, nothing embedded)")
        build(source, target, args.copies)
        (target / ".nvault" / "built").write_text("ok")
    root = target if args.copies > 1 else source
    out: dict[str, Any] = {
        "bench": "lint",
        "machine": machine(),
        "vault": str(root),
    }
    with Vault.open(root, writer=False) as vault:
        out["notes"] = sum(1 for n in vault.catalog.values() if n.kind == "note")
        _, out["index_build_s"], out["index_build_cpu_s"] = timed(lambda: note_index(vault))
        report, wall, cpu = timed(lambda: lint(vault))
        out["first"] = {"wall_s": wall, "cpu_s": cpu}
        out["counts"] = report.counts
        out["notices"] = report.notices
        warm = []
        for _ in range(args.runs):
            _, wall, cpu = timed(lambda: lint(vault))
            warm.append({"wall_s": wall, "cpu_s": cpu})
        out["warm"] = warm
        per_kind = {}
        for kind in KINDS:
            lint_module._CACHE.clear()  # each kind computed, not read from the kept findings
            _, wall, cpu = timed(lambda kind=kind: lint(vault, kinds=[kind]))
            per_kind[kind] = {"wall_s": wall, "cpu_s": cpu}
        out["uncached_per_kind"] = per_kind
    out["peak_rss_mb"] = peak_rss_mb()
    out["load_average"] = [round(x, 1) for x in os.getloadavg()]
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
