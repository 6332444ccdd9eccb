"""Answer options a person can trust: distractors of the same kind as the answer, never a
fragment, never two options that say the same thing.

Both quiz engines use these checks: the extractive engine picks distractors with them, and the
LLM engine's questions are dropped when their options fail them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from vault_core.index.embed import Embedder
from vault_core.index.terms import STOPWORDS, tokenize

Kind = Literal["code", "upper", "name", "lower", "mixed"]
CODE_RE = re.compile(r"[`_.()/${}#=]|^[a-z]+[A-Z]")  # `a.b`, `snake_case`, `camelCase`
MORE_FUNCTION_WORDS = frozenset({"per", "via", "within", "without", "also", "etc", "like"})
SUFFIXES = ("ing", "ed", "ly", "s")  # a cheap part of speech: "folded" is no stand-in for "form"
# cosine between an answer and a distractor (MiniLM): above, the two mean the same thing;
# below, the distractor is from another topic and gives the answer away
SAME_MEANING = 0.9
UNRELATED = 0.15


def kind(term: str) -> Kind:
    """What sort of term this reads as: code, an acronym run, a Name, a lower-case word."""
    words = term.split()
    if CODE_RE.search(term):
        return "code"
    if all(w.isupper() for w in words if any(c.isalpha() for c in w)):
        return "upper"
    if all(w[:1].isupper() for w in words):
        return "name"
    if all(w.islower() for w in words):
        return "lower"
    return "mixed"


def same_kind(answer: str, other: str) -> bool:
    """Same kind, same number of words and a similar length: nothing that gives itself away."""
    if kind(answer) != kind(other) or len(answer.split()) != len(other.split()):
        return False
    if _ending(answer.split()[-1]) != _ending(other.split()[-1]):
        return False
    return 0.5 <= len(other) / max(len(answer), 1) <= 2.0


def _ending(word: str) -> str:
    """The inflection a lower-case word shows (-ing, -ed, -ly, plural -s), or ''."""
    if not word.islower():
        return ""
    if word.endswith("s") and word.endswith(("ss", "us", "is")):
        return ""
    return next((e for e in SUFFIXES if word.endswith(e) and len(word) > len(e) + 2), "")


def is_fragment(term: str) -> bool:
    """A phrase cut out of a longer one: starts or ends with a function word or punctuation."""
    words = term.split()
    if not words or not term[:1].isalnum() or not term[-1:].isalnum():
        return True
    return any(w.casefold() in STOPWORDS | MORE_FUNCTION_WORDS for w in (words[0], words[-1]))


def _key(term: str) -> frozenset[str]:
    return frozenset(tokenize(term)) or frozenset([term.casefold().strip()])


def equivalent(a: str, b: str) -> bool:
    """Two options that say the same thing: equal once case, spacing and inflection are set
    aside, or one term inside the other (`template` / `template.new`)."""
    if " ".join(a.casefold().split()) == " ".join(b.casefold().split()):
        return True
    ka, kb = _key(a), _key(b)
    return ka == kb or (len(a.split()) <= 3 and len(b.split()) <= 3 and (ka <= kb or kb <= ka))


def any_equivalent(options: Sequence[str]) -> bool:
    return any(equivalent(a, b) for i, a in enumerate(options) for b in options[i + 1 :])


def pick_distractors(
    answer: str,
    sentence: str,
    pool: Sequence[str],
    embedder: Embedder,
    want: int = 3,
) -> list[str]:
    """Distractors for `answer`, nearest in meaning first: same kind, not in the sentence, not a
    fragment, not equivalent to the answer or to each other, and not a synonym of it."""
    low_sentence = sentence.casefold()
    fits = [
        t
        for t in dict.fromkeys(pool)
        if same_kind(answer, t)
        and not is_fragment(t)
        and t.casefold() not in low_sentence
        and not equivalent(answer, t)
    ]
    if not fits:
        return []
    vectors = embedder.embed_documents([answer, *fits])
    sims = vectors[1:] @ vectors[0]
    order = np.argsort(-sims, kind="stable")
    chosen: list[str] = []
    for i in order.tolist():
        if not UNRELATED <= float(sims[i]) < SAME_MEANING:
            continue
        if any(equivalent(fits[i], c) for c in chosen):
            continue
        chosen.append(fits[i])
        if len(chosen) >= want:
            break
    return chosen
