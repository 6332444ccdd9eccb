"""Errors whose messages tell the caller (a person or an agent) what to do instead."""

from __future__ import annotations

ECHO_CHARS = 120


def echo(value: object) -> str:
    """A caller's value as an error message repeats it: repr'd, cut to ECHO_CHARS (a 1 MB
    argument must not come back as a 1 MB error)."""
    shown = repr(value)
    if len(shown) <= ECHO_CHARS:
        return shown
    return f"{shown[:ECHO_CHARS]}... ({len(shown)} characters)"


class VaultError(Exception):
    """An error whose message tells the caller what to do instead."""


class NoteNotFound(VaultError):
    def __init__(self, name: str, suggestions: list[str]) -> None:
        hint = f" Did you mean: {', '.join(suggestions)}?" if suggestions else ""
        # Front-end neutral: each front end adds how to find notes with its own commands.
        super().__init__(f"No note matches {echo(name)}.{hint}")
        self.name, self.suggestions = name, suggestions


class PathOutsideVault(VaultError):
    pass


class NoSuchHeading(VaultError):
    def __init__(self, path: str, section: str, headings: list[str]) -> None:
        names = ", ".join(headings[:20]) or "(none)"
        super().__init__(f"{path} has no heading {echo(section)}; its headings: {names}")
        self.path, self.section, self.headings = path, section, headings


class VaultFolderMissing(VaultError):
    """The vault folder given does not exist: nothing is created for a typo."""

    def __init__(self, root: object) -> None:
        super().__init__(
            f"There is no folder at {root}: check the path (nvault created nothing there)."
        )


class IndexNotBuilt(VaultError):
    """A read command on a folder that has never been indexed: reads never start a first index."""

    def __init__(self, root: object, uri: str | None = None) -> None:
        if uri:
            super().__init__(
                f"{uri} holds no nvault index yet: run `nvault index {root} --index {uri}` "
                "where the notes are first."
            )
            return
        super().__init__(
            f"{root} has no nvault index yet: run `nvault index {root}` first "
            "(or start the MCP server or your editor there)."
        )


class IndexUnreachable(VaultError):
    """The index's object store cannot be used (no credentials, no bucket, no endpoint)."""


class FileNotHere(VaultError):
    """A feature needs a note's file, and this machine has only the (remote) index."""


class IndexDamaged(VaultError):
    """The index on disk cannot be read; the writer moves it aside and rebuilds it."""


class SyncCancelled(Exception):
    """Raised from a sync's progress callback to abandon it between files: not a failure, so
    the index's `last_error` stays what it was (the watcher stopping does this)."""


def short_cause(exc: BaseException) -> str:
    """The readable part of a storage error: Lance messages carry Rust source paths."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    for marker in ("LanceError(IO): ", "lance error: "):
        if marker in text:
            text = text.split(marker, 1)[1]
    return text.split(", /", 1)[0].rstrip(" ,.")[:200]


def is_disk_full(exc: BaseException) -> bool:
    return getattr(exc, "errno", None) == 28 or "No space left on device" in str(exc)


def describe_failure(exc: BaseException) -> str:
    """One sentence for any failure that reaches a person or an agent: what happened, what to do.

    Tracebacks belong in the log (`-v`); this is the one place the wording is decided.
    """
    known = known_failure(exc)
    if known is not None:
        return known
    return f"Unexpected {type(exc).__name__}: {short_cause(exc)} (run with -v for the details)."


def known_failure(exc: BaseException) -> str | None:
    """The sentence for a failure nvault understands (its own, disk, permissions, the index)."""
    if isinstance(exc, VaultError):
        return str(exc)
    if is_disk_full(exc):
        return (
            "The disk is full: nvault stopped writing, the index built so far stays searchable, "
            "and indexing resumes once you free some space and run it again."
        )
    if isinstance(exc, PermissionError):
        where = f" on {exc.filename}" if getattr(exc, "filename", None) else ""
        return (
            f"Permission denied{where}: nvault needs to read the vault folder ({short_cause(exc)})."
        )
    if "lance" in str(exc).lower() or "LanceError" in str(exc):
        return (
            f"The index could not be read ({short_cause(exc)}): run `nvault doctor --repair` to "
            "rebuild it from your notes."
        )
    return None


# -- the write path (vault_core/edit) ----------------------------------------------------------


class WriteRefused(VaultError):
    """A write that nvault will not do as asked; nothing was written."""


class WritesNotAllowed(WriteRefused):
    """The path lies outside the folders the user enabled writes for (or in a reserved folder)."""


class BadNotePath(WriteRefused):
    """A file name nvault will not create (control characters, Windows-reserved, case clash)."""


class VersionConflict(WriteRefused):
    """The file changed since the caller read it: re-read, then retry with `current_version`."""

    def __init__(self, path: str, expected: str | None, current: str | None) -> None:
        now = current or "(no file)"
        super().__init__(
            f"{path} changed since you read it (you passed version {expected}, it is now "
            f"{now}); nothing was written: read it again, then retry with version {now}."
        )
        self.path, self.expected, self.current = path, expected, current


class TargetNotFound(WriteRefused):
    """A heading, block or frontmatter key that is not in the note; lists what is."""

    def __init__(self, path: str, what: str, candidates: list[str]) -> None:
        names = "; ".join(candidates[:30]) or "(none)"
        super().__init__(
            f"{path} has no {what}; nothing was written. It has: {names}. "
            "Call document_map to see every target."
        )
        self.path, self.what, self.candidates = path, what, candidates


class AmbiguousTarget(WriteRefused):
    """A heading path that matches more than one section: the caller must pick one."""

    def __init__(self, path: str, what: str, candidates: list[str]) -> None:
        super().__init__(
            f"{what} matches {len(candidates)} places in {path}: {'; '.join(candidates[:30])}. "
            "Nothing was written: pass the longer heading path of the one you mean."
        )
        self.path, self.what, self.candidates = path, what, candidates


class CountMismatch(WriteRefused):
    """`replace_text` found the text a different number of times than the caller expected."""


class UndoRefused(WriteRefused):
    """The file changed after the write: undoing would lose that change (`diff` shows it)."""

    def __init__(self, message: str, diff: str) -> None:
        super().__init__(f"{message}\n{diff}")
        self.reason, self.diff = message, diff
