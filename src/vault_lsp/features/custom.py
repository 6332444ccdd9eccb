"""The `nvault/*` requests of vscode-extension/README.md ("Protocol"), exactly as specified there.

Params arrive as loosely typed JSON; each is validated by a pydantic model and a malformed one
is answered with the empty result (and logged), never an error that kills the client's feature.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from vault_core.query.answer import SearchRequest
from vault_core.query.syntax import QuerySyntaxError
from vault_core.results import FileIssue, IndexLag, IndexProgress
from vault_core.wire import EditorHit
from vault_lsp.common import guard, plain
from vault_lsp.server import Feature

log = logging.getLogger("vault_lsp")


class SearchParams(BaseModel):
    query: str
    mode: Literal["hybrid", "keyword", "semantic"] = "hybrid"
    limit: int = Field(default=20, ge=1, le=200)


class RelatedParams(BaseModel):
    uri: str
    limit: int = Field(default=10, ge=1, le=100)


class Status(BaseModel):
    """`nvault/status`: the fields of vault_core's `VaultStatus` the extension shows."""

    root: str
    notes: int = 0
    chunks: int = 0
    chunks_embedded: int = 0
    model: str = ""
    indexing: IndexProgress
    skipped: list[FileIssue] = Field(default_factory=list)
    last_sync: str | None = None
    role: str | None = None
    index: str | None = None  # a folder or an s3:// URI
    lag: IndexLag | None = None  # a reader of an index on object storage


def _params(model: type[BaseModel], raw: Any) -> Any:
    try:
        return model.model_validate(plain(raw) or {})
    except ValidationError as exc:
        log.warning("malformed %s: %s", model.__name__, exc.errors(include_url=False))
        return None


class CustomRequests(Feature):
    """`nvault/search`, `nvault/related`, `nvault/status` and `nvault/reindex`."""

    def register(self) -> None:
        server = self.server
        server.feature("nvault/search")(
            server.thread()(guard(lambda: {"hits": [], "catching_up": False})(self.search))
        )
        server.feature("nvault/related")(
            server.thread()(guard(lambda: {"items": []})(self.related))
        )
        server.feature("nvault/status")(server.thread()(guard(lambda: {})(self.status)))
        server.feature("nvault/reindex")(guard(lambda: {"started": False})(self.reindex))

    def search(self, raw: Any) -> dict[str, Any]:
        params = _params(SearchParams, raw)
        vault = self.server.session.get(timeout=10)
        if vault is None:  # not "no matches": nothing could be searched yet
            session = self.server.session
            reason = session.vault_error or "nvault is still opening the vault"
            return {"hits": [], "catching_up": session.vault_error is None, "message": reason}
        if params is None or not params.query.strip():
            return {"hits": [], "catching_up": vault.catching_up}
        # the saves the client sent before this request are read back (session.py)
        unsaved = self.server.session.settle_saves()
        try:
            request = SearchRequest(query=params.query, mode=params.mode, limit=params.limit)
            answer = vault.find(request)
        except (
            QuerySyntaxError
        ) as exc:  # said to the user, not an empty list that looks like "none"
            return {"hits": [], "catching_up": vault.catching_up, "error": str(exc)}
        uri_of = self.server.docs.uri_of
        message = answer.message()
        if unsaved:  # said, not an answer that looks complete
            still = f"still indexing {', '.join(unsaved)} (saved moments ago)"
            message = f"{still}; {message}" if message else still
        return {
            "hits": [EditorHit.of(h, uri_of(h.path)).model_dump() for h in answer.hits],
            "catching_up": answer.catching_up or bool(unsaved),
            "message": message,
        }

    def related(self, raw: Any) -> dict[str, Any]:
        params = _params(RelatedParams, raw)
        vault = self.server.session.get(timeout=10)
        if params is None or vault is None:
            return {"items": []}
        docs = self.server.docs
        rel = docs.rel_of(params.uri)
        self.server.session.settle_saves()  # a note saved just now is related as saved
        if rel is None or rel not in vault.catalog:
            return {"items": []}
        items = self.server.suggestions.related(vault, rel, limit=params.limit)
        return {"items": [{**item.model_dump(), "uri": docs.uri_of(item.path)} for item in items]}

    def status(self, raw: Any) -> dict[str, Any]:
        session = self.server.session
        vault = session.get(timeout=0)
        if vault is None:
            reason = session.vault_error or "opening the vault"
            return Status(
                root=str(session.root or ""),
                indexing=IndexProgress(phase="starting", active=session.vault_error is None),
                skipped=[FileIssue(path="", reason=reason)] if session.vault_error else [],
            ).model_dump()
        st = vault.status()
        shown = st.model_dump(include=set(Status.model_fields) - {"last_sync"})
        return Status(
            **shown,
            index=st.index_dir,
            last_sync=st.last_sync.isoformat() if st.last_sync else None,
        ).model_dump()

    def reindex(self, raw: Any) -> dict[str, Any]:
        future = self.server.session.index(None)
        return {"started": future is not None}
