"""A reader on an s3:// index (a local S3 server) against a reader on the same index in a folder.

Usage: python -m bench.measure.object_store INDEXED_VAULT [--queries 60] [--edits 12]

INDEXED_VAULT is a vault folder whose `.nvault` index is built. Its tables are uploaded as they
are to a bucket on a `moto_server` subprocess (127.0.0.1), so both readers search the same
index. Measured, in this process: hybrid query latency p50/p95 for each reader (after 5 warm-up
queries); the bytes each s3 query fetched, counted by a TCP relay subprocess between the reader
and moto (moto meters nothing; the relay counts every byte it forwards, both ways); and
writer -> reader lag: a writer subprocess (with the notes) appends a new word to a note and
syncs it (its sync time is reported too); the s3 reader, polling with its usual backoff
(0.5 s after a change, doubling to 8 s while idle), searches until the word is found.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3

from bench.harness import emit, log, machine, summary, summary_ms
from vault_core.config import VaultConfig
from vault_core.vault import Vault

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "us-east-1",
}
RELAY = r"""
import socket, sys, threading
listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
count = [0, 0]  # bytes to the server, bytes from the server
lock = threading.Lock()
def pump(src, dst, i):
    try:
        while data := src.recv(65536):
            with lock:
                count[i] += len(data)
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try: s.shutdown(socket.SHUT_RDWR)
            except OSError: pass
def serve():
    ear = socket.socket(); ear.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ear.bind(("127.0.0.1", listen_port)); ear.listen(64)
    while True:
        client, _ = ear.accept()
        server = socket.create_connection(("127.0.0.1", target_port))
        threading.Thread(target=pump, args=(client, server, 0), daemon=True).start()
        threading.Thread(target=pump, args=(server, client, 1), daemon=True).start()
threading.Thread(target=serve, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    with lock:
        print(count[0], count[1], flush=True)
"""
WRITER = r"""
import sys, time
from vault_core.config import VaultConfig
from vault_core.vault import Vault
vault = Vault.open(config=VaultConfig.load(sys.argv[1], index=sys.argv[2]))
assert vault.is_writer
print("ready", flush=True)
for line in sys.stdin:
    word, path = line.rstrip("\n").split("\t", 1)
    with open(vault.root / path, "a", encoding="utf-8") as fh:
        fh.write(f"\n\n{word}\n")
    started = time.perf_counter()
    vault.sync([path])
    print(time.time(), time.perf_counter() - started, flush=True)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def upload(index_dir: Path, endpoint: str, bucket: str, prefix: str) -> int:
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    client.create_bucket(Bucket=bucket)
    sent = 0
    for path in index_dir.rglob("*"):
        rel = path.relative_to(index_dir).as_posix()
        if path.is_file() and (rel == "index.json" or rel.startswith("lance/")):
            client.upload_file(str(path), bucket, f"{prefix}/{rel}")
            sent += path.stat().st_size
    return sent


def queries(vault: Vault, n: int, seed: int = 7) -> list[str]:
    """Note titles and two-word pieces of them: what people type."""
    titles = sorted({note.title for note in vault.notes() if len(note.title) > 3})
    rng = random.Random(seed)
    picked = rng.sample(titles, min(n, len(titles)))
    return [t if i % 2 else " ".join(t.split()[:2]) for i, t in enumerate(picked)]


def latencies(vault: Vault, qs: list[str]) -> list[float]:
    for q in qs[:5]:
        vault.search(q)
    took = []
    for q in qs:
        start = time.perf_counter()
        vault.search(q)
        took.append(time.perf_counter() - start)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument("--edits", type=int, default=12)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    work = Path(tempfile.mkdtemp(prefix="nvault-s3-bench-"))
    root = work / args.vault.name
    shutil.copytree(args.vault, root, ignore=shutil.ignore_patterns("study-cache", "*.lock"))
    moto_port, relay_port = free_port(), free_port()
    moto = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    relay = subprocess.Popen(
        [sys.executable, "-c", RELAY, str(relay_port), str(moto_port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    writer = None
    try:
        wait_port(moto_port)
        endpoint, via_relay = f"http://127.0.0.1:{moto_port}", f"http://127.0.0.1:{relay_port}"
        uri = "s3://bench/kb"
        uploaded = upload(root / ".nvault", endpoint, "bench", "kb")
        assert relay.stdin and relay.stdout and relay.stdout.readline().strip() == "ready"

        def relay_bytes() -> tuple[int, int]:
            assert relay.stdin and relay.stdout
            relay.stdin.write("?\n")
            relay.stdin.flush()
            up, down = relay.stdout.readline().split()
            return int(up), int(down)

        elsewhere = work / "elsewhere"
        elsewhere.mkdir()
        local = Vault.open(root, writer=False)
        qs = queries(local, args.queries)
        log(f"{len(qs)} queries; local reader")
        local_lat = latencies(local, qs)
        local.close()
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        started = time.perf_counter()
        remote = Vault.open(config=VaultConfig.load(elsewhere, index=uri), writer=False)
        remote_open_s = time.perf_counter() - started
        log("s3 reader")
        remote_lat = latencies(remote, qs)

        log("s3 reader through the counting relay")
        before_open = relay_bytes()
        counted = Vault.open(
            config=VaultConfig.load(elsewhere, index=uri, endpoint_url=via_relay), writer=False
        )
        counted.search(qs[0])
        after_open = relay_bytes()
        for q in qs[:5]:
            counted.search(q)
        per_query, before = [], relay_bytes()
        for q in qs:
            counted.search(q)
            now = relay_bytes()
            per_query.append(now[1] - before[1])
            before = now
        counted.close()

        log("writer -> reader lag")
        writer = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), uri],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdin and writer.stdout and writer.stdout.readline().strip() == "ready"
        notes = [n.path for n in remote.notes() if n.kind == "note" and n.size < 20_000]
        rng = random.Random(11)
        lag, writer_sync = [], []
        for i in range(args.edits):
            word, path = f"zqvlag{i}x{rng.randrange(10**6)}", rng.choice(notes)
            writer.stdin.write(f"{word}\t{path}\n")
            writer.stdin.flush()
            committed, took = (float(x) for x in writer.stdout.readline().split())
            writer_sync.append(took)
            while not any(h.path == path for h in remote.search(word, mode="keyword", limit=3)):
                time.sleep(0.02)
            lag.append(time.time() - committed)
            time.sleep(rng.uniform(0.5, 3.0))  # saves spaced like a team's edits
        status = remote.status()
        remote.close()
        emit(
            {
                "bench": "object_store",
                "vault": str(args.vault),
                "notes": status.notes,
                "chunks": status.chunks,
                "index_bytes_uploaded": uploaded,
                "queries": len(qs),
                "query_local_folder": summary_ms(local_lat),
                "query_s3_moto": summary_ms(remote_lat),
                "s3_reader_open_s": round(remote_open_s, 2),
                "bytes_open_and_first_query": after_open[1] - before_open[1],
                "bytes_per_query_from_store": summary(per_query, "bytes", 0),
                "writer_sync_one_note_s3": summary_ms(writer_sync),
                "writer_to_reader_lag": summary_ms(lag),
                "reader_poll_interval_at_end_s": status.lag.poll_interval_s if status.lag else None,
                "machine": machine(),
            }
        )
    finally:
        for proc in (writer, relay, moto):
            if proc is not None and proc.poll() is None:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
