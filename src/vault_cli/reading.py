"""`nvault get NOTE[:LINES]`: print a note or a passage, named the way search cites it.

`NOTE` is a path, file name, alias or title (resolved like a wikilink, query/names.py); `LINES`
is `12`, `12-30` or `12-` (to the end), so a hit's citation `notes/a.md:12-30` can be pasted
as is. A name several notes share is an error listing them.
"""

from __future__ import annotations

import argparse
import re
import sys

from vault_cli.common import Commands, emit_json, err_console, open_vault
from vault_core.errors import VaultError

COMMANDS: Commands = {}
LINES_RE = re.compile(r"^(?P<name>.+?):(?P<start>\d+)(?:(?P<dash>-)(?P<end>\d+)?)?$")


def split_lines(spec: str) -> tuple[str, int | None, int | None]:
    """`name:12-30` -> (name, 12, 30); `name:12` -> one line; `name:12-` -> to the end."""
    m = LINES_RE.match(spec.strip())
    if not m:
        return spec, None, None
    start = int(m["start"])
    end = int(m["end"]) if m["end"] else (None if m["dash"] else start)
    if start < 1 or (end is not None and end < start):
        raise VaultError(f"bad line range in {spec!r}: write NOTE:12, NOTE:12-30 or NOTE:12-")
    return m["name"], start, end


def cmd_get(args: argparse.Namespace) -> int:
    name, start, end = split_lines(args.note)
    with open_vault(args) as vault:
        found = vault.lookup(name)
        content = vault.read_note(found.note.path, args.section, start, end)
    if found.ambiguous:
        others = ", ".join(f"{c.path} ({c.matched_by})" for c in found.ambiguous)
        err_console.print(
            f"note: {name!r} is {content.path} by its {found.matched_by}; it also names {others}",
            markup=False,
        )
    if args.json:
        emit_json(content)
    elif args.line_numbers:
        print(content.numbered())
    else:  # the whole note byte for byte (its own final newline, not a second one)
        text = content.text
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def setup_get(p: argparse.ArgumentParser) -> None:
    p.add_argument("note", help="NOTE or NOTE:LINES (path, file name, alias or title)")
    p.add_argument("--section", help="only this heading's section")
    p.add_argument("-n", "--line-numbers", action="store_true", help="number the lines")
    p.add_argument("--json", action="store_true")


COMMANDS["get"] = (cmd_get, setup_get, "print a note or a passage: NOTE, NOTE:12 or NOTE:12-30")
