"""The output formats `nvault search --format` knows; light, so the CLI's parser is built
without the engine (query/render.py renders them)."""

from typing import Literal

Format = Literal["text", "json", "jsonl", "csv", "md", "files", "vimgrep"]
FORMATS: tuple[str, ...] = ("text", "json", "jsonl", "csv", "md", "files", "vimgrep")
