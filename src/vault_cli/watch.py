"""`nvault watch`: keep the index live in the foreground, logging each sync with its timings."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from types import FrameType

from vault_cli.common import Commands, err_console, open_vault

COMMANDS: Commands = {}  # the subcommands this module adds; main.py merges them

PROGRESS_EVERY_S = 2.0


def _log_to_stderr(verbose: bool) -> None:
    handler = logging.StreamHandler()  # stderr
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    logger = logging.getLogger("nvault")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.INFO)


def cmd_watch(args: argparse.Namespace) -> int:
    _log_to_stderr(args.verbose)
    done = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_term)
    vault = open_vault(args)
    try:
        vault.start_watching()
        log = logging.getLogger("nvault.watch")
        log.info("%s: %s", vault.root, "writer" if vault.is_writer else "reader")
        shown, last_progress = "", (-1, -1)
        while not done.wait(PROGRESS_EVERY_S if vault.progress.active else 0.25):
            state = vault.watcher.describe() if vault.watcher else "off"
            progress = (vault.progress.done, vault.progress.total)
            if vault.progress.active and vault.progress.total > 50 and progress != last_progress:
                log.info("indexing %s/%s", f"{progress[0]:,}", f"{progress[1]:,}")
                last_progress = progress
            if state != shown:
                status = vault.status()
                log.info(
                    "%s: %s notes, %s attachments, %s chunks",
                    state,
                    f"{status.notes:,}",
                    f"{status.attachments:,}",
                    f"{status.chunks:,}",
                )
                shown = state
    except KeyboardInterrupt:
        pass
    finally:
        err_console.print("stopping")
        vault.close()
    return 0


def setup_watch(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-v", "--verbose", action="store_true", help="also log syncs that changed nothing"
    )


COMMANDS["watch"] = (cmd_watch, setup_watch, "keep the index live: re-index files as they change")
