"""Where one save's time goes on a big vault: N saves, each a line appended to a note and
`vault.sync([path])` (what the watcher calls), then the keyword search that finds the new word,
under cProfile. One JSON object: per-save sync and search times, and the profile's top entries.

Usage: python -m bench.measure.save_profile WRITABLE_COPY_OF_A_VAULT [--saves 15] [--top 25]

The vault is opened as its writer and its notes are changed: pass a copy (e.g.
`cp -a /tmp/nvault-scale/vaultofknowledge-x37 /tmp/copy`), never a vault someone else uses.
The progress counts are taken once first, as a server's catch-up sync does.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import random
import time
from pathlib import Path

from bench.harness import emit, log, summary_ms
from vault_core.vault import Vault


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--saves", type=int, default=15)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    started = time.perf_counter()
    vault = Vault.open(args.vault)
    open_s = time.perf_counter() - started
    vault.phase2.count()
    vault.embedder.load()
    rng = random.Random(7)
    notes = [n for n in vault.notes() if n.kind == "note" and n.size < 20_000]
    profile = cProfile.Profile()
    syncs, finds = [], []
    for i, note in enumerate(rng.sample(notes, args.saves)):
        token = f"zqvprof{i}x{rng.randrange(10**6)}"
        with open(vault.root / note.path, "a", encoding="utf-8") as fh:
            fh.write(f"\n\n{token}\n")
        s = time.perf_counter()
        profile.enable()
        vault.sync([note.path])
        m = time.perf_counter()
        hits = vault.search(token, mode="keyword", limit=3)
        profile.disable()
        syncs.append(m - s)
        finds.append(time.perf_counter() - m)
        assert any(h.path == note.path for h in hits), (token, note.path)
        log(f"save {i}: sync {1000 * syncs[-1]:.0f} ms, search {1000 * finds[-1]:.0f} ms")
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    table = out.getvalue().split("filename:lineno(function)", 1)[-1]
    emit(
        {
            "bench": "save_profile",
            "vault": str(args.vault),
            "notes": len(vault.catalog),
            "chunks": vault.store.count_chunks(),
            "open_s": round(open_s, 1),
            "sync": summary_ms(syncs),
            "keyword_search_after": summary_ms(finds),
            "profile_cumulative": [line for line in table.splitlines() if line.strip()],
        }
    )
    vault.close()


if __name__ == "__main__":
    main()
