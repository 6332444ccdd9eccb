"""Calibrate the search relevance floor: best dense cosine of real queries vs. garbage queries.

Usage:
    python -m bench.decisions.relevance_floor [--queries 200] [--distractors 400]

Vaults (indexed once into the bench cache): a SciFact subset (the judged-relevant abstracts of
`--queries` seeded train claims plus `--distractors` seeded other abstracts; the full 5,183 take
too long to embed on a shared 2-core machine) and silverbullet-docs. Real queries: SciFact train claims (with
judged-relevant documents) and, for silverbullet-docs, its multi-word section headings (what a
person looks a page up by). Garbage: the
audit's cases (`\\x00`, 2,000 x "x", random RTL text, `xyzzyplugh`) plus seeded random letter
strings, RTL, CJK, emoji, digits and punctuation.

For each query: does any hit match a keyword (BM25/phrase), and the best dense cosine of the top
10 hybrid hits (what relevance.assess sees). Printed: cosine percentiles per group, and for a grid
of floors the share of garbage answered confidently (false confidence) and the share of real
queries refused (false refusal), with and without the keyword rule (a query with no letter or
digit never matches by meaning, as in relevance.py), and for SciFact how many
refused queries had a relevant document in their top 10 anyway (the cost of refusing).
"""

from __future__ import annotations

import argparse
import random
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench.harness import (
    CACHE,
    corpus,
    emit,
    is_ready,
    log,
    machine,
    mark_ready,
    percentile,
    rng,
)
from bench.measure.scifact import load_scifact, note_text
from vault_core.query.relevance import assess, confident_hits, floor_for
from vault_core.vault import Vault

FLOORS = [round(x, 2) for x in np.arange(0.10, 0.46, 0.02)]
RTL = "אבגדהוזחטיכלמנסעפצקרשתابتثجحخدذرزسشصضطظعغفقكلمنهوي"
CJK = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会"
EMOJI = "😀😂🥲😍🤔🙃🚀🔥🍕🐍🌈⚡🎉💡📎"


def garbage_queries(n: int, seed: random.Random) -> list[tuple[str, str]]:
    """(kind, query) pairs: the audit's cases first, then seeded random strings of each kind."""
    fixed = [
        ("nul", "\x00"),
        ("x*2000", "x" * 2000),
        ("rtl-audit", "שלום עולם مرحبا بالعالم"),
        ("nonsense-word", "xyzzyplugh"),
    ]
    letters = "abcdefghijklmnopqrstuvwxyz"

    def word(alphabet: str, lo: int, hi: int) -> str:
        return "".join(seed.choice(alphabet) for _ in range(seed.randint(lo, hi)))

    makers = {
        "random-letters": lambda: " ".join(word(letters, 4, 10) for _ in range(seed.randint(1, 4))),
        "rtl": lambda: " ".join(word(RTL, 3, 8) for _ in range(seed.randint(1, 5))),
        "cjk": lambda: word(CJK, 2, 12),
        "emoji": lambda: word(EMOJI, 1, 8),
        "digits": lambda: word("0123456789", 4, 20),
        "punctuation": lambda: word("!@#$%^&*()_+-=[]{};:,.<>/?|~`", 2, 30),
        "hex": lambda: word("0123456789abcdef", 16, 40),
    }
    out = list(fixed)
    for i in range(n):
        kind = list(makers)[i % len(makers)]
        out.append((kind, makers[kind]()))
    return out


def indexed(target: Path, write: Callable[[Path], None]) -> Path:
    """A vault written by `write` and indexed once (cached in the bench cache)."""
    if is_ready(target):
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    write(target)
    with Vault.open(target) as vault:
        vault.sync()
    mark_ready(target, {"notes": sum(1 for _ in target.rglob("*.md"))})
    return target


def silverbullet_vault() -> Path:
    src = corpus("silverbullet-docs")

    def write(target: Path) -> None:
        shutil.copytree(
            src,
            target,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".git", ".nvault", "_SOURCE*"),
        )

    return indexed(CACHE / "silverbullet-relevance", write)


def scifact_subset(
    docs: list[dict[str, str]], qids: list[str], qrels: dict[str, set[str]], extra: int
) -> Path:
    wanted = {d for q in qids for d in qrels[q]}
    others = sorted(d["_id"] for d in docs if d["_id"] not in wanted)
    random.Random(len(qids)).shuffle(others)
    keep = wanted | set(others[:extra])

    def write(target: Path) -> None:
        for doc in docs:
            if doc["_id"] in keep:
                (target / f"{doc['_id']}.md").write_text(note_text(doc), encoding="utf-8")

    return indexed(CACHE / f"scifact-relevance-{len(qids)}-{extra}", write)


def probe(vault: Vault, query: str) -> dict[str, Any]:
    hits = vault.search(query, mode="hybrid", limit=10)
    rel = assess(hits, vault.embedder.name, query)
    return {
        "keyword": rel.keyword_match,
        "best": rel.best_similarity if rel.best_similarity is not None else -1.0,
        "paths": [h.path for h in hits],
        "kept": [h.path for h in confident_hits(hits, vault.embedder.name, query)],
        "wordless": rel.wordless_query,
    }


def percentiles(values: list[float]) -> dict[str, float]:
    arr = np.asarray(values, dtype=np.float64)
    return {f"p{p}": round(percentile(values, p), 3) for p in (1, 5, 25, 50, 75, 95, 99)} | {
        "max": round(float(arr.max()), 3),
        "n": len(arr),
    }


def sweep(real: list[dict[str, Any]], junk: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for floor in FLOORS:

        def confident(r: dict[str, Any], use_keyword: bool, f: float = floor) -> bool:
            return (use_keyword and r["keyword"]) or (not r["wordless"] and r["best"] >= f)

        rows.append(
            {
                "floor": floor,
                "garbage_confident": round(np.mean([confident(r, True) for r in junk]), 4),
                "garbage_confident_dense_only": round(
                    np.mean([confident(r, False) for r in junk]), 4
                ),
                "real_refused": round(np.mean([not confident(r, True) for r in real]), 4),
                "real_refused_dense_only": round(
                    np.mean([not confident(r, False) for r in real]), 4
                ),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200, help="real and garbage queries each")
    parser.add_argument("--distractors", type=int, default=400, help="other SciFact abstracts")
    args = parser.parse_args()
    seed = rng()
    docs, claims, qrels = load_scifact(corpus("scifact"))
    qids = sorted(qrels, key=int)
    seed.shuffle(qids)
    qids = qids[: args.queries]
    scifact_dir = scifact_subset(docs, qids, qrels, args.distractors)
    junk = garbage_queries(args.queries, seed)
    result: dict[str, Any] = {
        "machine": machine(),
        "floor_in_use": None,
        "vaults": {},
    }
    with Vault.open(scifact_dir, writer=False) as vault:
        result["floor_in_use"] = floor_for(vault.embedder.name)
        real = []
        for qid in qids:
            r = probe(vault, claims[qid])
            r["relevant_in_top10"] = any(Path(p).stem in qrels[qid] for p in r["paths"])
            r["relevant_kept"] = any(Path(p).stem in qrels[qid] for p in r["kept"])
            real.append(r)
        junk_rows = [probe(vault, q) | {"kind": kind} for kind, q in junk]
        result["vaults"]["scifact"] = summarize(real, junk_rows, result["floor_in_use"])
    log("scifact done; silverbullet-docs next")
    sb = silverbullet_vault()
    with Vault.open(sb, writer=False) as vault:
        headings = sorted(
            {h.text for n in vault.notes() for h in n.headings if len(h.text.split()) >= 2}
        )
        seed.shuffle(headings)
        real = [probe(vault, h) for h in headings[: args.queries]]
        junk_rows = [probe(vault, q) | {"kind": kind} for kind, q in junk]
        result["vaults"]["silverbullet-docs"] = summarize(real, junk_rows, result["floor_in_use"])
    emit(result)


def summarize(
    real: list[dict[str, Any]], junk: list[dict[str, Any]], floor: float | None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "real_best_cosine": percentiles([r["best"] for r in real]),
        "real_keyword_match": round(float(np.mean([r["keyword"] for r in real])), 4),
        "garbage_best_cosine": percentiles([r["best"] for r in junk]),
        "garbage_keyword_match": round(float(np.mean([r["keyword"] for r in junk])), 4),
        "garbage_max_by_kind": {
            kind: round(max(r["best"] for r in junk if r["kind"] == kind), 3)
            for kind in dict.fromkeys(r["kind"] for r in junk)
        },
        "sweep": sweep(real, junk),
    }
    if floor is not None:
        refused = [r for r in real if not r["kept"]]
        fooled = [r for r in junk if r["kept"]]
        kinds = list(dict.fromkeys(r["kind"] for r in junk))
        out["at_floor_in_use"] = {
            "real_refused": len(refused),
            "real_refused_with_relevant_in_top10": sum(
                1 for r in refused if r.get("relevant_in_top10")
            ),
            "real_hits_kept_of_top10": round(
                float(np.mean([len(r["kept"]) / max(len(r["paths"]), 1) for r in real])), 4
            ),
            "real_relevant_in_top10": sum(1 for r in real if r.get("relevant_in_top10")),
            "real_relevant_dropped_by_trim": sum(
                1 for r in real if r.get("relevant_in_top10") and not r.get("relevant_kept")
            ),
            "garbage_confident": len(fooled),
            "garbage_confident_by_kind": {
                k: f"{sum(1 for r in fooled if r['kind'] == k)}/{sum(1 for r in junk if r['kind'] == k)}"
                for k in kinds
            },
        }
    return out


if __name__ == "__main__":
    main()
