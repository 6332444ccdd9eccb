"""`vault-lsp`: the nvault language server (pygls 2, stdio).

Each feature is an object (features/, one module or package each) that `server.add_feature`
registers; this module owns start-up (vault root, lazy Vault), shutdown and the wiring only.
"""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Any

from lsprotocol import types
from pygls.uris import to_fs_path

from vault_core.config import IndexChoice
from vault_lsp.features.code_actions import CodeActions
from vault_lsp.features.completion import Completion
from vault_lsp.features.custom import CustomRequests
from vault_lsp.features.diagnostics import LinkDiagnostics
from vault_lsp.features.folding import Folding
from vault_lsp.features.hover import Hover
from vault_lsp.features.links import DocumentLinks
from vault_lsp.features.lint_diagnostics import LintDiagnostics
from vault_lsp.features.navigation import Navigation
from vault_lsp.features.rename import Rename
from vault_lsp.features.symbols import Symbols
from vault_lsp.features.textsync import TextSync
from vault_lsp.roots import workspace_notice
from vault_lsp.server import Feature, VaultLanguageServer

log = logging.getLogger("vault_lsp")
# the order diagnostics providers are added is the order of a document's diagnostics
FEATURES: tuple[type[Feature], ...] = (
    TextSync,
    LinkDiagnostics,
    LintDiagnostics,
    Hover,
    Completion,
    Navigation,
    DocumentLinks,
    Folding,
    Symbols,
    CodeActions,
    Rename,
    CustomRequests,
)


def _workspace_root(params: types.InitializeParams) -> str | None:
    uri = params.root_uri
    if not uri and params.workspace_folders:
        uri = params.workspace_folders[0].uri
    if uri:
        return to_fs_path(uri)
    return params.root_path


def create_server(root: str | None = None, index: IndexChoice | None = None) -> VaultLanguageServer:
    server = VaultLanguageServer(root, index)

    @server.feature(types.INITIALIZE)
    def initialize(params: types.InitializeParams) -> None:
        chosen = server.session.choose_root(params.initialization_options, _workspace_root(params))
        log.info(
            "vault root: %s (%s)",
            chosen or "none yet: the first opened file picks it",
            server.session.root_source,
        )
        window = params.capabilities.window
        server.work_done.supported = bool(window and window.work_done_progress)
        server.session.start(server.send, server.work_done)

    @server.feature(types.INITIALIZED)
    def initialized(params: types.InitializedParams) -> None:
        notice = workspace_notice(server.session.root, server.session.root_source)
        if notice:
            server.tell(notice)

    @server.feature(types.SHUTDOWN)
    def shutdown(params: Any) -> None:
        server.session.close()

    for feature in FEATURES:
        server.add_feature(feature(server))
    server.diagnostics.start()
    return server


def run(argv: list[str] | None = None) -> int:
    """Serve until `exit`; the exit code (vault_lsp.launch ends the process)."""
    parser = argparse.ArgumentParser(prog="vault-lsp", description="nvault language server (stdio)")
    parser.add_argument(
        "--root", help="vault folder (default: initializationOptions.vaultRoot, then the workspace)"
    )
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdio (the default)")
    parser.add_argument(
        "--log-level", default="INFO", help="DEBUG, INFO, WARNING (logs go to stderr)"
    )
    parser.add_argument("--log-file", help="also write the log to this file")
    parser.add_argument(
        "--index", help="a folder or s3://bucket/prefix (else initializationOptions.index)"
    )
    parser.add_argument("--endpoint-url", help="an S3-compatible store's URL (MinIO, Ceph)")
    parser.add_argument("--read-only", action="store_true", help="never index: follow the writer")
    args = parser.parse_args(argv)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if args.log_file:
        handlers.append(logging.FileHandler(args.log_file, encoding="utf-8"))
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
    )
    logging.getLogger("pygls").setLevel(logging.WARNING)
    index = IndexChoice(index=args.index, endpoint_url=args.endpoint_url, read_only=args.read_only)
    server = create_server(args.root, index)
    return server.start_io()
