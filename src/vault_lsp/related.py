"""`vault.related` and `vault.ranked_mentions` in the one shape every feature here uses.

Results are cached per note content and index version, since hover, diagnostics and code
actions all ask for the same note.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from vault_lsp.common import attr, items_of

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")


class RelatedItem(BaseModel):
    path: str
    uri: str = ""
    title: str
    score: float = 0.0
    reasons: list[str] = Field(default_factory=list)
    link_text: str


class Mention(BaseModel):
    path: str  # the note mentioned
    title: str
    text: str  # the words as written
    line: int  # 1-based
    start_col: int
    end_col: int
    replacement: str | None = None  # the engine's suggested link text, when it gives one


class _Cache:
    """Results keyed by note content, valid while the link graph they were computed on is current."""

    def __init__(self) -> None:
        self.data: dict[tuple[Any, ...], tuple[Any, Any]] = {}
        self.lock = threading.Lock()

    def get(self, vault: Vault, key: tuple[Any, ...]) -> Any:
        with self.lock:
            entry = self.data.get(key)
        return entry[1] if entry is not None and entry[0] == vault.generation else None

    def put(self, vault: Vault, key: tuple[Any, ...], value: Any) -> None:
        generation = vault.generation
        with self.lock:
            if len(self.data) > 512:
                self.data.clear()
            self.data[key] = (generation, value)


_related = _Cache()
_mentions = _Cache()


def _key(vault: Vault, path: str, *extra: Any) -> tuple[Any, ...]:
    """Note content; entries are also tied to `vault.generation`, which every commit bumps."""
    note = vault.catalog.get(path)
    return (id(vault), path, note.sha256 if note else "", *extra)


def related(vault: Vault, path: str, limit: int = 10) -> list[RelatedItem]:
    """Notes that `path` should link and does not, best first."""
    key = _key(vault, path, limit)
    cached = _related.get(vault, key)
    if cached is not None:
        return cached
    raw = vault.related(path, limit=limit)
    graph = vault.graph
    out: list[RelatedItem] = []
    for item in items_of(raw):
        target = attr(item, "path", "note")
        if not isinstance(target, str) or target not in vault.catalog:
            continue
        reasons = attr(item, "reasons", default=None)
        if reasons is None:
            reason = attr(item, "reason", default="")
            reasons = [reason] if reason else []
        out.append(
            RelatedItem(
                path=target,
                title=attr(item, "title", default=None) or vault.catalog[target].title,
                score=float(attr(item, "score", default=0.0) or 0.0),
                reasons=[str(r) for r in reasons],
                link_text=attr(item, "link_text", default=None) or graph.shortest_link_text(target),
            )
        )
    _related.put(vault, key, out[:limit])
    return out[:limit]


def mentions(vault: Vault, path: str, text: str | None = None) -> list[Mention]:
    """Places worth linking in `path` (in `text`, the open buffer): every occurrence of each
    note in the engine's ranked default list (vault_core/linking/mention_rank.py), first first."""
    key = _key(vault, path, hash(text))
    cached = _mentions.get(vault, key)
    if cached is not None:
        return cached
    ranked = vault.ranked_mentions(path, **({"text": text} if text is not None else {}))
    out: list[Mention] = []
    for item in ranked:
        if item.target not in vault.catalog:
            continue
        out.append(
            Mention(
                path=item.target,
                title=item.title,
                text=item.text,
                line=item.line,
                start_col=item.start_col,
                end_col=item.end_col,
                replacement=item.replacement,
            )
        )
        out += [
            Mention(
                path=item.target,
                title=item.title,
                text=place.text,
                line=place.line,
                start_col=place.start_col,
                end_col=place.end_col,
            )
            for place in item.others
        ]
    _mentions.put(vault, key, out)
    return out


def peek(vault: Vault, path: str, limit: int = 10) -> list[RelatedItem] | None:
    """Related notes only if already computed (hover must not wait for them)."""
    return _related.get(vault, _key(vault, path, limit))
