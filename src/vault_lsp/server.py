"""`VaultLanguageServer`: the pygls server, what every feature shares, and `Feature`.

Features are objects registered on the server (`add_feature`, found again by type with
`get_feature`), the way esbonio does it. Each holds its own state and never imports another
feature; what two features share is a typed service here (session, documents, the diagnostics
publisher, link suggestions, request activity). main.py creates the server and adds the features.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar, cast

from lsprotocol import types
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer

from vault_core.config import IndexChoice
from vault_lsp.common import Activity, guard
from vault_lsp.documents import Doc, Documents
from vault_lsp.link_suggestions import LinkSuggestions
from vault_lsp.progress import WorkDoneReporter
from vault_lsp.protocol import VaultProtocol, serve_stdio
from vault_lsp.publisher import Publisher
from vault_lsp.session import Session

if TYPE_CHECKING:
    from vault_core.vault import Vault

log = logging.getLogger("vault_lsp")
Params = TypeVar("Params")
Result = TypeVar("Result")
F = TypeVar("F", bound="Feature")


class Feature:
    """One LSP feature: the state it keeps, and the handlers `register` puts on the server."""

    def __init__(self, server: VaultLanguageServer) -> None:
        self.server = server

    def register(self) -> None:
        """Register this feature's handlers (called once, by `server.add_feature`)."""
        raise NotImplementedError


class VaultLanguageServer(LanguageServer):
    """pygls server plus the services the features share and the features themselves."""

    def __init__(self, root: str | None = None, index: IndexChoice | None = None) -> None:
        super().__init__("vault-lsp", "0.1.0", max_workers=8, protocol_cls=VaultProtocol)
        self.session = Session(root, index)
        self.work_done = WorkDoneReporter(self)
        self.docs = Documents(lambda: self.workspace, lambda: self.session.root)
        self.diagnostics = Publisher(
            self.session, self.docs, self.text_document_publish_diagnostics
        )
        self.suggestions = LinkSuggestions()
        self.activity = Activity()
        self._features: dict[type[Feature], Feature] = {}

    def add_feature(self, feature: Feature) -> None:
        """Register `feature`'s handlers; one feature of each class."""
        kind = type(feature)
        if kind in self._features:
            raise RuntimeError(f"feature {kind.__qualname__} is already registered")
        self._features[kind] = feature
        feature.register()

    def get_feature(self, kind: type[F]) -> F | None:
        """The registered feature of class `kind`, if any."""
        return cast("F | None", self._features.get(kind))

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> int:
        """pygls' stdio loop with `serve_stdio`'s framing (answers, and recovers from, bad
        frames). Returns the exit code: 0 after shutdown + exit, 1 for exit without shutdown."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        code = 0
        try:
            asyncio.run(serve_stdio(self._stop_event, stdin or sys.stdin.buffer, self.protocol))  # type: ignore[arg-type]
        except BrokenPipeError:
            log.error("the client closed the connection")
        except SystemExit as exc:  # the `exit` notification
            code = exc.code if isinstance(exc.code, int) else 0
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()
        return code

    def send(self, method: str, params: dict[str, Any]) -> None:
        """A custom notification; safe from any thread (pygls writes whole messages)."""
        try:
            self.protocol.notify(method, params)
        except Exception:
            log.exception("could not send %s", method)

    def tell(self, message: str, kind: types.MessageType = types.MessageType.Info) -> None:
        """A `window/showMessage` the user sees (and the log keeps)."""
        log.info("%s", message)
        try:
            self.window_show_message(types.ShowMessageParams(type=kind, message=message))
        except Exception:
            log.exception("could not show a message")

    def doc_and_vault(self, uri: str) -> tuple[Doc, Vault] | None:
        """The open document and the vault (waiting up to 5 s for it to open), or None when
        either is missing: the preamble every document request starts with."""
        doc = self.docs.get(uri)
        vault = self.session.get(timeout=5)
        if doc is None or vault is None:
            return None
        return doc, vault

    def document_request(
        self,
        method: str,
        options: Any = None,
        default: Callable[[], Any] | Any = None,
        *,
        enabled: Callable[[], bool] | None = None,
        interactive: bool = False,
    ) -> Callable[[Callable[[Params, Doc, Vault], Result]], Callable[[Params], Result | Any]]:
        """Registers a document request handler taking (params, doc, vault): it runs on a worker
        thread once the document and the vault exist (`doc_and_vault`), and answers `default`
        when `enabled()` says the user turned it off, either is missing, or the handler raises
        (`guard`, logged). `interactive` requests (a user waiting: hover, completion) make
        background work yield (`activity`)."""

        def answer_default() -> Any:
            return default() if callable(default) else default

        def decorate(fn: Callable[[Params, Doc, Vault], Result]) -> Callable[[Params], Any]:
            @functools.wraps(fn)
            def handler(params: Params) -> Result | Any:
                if enabled is not None and not enabled():
                    return answer_default()
                if interactive:
                    self.activity.touch()
                found = self.doc_and_vault(params.text_document.uri)  # type: ignore[attr-defined]
                if found is None:
                    return answer_default()
                return fn(params, *found)

            return self.feature(method, options)(self.thread()(guard(default)(handler)))

        return decorate
