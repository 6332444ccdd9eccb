"""Is a mention used in the target's sense? Named features of the place, for mention_rank.

The name is right but the word means something else: "API" right after `[[API/js]]` (the writer
linked the specific note and the word is plain), "HTML" as an output format where the note is a
sub-page about HTML inside Markdown, a command label in quotes. Each feature is 0-1 and
explainable; the weights are fitted with the rest (`python -m bench.measure.mentions --fit`).
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from vault_core.linking.mentions import HYPHEN_AFTER_RE, HYPHEN_BEFORE_RE
from vault_core.parse.markdown import MDLINK_RE, WIKILINK_RE

if TYPE_CHECKING:
    from vault_core.linking.mentions import Mention
    from vault_core.linking.related_index import NoteIndex

NEAR_CHARS = 24  # a link this close on the same line is "right next to" the mention
WORD_RE = re.compile(r"[^\W_]+")
QUOTED_RE = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
LABEL_AFTER_RE = re.compile(r"^:\s+[A-Z]")  # "Editor: Toggle Vim Mode", a command or UI label


def _words(text: str) -> set[str]:
    """Casefolded words of a name or link, a plural 's' dropped ("APIs" is "api")."""
    found = set()
    for w in WORD_RE.findall(text.casefold()):
        found.add(w[:-1] if len(w) > 3 and w.endswith("s") else w)
    return found


def line_links(line: str) -> list[tuple[int, int, str]]:
    """(start, end, target and label text) of every wiki or Markdown link on a raw line."""
    found = [(m.start(), m.end(), m.group(2)) for m in WIKILINK_RE.finditer(line)]
    found += [(m.start(), m.end(), f"{m.group(3)} {m.group(2)}") for m in MDLINK_RE.finditer(line)]
    return found


def place_features(line: str | None, m: Mention) -> dict[str, float]:
    """near_link, link_shares_word, ui_label and hyphen_piece of one place (its raw line)."""
    if line is None:
        return {"near_link": 0.0, "link_shares_word": 0.0, "ui_label": 0.0, "hyphen_piece": 0.0}
    links = line_links(line)
    name = _words(m.text)
    near = any(
        (m.start_col - b if b <= m.start_col else a - m.end_col) <= NEAR_CHARS
        for a, b, _ in links
        if b <= m.start_col or a >= m.end_col
    )
    shares = any(name & _words(text) for a, b, text in links if b <= m.start_col or a >= m.end_col)
    quoted = any(q.start() < m.start_col and m.end_col < q.end() for q in QUOTED_RE.finditer(line))
    after = line[m.end_col :]
    label = bool(LABEL_AFTER_RE.match(after))
    hyphen = HYPHEN_BEFORE_RE.search(line[: m.start_col]) or HYPHEN_AFTER_RE.match(after)
    return {
        "near_link": float(near),
        "link_shares_word": float(shares),
        "ui_label": float(quoted or label),
        "hyphen_piece": float(bool(hyphen)),
    }


def sub_page(index: NoteIndex, target: str, written: str) -> float:
    """1 when the target is a sub-page `X/Name` of a note `X` and the text does not say X:
    a namespaced page ("API/string", "Markdown/HTML") named by a bare, plain word."""
    folder = posixpath.dirname(target)
    if not folder:
        return 0.0
    parent = folder + posixpath.splitext(target)[1]
    if parent not in index.records:
        return 0.0
    return float(not _words(posixpath.basename(folder)) & _words(written))
