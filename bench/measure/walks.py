"""Whole-vault walks, the old way and from the columns, in one reader (issue 30).

    python -m bench.measure.walks INDEXED_VAULT [--query boot]

Opens the vault as a reader (`Vault.open(root, writer=False)`) and times, once each: every
record decoded (`vault.notes()`, what list_notes, status, lint, the graph report and
workspace symbols walked) against every note's small fields (`Catalog.facts`); one
`Path.resolve()` a note (`within`, what list_notes and status did) against one a folder
(`outside`); every link resolved again (`LinkGraph.resolutions`, what the graph report and
lint read) against the link columns' sets (`LinkGraph.link_sets`); every note's headings decoded
against the rows whose headings may hold `--query` (`Catalog.heading_lists`). The link columns
are built first (`full_graph_s`). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.harness import emit, load_average, log
from vault_core.vault import Vault
from vault_mcp.args import outside, within


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--query", default="boot")
    args = parser.parse_args()
    start_load = load_average()
    vault = Vault.open(args.vault, writer=False)
    catalog = vault.catalog
    out: dict[str, Any] = {"bench": "walks", "vault": str(args.vault), "notes": len(catalog)}

    def timed(name: str, fn: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = fn()
        out[name] = round(time.perf_counter() - started, 2)
        log(name, out[name])
        return value

    graph = vault.graph
    timed("full_graph_s", lambda: graph.backlinks(next(iter(catalog))))
    facts = timed("facts_s", lambda: list(catalog.facts()))
    timed("records_s", vault.notes)
    paths = [f.path for f in facts]
    hidden = timed("outside_by_folder_s", lambda: outside(vault, paths))
    kept = timed("within_each_s", lambda: [p for p in paths if within(vault, p)])
    assert len(kept) == len(paths) - len(hidden)
    timed("link_sets_s", graph.link_sets)
    timed("resolutions_s", lambda: graph.resolutions)
    q = args.query.casefold()
    every = timed("headings_all_s", lambda: list(catalog.heading_lists()))
    picked = timed("headings_prefiltered_s", lambda: list(catalog.heading_lists(containing=q)))
    out["heading_rows"] = {"all": len(every), "picked": len(picked), "query": q}
    out["load_average_at_start"] = start_load
    emit(out)
    vault.close()


if __name__ == "__main__":
    main()
