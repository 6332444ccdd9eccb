"""The server's hold on one `Vault`: opened off the handshake, kept live, progress reported.

`initialize` must answer at once, so the Vault (model load, repair, catch-up) is opened in a
thread; handlers ask `session.get()` and answer empty while it is not ready. Writes (didSave,
reindex, the fallback rescan) go through one indexing thread so they never overlap.

A save is read back by the requests that follow it: the client sends `didSave` before it asks
(JSON-RPC keeps the order), so `nvault/search` first waits, bounded, for the saves queued
before it (`settle_saves`). Without that, a search sent while the save's sync was still
running (1-4 s at load 13; queued behind a phase-2 step or a compaction, longer) answered
without the saved words, and a client that asks once (VS Code's quick pick) never saw them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_all
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pydantic import BaseModel, Field

from vault_core.config import IndexChoice
from vault_core.errors import describe_failure
from vault_core.places import choose_root
from vault_core.results import IndexProgress

if TYPE_CHECKING:
    from vault_core.vault import Vault


log = logging.getLogger("vault_lsp")

FALLBACK_RESCAN_S = 5.0
PROGRESS_POLL_S = 0.3
SAVE_WAIT_S = 10.0  # a search waits at most this long for the saves sent before it


class Features(BaseModel):
    hover: bool = True
    completion: bool = True
    seeAlso: bool = True
    diagnostics: bool = True


class InitOptions(BaseModel):
    """`initializationOptions` as vscode-extension/README.md defines them; unknown keys ignored."""

    vaultRoot: str | None = None
    index: str | None = None  # a folder or s3://bucket/prefix (a team's shared index)
    endpointUrl: str | None = None
    readOnly: bool = False
    ollamaHost: str | None = None
    ollamaModel: str | None = None
    features: Features = Field(default_factory=Features)

    @classmethod
    def parse(cls, raw: Any) -> InitOptions:
        try:
            return cls.model_validate(raw if isinstance(raw, dict) else {})
        except Exception as exc:  # a bad option must not stop the server
            log.warning("ignoring malformed initializationOptions: %s", exc)
            return cls()


class Session:
    """Lazily opened Vault plus the live-index machinery around it."""

    def __init__(self, cli_root: str | None = None, cli_index: IndexChoice | None = None) -> None:
        self.cli_root = cli_root
        self.cli_index = cli_index or IndexChoice()
        self.root: Path | None = None
        self.root_source = "none"
        self.options = InitOptions()
        self.vault_error: str | None = None
        self._notice_said: str | None = None
        self._vault: Vault | None = None
        self._ready = threading.Event()
        self._stop = threading.Event()
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nvault-index")
        self._notify: Callable[[str, dict[str, Any]], None] = lambda method, params: None
        self._on_progress: Callable[[IndexProgress], None] = lambda state: None
        self._change_listeners: list[Callable[[list[str]], None]] = []
        self._saves: dict[Future[Any], list[str]] = {}  # queued or running path syncs
        self._early_saves: set[str] = set()  # saved before the vault was open
        self._saves_lock = threading.RLock()  # re-entered by a done future's callback

    # -- start-up -------------------------------------------------------------------------
    def choose_root(self, options: Any, workspace_root: str | None) -> Path | None:
        self.options = InitOptions.parse(options)
        self.root, self.root_source = choose_root(
            (self.cli_root, "--root"),
            (self.options.vaultRoot, "initializationOptions.vaultRoot"),
            (workspace_root, "workspace"),
        )
        return self.root

    def start(
        self,
        notify: Callable[[str, dict[str, Any]], None],
        on_progress: Callable[[IndexProgress], None] | None = None,
    ) -> None:
        """Open the Vault in a thread; `notify(method, params)` sends to the client."""
        self._notify = notify
        if on_progress is not None:
            self._on_progress = on_progress
        if self.root is not None:
            threading.Thread(target=self._open, name="nvault-open", daemon=True).start()

    def adopt_root(self, root: Path, source: str) -> bool:
        """Open the vault at `root` when start-up had none (the first document picks it)."""
        if self.root is not None or self._stop.is_set():
            return False
        self.root, self.root_source = root, source
        threading.Thread(target=self._open, name="nvault-open", daemon=True).start()
        return True

    def _open(self) -> None:
        try:
            # imported here: lancedb and onnxruntime take seconds, initialize must not wait
            from vault_core.vault import Vault, VaultError

            if self.root is None or not self.root.is_dir():
                raise VaultError(
                    f"no vault folder ({self.root}): pass --root or initializationOptions.vaultRoot"
                )
            choice = IndexChoice(
                index=self.cli_index.index or self.options.index,
                endpoint_url=self.cli_index.endpoint_url or self.options.endpointUrl,
                read_only=self.cli_index.read_only or self.options.readOnly,
            )
            config = choice.config(self.root)
            if self.options.ollamaHost:
                config.llm.host = self.options.ollamaHost
            if self.options.ollamaModel:
                config.llm.model = self.options.ollamaModel
            # lazy, like vault-mcp: the catalog is read (and a writer's repair runs) in the
            # background while names and searches are answered from the store. (It was off
            # while a save looked lost: the search had run before the save's sync, which
            # `settle_saves` now orders, lazy or not.)
            vault = Vault.open(config=config, writer=not choice.read_only, lazy=True)
            vault.on_change(self._changed)
            with self._saves_lock:  # a save sent before now is queued before anyone asks
                self._vault = vault
                early, self._early_saves = sorted(self._early_saves), set()
                if early:  # the catch-up would find them too; queued, a search waits for them
                    self.index(early)
            log.info("vault open: %s (%s)", self.root, "writer" if vault.is_writer else "reader")
        except Exception as exc:
            self.vault_error = describe_failure(exc)
            log.exception("could not open the vault")
            self._show(types.MessageType.Error, f"nvault: {self.vault_error}")
            self._ready.set()
            return
        self._ready.set()
        threading.Thread(target=self._watch_progress, name="nvault-progress", daemon=True).start()
        try:
            vault.start_watching()
            log.info("watching %s", self.root)
        except Exception:
            log.exception("watcher failed to start; falling back to a background rescan")
            threading.Thread(target=self._rescan_loop, name="nvault-rescan", daemon=True).start()

    def _rescan_loop(self) -> None:
        while not self._stop.is_set():
            vault = self._vault
            if vault is not None:
                try:
                    if vault.is_writer:
                        self._indexer.submit(self._sync, None).result()
                    else:
                        vault.refresh()
                except Exception:
                    log.exception("background rescan failed")
            self._stop.wait(FALLBACK_RESCAN_S)

    # -- access ---------------------------------------------------------------------------
    def get(self, timeout: float = 10.0) -> Vault | None:
        """The Vault, waiting up to `timeout` s for it to open; None if it is not there."""
        self._ready.wait(timeout)
        return self._vault

    @property
    def ready(self) -> bool:
        return self._vault is not None

    # -- writing --------------------------------------------------------------------------
    def index(self, paths: list[str] | None) -> Future[Any] | None:
        """Sync `paths` (None: the whole vault) in the indexing thread; None if we cannot.
        Paths saved before the vault is open are synced once it is."""
        with self._saves_lock:
            vault = self._vault
            if vault is None and paths and not self._stop.is_set():
                self._early_saves.update(paths)
            if vault is None or self._stop.is_set():
                return None
            if not vault.is_writer:
                log.info("reader: the writer process indexes %s", paths or "the vault")
                return None
            future = self._indexer.submit(self._sync, paths)
            if paths is not None:  # a save: the requests after it wait for it (`settle_saves`)
                self._saves[future] = list(paths)
                future.add_done_callback(self._saved)  # at once (this thread) if already done
            return future

    def _saved(self, future: Future[Any]) -> None:
        with self._saves_lock:
            self._saves.pop(future, None)

    def settle_saves(self, timeout: float = SAVE_WAIT_S) -> list[str]:
        """Wait up to `timeout` s for the saves queued before this call to be indexed; the
        paths still waiting after that (empty: every one is in the index)."""
        with self._saves_lock:
            if self._vault is None:  # not open yet: they are queued once it is
                return sorted(self._early_saves)
            waiting = dict(self._saves)
        if not waiting:
            return []
        _done, left = wait_all(waiting, timeout=timeout)
        return sorted({path for future in left for path in waiting[future]})

    def _sync(self, paths: list[str] | None) -> Any:
        vault = self._vault
        if vault is None or not vault.is_writer:
            return None
        try:
            return vault.sync(paths)
        except Exception:
            log.exception("sync of %s failed", paths or "the vault")
            return None

    # -- change fan-out -------------------------------------------------------------------
    def on_change(self, listener: Callable[[list[str]], None]) -> None:
        self._change_listeners.append(listener)

    def _changed(self, paths: list[str]) -> None:
        for listener in list(self._change_listeners):
            try:
                listener(paths)
            except Exception:
                log.exception("change listener failed")

    def _watch_progress(self) -> None:
        """Turn `vault.progress` into `nvault/progress` notifications (any source of indexing)."""
        last: tuple[Any, ...] | None = None  # the first state is always reported
        last_sent = 0.0
        while not self._stop.wait(PROGRESS_POLL_S):
            vault = self._vault
            if vault is None:
                continue
            self._say_notice(vault)
            p = vault.embedding_state()
            pending = p.embedding_pending > 0
            now = (bool(p.active or pending), int(p.done), int(p.total), p.phase, p.chunks_embedded)
            if now == last:
                continue
            if last is not None:
                if now[0] and last[0] and time.monotonic() - last_sent < 0.5:
                    continue  # at most two reports a second while indexing
                if not now[0] and not last[0]:
                    last = now
                    continue
            last, last_sent = now, time.monotonic()
            self._on_progress(p)
            self._notify(
                "nvault/progress",
                {
                    "active": now[0],
                    "done": now[1],
                    "total": now[2],
                    "notes": self.note_count(),
                    "phase": p.phase,
                    "chunksTotal": p.chunks_total,
                    "chunksEmbedded": p.chunks_embedded,
                    "etaSeconds": p.eta_s,
                    "message": p.describe(),
                },
            )

    def _say_notice(self, vault: Vault) -> None:
        """A repair nvault did on its own (damaged or vanished index): one message, once."""
        if vault.notice and vault.notice != self._notice_said:
            self._notice_said = vault.notice
            self._show(types.MessageType.Warning, vault.notice)

    def _show(self, kind: types.MessageType, message: str) -> None:
        """window/showMessage: the params must be the typed model (pygls converts it)."""
        params: Any = types.ShowMessageParams(type=kind, message=message)
        self._notify(types.WINDOW_SHOW_MESSAGE, params)

    def note_count(self) -> int:
        vault = self._vault
        if vault is None:
            return 0
        return sum(1 for n in vault.catalog.facts() if n.kind == "note")

    def close(self) -> None:
        self._stop.set()
        self._indexer.shutdown(wait=False, cancel_futures=True)
        vault = self._vault
        if vault is not None:
            try:
                vault.close()
            except Exception:
                log.exception("closing the vault failed")
