"""What the extractor tests share: one section by its token, and the one-line error check."""

from __future__ import annotations

from pathlib import Path

import pytest

from vault_core.config import Limits
from vault_core.parse.extract import Extracted, ExtractError, Section, extract_file

LIMITS = Limits()


def only(result: Extracted, token: str) -> Section:
    """The one section containing `token` (fails if none or several)."""
    hits = [s for s in result.sections if token in s.text]
    assert len(hits) == 1, f"{token!r} in {len(hits)} sections: {[s.text[:60] for s in hits]}"
    return hits[0]


def assert_clean_error(path: Path, limits: Limits = LIMITS) -> str:
    with pytest.raises(ExtractError) as info:
        extract_file(path, limits)
    message = str(info.value)
    assert message and "\n" not in message and "Traceback" not in message
    return message


# a web page with chrome around its main text (the HTML tests and the damaged-file test)
PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Widget Guide</title></head>
<body><nav><ul><li><a href="/">Home</a></li><li><a href="/x">navchromezz</a></li></ul></nav>
<header><div class="menu">Menu Login headerchromezz</div></header>
<main><article><h1>Widget Guide</h1>
<p>An introduction to widgets that is long enough to be taken as the main content of the page.</p>
<h2>Installation</h2>
<p>Install the widget carefully; htmlinstall is the token in this sentence about installing.</p>
<h3>Caveats</h3><p>Some caveats about htmlcaveat, written out as a proper paragraph of text.</p>
</article></main><footer>Copyright 2024 footerchromezz. Privacy. Terms.</footer></body></html>"""
