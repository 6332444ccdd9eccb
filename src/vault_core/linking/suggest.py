"""A vault-wide link-suggestion report (see-also notes and unlinked mentions per note) to read
and act on by hand; nvault never rewrites notes by itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from vault_core.linking.mention_rank import RankedMention, ranked_mentions
from vault_core.linking.related import RelatedNote, related

if TYPE_CHECKING:
    from vault_core.read_model import ReadModel


class NoteSuggestions(BaseModel):
    path: str
    title: str
    related: list[RelatedNote] = Field(default_factory=list)
    mentions: list[RankedMention] = Field(default_factory=list)


class LinkSuggestionReport(BaseModel):
    notes_checked: int
    suggestions: list[NoteSuggestions]

    def markdown(self) -> str:
        """A report to read and act on by hand; nvault never rewrites notes by itself."""
        out = [f"# Link suggestions ({self.notes_checked} notes checked)", ""]
        for item in self.suggestions:
            out.append(f"## [[{item.path}|{item.title}]]")
            for rel in item.related:
                out.append(
                    f"- see also [[{rel.link_text}]] ({rel.score:.0%}): {'; '.join(rel.reasons)}"
                )
            for m in item.mentions:
                out.append(f"- line {m.line}: “{m.text}” could be {m.replacement}")
            out.append("")
        return "\n".join(out)


def suggest_links_for_vault(
    vault: ReadModel,
    limit_per_note: int = 3,
    paths: list[str] | None = None,
    min_score: float = 0.0,
) -> LinkSuggestionReport:
    """For every note (or `paths`): top see-also notes (with the link model's confidence of at
    least `min_score`) and mentions not linked yet. Read-only."""
    chosen = paths or [p for p, n in sorted(vault.catalog.items()) if n.kind == "note"]
    items: list[NoteSuggestions] = []
    for path in chosen:
        note = vault.catalog.get(path)
        if note is None:
            continue
        rel = [r for r in related(vault, path, limit_per_note) if r.score >= min_score]
        try:
            mentions = ranked_mentions(vault, path)
        except OSError:
            mentions = []
        if rel or mentions:
            items.append(
                NoteSuggestions(path=path, title=note.title, related=rel, mentions=mentions)
            )
    return LinkSuggestionReport(notes_checked=len(chosen), suggestions=items)
