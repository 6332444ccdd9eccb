"""The engine's link suggestions (`vault.related`, `vault.ranked_mentions`) in the shape every
feature here uses, cached per note content and index version.

Hover, diagnostics, code actions and `nvault/related` all ask for the same note, so one
`LinkSuggestions` lives on the server and they share its answers.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

if TYPE_CHECKING:
    from vault_core.linking.mention_rank import MentionPlace, RankedMention
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
CACHE_SIZE = 512
PLACE_FIELDS = {"text", "line", "start_col", "end_col"}


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


def _mention(item: RankedMention, place: RankedMention | MentionPlace) -> Mention:
    """One place `item.target` is mentioned; only the first carries the suggested text."""
    return Mention(
        path=item.target,
        title=item.title,
        replacement=item.replacement if place is item else None,
        **place.model_dump(include=PLACE_FIELDS),
    )


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
            if len(self.data) > CACHE_SIZE:
                self.data.clear()
            self.data[key] = (generation, value)


def _key(vault: Vault, path: str, *extra: Any) -> tuple[Any, ...]:
    """Note content; entries are also tied to `vault.generation`, which every commit bumps."""
    note = vault.catalog.get(path)
    return (id(vault), path, note.sha256 if note else "", *extra)


class LinkSuggestions:
    """Related notes (see also) and unlinked mentions of a note, computed once per content."""

    def __init__(self) -> None:
        self._related = _Cache()
        self._mentions = _Cache()

    def related(self, vault: Vault, path: str, limit: int = 10) -> list[RelatedItem]:
        """Notes that `path` should link and does not, best first."""
        key = _key(vault, path, limit)
        cached = self._related.get(vault, key)
        if cached is not None:
            return cached
        out = [
            RelatedItem(
                path=item.path,
                title=item.title or vault.catalog[item.path].title,
                score=item.score,
                reasons=item.reasons,
                link_text=item.link_text or vault.graph.shortest_link_text(item.path),
            )
            for item in vault.related(path, limit=limit)
            if item.path in vault.catalog
        ][:limit]
        self._related.put(vault, key, out)
        return out

    def mentions(self, vault: Vault, path: str, text: str | None = None) -> list[Mention]:
        """Places worth linking in `path` (in `text`, the open buffer): every occurrence of each
        note in the engine's ranked default list (vault_core/linking/mention_rank.py), first first."""
        key = _key(vault, path, hash(text))
        cached = self._mentions.get(vault, key)
        if cached is not None:
            return cached
        ranked = vault.ranked_mentions(path, **({"text": text} if text is not None else {}))
        out = [
            _mention(item, place)
            for item in ranked
            if item.target in vault.catalog
            for place in (item, *item.others)
        ]
        self._mentions.put(vault, key, out)
        return out

    def peek(self, vault: Vault, path: str, limit: int = 10) -> list[RelatedItem] | None:
        """Related notes only if already computed (hover must not wait for them)."""
        return self._related.get(vault, _key(vault, path, limit))
