"""A folder's index note, written by code (never an LLM): one link per note of the folder and one
per subfolder, sorted, between two markers so a regeneration touches only that block.

LLM-regenerated index pages drop entries (nashsu/llm_wiki #536); this lists every note and says
what it would write as a dry-run plan of the write tools; the text around the markers is the
writer's and stays byte-identical.
"""

from __future__ import annotations

import posixpath

from pydantic import BaseModel, Field

from vault_core.linking.lint_checks import folder_notes, is_index_note
from vault_core.linking.lint_models import FixPlan, LintContext, append, create_note, replace_text

BEGIN = "<!-- nvault:index -->"
END = "<!-- /nvault:index -->"


class IndexNotePlan(BaseModel):
    folder: str
    path: str = Field(description="the index note (existing, else <folder>/index.md)")
    exists: bool
    block: str = Field(description="the generated list, markers included")
    notes: int
    subfolders: int
    fix: FixPlan = Field(description="the write that puts the block in place (dry run)")


def plan_index_note(ctx: LintContext, folder: str) -> IndexNotePlan:
    """The index block for `folder` (vault-relative, '' for the root) and how to write it."""
    folder = folder.strip("/")
    if folder and not any(p.startswith(folder + "/") for p in ctx.notes):
        raise ValueError(f"no notes under {folder!r}; pass a folder of the vault")
    existing = [p for p in ctx.by_folder.get(folder, ()) if is_index_note(ctx, p)]
    path = existing[0] if existing else posixpath.join(folder, "index.md")
    members = folder_notes(ctx, folder, path)
    subfolders = sorted(
        {
            p[len(folder) + 1 if folder else 0 :].split("/")[0]
            for p in ctx.notes
            if (p.startswith(folder + "/") or not folder) and posixpath.dirname(p) != folder
        }
    )
    lines = [BEGIN]
    lines += [
        f"- [[{ctx.link_text(p)}|{ctx.notes[p].title}]]"
        if ctx.link_text(p) != ctx.notes[p].title
        else f"- [[{ctx.link_text(p)}]]"
        for p in sorted(members, key=lambda p: (ctx.notes[p].title.casefold(), p))
    ]
    for sub in subfolders:
        sub_index = _index_of(ctx, posixpath.join(folder, sub))
        # by path: index notes share names ("index"), so a short name may mean another one
        target = sub_index.removesuffix(".md") if sub_index else None
        lines.append(f"- [[{target}|{sub}/]]" if target else f"- {sub}/")
    lines.append(END)
    block = "\n".join(lines) + "\n"
    text = ctx.text(path) if existing else None
    if text is None:
        title = posixpath.basename(folder) or "Index"
        fix = create_note(path, f"# {title}\n\n{block}")
    elif BEGIN in text and END in text:
        start = text.index(BEGIN)
        end = text.index(END, start) + len(END)
        old = text[start:end]
        fix = replace_text(path, old, block.rstrip("\n"), text.count(old), ctx.version(path))
    else:
        fix = append(path, ("\n" if not text.endswith("\n\n") else "") + block)
    return IndexNotePlan(
        folder=folder,
        path=path,
        exists=text is not None,
        block=block,
        notes=len(members),
        subfolders=len(subfolders),
        fix=fix,
    )


def _index_of(ctx: LintContext, folder: str) -> str | None:
    found = sorted(p for p in ctx.notes if posixpath.dirname(p) == folder and is_index_note(ctx, p))
    return found[0] if found else None
