"""Dense weight per query shape, measured on queries labelled by construction (issue 31).

Usage:
    python -m bench.measure.query_shape [INDEXED_VAULT ...] [--per-vault N]
    # default: the bench caches of vaultofknowledge, silverbullet-docs and dendron-docs

Two query sets are built from each indexed vault, with their answers known by construction:

- `identifier`: a word that looks like code (`snake_case`, `CamelCase`, a path, `f()`: what
  `vault_core.query.shape` calls an identifier) and occurs, spelled exactly so, in one note
  only -> that note;
- `title`: a note title that no other note shares and that `query_shape` calls plain -> that note.

For each query the engine's own lists are read once (`Searcher._dense` and `_keyword` at the depth
a `limit=10, per_note=1` search uses, and the exact-phrase list), then fused with the product's
`hybrid_scores` for each dense weight in a grid (no title signal), and with the shipped weights
for each title bonus in a grid (`shipped_title_bonus_b*`), collapsed to notes and scored: MRR@10,
recall@10 (= hit@10, one answer per query) and nDCG@10. RRF k=60 over the same lists (what search
did before score fusion) is the baseline. Queries are split by position after a seeded shuffle
(even = tune, odd = test): the weight is chosen on tune and reported on test. One JSON object.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from bench.harness import CACHE, emit, load_average, log, machine, rng
from vault_core.query.fusion import rrf
from vault_core.query.hybrid import cosines_of, hybrid_scores
from vault_core.query.search import _phrase_matches, _title_matches
from vault_core.query.shape import FusionWeights, query_shape
from vault_core.vault import Vault

VAULTS = ("vaultofknowledge", "silverbullet-docs", "dendron-docs")
WEIGHTS = tuple(round(0.1 * i, 1) for i in range(11))
TITLE_BONUS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0)
DEPTH = 50  # what search fetches for limit=10, per_note=1
TOKEN_RE = re.compile(r"[A-Za-z_][\w.\-/]*\w(?:\(\))?")
URL_RE = re.compile(r"\w+://\S+|www\.\S+")


def identifier_queries(texts: dict[str, str]) -> list[tuple[str, str]]:
    """(token, the one note that holds it) for identifier-shaped tokens of 5+ characters."""
    where: dict[str, set[str]] = defaultdict(set)
    for path, text in texts.items():
        for token in TOKEN_RE.findall(URL_RE.sub(" ", text)):
            token = token.rstrip(".-/")
            if len(token) >= 5 and query_shape(token) == "identifier":
                where[token].add(path)
    return sorted((t, next(iter(p))) for t, p in where.items() if len(p) == 1)


def title_queries(vault: Vault) -> list[tuple[str, str]]:
    notes = [(p, r.title) for p, r in vault.catalog.items() if r.kind == "note"]
    count: dict[str, int] = defaultdict(int)
    for _, title in notes:
        count[title.lower()] += 1
    return sorted(
        (t, p)
        for p, t in notes
        if count[t.lower()] == 1 and len(t) > 3 and query_shape(t) == "plain"
    )


def rank_of(order: list[str], target: str) -> int | None:
    return next((i for i, p in enumerate(order[:10], 1) if p == target), None)


def scores(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks) or 1
    return {
        "ndcg@10": round(sum(1 / math.log2(r + 1) for r in ranks if r) / n, 4),
        "recall@10": round(sum(1 for r in ranks if r) / n, 4),
        "mrr@10": round(sum(1 / r for r in ranks if r) / n, 4),
    }


def notes_by(fused: dict[str, float], path_of: dict[str, str]) -> list[str]:
    return list(dict.fromkeys(path_of[c] for c in sorted(fused, key=lambda c: -fused[c])))


def measure(vault: Vault, queries: list[tuple[str, str]]) -> dict[str, list[int | None]]:
    """Variant name -> the target's rank per query (None: not in the top 10)."""
    searcher = vault.searcher
    snap = searcher.matrix.current()
    assert snap is not None and snap.all_embedded, "the vault is not fully embedded"
    out: dict[str, list[int | None]] = defaultdict(list)
    for query, target in queries:
        ranked: dict[str, list[dict[str, Any]]] = {
            "semantic": searcher._dense(query, DEPTH, None),
            "keyword": searcher._keyword(query, DEPTH, None),
        }
        ranked["phrase"] = _phrase_matches(query, ranked, vault.catalog)
        path_of = {r["id"]: r["path"] for rows in ranked.values() for r in rows}
        vector = searcher.query_vector(query)

        def cosines(ids: Any, v: Any = vector) -> dict[str, float]:
            return cosines_of(snap, v, ids)

        lists = {k: [r["id"] for r in rows] for k, rows in ranked.items()}
        out["rrf_k60"].append(rank_of(notes_by(rrf(lists), path_of), target))
        out["keyword"].append(
            rank_of(notes_by(hybrid_scores({"keyword": ranked["keyword"]}, 0), path_of), target)
        )
        out["semantic"].append(
            rank_of(notes_by(hybrid_scores({"semantic": ranked["semantic"]}, 1), path_of), target)
        )
        for a in WEIGHTS:
            fused = hybrid_scores(ranked, a, cosines)
            out[f"score_a{a}"].append(rank_of(notes_by(fused, path_of), target))
        # the title signal: chunks of a note whose title is the query get a bonus (hybrid.py)
        weight = FusionWeights().dense_weight(query)
        titled = ranked | {"title": _title_matches(query, ranked, vault.catalog)}
        for b in TITLE_BONUS:
            fused = hybrid_scores(titled, weight, cosines, title_bonus=b)
            out[f"shipped_title_bonus_b{b}"].append(rank_of(notes_by(fused, path_of), target))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vaults", nargs="*", type=Path)
    parser.add_argument("--per-vault", type=int, default=150, help="queries per set and vault")
    args = parser.parse_args()
    folders = args.vaults or [CACHE / name for name in VAULTS]
    ranks: dict[str, dict[str, list[int | None]]] = {"identifier": {}, "title": {}}
    sizes: dict[str, dict[str, int]] = {}
    for folder in folders:
        with Vault.open(folder, writer=False) as vault:
            snap = vault.searcher.matrix.current()
            assert snap is not None
            texts: dict[str, list[str]] = defaultdict(list)
            for path, text in zip(
                snap.rows["path"].to_pylist(), snap.rows["text"].to_pylist(), strict=True
            ):
                texts[path].append(text)
            sets = {
                "identifier": identifier_queries({p: "\n".join(t) for p, t in texts.items()}),
                "title": title_queries(vault),
            }
            sizes[folder.name] = {k: len(v) for k, v in sets.items()}
            for kind, found in sets.items():
                picked = rng().sample(found, min(args.per_vault, len(found)))
                log(f"{folder.name}: {kind} {len(picked)} of {len(found)}, e.g. {picked[:3]}")
                for name, got in measure(vault, picked).items():
                    ranks[kind].setdefault(name, []).extend(got)
    result: dict[str, Any] = {"candidates_per_vault": sizes, "sets": {}}
    for kind, variants in ranks.items():
        table = {}
        for name, got in variants.items():
            table[name] = {"all": scores(got), "tune": scores(got[0::2]), "test": scores(got[1::2])}
        best = {
            prefix: max(
                (n for n in table if n.startswith(prefix)),
                key=lambda n: table[n]["tune"]["ndcg@10"],  # a tie keeps the smaller value
            )
            for prefix in ("score_a", "shipped_title_bonus_b")
        }
        result["sets"][kind] = {
            "queries": len(variants["rrf_k60"]),
            "chosen_on_tune": best,
            "variants": table,
        }
    result |= {
        "load_average": load_average(),
        "machine": machine(),
        "command": "python -m bench.measure.query_shape " + " ".join(sys.argv[1:]),
    }
    emit(result)


if __name__ == "__main__":
    main()
