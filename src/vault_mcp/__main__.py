"""`python -m vault_mcp`: same as the `vault-mcp` command."""

from vault_mcp.launch import main

main()
