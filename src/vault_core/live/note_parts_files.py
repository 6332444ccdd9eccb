"""`NotePartsFiles`: `related()`'s persisted per-note parts for this index, on disk.

Split from vault_index.py: who may load, build and save them (anyone loads; only the writer
of a local index builds or saves) is one decision, kept beside the files it governs.
"""

from __future__ import annotations

import logging

from vault_core.index.note_parts import RebuildJob, start_rebuild
from vault_core.live.opened import Opened
from vault_core.live.roles import Roles
from vault_core.location import IndexLocation
from vault_core.store.note_parts import NoteParts, load_parts, write_parts

log = logging.getLogger("nvault.index")


class NotePartsFiles:
    """The parts of the index `opened` reads; `roles` says whether this process may write them."""

    def __init__(self, location: IndexLocation, opened: Opened, roles: Roles) -> None:
        self.location, self.opened, self.roles = location, opened, roles

    def load(self) -> NoteParts | None:
        """The parts, mapped (store/note_parts.py); None if none."""
        if self.location.remote:
            return None
        return load_parts(self.location.folder, self.opened.store.model, self.opened.store.dim)

    def build(self) -> NoteParts | None:
        """A writer's full scan, in a child process (its memory is not the server's), saved as
        the new base; None for a reader or on object storage."""
        if not self.roles.is_writer or self.location.remote:
            return None
        store = self.opened.store
        job = RebuildJob(index=self.location.uri, model=store.model, dim=store.dim)
        code = start_rebuild(job).wait()
        if code:
            log.warning("related(): building the note parts exited with code %s", code)
        return self.load()

    def save(self, parts: NoteParts) -> bool:
        """Write them as the new base; only the writer of a local index does (False otherwise)."""
        if not self.roles.is_writer or self.location.remote:
            return False
        write_parts(self.location.folder, parts, self.opened.store.model)
        return True
