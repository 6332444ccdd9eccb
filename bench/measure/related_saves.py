"""`related()` in a writer on a big vault: first call, the first call after each save, and p95.

    python -m bench.measure.related_saves INDEXED_VAULT [--saves 5] [--queries 20]

One fresh process opens the vault as the writer (`Vault.open(root)`, no watcher) and syncs.
It times `related()`'s first call (the note parts are loaded from `<index>/related/` when a
writer wrote them, else built by one full scan and saved in the background), then per save:
a line appended to a note, `sync()`, and the next `related()` call, which builds the index of
the new catalog version (base parts patched with the changed notes, the name trie and the
title terms patched too). Then `--queries` calls on other notes for p50/p95. RSS is split into
anonymous and file-backed pages (/proc/self/status): the note parts are mapped files. Appends
lines to notes: run it on a copy. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from bench.harness import emit, log, machine

RUN = r"""
import json, os, resource, sys, time
def mem():
    fields = dict(l.split(":", 1) for l in open("/proc/self/status") if l.startswith("Rss"))
    mb = lambda k: round(int(fields[k].split()[0]) / 1024, 1)
    return {"rss_anon_mb": mb("RssAnon"), "rss_file_mb": mb("RssFile"),
            "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
from vault_core.linking import related_index
from vault_core.vault import Vault
root, saves, queries = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t = time.perf_counter()
vault = Vault.open(root)
vault.sync()
out = {"open_sync_s": round(time.perf_counter() - t, 2), **{"open_" + k: v for k, v in mem().items()}}
notes = [n for n in vault.notes() if n.kind == "note" and n.size < 20000]
vault.graph.link_count()
out["links_resolved_s"] = round(time.perf_counter() - t, 2) - out["open_sync_s"]
before = mem()
t = time.perf_counter(); vault.related(notes[1].path)
out["first_call_s"] = round(time.perf_counter() - t, 2)
parts = related_index.note_index(vault).parts
out["first_call_parts"] = {"scanned": parts.scanned, "patched": parts.patched}
out["after_first_call"] = mem()
out["related_anon_mb"] = round(out["after_first_call"]["rss_anon_mb"] - before["rss_anon_mb"], 1)
out["related_file_mb"] = round(out["after_first_call"]["rss_file_mb"] - before["rss_file_mb"], 1)
after_save = []
for i in range(saves):
    note = notes[10 + 7 * i]
    with open(vault.root / note.path, "a", encoding="utf-8") as fh:
        fh.write(f"\n\nbench line {i} {os.getpid()} sourdough levain\n")
    vault.sync([note.path])
    t = time.perf_counter(); vault.related(notes[200 + i].path)
    after_save.append(round(1000 * (time.perf_counter() - t), 1))
out["first_call_after_save_ms"] = after_save
out["patched_after_saves"] = related_index.note_index(vault).parts.patched
times = []
for note in notes[300 : 300 + 40 * queries : 40]:
    t = time.perf_counter(); vault.related(note.path); times.append(1000 * (time.perf_counter() - t))
times.sort()
out["related_ms"] = {"n": len(times), "p50": round(times[len(times) // 2], 1),
                     "p95": round(times[min(len(times) - 1, int(0.95 * len(times)))], 1)}
out["end"] = mem()
print(json.dumps(out))
vault.close()
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--saves", type=int, default=5)
    parser.add_argument("--queries", type=int, default=20)
    args = parser.parse_args()
    log(f"writer process on {args.vault}")
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(args.vault), str(args.saves), str(args.queries)],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    result = {"bench": "related_saves", "vault": str(args.vault)}
    result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
