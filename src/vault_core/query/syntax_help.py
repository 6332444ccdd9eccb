"""The query language in one line, for help texts: importable without pydantic, so building the
CLI's parser (`nvault --help`) stays light. query/syntax.py parses what this describes."""

SYNTAX_HELP = (
    'words, "exact phrase", -excluded, a OR b, tag:x, path:folder/, type:pdf, '
    "after:2025-01-01, before:2025-12-31"
)
