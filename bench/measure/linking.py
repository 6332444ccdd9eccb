"""Link recovery on real vaults: can `related()` find the links a writer actually made?

Usage:
    python -m bench.measure.linking CORPUS [CORPUS ...] [--cache DIR] [--max-notes N] [--latency N]
    python -m bench.measure.linking --build-only CORPUS ...    # just build (or reuse) the cached indexes

Each corpus folder is copied once to `<cache>/<name>` (default /tmp/nvault-bench-cache) and indexed
there; a marker file written after the sync completes lets every later run (and other engineers)
reuse it. A file lock serialises builders.

Protocol (what "remove the note's links" means here), for every note with >= 3 distinct outgoing
links that resolve to other existing notes:
- graph: `related(..., hide_links_of=note)` removes every edge between the note and its link
  targets, in both directions (its outgoing links, and a target's link back to it), so neighbours,
  shared backlinks, "linked by your neighbours" and the in-degree prior (each target's in-degree
  loses this note's link) never see the links being recovered. Other notes' links stay.
- keyword: the query is the note's text from disk with every `[[...]]` / `[..](..)` span removed
  (`[[t|label]]` and `[label](t)` keep the label, `[[t]]` goes), so targets are not query terms.
- semantic, two variants reported: `query_stripped` re-embeds the note's chunks with link targets
  removed the same way (the stricter, headline figure); `query_indexed` uses its stored chunk
  vectors, whose text still contains the link text.
- `query_unwrapped` (`--query-text unwrapped`): the note as if its writer had typed the words and
  never linked them: a bare `[[Note]]` leaves "Note" in the keyword query, the name signals and the
  re-embedded chunks (labels stay, as in every variant). Graph edges are hidden as above.
- exclusion of existing links is OFF (`exclude_links=False`); the note itself is always excluded.
- targets = distinct resolved targets; recall@10 = |targets in top 10| / |targets|, averaged over
  notes; MRR = mean of 1 / rank of the first target in the top 10 (0 if none).
Methods: semantic (whole-note + best-passage similarity), keyword (note-level BM25 on the note's 30
most distinctive terms, plus the lexical name signals: other notes' titles named in plain text
(graph.unlinked_mentions on the link-free text) and idf-weighted title-word coverage), semantic+keyword,
combined (+ graph: Adamic-Adar, in-degree prior, same-folder similarity, links of the 20 most similar
notes, and feedback: neighbours of the five best first-pass suggestions, never through the note's
own hidden edges). Each method ranks its candidates with the link model (vault_core.linking.link_model,
fitted by bench/fit/link_model.py; signals a method lacks are absent features). Pass `--model` a
model fitted without the vault evaluated to keep that vault held out.
Baseline: rank notes by how many of their title words (tokenized, stemmed, stopwords dropped)
occur in the note's link-free text.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import filelock

from bench.harness import emit, summary
from vault_core.index.link_graph import strip_links
from vault_core.index.terms import tokenize
from vault_core.linking.link_model import LinkModel
from vault_core.linking.related import related
from vault_core.linking.related_index import note_index
from vault_core.linking.vault_fitting import labelled_notes
from vault_core.vault import Vault

DEFAULT_CACHE = Path(os.environ.get("NVAULT_BENCH_CACHE", "/tmp/nvault-bench-cache"))
MARKER = "bench-synced.json"
K = 10
METHODS: dict[str, set[str]] = {
    "semantic": {"semantic"},
    "keyword": {"keyword"},
    "semantic+keyword": {"semantic", "keyword"},
    "combined": {"semantic", "keyword", "graph"},
}


def cached_vault(
    corpus: Path, cache: Path = DEFAULT_CACHE, log: Callable[[str], None] = print
) -> Path:
    """Copy `corpus` under `cache` and index it once; returns the cached vault root."""
    corpus = corpus.resolve()
    cache.mkdir(parents=True, exist_ok=True)
    root = cache / corpus.name
    marker = root / ".nvault" / MARKER
    with filelock.FileLock(str(cache / f"{corpus.name}.lock")):
        if marker.is_file() and (root / ".nvault" / "index.json").is_file():
            return root
        if not root.exists():
            shutil.copytree(corpus, root, ignore=shutil.ignore_patterns(".git", ".nvault"))
        started = time.perf_counter()
        with _writer(root) as vault:
            report = vault.sync(
                progress=lambda d, t, p: log(f"{corpus.name}: {d}/{t}") if d % 200 == 0 else None
            )
            n_notes, n_chunks = len(vault.catalog), vault.store.count_chunks()
        marker.write_text(
            json.dumps(
                {
                    "corpus": str(corpus),
                    "notes": n_notes,
                    "chunks": n_chunks,
                    "errors": len(report.errors),
                    "seconds": round(time.perf_counter() - started, 1),
                }
            )
        )
    return root


@contextlib.contextmanager
def _writer(root: Path, wait_s: float = 3600.0) -> Iterator[Vault]:
    """Open `root` as the writer, waiting while someone else (another engineer's build) indexes it."""
    (root / ".nvault").mkdir(parents=True, exist_ok=True)
    lock = filelock.FileLock(str(root / ".nvault" / "writer.lock"))
    deadline = time.monotonic() + wait_s
    while True:
        # wait cheaply on the writer's OS lock before paying for a Vault (it loads the model)
        with lock.acquire(timeout=max(deadline - time.monotonic(), 0)):
            pass
        vault = Vault.open(root)
        if vault.is_writer:
            break
        vault.close()
    try:
        yield vault
    finally:
        vault.close()


def subset(items: list[Any], n: int | None) -> list[Any]:
    """`n` evenly spaced items (deterministic, not chosen by result)."""
    if not n or n >= len(items):
        return items
    step = len(items) / n
    return [items[int(i * step)] for i in range(n)]


def title_baseline(vault: Vault, keep_words: bool = False) -> Callable[[str, int], list[str]]:
    """Rank notes by how many of their title words the note's (link-free) text contains."""
    titles = {p: set(tokenize(n.title)) for p, n in vault.catalog.items() if n.kind == "note"}

    def rank(path: str, k: int) -> list[str]:
        text = (vault.root / path).read_text(encoding="utf-8", errors="replace")
        text = strip_links(text, keep_words)
        words = set(tokenize(text))
        scored = []
        for other, terms in titles.items():
            if other == path or not terms:
                continue
            hit = len(terms & words)
            if hit:
                scored.append((-(hit + hit / len(terms)), other))
        return [p for _, p in sorted(scored)[:k]]

    return rank


def score(ranked: list[str], targets: set[str]) -> tuple[float, float]:
    """(recall@K, reciprocal rank of the first target in the top K)."""
    top = ranked[:K]
    recall = len(set(top) & targets) / len(targets)
    rr = next((1.0 / r for r, p in enumerate(top, 1) if p in targets), 0.0)
    return recall, rr


def held_out(
    path: str, strip_query_links: bool = True, keep_link_words: bool = False
) -> dict[str, Any]:
    """The options of `related()` / `link_candidates()` for the protocol: `path`'s own links
    hidden from the graph (and, with `strip_query_links`, from its query text)."""
    return {
        "exclude_links": False,
        "hide_links_of": path,
        "strip_query_links": strip_query_links,
        "keep_link_words": keep_link_words,
    }


def evaluate(
    vault: Vault,
    max_notes: int | None = None,
    strip_query_links: bool = True,
    methods: Iterable[str] = (*METHODS, "title_baseline"),
    model: LinkModel | None = None,
    keep_link_words: bool = False,
) -> dict[str, Any]:
    """Link recovery for every eligible note (or an evenly spaced subset): recall@10 and MRR."""
    notes = subset(labelled_notes(vault), max_notes)
    result: dict[str, Any] = {"notes_evaluated": len(notes)}
    for method in methods:
        if method == "title_baseline":
            rank = title_baseline(vault, keep_link_words)
            rankers: Callable[[str], list[str]] = lambda p, rank=rank: rank(p, K)  # noqa: E731
        else:
            signals = METHODS[method]

            def rankers(p: str, signals: set[str] = signals) -> list[str]:
                protocol = held_out(p, strip_query_links, keep_link_words)
                hits = related(vault, p, K, signals=signals, model=model, **protocol)
                return [h.path for h in hits]

        started = time.perf_counter()
        recalls, rrs = [], []
        for path, targets in notes:
            r, rr = score(rankers(path), targets)
            recalls.append(r)
            rrs.append(rr)
        result[method] = {
            "recall@10": round(statistics.fmean(recalls), 4) if recalls else None,
            "mrr": round(statistics.fmean(rrs), 4) if rrs else None,
            "seconds": round(time.perf_counter() - started, 1),
        }
    return result


def latency(vault: Vault, n: int = 200) -> dict[str, Any]:
    """related(note, 10) with default options, after the in-memory index is built."""
    started = time.perf_counter()
    note_index(vault)
    build = time.perf_counter() - started
    paths = subset(sorted(p for p, n in vault.catalog.items() if n.kind == "note"), n)
    times = []
    for path in paths:
        t = time.perf_counter()
        related(vault, path, 10)
        times.append((time.perf_counter() - t) * 1000)
    return {**summary(times), "index_build_s": round(build, 2)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("corpora", nargs="+", type=Path)
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--max-notes", type=int, help="evaluate an evenly spaced subset")
    parser.add_argument("--latency", type=int, default=200, help="queries for the latency run")
    parser.add_argument(
        "--query-text",
        choices=["stripped", "indexed", "both", "unwrapped", "all"],
        default="stripped",
        help="re-embed the note's chunks without link targets (stripped), use its stored vectors "
        "(indexed), or keep the words of bare [[links]] as plain text (unwrapped); both = the "
        "first two, all = the three",
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="link model JSON (default: the shipped one); a model fitted without the vault "
        "evaluated keeps it held out (bench/fit/link_model.py --save-held-out)",
    )
    args = parser.parse_args()
    model = LinkModel.model_validate_json(args.model.read_text()) if args.model else None
    out: dict[str, Any] = {
        "protocol": "links of the note hidden from the graph (both directions with its targets); "
        "keyword query = note text without link targets; exclude_links=False; K=10",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "vaults": {},
    }
    for corpus in args.corpora:
        root = cached_vault(corpus, args.cache, log=lambda m: print(m, file=sys.stderr))
        with Vault.open(root, writer=False) as vault:
            entry: dict[str, Any] = {"notes": len(vault.catalog)}
            modes = {
                "both": ["stripped", "indexed"],
                "all": ["stripped", "indexed", "unwrapped"],
            }.get(args.query_text, [args.query_text])
            for mode in modes:
                entry[f"query_{mode}"] = evaluate(
                    vault,
                    args.max_notes,
                    mode != "indexed",
                    model=model,
                    keep_link_words=mode == "unwrapped",
                )
            if model is not None:
                entry["model_trained_on"] = model.trained_on
            if args.latency:
                entry["latency"] = latency(vault, args.latency)
            out["vaults"][corpus.name] = entry
    emit(out)
    return 0


if __name__ == "__main__" and "--build-only" in sys.argv:
    for arg in sys.argv[1:]:
        if not arg.startswith("--"):
            print(cached_vault(Path(arg), log=lambda m: print(m, file=sys.stderr)))
    sys.exit(0)

if __name__ == "__main__":
    sys.exit(main())
