"""A reader on an s3:// index at 100k notes, next to the same index in a folder; and what an
ANN index changes for a reader on object storage.

Usage: python -m bench.measure.object_store_scale INDEXED_VAULT [--queries 40] [--work DIR]
       [--flat-queries 3] [--part all|readers|ann|flat]

INDEXED_VAULT (built by bench/measure/scale.py) is only read. Its `.nvault` tables are uploaded
as they are to a bucket on a `moto_server` subprocess (127.0.0.1). Each phase runs in its own
process, one at a time (a 100k-note reader holds GBs), and prints one JSON line:

- `local`: `Vault.open(root, writer=False)` on the folder: open, first keyword answer, vector
  matrix ready, then hybrid and keyword query p50/p95 (note titles and their first two words,
  after 5 warm-ups). It also embeds the queries for the `raw` phase.
- `s3`: the same reader on `s3://bench/kb` through a counting TCP relay (bench.measure.object_store
  RELAY: every byte moto sends): the same steps, each with the bytes it fetched; `s3-direct`: the
  same without the relay, for latency (the Python relay adds a hop to each request).
- `raw`: LanceDB alone on the `chunks` table, the queries nvault's Searcher sends (depth 50, hit
  columns): flat vector scan (what a reader runs until its matrix is built), an IVF-SQ index
  (`IvfSq`, cosine, sqrt(chunks) partitions, refine 10: the writer's settings) with recall@10
  against the exact top 10 (a flat scan of the folder copy) for nprobes 16, 32, ... up to the
  first that reaches 0.98 (the writer's calibration), that nprobes unrefined too, and the
  full-text query; on s3 (through the relay for bytes, then directly for latency) the flat scan,
  IVF-SQ at that nprobes (refine 0 and 10), and FTS. `--part flat` runs it without an index.

The IVF-SQ index is built once on a copy of the index in WORK (data files hard-linked: Lance
never rewrites a data file, it only adds files) and its new files are laid over the uploaded
tables after the `s3` phase, so that phase sees the index as this branch builds it (no ANN).
Training it at 100k takes long on a shared 2-core box; `--part readers` first, then `--part ann`
(which reuses the queries the readers run left in WORK), splits the run.

moto answers a ranged GET by reading the whole object and slicing it; this index has a 692 MB
data file, so every ranged GET would cost moto a 692 MB read that real S3 does not do. The moto
subprocess here is patched (MOTO below) to read only the requested range of a stored object;
what crosses the wire, and so every byte counted, is unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3
import numpy as np

from bench.harness import emit, log, summary, summary_ms, timer
from bench.measure.object_store import CREDENTIALS, RELAY, free_port, queries, upload, wait_port

BUCKET, PREFIX = "bench", "kb"
URI = f"s3://{BUCKET}/{PREFIX}"
DEPTH = 50  # what Searcher asks each retriever for at limit 10
# as the writer's ANN calibration does (vault_core/store/vector_index.py on main)
NPROBE_STEPS = (16, 32, 64, 128, 256)
REFINE = 10
RECALL_GOAL = 0.98
MOTO = r"""
import re, sys, threading
from moto.s3 import models, responses
SIMPLE = re.compile(r"bytes=(\d+)-(\d+)?$")
lazy = threading.local()
class Ranged:
    '''A stored object's value that reads only the slice asked for.'''
    def __init__(self, key):
        self.key = key
    def __len__(self):
        return self.key.size
    def __getitem__(self, part):
        with self.key.lock:
            self.key._value_buffer.seek(part.start)
            return self.key._value_buffer.read(part.stop - part.start)
plain_value = models.FakeKey.value
def value(self):
    return Ranged(self) if getattr(lazy, "on", False) else plain_value.fget(self)
models.FakeKey.value = property(value, plain_value.fset)
plain_get = responses.S3Response.get_object
def get_object(self):
    lazy.on = bool(SIMPLE.match(self.headers.get("range") or ""))
    try:
        return plain_get(self)
    finally:
        lazy.on = False
responses.S3Response.get_object = get_object
from moto.server import main
main(sys.argv[1:])
"""


class Relay:
    """A counting TCP relay in front of moto, owned by this phase's process."""

    def __init__(self, target_port: int) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-c", RELAY, str(self.port), str(target_port)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout and self.proc.stdout.readline().strip() == "ready"
        self.url = f"http://127.0.0.1:{self.port}"

    def received(self) -> int:
        """Bytes moto has sent through the relay so far."""
        assert self.proc.stdin and self.proc.stdout
        self.proc.stdin.write("?\n")
        self.proc.stdin.flush()
        return int(self.proc.stdout.readline().split()[1])

    def close(self) -> None:
        self.proc.kill()


def storage_options(endpoint: str) -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "aws_region": CREDENTIALS["AWS_REGION"],
        "aws_endpoint": endpoint,
        "allow_http": "true",
    }


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def timed(fn: Any, relay: Relay | None = None) -> tuple[float, int, Any]:
    """(seconds, bytes fetched through the relay, result) of one call."""
    before = relay.received() if relay else 0
    start = time.perf_counter()
    result = fn()
    took = time.perf_counter() - start
    return took, (relay.received() - before if relay else 0), result


def per_query(fn: Any, qs: list[Any], relay: Relay | None = None, warm: int = 5) -> dict[str, Any]:
    """Latency (and bytes) of fn(q) for each q after `warm` warm-up calls."""
    for q in qs[:warm]:
        fn(q)
    took, fetched = [], []
    for q in qs:
        seconds, got, _ = timed(lambda q=q: fn(q), relay)
        took.append(seconds)
        fetched.append(got)
    out: dict[str, Any] = {"latency": summary_ms(took)}
    if relay:
        out["bytes"] = summary(fetched, "bytes", 0)
    return out


def reader_phase(vault_open: Any, qs: list[str] | None, n: int, relay: Relay | None) -> dict:
    """The steps a reader goes through, timed (and metered when a relay is given)."""
    from vault_core.vault import Vault

    took, got, vault = timed(vault_open, relay)
    assert isinstance(vault, Vault)
    out: dict[str, Any] = {"open_s": round(took, 2), "open_bytes": got}
    own = qs is None  # the local phase picks the queries and embeds them for the others
    qs = qs or queries(vault, n)
    vault.embedder.load()
    took, got, _ = timed(lambda: vault.search(qs[0], mode="keyword"), relay)
    out["first_keyword_answer"] = {"s": round(took, 2), "bytes": got}
    took, got, _ = timed(vault.vector_snapshot, relay)
    out["vector_matrix_ready"] = {"s": round(took, 2), "bytes": got}
    out["hybrid"] = per_query(lambda q: vault.search(q), qs, relay)
    out["keyword"] = per_query(lambda q: vault.search(q, mode="keyword"), qs, relay)
    status = vault.status()
    out.update(notes=status.notes, chunks=status.chunks, peak_rss_mb=peak_mb())
    out["_queries"] = qs
    out["_vectors"] = [vault.embedder.embed_query(q).tolist() for q in qs] if own else []
    vault.close()
    return out


def phase_local(args: argparse.Namespace) -> dict[str, Any]:
    from vault_core.vault import Vault

    return reader_phase(lambda: Vault.open(args.vault, writer=False), None, args.queries, None)


def phase_s3(args: argparse.Namespace) -> dict[str, Any]:
    from vault_core.config import VaultConfig
    from vault_core.vault import Vault

    qs = json.loads((args.work / "queries.json").read_text())
    relay = Relay(args.moto_port) if args.phase == "s3" else None
    endpoint = relay.url if relay else f"http://127.0.0.1:{args.moto_port}"
    elsewhere = args.work / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    try:
        config = VaultConfig.load(elsewhere, index=URI, endpoint_url=endpoint)
        return reader_phase(lambda: Vault.open(config=config, writer=False), qs, 0, relay)
    finally:
        if relay:
            relay.close()


def phase_raw(args: argparse.Namespace) -> dict[str, Any]:
    from vault_core.index.terms import tokenize
    from vault_core.store.lance import load_lancedb
    from vault_core.store.queries import keyword_search
    from vault_core.store.schema import HIT_COLUMNS

    lancedb = load_lancedb()
    qs = json.loads((args.work / "queries.json").read_text())
    vectors = list(np.load(args.work / "queries.npy"))

    def vector_query(table: Any, nprobes: int, refine: int, cols: list[str] | None = None) -> Any:
        """nprobes 0 is the flat scan (no index)."""

        def run(v: np.ndarray) -> list[dict[str, Any]]:
            q = table.search(v, vector_column_name="vector").distance_type("cosine")
            q = q.nprobes(nprobes) if nprobes else q.bypass_vector_index()
            if refine:
                q = q.refine_factor(refine)
            return q.select(cols or [*HIT_COLUMNS, "_distance"]).limit(DEPTH).to_list()

        return run

    indexed = (args.ann_dir.parent / "ann-built.json").exists() and args.part != "flat"
    local_dir = args.ann_dir if indexed else args.vault / ".nvault"
    local = lancedb.connect(str(local_dir / "lance")).open_table("chunks")
    # the exact 10th distance per query; an ANN hit counts if its true distance is within it
    # (ids alone would punish ties: this vault repeats boilerplate chunks)
    flat = vector_query(local, 0, 0)
    tenth = [flat(v)[9]["_distance"] + 1e-5 for v in vectors] if indexed else []
    out: dict[str, Any] = {"local_flat": per_query(flat, vectors)} if args.flat_queries else {}

    def recall(nprobes: int, refine: int) -> float:
        run, found = vector_query(local, nprobes, refine, ["id", "vector", "_distance"]), []
        for v, limit in zip(vectors, tenth, strict=True):
            got = np.asarray([r["vector"] for r in run(v)[:10]], np.float32)
            cos = got @ v / (np.linalg.norm(got, axis=1) * np.linalg.norm(v))
            found.append(float(np.sum(1.0 - cos <= limit)) / 10)
        return round(float(np.mean(found)), 4)

    local_ann: dict[str, Any] = {}
    steps = NPROBE_STEPS if indexed else ()
    for n in steps:  # as the writer calibrates: the fewest probes that reach the goal
        key = f"nprobes{n}_refine{REFINE}"
        local_ann[key] = {"recall_at_10": recall(n, REFINE)}
        local_ann[key] |= per_query(vector_query(local, n, REFINE), vectors)
        if local_ann[key]["recall_at_10"] >= RECALL_GOAL:
            break
    on_s3: list[tuple[int, int]] = []
    if indexed:
        local_ann[f"nprobes{n}_refine0"] = {"recall_at_10": recall(n, 0)}
        local_ann[f"nprobes{n}_refine0"] |= per_query(vector_query(local, n, 0), vectors)
        out["local_ivf_sq"] = local_ann
        on_s3 = [(n, 0), (n, REFINE)]
    relay = Relay(args.moto_port)
    try:
        for via, endpoint in (
            ("relay", relay.url),
            ("direct", f"http://127.0.0.1:{args.moto_port}"),
        ):
            meter = relay if via == "relay" else None
            db = lancedb.connect(f"{URI}/lance", storage_options=storage_options(endpoint))
            took, got, table = timed(lambda db=db: db.open_table("chunks"), meter)
            out[f"s3_{via}"] = s3 = {"open_table": {"s": round(took, 2), "bytes": got}}
            if args.flat_queries:  # each one reads the whole vector column
                flat_s3 = vector_query(table, 0, 0)
                s3["flat"] = per_query(flat_s3, vectors[: args.flat_queries], meter, 0)
            if on_s3:
                first = timed(lambda t=table: vector_query(t, *on_s3[1])(vectors[0]), meter)
                s3["ivf_sq_first_query"] = {"s": round(first[0], 2), "bytes": first[1]}
            for n, r in on_s3:
                s3[f"ivf_sq_nprobes{n}_refine{r}"] = per_query(
                    vector_query(table, n, r), vectors, meter
                )

            def fts(q: str, table: Any = table) -> Any:
                terms = tokenize(q)
                return keyword_search(table, terms, HIT_COLUMNS, DEPTH, None) if terms else []

            s3["fts"] = per_query(fts, qs, meter)
    finally:
        relay.close()
    out["peak_rss_mb"] = peak_mb()
    return out


PHASES = {"local": phase_local, "s3": phase_s3, "s3-direct": phase_s3, "raw": phase_raw}


def run_phase(name: str, args: argparse.Namespace, moto_port: int = 0) -> dict[str, Any]:
    log(f"phase {name}")
    argv = [sys.executable, "-m", "bench.measure.object_store_scale", str(args.vault)]
    argv += ["--phase", name, "--work", str(args.work), "--queries", str(args.queries)]
    argv += ["--moto-port", str(moto_port), "--flat-queries", str(args.flat_queries)]
    argv += ["--part", args.part]
    done = subprocess.run(argv, stdout=subprocess.PIPE, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def ann_copy(vault: Path, work: Path) -> tuple[Path, dict[str, Any]]:
    """A copy of the index with an IVF-SQ index on chunks.vector (built once, then reused)."""
    from vault_core.store.lance import load_lancedb

    lancedb = load_lancedb()
    dst = work / "ann" / ".nvault"
    marker = dst.parent / "ann-built.json"
    if marker.exists():
        return dst, json.loads(marker.read_text())
    src = vault / ".nvault"
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst, ignore=shutil.ignore_patterns("data", "*.lock"))
    for table in (src / "lance").iterdir():
        if (table / "data").is_dir():  # Lance never rewrites a data file: link, don't copy
            shutil.copytree(
                table / "data", dst / "lance" / table.name / "data", copy_function=os.link
            )
    from lancedb.index import IvfSq

    table = lancedb.connect(str(dst / "lance")).open_table("chunks")
    partitions = round(table.count_rows() ** 0.5)  # LanceDB's default; 554 at 308k chunks
    with timer() as t:
        table.create_index(
            "vector", config=IvfSq(distance_type="cosine", num_partitions=partitions)
        )
    info = {"build_s": round(t[0], 1), "build_cpu_s": round(t[1], 1), "partitions": partitions}
    info["index_bytes"] = sum(
        f.stat().st_size
        for f in (dst / "lance" / "chunks.lance" / "_indices").rglob("*")
        if f.is_file() and not (src / f.relative_to(dst)).exists()
    )
    marker.write_text(json.dumps(info))
    return dst, info


def overlay(ann_dir: Path, vault: Path, endpoint: str) -> int:
    """Upload the files the ANN build added (and the version hint it moved) over the tables."""
    client = boto3.client("s3", endpoint_url=endpoint, region_name=CREDENTIALS["AWS_REGION"])
    sent = 0
    for path in (ann_dir / "lance").rglob("*"):
        rel = path.relative_to(ann_dir)
        if path.is_file() and (not (vault / ".nvault" / rel).exists() or "hint" in path.name):
            client.upload_file(str(path), BUCKET, f"{PREFIX}/{rel.as_posix()}")
            sent += path.stat().st_size
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("vault", type=Path)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--flat-queries", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/nvault-s3scale"))
    parser.add_argument(
        "--part",
        choices=("all", "readers", "ann", "flat"),
        default="all",
        help="readers: local, s3, s3-direct; ann: the IVF-SQ index and the raw phase; flat: "
        "the raw phase without an index (both take the queries of an earlier readers run)",
    )
    parser.add_argument("--phase", choices=sorted(PHASES))
    parser.add_argument("--moto-port", type=int, default=0)
    args = parser.parse_args()
    os.environ.update(CREDENTIALS)
    args.work.mkdir(parents=True, exist_ok=True)
    args.ann_dir = args.work / "ann" / ".nvault"
    if args.phase:
        print(json.dumps(PHASES[args.phase](args), default=str))
        return
    result: dict[str, Any] = {"bench": "object_store_scale", "vault": str(args.vault)}
    readers, ann = args.part in ("all", "readers"), args.part in ("all", "ann")
    raw = ann or args.part == "flat"
    if ann:
        log("IVF-SQ index on a copy (once)")
        _, result["ivf_sq_build"] = ann_copy(args.vault, args.work)
    if readers:
        local = run_phase("local", args)
        (args.work / "queries.json").write_text(json.dumps(local.pop("_queries")))
        np.save(args.work / "queries.npy", np.asarray(local.pop("_vectors"), np.float32))
        result["local_folder"] = local
    elif not (args.work / "queries.npy").exists():
        sys.exit(f"no queries in {args.work}: run --part readers (or all) first")
    moto_port = free_port()
    moto = subprocess.Popen(
        [sys.executable, "-c", MOTO, "-H", "127.0.0.1", "-p", str(moto_port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_port(moto_port)
        endpoint = f"http://127.0.0.1:{moto_port}"
        with timer() as t:
            result["index_bytes_uploaded"] = upload(
                args.vault / ".nvault", endpoint, BUCKET, PREFIX
            )
        result["upload_s"] = round(t[0], 1)
        for phase, key in (("s3", "s3_reader_metered"), ("s3-direct", "s3_reader_direct")):
            if readers:
                found = run_phase(phase, args, moto_port)
                found.pop("_queries"), found.pop("_vectors")
                result[key] = found
        if ann:
            result["ivf_sq_bytes_uploaded"] = overlay(args.ann_dir, args.vault, endpoint)
        if raw:
            result["lancedb_alone"] = run_phase("raw", args, moto_port)
    finally:
        moto.kill()
    result["queries"] = args.queries
    emit(result)


if __name__ == "__main__":
    main()
