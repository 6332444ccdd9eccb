"""A write worker for the kill -9 tests of the write path (tests/core/edit/test_edit_crash.py).

`python _edit_crash_worker.py ROOT move`: moves hub.md to moved/hub.md and back, forever (each
move rewrites the links of 50 notes). `... ROOT append`: appends numbered lines to log.md.
Prints "ready" once the vault is open; the test kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import sys


def main(root: str, mode: str) -> None:
    from vault_core.vault import Vault

    vault = Vault.open(root)
    assert vault.is_writer, "worker must be the writer"
    editor = vault.editor(allow=["."])
    print("ready", flush=True)
    if mode == "append":
        n = 0
        while True:
            editor.append("log.md", f"line {n}")
            n += 1
    paths = ["hub.md", "moved/hub.md"]
    i = 0 if (vault.root / "hub.md").exists() else 1
    while True:
        old, new = paths[i % 2], paths[(i + 1) % 2]
        editor.move_note(old, new, vault.version_of(old))
        i += 1


if __name__ == "__main__":
    main(*sys.argv[1:])
