"""Model-free text primitives for the extractive study engine.

Sentences keep the line range they came from (every extractive claim is a verbatim quote of
those lines), terms keep a readable surface form next to their BM25 key, and weights come from
document frequencies across the whole vault, so a word common to every note never looks "key".
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from vault_core.index.term_counts import TermCounts, bm25_idf
from vault_core.index.terms import STOPWORDS, tokenize
from vault_core.parse.markdown import HEADING_RE, code_mask, split_frontmatter, visible_text

# words too vague to be a key term, on top of the keyword index's STOPWORDS
EXTRA_STOP = frozenset(
    [
        "also",
        "just",
        "like",
        "one",
        "two",
        "use",
        "used",
        "using",
        "way",
        "get",
        "make",
        "may",
        "might",
        "must",
        "without",
        "within",
        "via",
        "etc",
        "yes",
        "lot",
        "lots",
        "thing",
        "things",
    ]
)
LIST_RE = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?")
QUOTE_RE = re.compile(r"^\s*>\s?")
SENT_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[*_`]?[A-Z0-9])")
WORD_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*[A-Za-z0-9]")
CODE_SPAN_RE = re.compile(r"`([^`\n]{2,40})`")


def normalize_ws(text: str) -> str:
    return " ".join(text.split())


def plain(text: str) -> str:
    """Markdown link syntax reduced to the words a reader sees (for matching, never for quotes)."""
    return visible_text(text, keep_section=False)


@dataclass
class Unit:
    """A sentence or list item: `text` is verbatim from lines `start_line..end_line` (1-based)."""

    text: str
    start_line: int
    end_line: int
    heading_path: tuple[str, ...] = ()
    terms: list[str] = field(default_factory=list)
    index: int = 0

    @property
    def prose(self) -> str:
        """The text as one line of plain prose (markup and extra whitespace gone)."""
        return normalize_ws(plain(self.text))


def _paragraphs(text: str) -> Iterable[tuple[list[tuple[int, str]], tuple[str, ...]]]:
    """Runs of prose lines (line number, text without list/quote marker) with their headings."""
    _, body_start, _ = split_frontmatter(text)
    lines = text.split("\n")
    mask = code_mask(lines)
    stack: list[tuple[int, str]] = []
    para: list[tuple[int, str]] = []
    path: tuple[str, ...] = ()
    for idx in range(body_start - 1, len(lines)):
        line = lines[idx]
        heading = None if mask[idx] else HEADING_RE.match(line)
        stripped = line.strip()
        breaks = (
            mask[idx]
            or heading is not None
            or not stripped
            or stripped.startswith(("|", "<", "---", "***", "```"))
            or LIST_RE.match(line) is not None
            or QUOTE_RE.match(line) is not None
        )
        if breaks and para:
            yield para, path
            para = []
        if heading is not None:
            level = len(heading.group(1))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, heading.group(2).strip()))
            path = tuple(t for _, t in stack)
            continue
        if mask[idx] or not stripped or stripped.startswith(("|", "<", "---", "***")):
            continue
        marker = LIST_RE.match(line) or QUOTE_RE.match(line)
        content = line[marker.end() :] if marker else line
        if marker:  # list items and quote lines are units of their own
            yield [(idx + 1, content.strip())], path
            continue
        para.append((idx + 1, content.strip()))
    if para:
        yield para, path


def sentence_units(text: str, min_words: int = 4, max_chars: int = 600) -> list[Unit]:
    """Every sentence or list item of a Markdown note that is prose (not code, tables or headings)."""
    units: list[Unit] = []
    for para, path in _paragraphs(text):
        joined = ""
        starts: list[int] = []  # char offset where each line starts in `joined`
        for _, content in para:
            starts.append(len(joined) + (1 if joined else 0))
            joined = f"{joined} {content}" if joined else content
        pos = 0
        for piece in SENT_SPLIT_RE.split(joined):
            begin = joined.index(piece, pos)
            end = begin + len(piece)
            pos = end
            sentence = piece.strip()
            if len(WORD_RE.findall(plain(sentence))) < min_words or len(sentence) > max_chars:
                continue
            if sentence.endswith(":") or sentence.casefold().startswith("see also"):
                continue  # lead-ins to code or lists, and link lists, say nothing on their own
            first = max(i for i, s in enumerate(starts) if s <= begin)
            last = max(i for i, s in enumerate(starts) if s < end)
            units.append(
                Unit(
                    text=sentence,
                    start_line=para[first][0],
                    end_line=para[last][0],
                    heading_path=path,
                    terms=tokenize(plain(sentence)),
                )
            )
    for i, unit in enumerate(units):
        unit.index = i
    return units


# ---------------------------------------------------------------- document frequencies


class DocFreq:
    """Document frequencies over the vault's chunks (a chunk is one BM25 document)."""

    def __init__(self, counts: TermCounts) -> None:
        """From the keyword index's term counts, one group per chunk."""
        self.vocabulary = counts.vocabulary
        self._df = counts.doc_freq()
        self.n_docs = counts.chunks_read
        tokens = int(counts.group_tokens.sum())
        self.avg_len = tokens / self.n_docs if self.n_docs else 100.0

    def idf(self, key: str) -> float:
        parts = key.split(" ")
        if len(parts) > 1:  # a phrase is rarer than its rarest word
            return max(self.idf(p) for p in parts) + 0.5 * min(self.idf(p) for p in parts)
        k = self.vocabulary.term_id(key)
        return bm25_idf(self.n_docs, 0 if k is None else int(self._df[k]))


# ---------------------------------------------------------------- key terms


@dataclass
class Term:
    key: str  # BM25 key (stemmed), or "stem stem" for a phrase
    surface: str  # what a reader sees, as written in the note
    count: int
    weight: float = 0.0
    units: list[int] = field(default_factory=list)


def _word_key(word: str) -> str | None:
    low = word.casefold()
    if len(word) < 3 or low in STOPWORDS or low in EXTRA_STOP or word.isdigit():
        return None
    keys = tokenize(word)
    return keys[0] if keys else None


def key_terms(units: list[Unit], docfreq: DocFreq, limit: int = 20) -> list[Term]:
    """Words, code spans and repeated two-word phrases ranked by a BM25-like weight."""
    found: dict[str, Term] = {}
    surfaces: dict[str, Counter[str]] = {}

    def add(key: str, surface: str, unit: int) -> None:
        term = found.setdefault(key, Term(key=key, surface=surface, count=0))
        term.count += 1
        if unit not in term.units:
            term.units.append(unit)
        surfaces.setdefault(key, Counter())[surface] += 1

    for unit in units:
        text = plain(unit.text)
        for code in CODE_SPAN_RE.findall(unit.text):
            if sum(c.isalpha() for c in code) >= 3:
                add("`" + code.casefold(), code, unit.index)
        prev: tuple[str, str] | None = None
        for match in WORD_RE.finditer(CODE_SPAN_RE.sub(" , ", text)):
            word = re.sub(r"['’]s$", "", match.group(0)).strip("'’-")
            key = _word_key(word)
            gap = text[match.start() - 1 : match.start()] if match.start() else ""
            if key is None:
                prev = None
                continue
            add(key, word, unit.index)
            if prev is not None and gap == " ":
                add(f"{prev[0]} {key}", f"{prev[1]} {word}", unit.index)
            prev = (key, word)
    length = sum(len(u.terms) for u in units) or 1
    k1, b = 1.2, 0.75
    norm = k1 * (1 - b + b * min(length / max(docfreq.avg_len, 1.0), 10.0))
    terms: list[Term] = []
    for key, term in found.items():
        if term.count < 2 and (
            " " in key or not (key.startswith("`") or term.surface[0].isupper())
        ):
            continue  # a plain word or phrase said once is rarely what the note is about
        term.surface = surfaces[key].most_common(1)[0][0]
        idf = (
            docfreq.idf(key.lstrip("`"))
            if not key.startswith("`")
            else docfreq.idf(" ".join(tokenize(key[1:])) or key)
        )
        term.weight = idf * term.count * (k1 + 1) / (term.count + norm)
        terms.append(term)
    terms.sort(key=lambda t: (-t.weight, t.surface))
    picked: list[Term] = []
    for term in terms:  # a phrase hides its words; a word already inside a phrase is skipped
        if any(term.key in p.key.split(" ") for p in picked if " " in p.key):
            continue
        picked.append(term)
        if len(picked) >= limit:
            break
    return picked


# ---------------------------------------------------------------- centrality


def tfidf_vector(terms: list[str], docfreq: DocFreq) -> dict[str, float]:
    counts = Counter(terms)
    vec = {t: (1 + math.log(c)) * docfreq.idf(t) for t, c in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(t, 0.0) for t, v in a.items())


def central_units(
    units: list[Unit], docfreq: DocFreq, k: int, redundancy: float = 0.6
) -> list[tuple[Unit, float]]:
    """The `k` most central sentences (similarity to the note centroid), without near-repeats."""
    vecs = [tfidf_vector(u.terms, docfreq) for u in units]
    centroid: Counter[str] = Counter()
    for vec in vecs:
        centroid.update(vec)
    size = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
    center = {t: v / size for t, v in centroid.items()}
    n = len(units) or 1
    scored = []
    for unit, vec in zip(units, vecs, strict=True):
        position = 1.0 + 0.15 * (1 - unit.index / n)  # leads of notes matter a little more
        scored.append((cosine(vec, center) * position, unit.index))
    scored.sort(key=lambda s: (-s[0], s[1]))
    chosen: list[tuple[Unit, float]] = []
    for score, idx in scored:
        if any(cosine(vecs[idx], vecs[c.index]) > redundancy for c, _ in chosen):
            continue
        chosen.append((units[idx], score))
        if len(chosen) >= k:
            break
    return chosen


def lines_contain(text: str, start: int, end: int, quote: str) -> bool:
    """Does lines start..end of `text` contain `quote` (whitespace-insensitive)?"""
    lines = text.split("\n")[start - 1 : end]
    return normalize_ws(quote).casefold() in normalize_ws(" ".join(lines)).casefold()
