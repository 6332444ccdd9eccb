"""Glob patterns (a search's `path`, a vault's `ignore`) compiled once, with bounded cost.

`fnmatch` rescans the rest of the pattern for every unmatched `[` (`"[" * 16000 + "*"` took 6 s,
100k characters minutes of CPU), and it compiles on every call. Here a pattern is checked against
a few limits first, then translated by `fnmatch` itself and cached, so every later match is one
regex run whose cost the limits bound.
"""

from __future__ import annotations

import fnmatch
import re
from functools import lru_cache

MAX_GLOB_CHARS = 500
MAX_BRACKETS = 16
MAX_STARS = 32
GLOB_CHARS = "*?["


class GlobError(ValueError):
    """A pattern too long or too complex to match in bounded time; says what is allowed."""


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in GLOB_CHARS)


def check_glob(pattern: str) -> None:
    """Raise GlobError for a pattern past the limits (cheap: counts characters only)."""
    if len(pattern) > MAX_GLOB_CHARS:
        raise GlobError(f"a glob may have at most {MAX_GLOB_CHARS} characters, not {len(pattern)}")
    if pattern.count("[") > MAX_BRACKETS:
        raise GlobError(f"a glob may have at most {MAX_BRACKETS} '[' character classes")
    if pattern.count("*") > MAX_STARS:
        raise GlobError(f"a glob may have at most {MAX_STARS} '*' wildcards")


@lru_cache(maxsize=256)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The pattern as a regex, fnmatch's semantics (`*` crosses `/`); GlobError past the limits."""
    check_glob(pattern)
    return re.compile(fnmatch.translate(pattern))


def glob_matches(name: str, pattern: str) -> bool:
    return compile_glob(pattern).match(name) is not None
