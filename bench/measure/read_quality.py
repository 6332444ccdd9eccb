"""What a person reads, measured before and after issue 18, on indexed copies of the corpora.

Usage: python -m bench.measure.read_quality [--vaults DIR] [--corpus vaultofknowledge ...]

DIR holds one indexed copy per corpus (DIR/vaultofknowledge, ...), built here when absent
(copy + sync; derived data only). Opened as readers afterwards. Four checks, each with its
labelled set in bench/labels/ (every label has its reason):

- mentions: a seeded sample of 40 unlinked mentions as the old matcher found them
  (`strict=False`), labelled by hand; precision before = share labelled true, after = share
  true among those the filtered matcher keeps, recall after = true ones kept / all true ones.
- candidate links: the see-also suggestions `analyze` shows for 30 seeded notes; a name is right
  when the resolver reads it as exactly that note (LinkGraph.candidates == [path]). Before the
  title was shown as the link name, after the link_text.
- duplicates: 30 seeded notes of 150+ words get a planted copy with 5 edited lines (recall),
  and the pairs found in the real vault are listed for the labels file (precision).
- quiz options: the extractive quiz (cloze) on 10 seeded notes, before (the picker of commit
  09f4315, read with `git show`) and after: options that are fragments, of another kind, or
  equivalent to another option.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.harness import LABELS, REPO, corpus, emit, log
from vault_core.linking.duplicates import near_duplicates
from vault_core.linking.mentions import unlinked_mentions
from vault_core.linking.related import related
from vault_core.parse.markdown import split_frontmatter
from vault_core.study.options import any_equivalent, is_fragment, same_kind
from vault_core.study.quiz import quiz
from vault_core.vault import Vault

BEFORE_COMMIT = "09f4315c338e90fd2973de7429f36ceaf6e6f931"  # the last commit with the old picker
SEED = 18


def indexed(vaults: Path, name: str) -> Path:
    root = vaults / name
    if not (root / ".nvault" / "index.json").is_file():
        log(f"indexing a copy of {name} in {root} (once)")
        shutil.copytree(corpus(name), root, dirs_exist_ok=True)
        (root / "_SOURCE_LICENSE.txt").unlink(missing_ok=True)
        with Vault.open(root) as vault:
            vault.sync()
    return root


def mentions(vault: Vault, name: str) -> dict[str, Any]:
    rows = [json.loads(line) for line in (LABELS / f"mentions-{name}.jsonl").open()]
    found: dict[tuple[str, bool], set[tuple[int, int, str]]] = {}
    for row in rows:
        for strict in (False, True):
            if (row["path"], strict) not in found:
                found[(row["path"], strict)] = {
                    (m.line, m.start_col, m.target)
                    for m in unlinked_mentions(vault, row["path"], strict=strict)
                }
    key = [(r["line"], r["col"], r["target"]) for r in rows]
    before = [k in found[(r["path"], False)] for r, k in zip(rows, key, strict=True)]
    after = [k in found[(r["path"], True)] for r, k in zip(rows, key, strict=True)]
    true = [bool(r["label"]) for r in rows]
    kept_true = sum(a and t for a, t in zip(after, true, strict=True))
    heldout = _heldout_precision(vault, name)
    return {
        **heldout,
        "labelled": len(rows),
        "labelled_true": sum(true),
        "sample_still_found_unfiltered": sum(before),
        "precision_before": round(sum(true) / len(rows), 3),
        "precision_after": round(kept_true / max(sum(after), 1), 3),
        "recall_after": round(kept_true / max(sum(true), 1), 3),
        "kept_after": sum(after),
        "vault_mentions_before": _count_all(vault, strict=False),
        "vault_mentions_after": _count_all(vault, strict=True),
    }


def _heldout_precision(vault: Vault, name: str) -> dict[str, Any]:
    """20 mentions the filtered matcher emitted (seed 1818), labelled after the thresholds were
    set: precision on mentions the thresholds were not tuned on."""
    path = LABELS / f"mentions-heldout-{name}.jsonl"
    if not path.is_file():
        return {}
    rows = [json.loads(line) for line in path.open()]
    kept = []
    for row in rows:
        found = {(m.line, m.start_col, m.target) for m in unlinked_mentions(vault, row["path"])}
        if (row["line"], row["col"], row["target"]) in found:
            kept.append(bool(row["label"]))
    return {
        "heldout_labelled": len(rows),
        "heldout_still_kept": len(kept),
        "heldout_precision": round(sum(kept) / max(len(kept), 1), 3),
    }


def _count_all(vault: Vault, strict: bool) -> int:
    total = 0
    for path, note in vault.catalog.items():
        if note.kind == "note" and not note.error:
            total += sum(
                not m.already_linked for m in unlinked_mentions(vault, path, strict=strict)
            )
    return total


def _sample_notes(vault: Vault, n: int, min_words: int = 80) -> list[str]:
    notes = sorted(p for p, r in vault.catalog.items() if r.kind == "note" and not r.error)
    random.Random(SEED).shuffle(notes)
    out = []
    for path in notes:
        if (
            len((vault.root / path).read_text(encoding="utf-8", errors="replace").split())
            >= min_words
        ):
            out.append(path)
        if len(out) >= n:
            break
    return out


def _title_before(vault: Vault, path: str) -> str:
    """The title as parsed before issue 18: any leading H1, even one of several sections."""
    note = vault.catalog[path]
    if note.frontmatter.get("title"):
        return note.title
    text = (vault.root / path).read_text(encoding="utf-8", errors="replace")
    _, body_start, _ = split_frontmatter(text)
    lines = text.split("\n")[body_start - 1 :]
    first = next((line for line in lines if line.strip()), "")
    match = re.match(r"^ {0,3}# +(.+?)[ \t]*#*[ \t]*$", first)
    return match.group(1) if match else note.title


def candidate_links(vault: Vault, name: str, n: int = 30) -> dict[str, Any]:
    graph = vault.graph
    labelled = []
    for source in _sample_notes(vault, n):
        for hit in related(vault, source, 8):
            row = {"source": source, "path": hit.path}
            for when, shown in (
                ("before", _title_before(vault, hit.path)),
                ("after", hit.link_text),
            ):
                cands = graph.candidates(shown, source)
                ok = cands == [hit.path]
                row[when] = {
                    "name": shown,
                    "label": ok,
                    "reason": "resolves to this note alone"
                    if ok
                    else f"resolves to {cands[:3] or 'nothing'}",
                }
            labelled.append(row)
    with (LABELS / f"candidate-links-{name}.jsonl").open("w") as fh:
        for row in labelled:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    right = {w: sum(r[w]["label"] for r in labelled) for w in ("before", "after")}
    return {
        "suggestions": len(labelled),
        "notes": n,
        "resolve_right_before": round(right["before"] / max(len(labelled), 1), 3),
        "resolve_right_after": round(right["after"] / max(len(labelled), 1), 3),
    }


def _edit(line: str, rng: random.Random) -> str:
    words = line.split()
    for i in rng.sample(range(len(words)), max(1, len(words) // 3)):
        words[i] = words[i][::-1]
    return " ".join(words)


def duplicates(vault: Vault, name: str, n: int = 30) -> dict[str, Any]:
    texts = {
        p: (vault.root / p).read_text(encoding="utf-8", errors="replace")
        for p, r in vault.catalog.items()
        if r.kind == "note" and not r.error
    }
    started = time.perf_counter()
    real = near_duplicates(texts)
    seconds = time.perf_counter() - started
    rng = random.Random(SEED)
    planted: dict[str, str] = {}
    for path in _sample_notes(vault, 200, min_words=150):
        lines = texts[path].split("\n")
        prose = [i for i, line in enumerate(lines) if len(line.split()) >= 4]
        if len(prose) < 10:
            continue
        for i in rng.sample(prose, 5):
            lines[i] = _edit(lines[i], rng)
        planted[path] = "\n".join(lines)
        if len(planted) >= n:
            break
    both = {**texts, **{f"planted copy of/{p}": t for p, t in planted.items()}}
    found = {(d.a, d.b) for d in near_duplicates(both)}
    hits = sum(
        (f"planted copy of/{p}", p) in found or (p, f"planted copy of/{p}") in found
        for p in planted
    )
    labels = LABELS / f"duplicates-{name}.jsonl"
    known = {}
    if labels.is_file():
        known = {(r["a"], r["b"]): r for r in map(json.loads, labels.open())}
    with labels.open("w") as fh:
        for d in real:
            old = known.get((d.a, d.b), {})
            row = {
                "a": d.a,
                "b": d.b,
                "text_similarity": d.text_similarity,
                "changed_lines": d.changed_lines,
                "label": old.get("label"),
                "reason": old.get("reason", ""),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    judged = [r for r in known.values() if r.get("label") is not None]
    return {
        "planted_copies_5_lines_edited": len(planted),
        "recall_planted": round(hits / max(len(planted), 1), 3),
        "pairs_in_vault": len(real),
        "precision_labelled": round(sum(r["label"] for r in judged) / len(judged), 3)
        if judged
        else None,
        "scan_seconds": round(seconds, 2),
    }


def _old_quiz_module() -> Any:
    try:
        source = subprocess.run(
            ["git", "show", f"{BEFORE_COMMIT}:src/vault_core/study/quiz.py"],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    path = Path(tempfile.mkdtemp()) / "quiz_before.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("quiz_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["quiz_before"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _option_faults(answer: str, options: list[str]) -> list[str]:
    faults = []
    if any(is_fragment(o) for o in options):
        faults.append("fragment")
    if any(not same_kind(answer, o) for o in options):
        faults.append("other kind")
    if any_equivalent(options):
        faults.append("equivalent options")
    return faults


def quiz_options(vault: Vault, name: str, n: int = 10) -> dict[str, Any]:
    old = _old_quiz_module()
    result: dict[str, Any] = {}
    rows = []
    for when, run in (("before", old.quiz if old else None), ("after", quiz)):
        if run is None:
            continue
        questions = faulty = 0
        for path in _sample_notes(vault, n):
            try:
                res = run(vault, path, n=3, types=["cloze"], engine="extractive", use_cache=False)
            except ValueError:
                continue
            for q in res.questions:
                faults = _option_faults(q.answer, q.options)
                questions += 1
                faulty += bool(faults)
                rows.append(
                    {
                        "when": when,
                        "path": path,
                        "prompt": q.prompt,
                        "answer": q.answer,
                        "options": q.options,
                        "faults": faults,
                    }
                )
        result[when] = {"questions": questions, "with_faulty_options": faulty}
    labels = LABELS / f"quiz-{name}.jsonl"
    known = {}
    if labels.is_file():  # hand labels survive a re-run while the question is the same
        known = {_quiz_key(r): r for r in map(json.loads, labels.open()) if "label" in r}
    with labels.open("w") as fh:
        for row in rows:
            if _quiz_key(row) in known:
                row |= {k: known[_quiz_key(row)][k] for k in ("label", "reason")}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    for when in result:
        judged = [r["label"] for r in rows if r["when"] == when and "label" in r]
        result[when]["hand_labelled"] = len(judged)
        result[when]["hand_labelled_good"] = sum(judged)
    return result


def _quiz_key(row: dict[str, Any]) -> tuple[str, str, str, str]:
    return (row["when"], row["path"], row["prompt"], json.dumps(row["options"]))


def graph_report(vault: Vault, name: str) -> dict[str, Any]:
    """`nvault graph` in-process: the first report (duplicates scanned), then again (cached)."""
    wall, cpu = [], []
    for _ in range(2):
        started, cpu_started = time.perf_counter(), time.process_time()
        report = vault.graph_health()
        wall.append(round(time.perf_counter() - started, 3))
        cpu.append(round(time.process_time() - cpu_started, 3))
    return {
        "first_s": wall[0],
        "first_cpu_s": cpu[0],  # on a loaded 2-core box CPU time is the better guess at idle
        "again_s": wall[1],
        "duplicates": len(report.duplicates),
        "load_average": [round(x, 1) for x in os.getloadavg()],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--vaults", type=Path, default=Path("/tmp/read-bench"))
    parser.add_argument("--corpus", action="append")
    parser.add_argument("--only", action="append", help="mentions|links|duplicates|quiz|graph")
    args = parser.parse_args()
    LABELS.mkdir(exist_ok=True)
    out: dict[str, Any] = {}
    checks = {
        "mentions": mentions,
        "links": candidate_links,
        "duplicates": duplicates,
        "quiz": quiz_options,
        "graph": graph_report,
    }
    for name in args.corpus or ["vaultofknowledge", "silverbullet-docs"]:
        root = indexed(args.vaults, name)
        with Vault.open(root, writer=False) as vault:
            out[name] = {}
            for check, fn in checks.items():
                if args.only and check not in args.only:
                    continue
                log(f"{name}: {check}")
                out[name][check] = fn(vault, name)
    emit(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
