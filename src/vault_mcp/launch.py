"""`vault-mcp`: answers the stdio handshake while the MCP SDK imports (see vault_stdio).

Only the standard library is imported before the handshake; the server module comes after.
"""

from __future__ import annotations

import sys

from vault_stdio.early_answer import serve_and_exit

NOT_STDIO = ("--http", "-h", "--help", "--version")


def serve(argv: list[str]) -> int:
    # Imported here on purpose: importing the SDK (~1 s) is the wait the early answer hides.
    from vault_mcp.server import run

    return run(argv)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    stdio = not any(a.split("=")[0] in NOT_STDIO for a in args)
    serve_and_exit(
        "lines", args, ["vault_mcp", "vault_stdio", "vault_core", "mcp"], serve, early=stdio
    )
