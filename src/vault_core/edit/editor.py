"""`Editor`: every write goes plan -> precondition -> journal -> atomic apply -> re-index.

A plan is a list of file changes (path, bytes before, bytes after) computed from the bytes read
at planning time; under the journal's lock each file's sha256 is checked again, so an editor that
saved in between gets a `VersionConflict` and loses nothing. `dry_run` stops after the receipt.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock

from vault_core.edit import ops
from vault_core.edit.atomic import read_or_none
from vault_core.edit.journal import Entry, Journal, Location, new_write_id
from vault_core.edit.models import DocumentMap, FileChange, Operation, Receipt
from vault_core.edit.paths import WritePolicy
from vault_core.edit.plan import Change, Plan, plan_move_changes
from vault_core.edit.see_also import plan_add_link
from vault_core.edit.splice import (
    MAX_DIFF_CHARS,
    RawNote,
    Splice,
    apply_splices,
    bounded,
    changed_lines,
    sha256,
    unified_diff,
)
from vault_core.edit.targets import document_map, frontmatter_keys
from vault_core.errors import UndoRefused, VersionConflict, WriteRefused
from vault_core.index.link_graph import LinkGraph
from vault_core.parse.markdown import split_frontmatter

MAX_CONTENT_BYTES = 1_000_000
TRASH = ".trash"


class Editor:
    def __init__(
        self,
        root: Path,
        policy: WritePolicy,
        graph: Callable[[], LinkGraph],
        reindex: Callable[[list[str]], bool] | None = None,
    ) -> None:
        self.root = root.resolve()
        self.policy = policy
        self.graph = graph
        self.reindex = reindex
        self.journal = Journal(self.root)
        self._lock = threading.Lock()

    # -- reading --------------------------------------------------------------------------
    def read(self, rel: str) -> RawNote:
        data = read_or_none(self.root / rel)
        if data is None:
            raise WriteRefused(f"there is no file {rel}; nothing was written: check the path")
        return RawNote(rel, data)

    def document_map(self, rel: str) -> DocumentMap:
        return document_map(self.read(rel))

    def _checked(self, path: str, version: str | None, *, need_version: bool = True) -> RawNote:
        rel = self.policy.check(path)
        note = self.read(rel)
        if version is None and need_version:
            raise WriteRefused(
                f"pass `version` (the sha256 read_note or document_map gave for {rel}); "
                "nothing was written"
            )
        if version is not None and version != note.version:
            raise VersionConflict(rel, version, note.version)
        return note

    @staticmethod
    def _content(content: str) -> str:
        if len(content.encode("utf-8")) > MAX_CONTENT_BYTES:
            raise WriteRefused(
                f"content is over {MAX_CONTENT_BYTES // 1000} KB; nothing was written: "
                "split it into several notes or edits"
            )
        if "\x00" in content:
            raise WriteRefused("content has a NUL character; nothing was written")
        return content

    def _splice_plan(self, op: Operation, note: RawNote, splices: list[Splice]) -> Plan:
        return Plan(op, [Change(note.path, note.raw, apply_splices(note.raw, splices))])

    # -- single-note edits ----------------------------------------------------------------
    def create_note(self, path: str, content: str, dry_run: bool = False) -> Receipt:
        rel = self.policy.check(path, new=True)
        if not rel.lower().endswith(".md"):
            raise WriteRefused(f"{rel}: a new note's name ends in .md; nothing was written")
        if (self.root / rel).exists():
            raise WriteRefused(
                f"{rel} already exists; create_note never overwrites: edit it with append, "
                "insert or replace_section, or pick another name"
            )
        body = self._content(content)
        data = (body if body.endswith("\n") or not body else body + "\n").encode("utf-8")
        return self.commit(Plan("create_note", [Change(rel, None, data)]), dry_run)

    def append(
        self,
        path: str,
        content: str,
        heading: list[str] | None = None,
        block: str | None = None,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Receipt:
        """A pure append at the end needs no version; under a heading or block it does."""
        pure = heading is None and block is None
        note = self._checked(path, version, need_version=not pure)
        splices = ops.append(note, self._content(content), heading, block)
        return self.commit(self._splice_plan("append", note, splices), dry_run)

    def insert(
        self,
        path: str,
        content: str,
        heading: list[str] | None = None,
        block: str | None = None,
        position: ops.Position = "end",
        version: str | None = None,
        dry_run: bool = False,
    ) -> Receipt:
        note = self._checked(path, version)
        splices = ops.insert(note, self._content(content), heading, block, position)
        return self.commit(self._splice_plan("insert", note, splices), dry_run)

    def replace_section(
        self,
        path: str,
        heading: list[str],
        content: str,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Receipt:
        note = self._checked(path, version)
        splices = ops.replace_section(note, heading, self._content(content))
        return self.commit(self._splice_plan("replace_section", note, splices), dry_run)

    def replace_text(
        self,
        path: str,
        old: str,
        new: str,
        expected_count: int,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Receipt:
        note = self._checked(path, version)
        splices = ops.replace_text(note, old, self._content(new), expected_count)
        return self.commit(self._splice_plan("replace_text", note, splices), dry_run)

    def set_frontmatter(
        self,
        path: str,
        set_: dict[str, Any] | None = None,
        delete: list[str] | None = None,
        version: str | None = None,
        dry_run: bool = False,
    ) -> Receipt:
        note = self._checked(path, version)
        set_, delete = set_ or {}, delete or []
        plan = self._splice_plan("set_frontmatter", note, ops.set_frontmatter(note, set_, delete))
        after = RawNote(note.path, plan.changes[0].after or b"")
        data, _, warning = split_frontmatter(after.text)
        wrong = [k for k, v in set_.items() if data.get(k) != v] + [k for k in delete if k in data]
        if warning or wrong or set(frontmatter_keys(after)) & set(delete):
            raise WriteRefused(
                f"the frontmatter of {note.path} would not read back as asked "
                f"({warning or wrong}); nothing was written: edit it with replace_text instead"
            )
        return self.commit(plan, dry_run)

    def add_link(
        self, path: str, target: str, version: str | None = None, dry_run: bool = False
    ) -> Receipt:
        note = self._checked(path, version)
        splices = plan_add_link(self.graph(), note, target)
        return self.commit(self._splice_plan("add_link", note, splices), dry_run)

    # -- whole files ----------------------------------------------------------------------
    def move_note(
        self, path: str, new_path: str, version: str | None = None, dry_run: bool = False
    ) -> Receipt:
        note = self._checked(path, version)
        new_rel = self.policy.check(new_path, new=True)
        if new_rel == note.path:
            raise WriteRefused(f"{note.path} is already there; nothing was written")
        if (self.root / new_rel).exists() and new_rel.casefold() != note.path.casefold():
            raise WriteRefused(f"{new_rel} already exists; nothing was written: pick another name")
        plan = plan_move_changes(self.root, self.graph(), self.policy, note, new_rel)
        return self.commit(plan, dry_run)

    def delete_note(
        self, path: str, version: str | None = None, force: bool = False, dry_run: bool = False
    ) -> Receipt:
        note = self._checked(path, version)
        breaking = sorted({r.source for r in self.graph().backlinks(note.path)})
        if breaking and not force:
            raise WriteRefused(
                f"{len(breaking)} note(s) link to {note.path} and their links would break: "
                f"{', '.join(breaking[:30])}. Nothing was written: fix those links first, or "
                "pass force=true to delete anyway"
            )
        trash = f"{TRASH}/{note.path}"
        n = 1
        while (self.root / trash).exists():
            stem, dot, ext = note.path.rpartition(".")
            trash = f"{TRASH}/{stem} {n}{dot}{ext}" if dot else f"{TRASH}/{note.path} {n}"
            n += 1
        msg = f"moved to {trash}" + (
            f"; links now broken in: {', '.join(breaking)}" if breaking else ""
        )
        plan = Plan("delete_note", [Change(note.path, note.raw, note.raw, new_path=trash)])
        plan.message = msg
        return self.commit(plan, dry_run)

    # -- undo -----------------------------------------------------------------------------
    def undo(self, write_id: str | None = None, dry_run: bool = False) -> Receipt:
        """Restore what write `write_id` (default: the last one not undone) replaced."""
        entry = self._entry_to_undo(write_id)
        for loc in entry.locations:
            if not loc.path.startswith(f"{TRASH}/"):
                self.policy.check(loc.path)
            now = read_or_none(self.root / loc.path)
            if (None if now is None else sha256(now)) != loc.after:
                left = None if loc.after is None else self.journal.blob(entry, loc.after)
                diff, _ = bounded(unified_diff(loc.path, left, now), 4000)
                raise UndoRefused(
                    f"{loc.path} changed after write {entry.write_id}; undoing it would lose "
                    "that change, so nothing was written. What changed since:",
                    diff,
                )
        changes = []
        for loc in entry.locations:
            before = None if loc.before is None else self.journal.blob(entry, loc.before)
            after = None if loc.after is None else self.journal.blob(entry, loc.after)
            changes.append(Change(loc.path, after, before))
        plan = Plan("undo", changes, message=f"undid {entry.write_id} ({entry.operation})")
        receipt = self.commit(plan, dry_run, undoes=entry.write_id)
        if not dry_run:
            entry.state = "undone"
            self.journal.save(entry)
        return receipt

    def _entry_to_undo(self, write_id: str | None) -> Entry:
        entries = self.journal.entries()
        if write_id is None:
            done = [e for e in entries if e.state == "done" and e.operation != "undo"]
            if not done:
                raise WriteRefused("the journal has no write left to undo")
            return done[-1]
        entry = self.journal.load(write_id)
        if entry is None:
            recent = ", ".join(e.write_id for e in entries[-5:]) or "(none)"
            raise WriteRefused(f"no write {write_id!r} in the journal; recent writes: {recent}")
        if entry.state != "done":
            raise WriteRefused(
                f"write {write_id} is {entry.state.replace('_', ' ')}: nothing to undo"
            )
        return entry

    # -- commit ---------------------------------------------------------------------------
    def commit(self, plan: Plan, dry_run: bool, undoes: str | None = None) -> Receipt:
        write_id = new_write_id()
        locations = self._locations(plan)
        if dry_run:
            return self._receipt(write_id, plan, dry_run=True, indexed=False)
        self.journal.folder.mkdir(parents=True, exist_ok=True)
        with self._lock, FileLock(str(self.journal.folder / ".lock")):
            for loc in locations:
                now = read_or_none(self.root / loc.path)
                current = None if now is None else sha256(now)
                if current != loc.before:
                    raise VersionConflict(loc.path, loc.before, current)
            entry = Entry(
                write_id=write_id,
                operation=plan.operation,
                created=datetime.now(UTC),
                locations=locations,
                links_rewritten=plan.links,
                undoes=undoes,
                note=plan.message,
            )
            contents = [c for ch in plan.changes for c in (ch.before, ch.after) if c is not None]
            self.journal.save_pack(entry, contents)
            self.journal.save(entry)
            self.journal.make(entry, "after", set())
            entry.state = "done"
            self.journal.save(entry)
        touched = sorted({loc.path for loc in locations if not loc.path.startswith(f"{TRASH}/")})
        indexed = bool(self.reindex and self.reindex(touched))
        return self._receipt(write_id, plan, dry_run=False, indexed=indexed)

    @staticmethod
    def _locations(plan: Plan) -> list[Location]:
        out: list[Location] = []
        for ch in plan.changes:
            before = None if ch.before is None else sha256(ch.before)
            after = None if ch.after is None else sha256(ch.after)
            if ch.new_path is None:
                out.append(Location(path=ch.path, before=before, after=after))
            else:
                out.append(Location(path=ch.path, before=before, after=None))
                out.append(Location(path=ch.new_path, before=None, after=after))
        return out

    @staticmethod
    def _receipt(write_id: str, plan: Plan, *, dry_run: bool, indexed: bool) -> Receipt:
        files, diffs = [], []
        for ch in plan.changes:
            before = None if ch.before is None else sha256(ch.before)
            after = None if ch.after is None else sha256(ch.after)
            lines = changed_lines(ch.before or b"", ch.after) if ch.after is not None else []
            files.append(
                FileChange(
                    path=ch.path,
                    new_path=ch.new_path,
                    version_before=before,
                    version_after=after,
                    changed_lines=lines,
                )
            )
            if sum(map(len, diffs)) <= MAX_DIFF_CHARS:  # enough for the bounded diff
                diffs.append(unified_diff(ch.new_path or ch.path, ch.before, ch.after))
        diff, cut = bounded("".join(diffs))
        cut = cut or len(diffs) < len(plan.changes)
        return Receipt(
            write_id=write_id,
            operation=plan.operation,
            dry_run=dry_run,
            files=files,
            links_rewritten=plan.links,
            diff=diff,
            diff_truncated=cut,
            indexed=indexed,
            message=plan.message or ("dry run: nothing was written" if dry_run else ""),
        )
