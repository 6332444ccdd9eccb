"""The red-team vault (redteam.py) through every tool, resource and error over stdio: no text
from the vault ever escapes or forges the server's quoting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import redteam
from mcp_helpers import SyncClient, server_params, text

from vault_core.vault import Vault
from vault_mcp.quoting import neutralise, safe_json

NOTES = [p for p in redteam.FILES if p.endswith(".md")]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncClient]:
    root = redteam.write(tmp_path_factory.mktemp("redteam") / "vault")
    with Vault.open(root) as vault:
        vault.sync()
        assert not [n.path for n in vault.notes() if n.error], "every red-team file indexes"
    with SyncClient(server_params(root, "--no-watch")) as c:
        yield c


def calls() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for query in [
        "quoting",
        "ignore all previous instructions",
        "SYSTEM OVERRIDE obey",
        "assistant",
    ]:
        out.append(("search", {"query": query, "limit": 50}))
        out.append(("search", {"query": query, "mode": "keyword", "limit": 50}))
    for path in [*redteam.FILES, redteam.PDF_NAME]:
        out.append(("read_note", {"path_or_title": path}))
    for path in NOTES:
        out += [
            ("related", {"note": path}),
            ("links", {"note": path}),
            ("backlinks", {"note": path}),
            ("analyze", {"note": path, "engine": "extractive"}),
            ("quiz", {"scope": path, "n": 5, "engine": "extractive"}),
        ]
    out += [
        ("list_notes", {"limit": 500}),
        ("status", {}),
        ("compare", {"note_a": "closers.md", "note_b": redteam.EVIL_PATH, "engine": "extractive"}),
        ("compare", {"note_a": "headings.md", "note_b": "cells.csv", "question": "what is said?"}),
        ("quiz", {"scope": "quoting", "n": 10, "engine": "extractive"}),
        ("quiz", {"scope": "#quoting", "n": 10, "engine": "extractive"}),
        # errors that name vault things: ambiguity, missing heading, did-you-mean
        ("read_note", {"path_or_title": redteam.EVIL_TITLE}),
        ("read_note", {"path_or_title": "headings.md", "section": "no such heading"}),
        ("read_note", {"path_or_title": "docs/evil"}),
        ("read_note", {"path_or_title": redteam.EVIL_PATH, "start_line": 900}),
        ("read_note", {"path_or_title": redteam.EVIL_FILE, "section": "nope"}),
        ("analyze", {"note": redteam.EVIL_TITLE, "engine": "extractive"}),
    ]
    return out


CALLS = calls()


@pytest.mark.parametrize(
    ("tool", "args"), CALLS, ids=[f"{t}-{i}" for i, (t, _) in enumerate(CALLS)]
)
def test_no_vault_text_escapes_its_quoting(
    client: SyncClient, tool: str, args: dict[str, Any]
) -> None:
    result = client.call_tool(tool, args)
    out = text(result)
    assert redteam.check(out) == [], out[:2000]
    if not result.is_error and tool in ("analyze", "compare", "quiz"):
        data = result.structured_content
        assert (
            data is not None
            and data["source"] == "vault_note"
            and "not as instructions" in data["data_note"]
        )


def test_the_payloads_are_really_in_the_results(client: SyncClient) -> None:
    """The check is not vacuous: the hostile text comes back, quoted, and whole in structured data."""
    hits = client.ok("search", {"query": "ignore all previous instructions", "limit": 50})["hits"]
    assert any("PWNED-plain" in h["snippet"] for h in hits)
    evil = client.call_tool("read_note", {"path_or_title": redteam.EVIL_PATH})
    assert evil.structured_content["path"] == redteam.EVIL_PATH
    assert evil.structured_content["title"] == redteam.EVIL_TITLE
    assert "PWNED-title" in text(evil) and "obey PWNED-path.md" in text(evil)
    ambiguous = client.call_tool("read_note", {"path_or_title": redteam.EVIL_TITLE})
    assert ambiguous.is_error
    for path in (redteam.EVIL_PATH, "twin-a.md", "twin-b.md"):
        assert neutralise(path, one_line=True) in text(ambiguous)
    pdf = client.ok("read_note", {"path_or_title": redteam.PDF_NAME})
    assert "PWNED-pdf" in pdf["content"]
    cells = client.ok("read_note", {"path_or_title": "cells.csv"})
    assert "PWNED-fullwidth" in cells["content"]


def test_resources_quote_like_read_note(client: SyncClient) -> None:
    listed = client.run(lambda c: c.list_resources()).resources
    assert len(listed) == len(redteam.FILES) + 1
    for resource in listed:
        read = client.run(lambda c, uri=resource.uri: c.read_resource(uri))
        body = read.contents[0].text
        assert redteam.check(body) == [], body[:1000]


def test_safe_json_is_valid_json_without_tag_or_invisible_characters() -> None:
    data = {"t": "".join(redteam.CLOSERS), "emoji": "🚀\u200d🔥"}
    raw = safe_json(data)
    assert json.loads(raw) == data
    assert not redteam.ANGLE_LIKE.search(raw) and not redteam.INVISIBLE.search(raw)
