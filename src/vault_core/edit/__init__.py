"""The one write path: plans of byte splices, preconditions on sha256, journal, atomic apply.

MCP tools, the LSP's rename and the CLI all come through here (see `editor.Editor`).
"""
