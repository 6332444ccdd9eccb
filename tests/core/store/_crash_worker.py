"""A sync worker for the crash tests to kill (the checks of what it leaves: tests/index_check.py).

Run as a script (`python _crash_worker.py ROOT`): opens ROOT as the writer, prints "syncing" and
syncs; the test kills it with SIGKILL at a random moment.
"""

from __future__ import annotations

import sys


def main(root: str, phases: str = "") -> None:
    """`phases` = "split": phase 1 alone, then "phase2" is printed and the chunks are embedded."""
    from vault_core.vault import Vault

    vault = Vault.open(root)
    assert vault.is_writer, "worker must be the writer"
    print("syncing", flush=True)
    if phases == "split":
        vault.sync(embed=False)
        print("phase2", flush=True)
        while vault.embed_step(max_chunks=1).written:  # many commits: many points to kill at
            pass
    else:
        vault.sync()
    print("done", flush=True)
    vault.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
