"""Indexing throughput on a real vault: full sync, no-op re-sync, one-paragraph edit, size, RSS.

Usage:
    python -m bench.measure.index [VAULT]              # default ../shared/corpora/vaultofknowledge
    python -m bench.measure.index --keep               # also leave the indexed copy in the bench cache
    python -m bench.measure.index --keep DIR           # ... in DIR instead

The vault is copied to a scratch dir (the corpus is never written to). With --keep the copy,
index included, ends up in /tmp/nvault-bench-cache/<name> with a `.bench-ready` marker that
bench/measure/search.py and other engineers reuse; an existing ready cache is never overwritten.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import (
    CACHE,
    build_dir_for,
    corpus,
    dir_size_mb,
    emit,
    is_ready,
    load_average,
    log,
    machine,
    peak_rss_mb,
    publish_ready,
    rng,
    timer,
)
from vault_core.vault import Vault

EMBED_SAMPLE = 256
EDIT_SUFFIX = (
    " This sentence was appended by bench/measure/index.py to measure an incremental re-sync."
)


def _progress(done: int, total: int, path: str) -> None:
    if done % 250 == 0 or done == total:
        log(f"  indexed {done}/{total} files ({path})")


def _raw_embed_rate(vault: Vault) -> dict[str, Any]:
    """The embedder alone on a sample of the chunks just written: the ceiling for sync."""
    rows = vault.store.scan_columns(["text"])
    texts = rows["text"].to_pylist()
    sample = rng().sample(texts, min(EMBED_SAMPLE, len(texts)))
    vault.embedder.embed_documents(sample[:16])  # warm-up
    with timer() as t:
        vault.embedder.embed_documents(sample)
    return {
        "sample_chunks": len(sample),
        "mean_chars": round(sum(map(len, sample)) / max(len(sample), 1)),
        "seconds": round(t[0], 2),
        "chunks_per_s": round(len(sample) / t[0], 1),
    }


def _pick_long_note(vault: Vault) -> tuple[str, int, int]:
    """(path, chunk count, line to edit): the Markdown note with the most chunks, a middle line."""
    notes = [n for n in vault.notes() if n.kind == "note" and not n.error]
    note = max(notes, key=lambda n: (n.chunk_count, n.path))
    chunks = vault.chunks(note.path)
    lines = (vault.root / note.path).read_text(encoding="utf-8").split("\n")
    middle = chunks[len(chunks) // 2]
    candidates = [
        i
        for i in range(middle["start_line"], middle["end_line"] + 1)
        if len(lines[i - 1].strip()) > 80
        and not lines[i - 1].lstrip().startswith(("#", "|", "```"))
    ]
    if not candidates:  # fall back to any prose line of the note
        candidates = [i for i, line in enumerate(lines, 1) if len(line.strip()) > 80]
    return note.path, note.chunk_count, candidates[len(candidates) // 2]


def _edit(path: Path, line_no: int, suffix: str) -> str:
    original = path.read_text(encoding="utf-8")
    lines = original.split("\n")
    lines[line_no - 1] = lines[line_no - 1].rstrip() + suffix
    path.write_text("\n".join(lines), encoding="utf-8")
    return original


def _sync_figures(report: Any, seconds: float) -> dict[str, Any]:
    return {
        "seconds": round(seconds, 3),
        "added": len(report.added),
        "updated": len(report.updated),
        "unchanged": report.unchanged,
        "chunks_written": report.chunks_written,
        "embedded": report.embedded,
        "reused": report.reused,
    }


def run(source: Path, work: Path, from_index: bool = False) -> dict[str, Any]:
    """Full sync of a copy of `source` (or, with `from_index`, reuse the index it carries)."""
    copy = work / source.name
    log(f"copying {source} -> {copy}")
    ignore = (".git", ".bench-ready") if from_index else (".git", ".nvault")
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns(*ignore))
    if from_index:
        (copy / ".nvault" / "writer.lock").unlink(missing_ok=True)
    for path in [copy, *copy.rglob("*")]:  # the corpus is read-only; the copy gets edited
        path.chmod(path.stat().st_mode | 0o200)
    load_before = load_average()
    with timer() as t_open:
        vault = Vault.open(copy)
    log(f"opened (model load) in {t_open[0]:.1f}s; full sync starts")
    with timer() as t_full:
        full = vault.sync(progress=_progress)
    if from_index:
        log(f"reused index: first sync took {t_full[0]:.1f}s ({full.embedded} embedded)")
    chunks = vault.store.count_chunks()
    notes = len(vault.catalog)
    log(f"full sync: {notes} files, {chunks} chunks in {t_full[0]:.1f}s")
    result: dict[str, Any] = {
        "vault": str(source),
        "files": notes,
        "notes": sum(1 for n in vault.notes() if n.kind == "note"),
        "skipped": sorted(n.path for n in vault.notes() if n.error),
        "chunks": chunks,
        "open_seconds": round(t_open[0], 2),
        "load_average_before": load_before,
        "load_average_after_full_sync": load_average(),
        "full_sync_skipped_index_reused": from_index,
        "full_sync": {
            **_sync_figures(full, t_full[0]),
            "notes_per_s": round(notes / t_full[0], 1),
            "chunks_per_s": round(chunks / t_full[0], 1),
        },
    }
    result["raw_embedder"] = _raw_embed_rate(vault)
    log(f"raw embedder: {result['raw_embedder']}")

    with timer() as t_noop:
        noop = vault.sync()
    result["unchanged_resync"] = _sync_figures(noop, t_noop[0])
    log(f"unchanged re-sync: {t_noop[0]:.2f}s")

    rel, count, line_no = _pick_long_note(vault)
    note_path = copy / rel
    original = _edit(note_path, line_no, EDIT_SUFFIX)
    with timer() as t_one:
        one = vault.sync(paths=[rel])
    edit = {
        "note": rel,
        "note_chunks": count,
        "edited_line": line_no,
        "sync_paths": _sync_figures(one, t_one[0]),
    }
    log(f"one-note edit via sync([path]): {edit['sync_paths']}")
    # The same edit found by a whole-vault scan (what a rescan or `nvault sync` does).
    _edit(note_path, line_no, " A second appended sentence, found by a full scan this time.")
    with timer() as t_scan:
        scan = vault.sync()
    edit["sync_full_scan"] = _sync_figures(scan, t_scan[0])
    log(f"one-note edit via full scan: {edit['sync_full_scan']}")
    # Restore the note so a kept cache matches the corpus; its old vectors are reused.
    note_path.write_text(original, encoding="utf-8")
    with timer() as t_back:
        back = vault.sync(paths=[rel])
    edit["revert_sync_paths"] = _sync_figures(back, t_back[0])
    result["one_note_edit"] = edit

    vault.store.optimize()
    vault.close()
    index_dir = copy / ".nvault"
    result["index_size_mb"] = dir_size_mb(index_dir)
    result["vault_size_mb"] = dir_size_mb(source)
    result["peak_rss_mb"] = peak_rss_mb()
    result["index_dir"] = str(index_dir)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vault", nargs="?", type=Path, default=None)
    parser.add_argument(
        "--keep",
        nargs="?",
        type=Path,
        const=Path("__default__"),
        default=None,
        help="leave the indexed copy in DIR (default /tmp/nvault-bench-cache/<vault name>)",
    )
    parser.add_argument(
        "--from-index",
        action="store_true",
        help="VAULT is already indexed (e.g. a bench cache): copy it with its index and measure "
        "only re-syncs, the edit, size and RSS (the full-sync figure is then not a full index)",
    )
    args = parser.parse_args()
    source = (args.vault or corpus("vaultofknowledge")).resolve()
    keep: Path | None = None
    if args.keep is not None:
        keep = CACHE / source.name if str(args.keep) == "__default__" else args.keep.resolve()
        if keep.exists():
            log(f"{keep} exists already (ready: {is_ready(keep)}); measuring in a temp dir")
            keep = None
    started = time.time()
    if keep is not None:
        work = build_dir_for(keep)
        result = run(source, work)
        built = work / source.name
        if publish_ready(built, keep, {"source": str(source), "built": started, "by": __name__}):
            result["kept"] = str(keep)
            result["index_dir"] = str(keep / ".nvault")
        shutil.rmtree(work, ignore_errors=True)
    else:
        with tempfile.TemporaryDirectory(prefix="nvault-bench-") as tmp:
            result = run(source, Path(tmp), from_index=args.from_index)
        result["kept"] = None
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
