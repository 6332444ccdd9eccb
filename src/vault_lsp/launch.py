"""`vault-lsp`: answers `initialize` while pygls imports (see vault_stdio).

Only the standard library is imported before the handshake; the server module comes after.
"""

from __future__ import annotations

import sys

from vault_stdio.early_answer import serve_and_exit

NOT_STDIO = ("-h", "--help", "--version")


def serve(argv: list[str]) -> int:
    # Imported here on purpose: importing pygls and the features (~1 s) is the wait hidden.
    from vault_lsp.main import run

    return run(argv)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    stdio = not any(a.split("=")[0] in NOT_STDIO for a in args)
    serve_and_exit(
        "headers", args, ["vault_lsp", "vault_stdio", "vault_core", "pygls"], serve, early=stdio
    )
