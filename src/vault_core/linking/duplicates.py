"""Near-duplicate notes by shingles and MinHash, with what differs between the two.

Mean note vectors miss a copy with a few edited lines (and a mean vector of a long note is
close to many others); word 5-gram shingles do not: a copy with 5 changed lines of 100 keeps
most of its shingles. MinHash signatures and LSH banding find the candidate pairs in one pass
over the vault, the exact Jaccard of the shingle sets decides, and a line diff says what differs.
"""

from __future__ import annotations

import difflib
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from pydantic import BaseModel, Field

SHINGLE_WORDS = 5
MIN_WORDS = 20  # fewer words than this say too little to call two notes copies
NEAR_DUPLICATE = 0.5  # Jaccard of the shingle sets
BANDS, ROWS = 32, 2  # 64 MinHash values; a pair at Jaccard 0.5 is a candidate with p > 0.999
PRIME = np.uint64(4_294_967_311)  # > 2**32, so a * x + b never overflows 64 bits
MAX_DIFFERENCES = 5
WORD_RE = re.compile(r"\w+")


class LineChange(BaseModel):
    """One place where the two notes differ (lines 1-based; an empty side means absent)."""

    a_lines: str = Field(description="line range in a, e.g. '12-14', or '' when only in b")
    b_lines: str = Field(description="line range in b, or '' when only in a")
    a_text: str
    b_text: str


class DuplicatePair(BaseModel):
    a: str
    b: str
    text_similarity: float = Field(description="Jaccard of word 5-gram shingles, 0-1")
    changed_lines: int = Field(description="lines that differ between the two")
    differences: list[LineChange] = Field(
        default_factory=list, description="the first few differences"
    )
    advice: str = "nearly the same content: you may want to merge these"


def _shingles(text: str) -> np.ndarray:
    """32-bit hashes of every run of SHINGLE_WORDS words (case-insensitive), unique."""
    words = WORD_RE.findall(text.casefold())
    if len(words) < MIN_WORDS:
        return np.zeros(0, np.uint64)
    # crc32, not hash(): str hashes change per process, and the report must not
    ids = np.array(list(map(zlib.crc32, map(str.encode, words))), dtype=np.uint64)
    n = len(words) - SHINGLE_WORDS + 1
    mixed = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE_WORDS):
            mixed = mixed * np.uint64(1_000_003) + ids[k : k + n]
    return np.unique((mixed >> np.uint64(32)) ^ (mixed & np.uint64(0xFFFFFFFF)))


def _signatures(sets: list[np.ndarray]) -> np.ndarray:
    rng = np.random.default_rng(18)
    a = rng.integers(1, 2**32, BANDS * ROWS, dtype=np.uint64)
    b = rng.integers(0, 2**32, BANDS * ROWS, dtype=np.uint64)
    sig = np.zeros((len(sets), BANDS * ROWS), np.uint64)
    start = 0
    while start < len(sets):  # blocks of notes, ~40k shingles each: one matrix product apiece
        end, size = start, 0
        while end < len(sets) and (size == 0 or size + sets[end].size <= 40_000):
            size += sets[end].size
            end += 1
        block = np.concatenate(sets[start:end])
        offsets = np.cumsum([0] + [s.size for s in sets[start : end - 1]])
        hashed = (np.outer(block, a) + b) % PRIME
        sig[start:end] = np.minimum.reduceat(hashed, offsets, axis=0)
        start = end
    return sig


def near_duplicates(
    texts: dict[str, str], threshold: float = NEAR_DUPLICATE
) -> list[DuplicatePair]:
    """Pairs of `texts` (path -> text) whose shingle sets overlap by `threshold` or more,
    most similar first, each with the lines that differ."""
    paths = [p for p in sorted(texts)]
    sets = [_shingles(texts[p]) for p in paths]
    keep = [i for i, s in enumerate(sets) if s.size]
    if len(keep) < 2:
        return []
    sig = _signatures([sets[i] for i in keep])
    candidates: set[tuple[int, int]] = set()
    for band in range(BANDS):
        buckets: dict[bytes, list[int]] = defaultdict(list)
        rows = sig[:, band * ROWS : (band + 1) * ROWS]
        for j, row in enumerate(rows):
            buckets[row.tobytes()].append(keep[j])
        for members in buckets.values():
            candidates.update(_pairs(members))
    pairs: list[DuplicatePair] = []
    for i, j in candidates:
        shared = np.intersect1d(sets[i], sets[j], assume_unique=True).size
        jaccard = shared / (sets[i].size + sets[j].size - shared)
        if jaccard >= threshold:
            pairs.append(_describe(paths[i], paths[j], texts, jaccard))
    return sorted(pairs, key=lambda p: (-p.text_similarity, p.a, p.b))


def _pairs(members: list[int]) -> Iterable[tuple[int, int]]:
    if len(members) > 50:  # a bucket this full is boilerplate shared by many notes
        return ()
    return ((a, b) for k, a in enumerate(members) for b in members[k + 1 :])


def _describe(a: str, b: str, texts: dict[str, str], jaccard: float) -> DuplicatePair:
    la, lb = texts[a].split("\n"), texts[b].split("\n")
    changes: list[LineChange] = []
    changed = 0
    matcher = difflib.SequenceMatcher(None, la, lb, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        changed += max(i2 - i1, j2 - j1)
        if len(changes) < MAX_DIFFERENCES:
            changes.append(
                LineChange(
                    a_lines=_span(i1, i2),
                    b_lines=_span(j1, j2),
                    a_text=_clip(" / ".join(la[i1:i2])),
                    b_text=_clip(" / ".join(lb[j1:j2])),
                )
            )
    return DuplicatePair(
        a=a,
        b=b,
        text_similarity=round(jaccard, 4),
        changed_lines=changed,
        differences=changes,
        advice=(
            "the same text: you may want to delete one"
            if not changed
            else f"nearly the same content ({changed} lines differ): you may want to merge these"
        ),
    )


def _span(start: int, end: int) -> str:
    if end <= start:
        return ""
    return str(start + 1) if end == start + 1 else f"{start + 1}-{end}"


def _clip(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
