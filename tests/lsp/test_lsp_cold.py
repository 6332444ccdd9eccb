"""The language server on a vault whose vectors are still being computed (phase 2 running).

Every name-based feature must already be exact: a link to a note that exists but is not embedded
yet is no broken link, hover shows the note, and the editor sees `$/progress` for the embedding.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lsp_support import lsp_client, open_doc, position_of
from lsprotocol import types
from poll import await_for

from vault_core.vault import Vault

FILLER = (
    "Paragraph {i} of note {n}: rivers, lanterns and copper orbits meet in a quiet meadow "
    "where harbor lights glow over violet tundra and cobalt signals.\n\n"
)


def _vault(root: Path) -> None:
    """Enough text that phase 2 takes a while; then phase 1 only, so the server starts mid-way."""
    (root / "people").mkdir(parents=True)
    (root / "Vedanta.md").write_text("# Vedanta\n\nA school of Indian philosophy.\n")
    (root / "people" / "Schopenhauer on Upanishads.md").write_text(
        "# Schopenhauer on Upanishads\n\nThe consolation of his life.\n"
    )
    for n in range(40):
        body = "".join(FILLER.format(i=i, n=n) * 4 for i in range(6))
        (root / f"filler {n:02d}.md").write_text(f"# Filler {n}\n\n{body}")
    with Vault.open(root) as vault:
        vault.sync(embed=False)
        assert vault.progress.embedding_pending > 100


def _codes(client: Any, doc: str) -> list[tuple[str, str]]:
    return [(str(d.code), d.message) for d in client.diagnostics.get(doc, [])]


async def test_no_false_broken_links_while_phase_2_embeds(tmp_path: Path) -> None:
    root = tmp_path / "vault"
    _vault(root)
    async with lsp_client(root) as client:
        text = (
            "# Scratch\n\nSee [[Vedanta]], [[Schopenhauer on Upanishads]] "
            "and [[No Such Teacher Qq]].\n"
        )
        doc = open_doc(client, root, "Scratch.md", text)
        found = await await_for(
            lambda: [c for c in _codes(client, doc) if c[0] == "broken-link"], timeout=60
        )
        assert [m for _, m in found] == ["Broken link: no note named 'No Such Teacher Qq'"]
        status = await client.protocol.send_request_async("nvault/status", {})
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                position=position_of(text, "[[Schopenhauer", 4),
            )
        )
        assert hover is not None
        assert "people/Schopenhauer on Upanishads.md" in str(hover.contents)
        # the answers above came while vectors were still missing (that is the point)
        assert status.chunks_embedded < status.chunks
        assert status.indexing.phase in ("embedding", "starting", "scanning", "indexing")
        # the editor sees standard work-done progress for the embedding, ending when it is done
        reports = await await_for(
            lambda: [
                r
                for values in client.progress_reports.values()
                for r in values
                if isinstance(r, types.WorkDoneProgressEnd)
            ],
            timeout=240,
        )
        assert reports
        begun = [
            r
            for values in client.progress_reports.values()
            for r in values
            if isinstance(r, types.WorkDoneProgressBegin)
        ]
        assert begun and begun[0].title == "nvault"
