"""The agent write path on a real vault: write -> searchable latency, a move of a note with 100
backlinks, and bytes changed outside the targets over many random edits.

Usage: python -m bench.measure.writes [--vault DIR] [--writes 40] [--moves 5] [--edits 10000]

DIR (default: the bench cache's indexed vaultofknowledge, else the corpus) is copied to a temp
dir first, so runs never touch it. Prints one JSON object.
- write_to_searchable: an `append` of a unique word through `Vault.editor`, timed from the call
  to its return (the write path re-indexes the file before returning), then checked by a
  keyword search that must find it at once;
- move_100_backlinks: `move_note` of a note 100 notes link to (rename + folder change), whole
  call (plan, journal, 101 atomic writes, re-index) and the file part alone (no re-index);
- random_edits: append/insert/replace_section/replace_text/set_frontmatter on random real
  notes, each checked against the target span the bench computes itself from the document map:
  the bytes before and after the span must be unchanged.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import stat
import tempfile
import time
from pathlib import Path

from bench.harness import CACHE, corpus, emit, log, machine, rng, summary_ms
from vault_core.edit.editor import Editor
from vault_core.edit.paths import WritePolicy
from vault_core.errors import WriteRefused
from vault_core.vault import Vault

WORD_RE = re.compile(r"\b[a-z]{6,}\b")


def writable_copy(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("writer.lock", ".bench-ready"))
    for dirpath, dirs, files in os.walk(dest):
        for name in [*dirs, *files]:
            p = Path(dirpath) / name
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    dest.chmod(dest.stat().st_mode | stat.S_IWUSR)
    return dest


def notes_of(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.md")
        if ".nvault" not in p.parts and p.stat().st_size < 200_000
    )


def write_to_searchable(vault: Vault, notes: list[str], n: int, r: random.Random) -> dict:
    ed = vault.editor(allow=["."])
    times, found = [], 0
    for i in range(n):
        rel = r.choice(notes)
        token = f"zqxbench{i}word"
        t0 = time.perf_counter()
        receipt = ed.append(rel, f"A line with {token} in it.")
        times.append(time.perf_counter() - t0)
        hits = vault.search(token, mode="keyword", limit=3)
        found += receipt.indexed and any(h.path == rel for h in hits)
    return {**summary_ms(times), "searchable_on_return": f"{found}/{n}"}


def move_100(vault: Vault, notes: list[str], moves: int, r: random.Random) -> dict:
    root = vault.root
    (root / "bench-hub.md").write_text("# Bench hub\n\nThe note a hundred notes link to.\n")
    linkers = r.sample([n for n in notes if "bench" not in n], 100)
    for rel in linkers:
        with (root / rel).open("a", encoding="utf-8") as fh:
            fh.write("\nSee [[bench-hub]] and [[bench-hub#Bench hub|the hub]].\n")
    vault.sync(["bench-hub.md", *linkers])
    whole, files_only, rewritten = [], [], 0
    paths = ["bench-hub.md", "moved/bench hub renamed.md"]
    for i in range(moves):
        old, new = paths[i % 2], paths[(i + 1) % 2]
        t0 = time.perf_counter()
        receipt = vault.editor(allow=["."]).move_note(old, new, vault.version_of(old))
        whole.append(time.perf_counter() - t0)
        rewritten = len(receipt.links_rewritten)
    for i in range(moves):  # the same moves without the re-index: plan, journal, atomic writes
        old, new = paths[(moves + i) % 2], paths[(moves + i + 1) % 2]
        ed = Editor(root, WritePolicy(root, ["."]), lambda: vault.graph, reindex=None)
        t0 = time.perf_counter()
        ed.move_note(old, new, vault.version_of(old))
        files_only.append(time.perf_counter() - t0)
        vault.sync([old, new, *linkers])
    return {
        "backlinks": 100,
        "links_rewritten": rewritten,
        "whole_call": summary_ms(whole),
        "files_only_no_reindex": summary_ms(files_only),
    }


def line_starts(raw: bytes) -> list[int]:
    starts = [0]
    for m in re.finditer(b"\n", raw):
        starts.append(m.end())
    return starts


def one_edit(ed: Editor, root: Path, rel: str, r: random.Random) -> tuple[str, bool] | None:
    """One random edit; (op, changed bytes stayed inside the span the bench expects)."""
    before = (root / rel).read_bytes()
    try:
        dmap = ed.document_map(rel)
    except WriteRefused:
        return None
    starts = line_starts(before)
    n = len(before)

    def at_line(line1: int) -> int:  # byte offset where 1-based line `line1` starts
        return starts[line1 - 1] if line1 - 1 < len(starts) else n

    op = r.choice(["append", "insert", "replace_section", "replace_text", "set_frontmatter"])
    text = f"bench edit {r.randrange(10**6)}"
    try:
        if op in ("insert", "replace_section") and dmap.headings:
            h = r.choice(dmap.headings)
            lo, hi = at_line(h.line), at_line(h.end_line + 1)
            if op == "insert":
                ed.insert(
                    rel,
                    text,
                    heading=h.path,
                    position=r.choice(["start", "end"]),
                    version=dmap.version,
                )
            else:
                ed.replace_section(rel, h.path, text, dmap.version)
        elif op == "replace_text":
            words = WORD_RE.findall(before.decode("utf-8", "replace"))
            word = r.choice(words) if words else None
            if word is None or before.count(word.encode()) != 1:
                return None
            lo = before.index(word.encode())
            hi = lo + len(word.encode())
            ed.replace_text(rel, word, word.upper(), 1, dmap.version)
        elif op == "set_frontmatter":
            bom = 3 if before.startswith(b"\xef\xbb\xbf") else 0
            opened = before[bom:].startswith(b"---")
            closing = before.find(b"\n---", bom + 3) if opened else -1
            lo, hi = bom, (closing + 5 if closing >= 0 else bom)  # the frontmatter block
            ed.set_frontmatter(rel, {"bench": r.randrange(1000)}, [], dmap.version)
        else:
            op = "append"
            lo, hi = n, n
            ed.append(rel, text)
    except WriteRefused:
        return None  # an ambiguous heading or odd frontmatter: refused, nothing written
    after = (root / rel).read_bytes()
    hi = max(hi, lo)
    tail = n - hi  # bytes after the span: they must end the new file unchanged
    kept = (
        after[:lo] == before[:lo]
        and len(after) >= lo + tail
        and after[len(after) - tail :] == before[hi:]
    )
    return op, kept


def random_edits(root: Path, notes: list[str], n: int, r: random.Random) -> dict:
    ed = Editor(root, WritePolicy(root, ["."]), lambda: None, reindex=None)  # type: ignore[arg-type,return-value]
    done, outside, refused, ops = 0, 0, 0, {}
    t0 = time.perf_counter()
    while done < n:
        result = one_edit(ed, root, r.choice(notes), r)
        if result is None:
            refused += 1
            continue
        op, inside = result
        done += 1
        ops[op] = ops.get(op, 0) + 1
        outside += not inside
    return {
        "edits": done,
        "by_operation": ops,
        "edits_with_bytes_changed_outside_target": outside,
        "refused_or_skipped": refused,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--vault", type=Path)
    ap.add_argument("--writes", type=int, default=40)
    ap.add_argument("--moves", type=int, default=5)
    ap.add_argument("--edits", type=int, default=10_000)
    args = ap.parse_args()
    src = args.vault or (
        CACHE / "vaultofknowledge"
        if (CACHE / "vaultofknowledge" / ".nvault").is_dir()
        else corpus("vaultofknowledge")
    )
    r = rng()
    with tempfile.TemporaryDirectory(prefix="nvault-writes-") as tmp:
        root = writable_copy(src, Path(tmp) / "vault")
        log(f"copied {src} to {root}")
        notes = notes_of(root)
        with Vault.open(root) as vault:
            t0 = time.perf_counter()
            vault.sync()
            log(f"catch-up sync {time.perf_counter() - t0:.1f}s")
            searchable = write_to_searchable(vault, notes, args.writes, r)
            log("write -> searchable", searchable)
            moved = move_100(vault, notes, args.moves, r)
            log("move", moved)
        edits_root = writable_copy(src, Path(tmp) / "edits")
        edits = random_edits(edits_root, notes_of(edits_root), args.edits, r)
        emit(
            {
                "bench": "writes",
                "vault": src.name,
                "notes": len(notes),
                "write_to_searchable": searchable,
                "move_100_backlinks": moved,
                "random_edits": edits,
                "machine": machine(),
            }
        )


if __name__ == "__main__":
    main()
