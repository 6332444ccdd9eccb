"""`nvault`, the command line."""

import os

# Lance's Rust logger prints WARN lines (with source paths) to stderr before nvault can say one
# sentence about the same problem; set LANCEDB_LOG=warn to see them again.
os.environ.setdefault("LANCEDB_LOG", "error")
