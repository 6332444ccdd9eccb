"""Which folder is the vault when the client names none, and the sentence that tells the user.

Order: `--root`, `initializationOptions.vaultRoot`, the workspace folder (session.choose_root);
with none of those, the first opened file decides: the nearest folder above it holding
`.nvault`, `.obsidian` or `.git`, else the file's own folder. Whenever the vault is a guess
(a workspace or file folder with no marker), the user is told which folder and how to choose.
"""

from __future__ import annotations

from pathlib import Path

MARKERS = (".nvault", ".obsidian", ".git")
HOW_TO_CHOOSE = (
    "Set initializationOptions.vaultRoot (VS Code: nvault.vaultRoot) or start vault-lsp "
    "with --root to choose another."
)


def has_marker(folder: Path) -> bool:
    return any((folder / marker).exists() for marker in MARKERS)


def root_for_file(file: Path) -> tuple[Path, str]:
    """(vault folder for `file`, a message for the user) when the client gave no root."""
    folder = file.parent
    for candidate in (folder, *folder.parents):
        if has_marker(candidate):
            return candidate, (
                f"nvault: the editor named no workspace folder; using {candidate} "
                f"(it holds {', '.join(m for m in MARKERS if (candidate / m).exists())}). "
                + HOW_TO_CHOOSE
            )
    return folder, (
        f"nvault: no .nvault, .obsidian or .git folder above {file.name}; using its folder "
        f"{folder} as the vault. " + HOW_TO_CHOOSE
    )


def workspace_notice(root: Path | None, source: str) -> str | None:
    """The message for a root taken from the workspace folder without any marker, else None."""
    if root is None or source != "workspace" or has_marker(root):
        return None
    return (
        f"nvault: {root} has no .nvault, .obsidian or .git folder; indexing the workspace "
        f"folder as the vault. " + HOW_TO_CHOOSE
    )
