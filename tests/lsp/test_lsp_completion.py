"""`[[` completion when the paragraph says too little, through a real `vault-lsp` subprocess on
the indexed silverbullet-docs vault: `See also [[` at the end of a note ranks the note's own
see-also notes (not the shortest names), a meaningful paragraph ranks by what it says and typed
text filters, and labels that look alike say which note they are."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest
from lsp_support import complete_at_end, open_doc
from lsprotocol import types
from pytest_lsp import LanguageClient

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(900)]

NOTE = "docs/Authentication.md"


def _path(item: types.CompletionItem) -> str:
    return (item.detail or "").split("  ")[0]


async def test_see_also_at_the_end_of_a_note_offers_its_related_notes(
    client: LanguageClient, shared_vault: Path
) -> None:
    text = (shared_vault / NOTE).read_text(encoding="utf-8").rstrip("\n") + "\n\nSee also [["
    doc = open_doc(client, shared_vault, NOTE, text)
    items = await complete_at_end(client, doc, text)
    related = await client.protocol.send_request_async("nvault/related", {"uri": doc, "limit": 10})
    related_paths = {r.path for r in related.items}
    assert related_paths, "the note has see-also suggestions to compare with"
    top5 = [_path(i) for i in items[:5]]
    assert related_paths & set(top5), (top5, related_paths)
    # every one of them says what ranked it; none is the note itself
    for item in items[:5]:
        assert "related to this section" in item.detail or "see also for this note" in item.detail
    assert NOTE not in top5
    # not the shortest names first (the list before this fallback: js, mq, os, ADR, ...)
    shortest = sorted((i.label for i in items), key=lambda label: (len(label), label))[:5]
    assert sorted(i.label for i in items[:5]) != sorted(shortest)
    # the inserted text closes the link
    assert all(i.text_edit.new_text.endswith("]]") for i in items[:5])


async def test_labels_that_look_alike_show_their_paths(
    client: LanguageClient, shared_vault: Path
) -> None:
    # silverbullet-docs has docs/ADR.md and docs/Library/Page Templates/ADR.md, docs/API/dom.md
    # and docs/Space Lua/DOM.md
    for typed in ("ADR", "dom"):
        text = f"A new line\n\n[[{typed}"
        doc = open_doc(client, shared_vault, f"docs/Scratch {typed}.md", text)
        items = await complete_at_end(client, doc, text)
        by_label: dict[str, list[types.CompletionItem]] = defaultdict(list)
        for item in items:
            by_label[item.label.casefold()].append(item)
        alike = [group for group in by_label.values() if len({_path(i) for i in group}) > 1]
        assert any(group[0].label.casefold() == typed.casefold() for group in alike)
        for group in alike:
            shown = [i.label_details.description if i.label_details else None for i in group]
            assert shown == [_path(i) for i in group], shown
