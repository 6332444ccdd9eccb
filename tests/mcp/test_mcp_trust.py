"""Over stdio (and HTTP for the token): ambiguity is surfaced, "nothing matched" is said, and the
smaller audit items (symlinks in resources/status, index files as resources, version, port 0,
tool descriptions, argument errors) hold."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from mcp.client.streamable_http import streamable_http_client
from mcp_helpers import SyncClient, indexed_vault, server_params, spawn, text

FILES = {
    "adr/001 Sync.md": (
        "# Context\n\nThe sync engine keeps every page available offline in IndexedDB. "
        "Conflicts are resolved by the server timestamp. Synchronisation runs every twenty "
        "seconds while the browser tab is open.\n"
    ),
    "adr/002 Lua.md": (
        "# Context\n\nSpace Lua replaced the older JavaScript plugs in 2024. Lua scripts run "
        "inside a sandboxed interpreter written in TypeScript. Every widget is defined in Lua.\n"
    ),
    "adr/003 Graph.md": (
        "# Context\n\nThe indexed object graph stores tasks, pages and tags as objects. Queries "
        "filter objects with a where clause. The index is rebuilt when the schema version changes.\n"
    ),
    "guide/setup.md": "# Setup\n\nInstall the app with one command.\n",
    "other/setup.md": "# Setting up\n\nAnother page on installing the app.\n",
    "Decisions.md": "# Decision log\n\nEvery architecture decision of the app, in order.\n",
    "log/decisions-2023.md": "# Decisions\n\nThe old decision log, titled like a file name.\n",
    "zebra.md": "# Zebra\n\nZebras have stripes. The quagga was a zebra.\n",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("trust")
    vault = indexed_vault(base / "vault", FILES)
    outside = base / "outside.md"
    outside.write_text("# Outside\n\nA secret from outside the vault.\n", encoding="utf-8")
    os.symlink(outside, vault / "leak.md")
    return vault


@pytest.fixture(scope="module")
def client(root: Path) -> Iterator[SyncClient]:
    with SyncClient(server_params(root, "--no-watch")) as c:
        yield c


def test_a_title_shared_by_several_notes_is_an_error_listing_them(client: SyncClient) -> None:
    result = client.call_tool("read_note", {"path_or_title": "Context"})
    message = text(result)
    assert result.is_error and "ambiguous: 3 notes" in message
    for path in ("adr/001 Sync.md", "adr/002 Lua.md", "adr/003 Graph.md"):
        assert path in message
    for tool, args in [
        ("analyze", {"note": "Context", "engine": "extractive"}),
        ("related", {"note": "context"}),
        ("links", {"note": "[[Context]]"}),
        ("backlinks", {"note": "Context"}),
        ("compare", {"note_a": "Context", "note_b": "zebra.md", "engine": "extractive"}),
        ("quiz", {"scope": "Context", "engine": "extractive"}),
        ("read_note", {"path_or_title": "setup"}),  # two files called setup.md
    ]:
        other = client.call_tool(tool, args)
        assert other.is_error and "ambiguous" in text(other), (tool, text(other))


def test_a_clear_best_match_comes_with_the_other_candidates(client: SyncClient) -> None:
    note = client.ok("read_note", {"path_or_title": "Decisions"})
    assert note["path"] == "Decisions.md"  # the file name beats another note's title
    assert note["ambiguous"] == [
        {"path": "log/decisions-2023.md", "title": "Decisions", "matched_by": "title"}
    ]
    out = text(client.call_tool("read_note", {"path_or_title": "Decisions"}))
    assert "also matches 1 other note" in out and "log/decisions-2023.md" in out
    links = client.ok("links", {"note": "Decisions"})
    assert [c["path"] for c in links["ambiguous"]] == ["log/decisions-2023.md"]
    assert client.ok("read_note", {"path_or_title": "adr/002 Lua.md"})["ambiguous"] == []


def test_list_notes_marks_duplicate_titles(client: SyncClient) -> None:
    notes = {n["path"]: n for n in client.ok("list_notes", {"limit": 100})["notes"]}
    assert all(notes[p]["duplicate_title"] for p in FILES if p.startswith("adr/"))
    assert not notes["zebra.md"]["duplicate_title"]
    assert "leak.md" not in notes


def test_quiz_questions_name_duplicate_titles_by_path(client: SyncClient) -> None:
    quiz = client.ok("quiz", {"scope": "adr/", "n": 6, "engine": "extractive"})
    prompts = " ".join(q["prompt"] for q in quiz["questions"])
    assert "«Context»" not in prompts and "«Context (adr/" in prompts


@pytest.mark.parametrize("query", ["\x00", "x" * 2000, "ضصثق שדגכע ظطزو", "qzxv wplkjh"])
def test_garbage_queries_say_nothing_matched(client: SyncClient, query: str) -> None:
    result = client.ok("search", {"query": query})
    assert result["hits"] == [] and result["confident"] is False
    assert "Nothing in the notes matches" in result["message"]
    assert result["message"] in text(client.call_tool("search", {"query": query}))


def test_real_queries_are_confident_and_weak_filler_is_dropped(client: SyncClient) -> None:
    result = client.ok("search", {"query": "quagga", "limit": 10})
    assert result["confident"] is True and result["message"] is None
    assert result["hits"][0]["path"] == "zebra.md"
    assert len(result["hits"]) < len(FILES)  # unrelated notes are not padded in
    meaning = client.ok("search", {"query": "striped horses of Africa", "mode": "semantic"})
    assert meaning["confident"] and meaning["hits"][0]["path"] == "zebra.md"


def test_quiz_refuses_a_scope_that_matches_nothing(client: SyncClient) -> None:
    result = client.call_tool("quiz", {"scope": "xyzzyplugh", "engine": "extractive"})
    assert result.is_error and "no notes match 'xyzzyplugh'; try" in text(result)


def test_symlinks_out_of_the_vault_are_not_listed_or_counted(client: SyncClient) -> None:
    uris = {str(r.uri) for r in client.run(lambda c: c.list_resources()).resources}
    assert "note://leak.md" not in uris and len(uris) == len(FILES)
    status = client.ok("status")
    assert status["notes"] == len(FILES)
    assert all(s["path"] != "leak.md" for s in status["skipped"] + status["warnings"])


def test_index_files_are_not_resources_and_say_so(client: SyncClient) -> None:
    with pytest.raises(Exception, match=r"no note '\.nvault/index\.json'") as err:
        client.run(lambda c: c.read_resource("note://.nvault/index.json"))
    assert "internal" not in str(err.value).lower()


def test_server_info_descriptions_and_argument_errors(client: SyncClient) -> None:
    tools = client.run(lambda c: c.list_tools()).tools
    for tool in tools:
        assert tool.description and not re.search(r"\n[ \t]+\S", tool.description), tool.name
    bad = client.call_tool("search", {"query": 5, "limit": 1000})
    message = text(bad)
    assert bad.is_error and "`query`" in message and "`limit`" in message
    assert "pydantic" not in message and "http" not in message and "\n" not in message


def test_server_version_is_set(client: SyncClient) -> None:
    result = client.call_tool("status")
    server = (result.meta or {}).get("io.modelcontextprotocol/serverInfo", {})
    assert server.get("name") == "nvault" and re.fullmatch(r"\d+\.\d+.*", server.get("version", ""))


def test_http_token_port_zero_and_401(root: Path) -> None:
    params = server_params(
        root, "--http", "--port", "0", "--no-watch", env={"NVAULT_MCP_TOKEN": "s3cret-token"}
    )
    proc = spawn(params, text=True)
    try:
        assert proc.stderr is not None
        port = None
        for line in proc.stderr:
            found = re.search(r"serving streamable HTTP on http://127\.0\.0\.1:(\d+)/mcp", line)
            if found:
                port = int(found.group(1))
                assert "bearer token required" in line
                break
        assert port and port != 0
        url = f"http://127.0.0.1:{port}/mcp"
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
            denied = httpx2.post(url, headers=headers, json={}, timeout=30)
            assert denied.status_code == 401 and "Bearer" in denied.headers["www-authenticate"]
        authed = httpx2.AsyncClient(headers={"Authorization": "Bearer s3cret-token"}, timeout=60)
        with SyncClient(streamable_http_client(url, http_client=authed)) as client:
            assert client.ok("search", {"query": "quagga"})["hits"][0]["path"] == "zebra.md"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
