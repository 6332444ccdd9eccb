"""Unlinked mentions worth acting on: one suggestion per target note, ranked.

`unlinked_mentions` (mentions.py) finds every place a note names another; this groups them into
one suggestion per target at its first occurrence (the Zettelkasten convention: link once) and
scores each by how specific the name is, whether the passage is about the target, whether the
word is used in the target's sense, and how this vault's writers link it (mention_evidence.py).
The default list keeps the few best above a threshold, so an agent or a writer can act on it
without wading through "server" and "page". Lint, the LSP's "link this mention" action,
`analyze`'s candidate links and `related()`'s mention signal all read this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from pydantic import BaseModel, Field

from vault_core.index.terms import STOPWORDS
from vault_core.linking.mention_evidence import HABIT_PRIOR, link_habits, neighbours_linking
from vault_core.linking.mention_names import _matcher, _name_key
from vault_core.linking.mention_sense import place_features, sub_page
from vault_core.linking.mentions import (
    SENTENCE_START_RE,
    Mention,
    _inside_longer_name,
    _WordRarity,
    scan_mentions,
)
from vault_core.linking.related_index import NoteIndex, note_index
from vault_core.parse.markdown import HEADING_RE

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel

DEFAULT_LIMIT = 5  # suggestions per note in the default list...
WORDS_PER_SUGGESTION = 300  # ...or one per this many words of a long note, if more
THRESHOLD = 0.65  # the default list keeps suggestions scored at least this
# The score is a logistic model over FEATURES, fitted (`python -m bench.measure.mentions --fit`) on the
# labels drawn before fresh10 (bench/labels/mentions-*.jsonl: tuning at half weight, fresh to
# fresh9 in full); fresh10 (mentions-fresh10-*.jsonl) was drawn from this code, never fitted.
# THRESHOLD is the lowest from which those labels give precision >= 0.85 on both vaults in the
# shown pools AND in the all pools' rows, both in sample and with each fresh round scored by a
# fit on the others, at it and at every higher cut (a shown pool says little below the cut of
# the list it was drawn from, and an in-sample choice flatters: fresh6, cut at 0.55, found out;
# 0.6 passes too but 0.625 does not, left out, so 0.6 is luck).
# Its floor is the vault's own rate of linking the word to the target (see `_Scorer.score`).
FEATURES = (
    "rare",  # 1 - log(1 + notes using the name's rarest word) / log(1 + notes)
    "multi_word",  # a name of several words, not counting stop words ("to fill" is one)
    "proper",  # written capitalised mid-sentence (or in inner capitals: "SilverBullet")
    "as_name",  # mentions._reads_as_name holds for some place (issue 18's filter)
    "generic",  # one common word of the vault, never written as a name
    "plain_word",  # one word written in lower case: a common noun needs the passage on topic
    "in_longer_name",  # the place to link is a piece of a longer capitalised name ("Code Widget API")
    "topic",  # the mentioning passage's similarity to the target note (0-1; TOPIC_UNKNOWN)
    "shared",  # shared link neighbours of the two notes (0-1, saturating at 3)
    "places",  # log(1 + other places in the note that name it)
    "habit",  # how often the other notes using the word link the target by it (log scale, 0-1)
    "neighbours",  # share of the source's link neighbours that link the target
    "generic_habit",  # habit, for a generic word only: the vault links this common word
    "generic_neighbours",  # neighbours, for a generic word only
    "generic_topic",  # topic, for a generic word only
    "not_stem",  # the name is not the target's file name (an alias, or an H1 that differs)
    "common_name",  # a name many notes here use (rare < COMMON_NAME_RARE), never linked by it
    "field",  # mean cosine of the other notes using the word to the target: its field's word
    # sense (mention_sense.py): the name is right, is the word used in the target's sense?
    "near_link",  # a link within a few characters on the same line: the writer linked there
    "link_shares_word",  # a link on the line shares a word with the name ("API" by [[API/js]])
    "sub_page",  # the target is a sub-page X/Name of a note X, named without X ("HTML")
    "ui_label",  # in double quotes or before ": Capital" (a command or UI label)
    "hyphen_piece",  # glued to a hyphenated compound ("Meta-Ethics", "SilverBullet-specific")
)
WEIGHTS = {
    "rare": 0.1,
    "multi_word": 1.05,
    "proper": 0.0,
    "as_name": 1.35,
    "generic": -1.32,
    "plain_word": -0.77,
    "in_longer_name": -2.02,
    "topic": 2.04,
    "shared": 0.1,
    "places": 0.0,
    "habit": -0.07,
    "neighbours": 0.46,
    "generic_habit": -0.07,
    "generic_neighbours": -0.43,
    "generic_topic": -0.45,
    "not_stem": -1.29,
    "common_name": -1.24,
    "field": 1.41,
    "near_link": -0.75,
    "link_shares_word": -1.23,
    "sub_page": -0.7,
    "ui_label": -0.73,
    "hyphen_piece": -1.63,
}
BIAS = -1.39
TOPIC_UNKNOWN = (
    0.2  # a target without vectors (an empty stub, or before phase 2) is barely on topic
)
TOPIC_FLOOR = 0.25  # MiniLM cosine at which a passage starts to read as about the target
TOPIC_SPAN = 0.35  # ...and this much above the floor counts as fully on topic
HABIT_FULL = 0.5  # habit is 1 at this smoothed link rate, 0 at mention_evidence.HABIT_PRIOR
COMMON_NAME_RARE = 0.45  # below this `rare` a name is common here ("Lua", "API", "Islam")
FIELD_UNKNOWN = 0.3  # `field` when the target has no vector or no other note uses the word


REASONS = (  # (feature, at least, what a reader is told)
    ("multi_word", 1.0, "a multi-word name"),
    ("proper", 1.0, "written as a proper name"),
    ("rare", 0.6, "a rare name in this vault"),
    ("topic", 0.6, "the passage is about it"),
    ("shared", 1 / 3, "the notes share link neighbours"),
    ("habit", 0.5, "the vault links it by this word"),
    ("link_rate", 0.5, "most notes here that use this word link it to this note"),
    ("neighbours", 0.25, "notes linked with this one link it"),
    ("generic", 1.0, "a common word here, used in passing"),
    ("common_name", 1.0, "a name many notes here use without linking it"),
    ("field", 0.45, "the notes that use this word are about this note's topic"),
)


class MentionPlace(BaseModel):
    """Another occurrence of the same name in the same note."""

    line: int = Field(description="1-based")
    start_col: int = Field(description="0-based, inclusive")
    end_col: int = Field(description="0-based, exclusive")
    text: str


class RankedMention(Mention):
    """One suggestion: link `target` at its first unlinked mention in `path`."""

    title: str = Field(description="the target note's title")
    others: list[MentionPlace] = Field(
        default_factory=list, description="later occurrences of the same target in this note"
    )
    score: float = Field(description="0-1: how likely a writer would link this mention")
    specificity: float = Field(description="0-1: rare, multi-word, proper-noun or alias names")
    topicality: float = Field(
        description="0-1: the mentioning passage is about the target (TOPIC_UNKNOWN without vectors)"
    )
    generic: bool = Field(description="a common word of the vault, not written as a name")
    features: dict[str, float] = Field(default_factory=dict, description="the score's inputs")
    reasons: list[str] = Field(default_factory=list)
    shown: bool = Field(description="in the default list (top few above the threshold)")


@dataclass
class MentionGroup:
    """Every unlinked occurrence of one target in one note, first first."""

    target: str
    places: list[Mention]
    as_name: list[bool]  # per place: reads as the note's name (mentions._reads_as_name)


def mention_groups(
    vault: ReadModel, path: str, text: str | None = None, *, with_headings: bool = False
) -> list[MentionGroup]:
    """Every note `path` names in plain text, one group per target in order of first mention;
    `with_headings` also counts names in headings (related()'s signal was fitted with them)."""
    groups: dict[str, MentionGroup] = {}
    skip = set() if with_headings else headings(vault, path, text)
    for m, as_name in scan_mentions(vault, path, text):
        if m.line in skip:
            continue  # a writer links in the text, not in a heading (issue 18's rule)
        group = groups.setdefault(m.target, MentionGroup(m.target, [], []))
        group.places.append(m)
        group.as_name.append(as_name)
    return list(groups.values())


def ranked_mentions(
    vault: ReadModel,
    path: str,
    text: str | None = None,
    *,
    show_all: bool = False,
    limit: int | None = None,
    threshold: float = THRESHOLD,
) -> list[RankedMention]:
    """One suggestion per mentioned note, best first. By default only the `limit` best scoring
    at least `threshold` and not linked elsewhere in the note (`limit` None: DEFAULT_LIMIT, or
    one per WORDS_PER_SUGGESTION words of a long note); `show_all` returns every one, scored,
    with `shown` saying which the default keeps."""
    groups = mention_groups(vault, path, text)
    if not groups:
        return []
    scorer = _Scorer(vault, path, text)
    ranked = sorted(
        (scorer.score(g) for g in groups), key=lambda r: (-r.score, r.line, r.start_col)
    )
    if limit is None:
        limit = max(DEFAULT_LIMIT, scorer.words // WORDS_PER_SUGGESTION)
    kept = 0
    for r in ranked:
        if r.score >= threshold and not r.already_linked and kept < limit:
            r.shown = True
            kept += 1
    return ranked if show_all else [r for r in ranked if r.shown]


def headings(vault: ReadModel, path: str, text: str | None) -> set[int]:
    """1-based lines of the note's headings (from the buffer when `text` is given)."""
    if text is not None:
        return {i for i, line in enumerate(text.split("\n"), 1) if HEADING_RE.match(line)}
    note = vault.graph.notes.get(path)
    return {h.line for h in note.headings} if note is not None else set()


class _Scorer:
    """The features of one note's mention groups, from the vault's in-memory indexes."""

    def __init__(self, vault: ReadModel, path: str, text: str | None) -> None:
        self.vault, self.path = vault, path
        self.matcher = _matcher(vault)
        self.rarity = _WordRarity(vault, self.matcher.notes_using)
        self.index: NoteIndex = note_index(vault)
        self.habits = link_habits(vault)
        self.n_notes = max(len(self.index.paths), 2)
        self.chunks = self.index.chunk_rows(path) if path in self.index.pos else np.zeros(0, int)
        self.nbrs = (self.index.out[path] | self.index.inc[path]) - {path}
        if text is None:
            try:
                text = (vault.root / path).read_text(encoding="utf-8", errors="replace")
            except OSError:
                text = ""
        self.lines = text.split("\n")
        self.words = len(text.split())
        self.chunk_lines = self._chunk_lines()

    def features(self, group: MentionGroup) -> dict[str, float]:
        """FEATURES of one group (see the constants above)."""
        key = _name_key(group.places[0].text) or ()
        words = [t for t in key if t[0].isalnum() or t[0] == "_"]
        df = min((self.rarity.notes_using(w) for w in words), default=self.n_notes)
        topic = self._topicality(group)
        target = group.target
        shared = len(self.nbrs & (self.index.out[target] | self.index.inc[target]))
        generic = float(self._generic(group))
        rate = self.habits.habit(self.index, key, target, self.path) if key else HABIT_PRIOR
        habit = float(
            np.clip(math.log(rate / HABIT_PRIOR) / math.log(HABIT_FULL / HABIT_PRIOR), 0, 1)
        )
        nbrs = (
            neighbours_linking(self.index, self.path, target) if target in self.index.pos else 0.0
        )
        topic_f = TOPIC_UNKNOWN if topic is None else topic
        rare = 1.0 - math.log1p(df) / math.log1p(self.n_notes)
        field = self.habits.field(self.index, key, target, self.path) if key else None
        return {
            "rare": rare,
            "multi_word": float(sum(w not in STOPWORDS for w in words) > 1),
            "proper": float(any(self._proper(m) for m in group.places)),
            "as_name": float(any(group.as_name)),
            "generic": generic,
            "plain_word": float(len(words) == 1 and not group.places[0].text[:1].isupper()),
            "in_longer_name": float(self._in_longer_name(group.places[0])),
            "topic": topic_f,
            "shared": min(shared, 3) / 3,
            "places": math.log1p(len(group.places) - 1),
            "habit": habit,
            "neighbours": nbrs,
            "generic_habit": generic * habit,
            "generic_neighbours": generic * nbrs,
            "generic_topic": generic * topic_f,
            "not_stem": float(key is not None and self.matcher.stems.get(target) != key),
            "common_name": float(habit == 0 and rare < COMMON_NAME_RARE and not generic),
            "field": FIELD_UNKNOWN if field is None else field,
            **place_features(self._line(group.places[0]), group.places[0]),
            "sub_page": sub_page(self.index, target, group.places[0].text),
            "link_rate": rate,  # not weighted: the score's floor
        }

    def score(self, group: MentionGroup) -> RankedMention:
        first = group.places[0]
        f = self.features(group)
        logit = BIAS + sum(WEIGHTS[k] * f[k] for k in FEATURES)
        # where this vault's writers link the word to the target in most notes that use it, that
        # rate is itself the chance a writer links it here: the model may not score it lower
        score = max(1.0 / (1.0 + math.exp(-logit)), f["link_rate"])
        reasons = [
            text
            for k, limit, text in REASONS
            if f[k] >= limit and not (k == "field" and f["generic"])  # no "about it" in passing
        ]
        if len(group.places) > 1:
            reasons.append(f"named {len(group.places)} times")
        records = self.index.records
        return RankedMention(
            **first.model_dump(),
            title=records[group.target].title if group.target in records else first.link_text,
            others=[
                MentionPlace(line=m.line, start_col=m.start_col, end_col=m.end_col, text=m.text)
                for m in group.places[1:]
            ],
            score=round(score, 4),
            specificity=round(
                min(0.6 * f["rare"] + 0.3 * f["multi_word"] + 0.2 * f["proper"], 1), 4
            ),
            topicality=round(f["topic"], 4),
            generic=bool(f["generic"]),
            features={k: round(v, 4) for k, v in f.items()},
            reasons=reasons,
            shown=False,
        )

    def _chunk_lines(self) -> list[tuple[int, int, int]]:
        """(chunk, first line, last line) of this note's chunks, read once."""
        return [(c, *self.index.chunk_lines(c)) for c in self.chunks.tolist()]

    def _proper(self, m: Mention) -> bool:
        line = self._line(m)
        if line is None or not m.text[:1].isupper():
            return False
        return not SENTENCE_START_RE.search(line[: m.start_col]) or any(
            c.isupper() for c in m.text[1:]
        )

    def _in_longer_name(self, m: Mention) -> bool:
        line = self._line(m)
        if line is None or not m.text[:1].isupper() or _camel_case(m.text):
            return False  # "SilverBullet Vim settings": a CamelCase word is a name on its own
        return _inside_longer_name(line[: m.start_col], line[m.end_col :], strict=True)

    def _generic(self, group: MentionGroup) -> bool:
        """A one-word name that most notes use as a plain word, never written as a name here."""
        key = _name_key(group.places[0].text) or ()
        words = [t for t in key if t[0].isalnum() or t[0] == "_"]
        if len(words) != 1 or any(self._proper(m) for m in group.places):
            return False
        return self.rarity.common(words[0])

    def _topicality(self, group: MentionGroup) -> float | None:
        """The best cosine between a mentioning passage and the target note, scaled to 0-1."""
        index = self.index
        t = index.pos.get(group.target)
        if t is None or not index.has_vector[t] or not self.chunk_lines:
            return None
        lines = {m.line for m in group.places}
        chunks = [c for c, a, b in self.chunk_lines if any(a <= n <= b for n in lines)]
        vecs = index.vectors(np.array(chunks or [self.chunk_lines[0][0]], np.int64))
        best = float((vecs @ note_vectors(index)[t]).max())
        return float(np.clip((best - TOPIC_FLOOR) / TOPIC_SPAN, 0.0, 1.0))

    def _line(self, m: Mention) -> str | None:
        return self.lines[m.line - 1] if 0 < m.line <= len(self.lines) else None


def _camel_case(text: str) -> bool:
    """A word with inner capitals ("SilverBullet", "JavaScript", "HTML"); a name of several
    capitalised words ("Beat Frequency") is not one, so it can still be a piece of a longer name."""
    return any(c.isupper() for word in text.split() for c in word[1:])


def note_vectors(index: NoteIndex) -> np.ndarray:
    """Unit mean-chunk vector per note (zeros for notes without): the index's own."""
    return index.note_matrix
