"""vault-lsp's open on a big vault: `initialize` -> the first useful hover, completion,
definition and diagnostics, with a real LSP client (pytest-lsp) over stdio.

    python -m bench.measure.lsp_open VAULT [--note PATH] [--timeout 300]

The server is the real `python -m vault_lsp --root VAULT` (it becomes the vault's writer when
no other process is: pass a copy you own, e.g. /tmp/scale/graph/vaultofknowledge-x37). Right
after `initialize` the client opens one note that has a wiki link and asks, over and over until
the answer is not empty: hover on the link, `[[` completion at the end of a line, definition
of the link; and it waits for the note's diagnostics. Each figure is seconds from sending
`initialize`; `initialize_s` is the handshake itself. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.uris import from_fs_path

from bench.harness import emit, load_average
from bench.lsp_session import vault_lsp
from vault_core.parse.markdown import parse_note


def pick_note(root: Path, wanted: str | None) -> tuple[str, str, types.Position]:
    """A note with a wiki link (its path, text, and a position inside the link)."""
    candidates = [root / wanted] if wanted else sorted(root.glob("copy0/**/*.md"))
    stems = {p.stem.casefold() for p in candidates}
    for path in candidates:
        text = path.read_text(encoding="utf-8", errors="replace")
        links = [
            link
            for link in parse_note(text, path.name).links
            if link.kind == "wiki" and (wanted or link.target.strip().casefold() in stems)
        ]
        if links:
            link = links[0]
            position = types.Position(line=link.line - 1, character=link.start_col + 3)
            return path.relative_to(root).as_posix(), text, position
    raise SystemExit(f"no note with a wiki link under {root}")


async def until(
    ask: Any, started: float, timeout: float, every: float = 0.2
) -> tuple[float | None, int]:
    """Seconds from `started` to the first non-empty answer of `ask()`, and the tries."""
    tries = 0
    while time.perf_counter() - started < timeout:
        tries += 1
        answer = await ask()
        if answer:
            return round(time.perf_counter() - started, 2), tries
        await asyncio.sleep(every)
    return None, tries


async def run(root: Path, note: str | None, timeout: float) -> dict[str, Any]:
    rel, text, at = pick_note(root, note)
    uri = from_fs_path(str(root / rel)) or ""
    doc = types.TextDocumentIdentifier(uri=uri)
    async with vault_lsp(root) as session:
        client, started = session.client, session.started
        initialize_s = round(session.initialize_ms / 1000, 2)
        lines = text.split("\n")
        end = len(lines)
        edited = text + "\n[["
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="markdown", version=1, text=edited
                )
            )
        )

        async def hover() -> Any:
            return await client.text_document_hover_async(
                types.HoverParams(text_document=doc, position=at)
            )

        async def completion() -> Any:
            found = await client.text_document_completion_async(
                types.CompletionParams(
                    text_document=doc, position=types.Position(line=end, character=2)
                )
            )
            return found.items if found else None

        async def definition() -> Any:
            return await client.text_document_definition_async(
                types.DefinitionParams(text_document=doc, position=at)
            )

        async def diagnostics() -> Any:
            return uri in client.diagnostics

        result: dict[str, Any] = {"note": rel, "initialize_s": initialize_s}
        asks = {
            "hover": hover,
            "completion": completion,
            "definition": definition,
            "diagnostics": diagnostics,
        }
        found = await asyncio.gather(*(until(ask, started, timeout) for ask in asks.values()))
        for name, (seconds, tries) in zip(asks, found, strict=True):
            result[f"first_{name}_s"] = seconds
            result[f"{name}_tries"] = tries
            print(name, seconds, tries, file=sys.stderr, flush=True)
        status = await client.protocol.send_request_async("nvault/status", {})
        result["notes"] = status.notes
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--note", default=None)
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()
    start_load = load_average()
    result = asyncio.run(run(args.vault.resolve(), args.note, args.timeout))
    emit({"bench": "lsp_open", "vault": str(args.vault), **result, "load_at_start": start_load})


if __name__ == "__main__":
    main()
