"""`python -m vault_lsp`: same as the `vault-lsp` console script."""

from vault_lsp.launch import main

main()
