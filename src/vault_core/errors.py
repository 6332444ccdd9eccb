"""Errors whose messages tell the caller (a person or an agent) what to do instead."""

from __future__ import annotations


class VaultError(Exception):
    """An error whose message tells the caller what to do instead."""


class NoteNotFound(VaultError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        # Front-end neutral: each front end adds how to find notes with its own commands.
        super().__init__(f"No note matches {name!r}.{hint}")
        self.name, self.suggestions = name, suggestions


class PathOutsideVault(VaultError):
    pass


class NoSuchHeading(VaultError):
    def __init__(self, path: str, section: str, headings: list[str]) -> None:
        names = ", ".join(headings[:20]) or "(none)"
        super().__init__(f"{path} has no heading {section!r}; its headings: {names}")
        self.path, self.section, self.headings = path, section, headings
