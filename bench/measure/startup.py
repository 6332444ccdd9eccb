"""Start-up latency a user feels: `--help`, `status`, the LSP `initialize` answer, the MCP
handshake, a one-shot `nvault search` on an indexed vault (cold, and answered by a running
`nvault watch` over the query socket), beside a bare `python -c pass`.

    python -m bench.measure.startup INDEXED_VAULT [--runs 5]

Each figure is the median of `--runs` fresh processes (wall clock, spawn to answer). Prints one
JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from bench.harness import emit, load_average, log, machine
from bench.mcp_wire import initialize_request
from vault_core.query.socket_server import ask

BIN = Path(sys.executable).parent
# Time to the first answer after the handshake (the SDK loaded), per run, beside the handshake.
LATER: dict[str, list[float]] = {"lsp_first_request": [], "mcp_tools_list": []}


def timed(cmd: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - started


def lsp_initialize(root: Path) -> float:
    """Spawn `vault-lsp`, send `initialize`, time until its answer arrives."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "initialize",
            "params": {"processId": None, "rootUri": root.as_uri(), "capabilities": {}},
        }
    ).encode()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "vault-lsp")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()
    length = 0
    while line := proc.stdout.readline().strip():
        if line.lower().startswith(b"content-length"):
            length = int(line.split(b":")[1])
    answer = json.loads(proc.stdout.read(length))
    elapsed = time.perf_counter() - started
    assert answer.get("id") == 1 and "result" in answer, answer
    for message in (
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
    ):
        body = json.dumps(message).encode()
        proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
    proc.stdin.flush()
    while True:  # skip notifications until the shutdown answer: pygls itself is serving
        length = 0
        while line := proc.stdout.readline().strip():
            if line.lower().startswith(b"content-length"):
                length = int(line.split(b":")[1])
        if json.loads(proc.stdout.read(length)).get("id") == 2:
            break
    LATER["lsp_first_request"].append(time.perf_counter() - started)
    proc.kill()
    proc.wait()
    return elapsed


def mcp_initialize(root: Path) -> float:
    """Spawn `vault-mcp`, send the MCP `initialize` request, time until its answer."""
    request = initialize_request("bench", 1)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(BIN / "vault-mcp"), "--root", str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdin and proc.stdout
    proc.stdin.write((json.dumps(request) + "\n").encode())
    proc.stdin.flush()
    answer = json.loads(proc.stdout.readline())
    elapsed = time.perf_counter() - started
    assert answer.get("id") == 1 and "result" in answer, answer
    for message in (
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ):
        proc.stdin.write((json.dumps(message) + "\n").encode())
    proc.stdin.flush()
    while json.loads(proc.stdout.readline()).get("id") != 2:
        pass
    LATER["mcp_tools_list"].append(time.perf_counter() - started)
    proc.kill()
    proc.wait()
    return elapsed


@contextlib.contextmanager
def watcher(root: Path) -> Iterator[None]:
    """`nvault watch ROOT` running, its query socket answering."""
    proc = subprocess.Popen(
        [str(BIN / "nvault"), "watch", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while ask(root / ".nvault", {"ping": True}, timeout=2.0) is None:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("nvault watch did not start its query socket")
            time.sleep(0.5)
        yield
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def median(run: object, runs: int) -> dict[str, float]:
    """Wall clock (median, max) and the CPU seconds each run used: on a shared, busy machine
    the CPU time says what the code costs, the wall clock what the user waited."""
    cpu = children_cpu()
    values = [run() for _ in range(runs)]  # type: ignore[operator]
    return {
        "median_s": round(statistics.median(values), 3),
        "max_s": round(max(values), 3),
        "cpu_s": round((children_cpu() - cpu) / runs, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("vault", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = args.vault.resolve()
    nvault = str(BIN / "nvault")
    result: dict[str, object] = {"bench": "startup", "load_average_at_start": load_average()}
    # A fresh handshake cache: the first start of each server is answered by the server itself
    # (and fills the cache), later starts by the early answer (vault_stdio).
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="nvault-bench-cache-")
    result["lsp_initialize_first_start_s"] = round(lsp_initialize(root), 3)
    result["mcp_initialize_first_start_s"] = round(mcp_initialize(root), 3)
    for values in LATER.values():
        values.clear()
    search = [nvault, "--root", str(root), "search"]
    for name, run in {
        "python_bare": lambda: timed([sys.executable, "-c", "pass"]),
        "nvault_help": lambda: timed([nvault, "--help"]),
        "nvault_status": lambda: timed([nvault, "--root", str(root), "status"]),
        "vault_mcp_help": lambda: timed([str(BIN / "vault-mcp"), "--help"]),
        "lsp_initialize": lambda: lsp_initialize(root),
        "mcp_initialize": lambda: mcp_initialize(root),
        "search_keyword": lambda: timed(
            [nvault, "--root", str(root), "search", "--mode", "keyword", "partition"]
        ),
        "search_hybrid": lambda: timed([nvault, "--root", str(root), "search", "partition"]),
    }.items():
        result[name] = median(run, args.runs)
        log(name, result[name])
    with watcher(root):
        for name, argv in {
            "search_keyword_via_watcher": [*search, "--mode", "keyword", "partition"],
            "search_hybrid_via_watcher": [*search, "partition"],
            "status_via_watcher": [nvault, "--root", str(root), "status"],
        }.items():
            result[name] = median(lambda argv=argv: timed(argv), args.runs)
            log(name, result[name])
    for name, values in LATER.items():
        result[name] = {
            "median_s": round(statistics.median(values), 3),
            "max_s": round(max(values), 3),
        }
    result["machine"] = machine()
    emit(result)


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
