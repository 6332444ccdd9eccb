"""Prepare the third link-recovery vault: Dendron's own docs (dendronhq/dendron-site, MIT).

Usage:
    python -m bench.measure.third_vault SOURCE [--out DIR]

SOURCE is a checkout (or `git archive`) of https://github.com/dendronhq/dendron-site at commit
fbc07769235bca514f88be79a523311d72c7cafd (2022-12-07), licence MIT (its LICENSE.md, copied as
`_SOURCE_LICENSE.txt`). The docs proper are the 549 `vault/dendron.*.md` notes (changelog,
community, tags and careers notes are left out: they are not docs and would triple the embedding
time). Written to DIR (default /tmp/nvault-bench-corpora/dendron-docs), then used like the other
corpora: `python -m bench.measure.linking DIR` copies and indexes it in the bench cache.

Dendron writes `[[label|target]]` (label first) and `[[dendron://vault/target]]`; Obsidian rules,
which nvault follows, read `[[target|label]]`. The copy swaps the two parts and drops the vault
prefix so the writer's links resolve; nothing else in a note changes. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from pathlib import Path

SOURCE = {
    "repo": "dendronhq/dendron-site",
    "commit": "fbc07769235bca514f88be79a523311d72c7cafd",
    "licence": "MIT",
    "subset": "vault/dendron.*.md",
}
DEFAULT_OUT = Path("/tmp/nvault-bench-corpora/dendron-docs")
_LINK = re.compile(r"(!?\[\[)([^\]|]+)\|([^\]]+)(\]\])")
_VAULT_PREFIX = re.compile(r"\[\[(?:([^\]|]*)\|)?dendron://[^/\]]+/")


def obsidian_links(text: str) -> str:
    """Dendron's `[[label|dendron://v/target]]` -> Obsidian's `[[target|label]]`."""
    text = _VAULT_PREFIX.sub(lambda m: f"[[{m.group(1)}|" if m.group(1) else "[[", text)
    return _LINK.sub(lambda m: f"{m.group(1)}{m.group(3)}|{m.group(2)}{m.group(4)}", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    notes = sorted((args.source / "vault").glob("dendron.*.md"))
    if not notes:
        raise SystemExit(f"no vault/dendron.*.md under {args.source}: pass a dendron-site checkout")
    if args.out.exists():
        shutil.rmtree(args.out)
    args.out.mkdir(parents=True)
    links = 0
    for note in notes:
        text = obsidian_links(note.read_text(encoding="utf-8"))
        links += text.count("[[")
        (args.out / note.name).write_text(text, encoding="utf-8")
    shutil.copyfile(args.source / "LICENSE.md", args.out / "_SOURCE_LICENSE.txt")
    print(json.dumps({"source": SOURCE, "out": str(args.out), "notes": len(notes), "links": links}))


if __name__ == "__main__":
    main()
