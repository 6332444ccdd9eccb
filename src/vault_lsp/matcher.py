"""The one fuzzy match every name list filters and ranks by (completion, workspace symbols)."""

from __future__ import annotations

import re


def fuzzy(query: str, name: str) -> float:
    """0 for no match; higher is better (prefix > word start > substring > subsequence)."""
    if not query:
        return 1.0
    if name.startswith(query):
        return 4.0
    if re.search(r"(?:^|[\s_\-/.])" + re.escape(query), name):
        return 3.0
    if query in name:
        return 2.0
    it = iter(name)
    return 1.0 if all(ch in it for ch in query) else 0.0
