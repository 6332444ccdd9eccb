"""How long after a save the link graph is current: save -> backlinks(X) shows the change.

    python -m bench.measure.graph_update WRITABLE_COPY_OF_A_VAULT [--rounds 3] [--profile]

The vault is opened as its writer (no watcher) and its notes are changed, then put back: pass a
copy (`cp -a /tmp/scale/x37ann/vaultofknowledge-x37 /tmp/scale/graph/`), never a vault
someone else uses. First the graph is built once from scratch (`full_build_s`: name tables,
every link resolved, the target index). Then each round times, for one operation,
`vault.sync(paths)` (what the watcher calls) and, separately, the first graph answer after it
(`graph_s`: the graph for the new catalog, then the backlinks that show the change):

- add_link: a note gains `[[X]]` at its end; backlinks(X) lists it;
- remove_link: the note's bytes put back; backlinks(X) no longer lists it;
- rename: a note with backlinks renamed on disk (no link rewritten); backlinks(new path);
- delete: that note moved out of the vault; a former backlinker's links answered again;
- new_note: a note created under a name some link could not resolve; backlinks(it) lists
  that link's source.

`--profile` adds cProfile's top entries of the full build and of the rounds' graph answers.
Prints one JSON object; every file is restored at the end.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import emit, load_average, log, summary_ms
from vault_core.vault import Vault


def _top(profile: cProfile.Profile, n: int = 20) -> list[str]:
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(n)
    table = out.getvalue().split("filename:lineno(function)", 1)[-1]
    return [line for line in table.splitlines() if line.strip()]


class Rounds:
    """Times each operation: the sync, then the graph's first answer (which must hold)."""

    def __init__(self, vault: Vault, profile: cProfile.Profile | None) -> None:
        self.vault = vault
        self.profile = profile
        self.times: dict[str, dict[str, list[float]]] = {}

    def run(self, name: str, paths: list[str], check: Callable[[], bool]) -> None:
        s = time.perf_counter()
        self.vault.sync(paths)
        m = time.perf_counter()
        if self.profile is not None:
            self.profile.enable()
        ok = check()
        if self.profile is not None:
            self.profile.disable()
        e = time.perf_counter()
        if not ok:
            raise AssertionError(f"{name}: the graph does not show the change ({paths})")
        found = self.times.setdefault(name, {"sync": [], "graph": [], "total": []})
        found["sync"].append(m - s)
        found["graph"].append(e - m)
        found["total"].append(e - s)
        log(f"{name}: sync {1000 * (m - s):.0f} ms, graph {1000 * (e - m):.0f} ms")

    def report(self) -> dict[str, Any]:
        return {
            name: {f"{k}_ms": summary_ms(v) for k, v in parts.items()}
            for name, parts in self.times.items()
        }


def _sources(vault: Vault, path: str) -> set[str]:
    return {r.source for r in vault.backlinks(path)}


def _moved_away(vault: Vault, backer: str, old: str) -> bool:
    """`backer`'s links no longer land on `old`, and the backlinks of wherever they land now
    list `backer` (the graph's link columns are current, not only its name tables)."""
    links = vault.links(backer)
    if any(x.target == old for x in links):
        return False
    landed = {x.target for x in links if x.target is not None and x.target != backer}
    return all(backer in _sources(vault, t) for t in landed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    root: Path = args.vault
    load_start = load_average()
    started = time.perf_counter()
    vault = Vault.open(root)
    catalog = vault.catalog
    open_s = time.perf_counter() - started
    build = cProfile.Profile() if args.profile else None
    s = time.perf_counter()
    if build is not None:
        build.enable()
    graph = vault.graph
    first = next(iter(catalog))
    graph.backlinks(first)
    if build is not None:
        build.disable()
    full_build_s = time.perf_counter() - s
    links = len(graph._edges)
    log(f"{len(catalog)} notes, {links} links: full build {full_build_s:.1f} s")
    rng = random.Random(30)
    notes = [n.path for n in catalog.facts() if n.kind == "note" and not n.error]
    rounds = Rounds(vault, cProfile.Profile() if args.profile else None)
    saved: dict[str, bytes] = {}

    def keep(path: str) -> None:
        saved.setdefault(path, (root / path).read_bytes())

    moved_out = Path(tempfile.mkdtemp(prefix="graph-update-"))
    try:
        for r in range(args.rounds):
            source, target = rng.sample(notes, 2)
            text = vault.graph.shortest_link_text(target)
            was = source in _sources(vault, target)
            keep(source)
            with open(root / source, "a", encoding="utf-8") as fh:
                fh.write(f"\n\nSee [[{text}]].\n")
            rounds.run("add_link", [source], lambda s=source, t=target: s in _sources(vault, t))
            (root / source).write_bytes(saved.pop(source))
            rounds.run(
                "remove_link",
                [source],
                lambda s=source, t=target, w=was: (s in _sources(vault, t)) == w,
            )

            linked = next(p for p in rng.sample(notes, 200) if vault.graph.linking_notes(p))
            backer = vault.graph.linking_notes(linked)[0]
            renamed = f"{linked[:-3]} renamed{os.getpid()}r{r}.md"
            (root / linked).rename(root / renamed)
            rounds.run(
                "rename",
                [linked, renamed],
                lambda old=linked, b=backer: _moved_away(vault, b, old),
            )
            (root / renamed).rename(root / linked)
            vault.sync([renamed, linked])

            out = moved_out / f"r{r}.md"
            shutil.move(root / linked, out)
            rounds.run(
                "delete",
                [linked],
                lambda old=linked, b=backer: _moved_away(vault, b, old),
            )
            shutil.move(out, root / linked)
            vault.sync([linked])

        broken = vault.graph.broken()
        rng.shuffle(broken)
        for r, res in enumerate(broken[: args.rounds]):
            name = res.link.target.split("#")[0].strip()
            if not name or "/" in name or name.endswith(".md") or "." in name:
                continue
            folder = res.source.rpartition("/")[0]
            made = f"{folder}/{name}.md" if folder else f"{name}.md"
            if (root / made).exists():
                continue
            (root / made).write_text(f"# {name}\n\nA new note ({r}).\n", encoding="utf-8")
            try:
                rounds.run("new_note", [made], lambda s=res.source, m=made: s in _sources(vault, m))
            finally:
                (root / made).unlink()
                vault.sync([made])
    finally:
        for path, data in saved.items():
            (root / path).write_bytes(data)
        for out in moved_out.iterdir():
            log(f"left outside the vault: {out}")
        vault.sync(list(saved))
        vault.close()
    result: dict[str, Any] = {
        "bench": "graph_update",
        "vault": str(root),
        "notes": len(catalog),
        "links": links,
        "open_s": round(open_s, 2),
        "full_build_s": round(full_build_s, 2),
        "rounds": rounds.report(),
        "load_average_at_start": load_start,
    }
    if build is not None and rounds.profile is not None:
        result["profile_full_build"] = _top(build)
        result["profile_rounds_graph"] = _top(rounds.profile)
    emit(result)


if __name__ == "__main__":
    main()
