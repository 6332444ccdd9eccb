"""Resident memory of a `vault-mcp` server on an indexed vault, at rest and after real use.

    python -m bench.measure.server_memory INDEXED_VAULT [--queries 40] [--idle 10]

Starts the real `vault-mcp --root VAULT` over stdio, waits for the handshake, runs hybrid
searches (titles of the vault's own notes as queries), `related` on a few notes and `status`,
and reads VmRSS / VmHWM (peak) and the anonymous / file-backed split from /proc. With `--idle S`
the server frees its model after S seconds unused (`embedder.idle_release_s`) and is measured
again once that has passed. The allocators' defaults can be compared by setting
NVAULT_DEFAULT_ALLOCATORS=1. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.harness import emit, load_average, log, machine
from bench.mcp_wire import initialize_params

BIN = Path(sys.executable).parent


def memory(pid: int) -> dict[str, float]:
    """RSS, peak, and RSS split into anonymous memory and mapped files (mostly shared libraries)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {
        "rss_mb": fields["VmRSS"],
        "peak_mb": fields["VmHWM"],
        "anon_mb": fields["RssAnon"],
        "file_mb": fields["RssFile"],
    }


class Server:
    def __init__(self, root: Path, idle_s: float) -> None:
        env = dict(os.environ)
        if idle_s:  # the server frees its model after this long unused (config embedder)
            env["NVAULT_MODEL_IDLE_S"] = str(idle_s)
        self.proc = subprocess.Popen(
            [str(BIN / "vault-mcp"), "--root", str(root)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        self.next_id = 0

    def call(self, method: str, params: dict[str, object] | None = None) -> dict[str, object]:
        assert self.proc.stdin and self.proc.stdout
        self.next_id += 1
        message = {"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params or {}}
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()
        while True:
            answer = json.loads(self.proc.stdout.readline())
            if answer.get("id") == self.next_id:
                return answer

    def notify(self, method: str) -> None:
        assert self.proc.stdin
        self.proc.stdin.write((json.dumps({"jsonrpc": "2.0", "method": method}) + "\n").encode())
        self.proc.stdin.flush()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vault", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument(
        "--idle", type=float, default=0, help="also measure this long + 5 s after the last call"
    )
    args = parser.parse_args()
    root = args.vault.resolve()
    titles = sorted(p.stem for p in root.rglob("*.md"))
    step = max(1, len(titles) // args.queries)
    queries = titles[::step][: args.queries]
    result: dict[str, object] = {
        "bench": "server_memory",
        "vault": str(root),
        "allocators": "defaults" if os.environ.get("NVAULT_DEFAULT_ALLOCATORS") else "tuned",
        "load_average_at_start": load_average(),
    }
    server = Server(root, args.idle)
    server.call(
        "initialize",
        initialize_params("bench"),
    )
    server.notify("notifications/initialized")
    status = server.call("tools/call", {"name": "status", "arguments": {}})
    time.sleep(5)  # the model's background load
    result["after_start"] = memory(server.proc.pid)
    started = time.perf_counter()
    for query in queries:
        server.call("tools/call", {"name": "search", "arguments": {"query": query}})
    result["after_searches"] = memory(server.proc.pid)
    for title in queries[:10]:
        server.call("tools/call", {"name": "related", "arguments": {"note": title}})
    status = server.call("tools/call", {"name": "status", "arguments": {}})
    result["after_related"] = memory(server.proc.pid)
    result["queries"] = len(queries)
    result["seconds"] = round(time.perf_counter() - started, 1)
    if args.idle:
        time.sleep(args.idle + 5)  # the watcher checks every 2 s
        result["after_idle"] = memory(server.proc.pid)
    result["status_ok"] = "result" in status
    server.proc.kill()
    server.proc.wait()
    log(result)
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    main()
