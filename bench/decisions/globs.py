"""What a `path` glob costs, before and after the bounded translator (issue 27, item 3).

Filters every note path of a real vault (vaultofknowledge) with ordinary globs and with the worst
patterns the limits admit (vault_core/globs.py: 500 characters, 16 `[`, 32 `*`), then times
what `fnmatch` did with one hostile argument the limits now refuse, and how fast the refusal is.

    NVAULT_CORPORA=/work/shared/corpora python -m bench.decisions.globs [--corpus vaultofknowledge]
"""

from __future__ import annotations

import argparse
import fnmatch
import time
from pathlib import Path

from bench.harness import corpus, emit, log, machine, summary_ms
from vault_core.globs import MAX_BRACKETS, MAX_GLOB_CHARS, MAX_STARS, GlobError, compile_glob


def note_paths(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.suffix == ".md"
    )


def filter_ms(paths: list[str], pattern: str, repeats: int = 5) -> dict[str, float]:
    runs = []
    for _ in range(repeats):
        compile_glob.cache_clear()
        started = time.perf_counter()
        compiled = compile_glob(pattern)
        sum(1 for p in paths if compiled.match(p))
        runs.append(time.perf_counter() - started)
    return summary_ms(runs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", default="vaultofknowledge")
    args = parser.parse_args()
    paths = note_paths(corpus(args.corpus))
    log(f"{len(paths)} note paths")
    worst_brackets = ("[" * MAX_BRACKETS + "*" * MAX_STARS).ljust(MAX_GLOB_CHARS, "a")
    ordinary = {"**/*.md": "**/*.md", "folder/*": "Notes/*", "class": "[A-C]*/*.md"}
    admitted = {
        "16 unclosed [ + 32 * (500 chars)": worst_brackets,
        "*a x 32 (backtracking shape)": "*a" * MAX_STARS,
        "16 classes [a-z] + 32 *": ("[a-z]*" * MAX_BRACKETS + "*" * (MAX_STARS - MAX_BRACKETS)),
    }
    crafted = ["a" * 250 + "b", "a/" * 500 + "c", "a" * 4000]  # file names a vault could ship
    adversarial = {name: filter_ms(crafted * 100, pattern) for name, pattern in admitted.items()}
    hostile = "[" * 2000 + "*"
    started = time.perf_counter()
    fnmatch.fnmatch(paths[0], hostile)
    old_one_call = time.perf_counter() - started
    started = time.perf_counter()
    try:
        compile_glob("[" * 100_000 + "*")
        refused = False
    except GlobError:
        refused = True
    refusal = time.perf_counter() - started
    emit(
        {
            "bench": "globs",
            "corpus": args.corpus,
            "paths": len(paths),
            "limits": {"chars": MAX_GLOB_CHARS, "brackets": MAX_BRACKETS, "stars": MAX_STARS},
            "ordinary_filter_all_paths": {k: filter_ms(paths, v) for k, v in ordinary.items()},
            "worst_admitted_filter_all_paths": {
                k: filter_ms(paths, v) for k, v in admitted.items()
            },
            "worst_admitted_on_300_crafted_paths": adversarial,
            "old_fnmatch_one_path_2000_brackets_ms": round(old_one_call * 1000, 1),
            "refused_100k_brackets": refused,
            "refusal_ms": round(refusal * 1000, 3),
            "machine": machine(),
        }
    )


if __name__ == "__main__":
    main()
