"""Contradiction candidates: sentences of two linked notes that say nearly the same words, one
negating or reversing the other ("X is not thread-safe" / "X is thread-safe"), or the same claim
with other numbers.

Found extractively (word overlap, negation and antonym cues), so each is a *candidate* for a
person or an agent to judge, never a verdict; the fix only records the question in the note.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from vault_core.index.link_graph import strip_links
from vault_core.index.terms import STOPWORDS
from vault_core.linking.lint_models import LintContext, LintFinding, LintLocation, append
from vault_core.parse.markdown import body_start_line, code_mask

NEGATIONS = frozenset(
    [
        "not",
        "no",
        "never",
        "none",
        "cannot",
        "nothing",
        "nobody",
        "neither",
        "nor",
        "without",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "doesn't",
        "don't",
        "didn't",
        "won't",
        "can't",
        "couldn't",
        "shouldn't",
        "wouldn't",
        "hasn't",
        "haven't",
    ]
)
ANTONYMS = {
    a: b
    for x, y in (
        ("true", "false"),
        ("always", "never"),
        ("increase", "decrease"),
        ("increases", "decreases"),
        ("more", "less"),
        ("higher", "lower"),
        ("before", "after"),
        ("enabled", "disabled"),
        ("possible", "impossible"),
        ("safe", "unsafe"),
        ("faster", "slower"),
        ("larger", "smaller"),
        ("required", "optional"),
        ("supported", "unsupported"),
        ("correct", "incorrect"),
    )
    for a, b in ((x, y), (y, x))
}
WORD_RE = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,]\d+)?")
SENTENCE_RE = re.compile(r"[^.!?]+[.!?]?")
MIN_SHARED = 4  # content words two sentences share at least
MIN_OVERLAP = 0.6  # and this share of their content words (Jaccard)
MIN_WORDS, MAX_WORDS = 5, 60  # sentences outside these lengths are not claims to compare
PER_PAIR = 2  # candidates kept per pair of notes


@dataclass(slots=True)
class Claim:
    line: int
    text: str
    content: frozenset[str]
    negated: bool
    numbers: frozenset[str]
    cues: frozenset[str]  # words that have an antonym


def claims(text: str) -> list[Claim]:
    """The note's prose sentences (no frontmatter, code or headings), with their words."""
    lines = text.split("\n")
    body_start = body_start_line(lines)
    mask = code_mask(lines)
    out: list[Claim] = []
    for i, raw in enumerate(lines):
        if i < body_start - 1 or mask[i] or raw.lstrip().startswith(("#", "|", "<")):
            continue
        line = strip_links(raw, True)
        for match in SENTENCE_RE.finditer(line):
            sentence = match.group(0).strip(" -*>\t")
            words = [w.lower().replace("’", "'") for w in WORD_RE.findall(sentence)]
            if not MIN_WORDS <= len(words) <= MAX_WORDS:
                continue
            content = frozenset(
                w
                for w in words
                if w not in STOPWORDS
                and w not in NEGATIONS
                and w not in ANTONYMS
                and len(w) > 2
                and not w[0].isdigit()
            )
            out.append(
                Claim(
                    line=i + 1,
                    text=sentence,
                    content=content,
                    negated=any(w in NEGATIONS or w.endswith("n't") for w in words),
                    numbers=frozenset(w for w in words if w[0].isdigit()),
                    cues=frozenset(w for w in words if w in ANTONYMS),
                )
            )
    return out


def opposed(a: Claim, b: Claim) -> str | None:
    """Why two near-identical claims may contradict, or None."""
    shared = len(a.content & b.content)
    if shared < MIN_SHARED or shared / max(len(a.content | b.content), 1) < MIN_OVERLAP:
        return None
    if a.negated != b.negated:
        return "one negates the other"
    flipped = [w for w in a.cues if ANTONYMS[w] in b.cues and w not in b.cues]
    if flipped:
        return f"{flipped[0]!r} vs {ANTONYMS[flipped[0]]!r}"
    if a.numbers and b.numbers and a.numbers != b.numbers and a.content == b.content:
        return "the same claim with other numbers"
    return None


def contradiction_candidates(ctx: LintContext) -> list[LintFinding]:
    """Candidates between notes linked either way, at least one of them in scope."""
    pairs = {
        tuple(sorted((a, b)))
        for a in ctx.notes
        for b in ctx.out[a]
        if b in ctx.notes and (ctx.in_scope(a) or ctx.in_scope(b))
    }
    cache: dict[str, _Claims] = {}

    def of(path: str) -> _Claims:
        if path not in cache:
            text = ctx.text(path)
            cache[path] = _Claims(claims(text) if text is not None else [])
        return cache[path]

    found = []
    for a, b in sorted(pairs):
        note, other = (a, b) if ctx.in_scope(a) else (b, a)
        for mine, theirs, why in _compare(of(note), of(other))[:PER_PAIR]:
            quote = f"“{theirs.text}” ([[{ctx.link_text(other)}]], line {theirs.line})"
            found.append(
                LintFinding(
                    kind="contradiction_candidate",
                    note=note,
                    location=LintLocation(line=mine.line),
                    message=f"candidate to judge ({why}): “{mine.text}” vs {quote}",
                    fix=append(
                        note,
                        f"\n> [!question] Line {mine.line} may contradict {quote}: which holds?\n",
                    ),
                    related=[other],
                    severity="hint",
                )
            )
    return found


class _Claims:
    """A note's claims with inverted indexes on their words: all of them, and those flagged
    (negation, antonym or number), since a plain claim can only oppose a flagged one."""

    def __init__(self, items: list[Claim]) -> None:
        self.items = items
        self.every: dict[str, list[int]] = defaultdict(list)
        self.marked: dict[str, list[int]] = defaultdict(list)
        for j, claim in enumerate(items):
            flagged = _flagged(claim)
            for w in claim.content:
                self.every[w].append(j)
                if flagged:
                    self.marked[w].append(j)


def _compare(mine: _Claims, theirs: _Claims) -> list[tuple[Claim, Claim, str]]:
    """Near-identical claim pairs with an opposing cue."""
    out = []
    if not theirs.items:
        return out
    for claim in mine.items:
        if len(claim.content) < MIN_SHARED:
            continue
        postings = theirs.every if _flagged(claim) else theirs.marked
        shared = Counter(j for w in claim.content for j in postings.get(w, ()))
        for j, n in shared.items():
            other = theirs.items[j]
            if n >= MIN_SHARED and other.text != claim.text:
                why = opposed(claim, other)
                if why:
                    out.append((claim, other, why))
    return out


def _flagged(claim: Claim) -> bool:
    return claim.negated or bool(claim.cues) or bool(claim.numbers)
