"""`python -m vault_lsp`: same as the `vault-lsp` console script."""

import sys

from vault_lsp.main import main

sys.exit(main())
