"""`list_notes`, `status` and the resource list read the catalog's columns and resolve one path
a folder, not every note (100k notes: 25 s of record decoding plus 35 s of `resolve()`), and
answer what they answered from whole records: every field of every page, duplicate titles,
symlinks leading out of the vault left out, symlinks to notes inside kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from mcp_helpers import NOTES, SyncClient, indexed_vault, server_params

from vault_core.query.names import duplicate_titles
from vault_core.query.search import SearchFilters
from vault_core.vault import Vault
from vault_mcp.args import within

FILES = {
    **NOTES,
    "deep/a/b/Coffee.md": "# Coffee\n\n#food\n\nA second note titled Coffee.\n",
    "deep/a/notes.md": "---\ntags: [food/beans]\n---\n# Beans\n\nAbout beans.\n",
}


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("listing")
    vault = base / "vault"
    outside = base / "secret.md"
    outside.write_text("# Secret\n\nFrom outside the vault.\n", encoding="utf-8")
    (vault / "food").mkdir(parents=True)
    os.symlink(outside, vault / "food" / "leak.md")  # indexed, never shown
    os.symlink(vault / "food" / "tea.md", vault / "tea-link.md")  # leads inside: shown
    return indexed_vault(vault, FILES)


@pytest.fixture(scope="module")
def client(root: Path) -> Iterator[SyncClient]:
    with SyncClient(server_params(root, "--no-watch")) as c:
        yield c


def from_records(root: Path, **filters: Any) -> list[dict[str, Any]]:
    """What list_notes answered when it decoded every record and resolved every path."""
    tags = [filters["tag"]] if "tag" in filters else []
    admits = SearchFilters(path=filters.get("path"), tags=tags)
    with Vault.open(root, writer=False) as vault:
        repeated = duplicate_titles(vault.graph)
        found = []
        for n in vault.notes():
            if not within(vault, n.path):
                continue
            if not admits.admits(n):
                continue
            found.append(
                {
                    "path": n.path,
                    "title": n.title,
                    "kind": n.kind,
                    "tags": n.tags,
                    "aliases": n.aliases,
                    "modified": datetime.fromtimestamp(n.mtime, UTC),
                    "size": n.size,
                    "chunks": n.chunk_count,
                    "error": n.error,
                    "duplicate_title": n.path in repeated,
                }
            )
        return found


def listed(client: SyncClient, limit: int, **args: Any) -> list[dict[str, Any]]:
    """Every page of list_notes, followed by its cursor."""
    notes: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.ok("list_notes", {**args, "limit": limit, "cursor": cursor})
        assert page["total"] >= len(notes)
        notes += page["notes"]
        cursor = page["next_cursor"]
        if cursor is None:
            return notes


def test_list_notes_pages_give_what_the_records_gave(client: SyncClient, root: Path) -> None:
    for args in ({}, {"path": "food/"}, {"tag": "food"}):
        expected = from_records(root, **args)
        got = listed(client, 3, **args)
        for item in got:
            item["modified"] = datetime.fromisoformat(item["modified"])
        assert got == expected, args
    every = [n["path"] for n in listed(client, 500)]
    assert "food/leak.md" not in every and "tea-link.md" in every
    assert every == sorted(every)
    coffee = [n for n in listed(client, 500) if n["title"] == "Coffee"]
    assert len(coffee) == 2 and all(n["duplicate_title"] for n in coffee)


def test_status_and_resources_leave_out_what_leads_outside(client: SyncClient, root: Path) -> None:
    expected = {n["path"] for n in from_records(root)}
    uris = [str(r.uri) for r in client.run(lambda c: c.list_resources()).resources]
    notes = [u.removeprefix("note://").replace("%20", " ") for u in uris if u.startswith("note://")]
    assert set(notes) == expected and notes == sorted(notes)
    status = client.ok("status")
    assert status["notes"] == sum(1 for n in from_records(root) if n["kind"] == "note")
