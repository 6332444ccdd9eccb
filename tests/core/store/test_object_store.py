"""A team's index on S3-compatible object storage, against a real local S3 server (moto).

The server runs on 127.0.0.1 in this process (moto's ThreadedMotoServer); the writer, the
readers and the racing writers are real processes where the issue asks for them (the `nvault`
CLI, `vault-mcp --read-only` over stdio). Skipped, with the reason, only when moto is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from poll import wait_for
from vault_files import write_files

from vault_core.config import VaultConfig
from vault_core.errors import FileNotHere, IndexUnreachable, describe_failure
from vault_core.location import IndexLocation, ObjectFiles
from vault_core.store.lease import WriteLease
from vault_core.store.locks import LeaseLost
from vault_core.vault import Vault

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "mcp"))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "lsp"))
from mcp_helpers import SyncClient, server_params  # noqa: E402

CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
}
NOTES = {
    "animals/zebra.md": (
        "# Zebra Facts\n\nZebras live on the savanna of Africa.\n\n"
        "## Stripes\n\nEach zebra has a unique stripe pattern; the quagga was a subspecies.\n"
    ),
    "animals/lion.md": "# Lions\n\nLions hunt zebras on the savanna. See [[Zebra Facts]].\n",
    "food/coffee.md": "# Coffee\n\nEspresso forces hot water through ground coffee beans.\n",
    "food/tea.md": "# Tea\n\nGreen tea and black tea come from the same plant.\n",
}


class S3:
    """The local S3 server: its endpoint, a boto3 client, and a fresh bucket per test."""

    def __init__(self, endpoint: str) -> None:
        import boto3

        self.endpoint = endpoint
        self.client = boto3.client("s3", endpoint_url=endpoint, **_boto_credentials())

    def new_index(self) -> str:
        bucket = f"team-{uuid.uuid4().hex[:10]}"
        self.client.create_bucket(Bucket=bucket)
        return f"s3://{bucket}/kb"

    def keys(self, uri: str) -> list[str]:
        location = IndexLocation(uri=uri)
        reply = self.client.list_objects_v2(Bucket=location.bucket, Prefix=location.prefix)
        return [o["Key"] for o in reply.get("Contents", [])]


def _boto_credentials() -> dict[str, str]:
    return {
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": CREDENTIALS["AWS_REGION"],
    }


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per S3 request
    try:
        server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
    except Exception as exc:  # a sandbox without sockets, say
        pytest.skip(f"a local S3 server (moto) could not start: {exc}")
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    saved = {k: os.environ.get(k) for k in [*CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update({**CREDENTIALS, "AWS_ENDPOINT_URL": endpoint})
    try:
        yield S3(endpoint)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        server.stop()


def _vault_folder(path: Path, notes: dict[str, str], lease_ttl_s: float | None = None) -> Path:
    write_files(path, notes)
    if lease_ttl_s is not None:
        (path / ".nvault").mkdir(exist_ok=True)
        (path / ".nvault" / "config.toml").write_text(f"lease_ttl_s = {lease_ttl_s}\n")
    return path


def _nvault(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "vault_cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={k: v for k, v in os.environ.items() if k != "NVAULT_ROOT"},
    )


def _hit_paths(client: SyncClient, query: str) -> list[str]:
    result = client.ok("search", {"query": query, "mode": "keyword"})
    return [h["path"] for h in result["hits"]]


def test_readers_elsewhere_search_and_follow_the_writer(s3: S3, tmp_path: Path) -> None:
    """Index to s3://; two read-only MCP servers with no copy of the notes search it, read a
    note's indexed text, and see the writer's edit; a one-shot CLI search works too."""
    root = _vault_folder(tmp_path / "vault", NOTES)
    elsewhere = tmp_path / "elsewhere"  # another machine: no notes here
    elsewhere.mkdir()
    uri = s3.new_index()
    with Vault.open(config=VaultConfig.load(root, index=uri)) as writer:
        assert writer.is_writer and writer.remote
        writer.sync()
        assert not (root / ".nvault" / "lance").exists(), "the tables went to the bucket"
        assert any("/lance/chunks.lance/" in k for k in s3.keys(uri))

        once = _nvault("search", "quagga", "--root", str(elsewhere), "--index", uri, "--json")
        assert once.returncode == 0, once.stderr
        assert [h["path"] for h in json.loads(once.stdout)][:1] == ["animals/zebra.md"]
        doctor = _nvault("doctor", "--root", str(elsewhere), "--index", uri, "--json")
        assert doctor.returncode == 0, doctor.stderr  # the tables probed through LanceDB
        assert json.loads(doctor.stdout)["vault"]["role"] == "reader"

        params = server_params(elsewhere, "--index", uri, "--read-only", "--no-watch")
        with SyncClient(params) as one, SyncClient(params) as two:
            for reader in (one, two):
                assert wait_for(lambda r=reader: "animals/zebra.md" in _hit_paths(r, "quagga"))
            note = one.ok("read_note", {"path_or_title": "Zebra Facts"})
            assert note["from_index"] and "quagga" in note["content"]
            section = one.call_tool("read_note", {"path_or_title": "Zebra Facts", "section": "S"})
            assert section.is_error and "not on this machine" in section.content[0].text
            status = one.ok("status")
            assert status["role"] == "reader" and status["index"] == uri
            assert status["lag"]["writer"] and status["notes"] == len(NOTES)

            (root / "food" / "tea.md").write_text(
                "# Tea\n\nOolong tea is half oxidised; rooibos is not tea.\n", encoding="utf-8"
            )
            writer.sync(["food/tea.md"])
            for reader in (one, two):
                assert wait_for(lambda r=reader: _hit_paths(r, "rooibos") == ["food/tea.md"])
                assert "food/tea.md" not in _hit_paths(reader, "green")


WRITER = textwrap.dedent(
    """
    import sys
    from vault_core.config import VaultConfig
    from vault_core.vault import Vault
    vault = Vault.open(config=VaultConfig.load(sys.argv[1], index=sys.argv[2]))
    print("writer" if vault.is_writer else "reader: " + vault.reader_reason, flush=True)
    if vault.is_writer:
        vault.sync()
        print("done", flush=True)
    vault.close()
    """
)


def _disk(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*.md")
        if ".nvault" not in p.parts
    }


def _index_problems(vault: Vault) -> list[str]:
    """Where the index in the bucket disagrees with the files (empty: exact)."""
    notes = {n["path"]: n for n in vault.store.all_notes()}
    census = vault.store.chunk_census()
    problems = [f"{p}: not indexed" for p in _disk(vault.root).keys() - notes.keys()]
    for path, sha in _disk(vault.root).items():
        row = notes.get(path)
        if row is not None and row["sha256"] != sha:
            problems.append(f"{path}: stale sha")
        count, shas = census.get(path, (0, set()))
        if row is not None and (count != row["chunk_count"] or shas - {row["sha256"]}):
            problems.append(f"{path}: chunks disagree with the notes row")
    problems += [f"{p}: chunks of no note" for p in census.keys() - notes.keys()]
    return problems


def test_writer_killed_mid_sync_is_replaced_and_the_index_converges(s3: S3, tmp_path: Path) -> None:
    many = {f"topic{i:02d}/note{i:02d}.md": _long_note(i) for i in range(36)}
    root = _vault_folder(tmp_path / "vault", many, lease_ttl_s=2.0)
    uri = s3.new_index()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), uri],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None
    try:
        assert proc.stdout.readline().strip() == "writer"
        # Kill once the first rows are committed, well before the 36 notes are embedded.
        wait_for(lambda: any("chunks.lance/_versions" in k for k in s3.keys(uri)), timeout=120)
        wait_for(lambda: sum("chunks.lance/data/" in k for k in s3.keys(uri)) >= 1, timeout=120)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
    files = ObjectFiles(IndexLocation(uri=uri, endpoint_url=s3.endpoint))
    lease = WriteLease(files, ttl_s=2.0)
    assert not lease.acquire(), "the dead writer's lease is still live for its TTL"
    assert lease.holder is not None
    wait_for(lambda: lease.acquire(), timeout=30)  # it expired: taken over by If-Match
    lease.release()
    with Vault.open(config=VaultConfig.load(root, index=uri)) as writer:
        assert writer.is_writer
        writer.sync()
        assert _index_problems(writer) == []
        assert writer.store.count_embedded() == writer.store.count_chunks() > 0


def _long_note(i: int) -> str:
    body = " ".join(f"word{i}x{j} about topic {i} and its details" for j in range(60))
    return f"# Note {i}\n\n{body}\n\n## More\n\n{body[::-1]}\n"


def test_two_writers_race_and_exactly_one_wins(s3: S3, tmp_path: Path) -> None:
    """Two processes open the same s3:// index as writers at once: one takes the lease and
    indexes, the other stays a reader and says who holds it."""
    root = _vault_folder(tmp_path / "vault", NOTES)
    uri = s3.new_index()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(root), uri],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=240)[0] for p in procs]
    roles = sorted(out.splitlines()[0].split(":")[0] for out in outs)
    assert roles == ["reader", "writer"], outs
    loser = next(out for out in outs if out.startswith("reader"))
    assert "holds the write lease on " + uri in loser
    assert sum("done" in out for out in outs) == 1


def test_lease_race_has_one_winner_and_a_stale_writer_steps_down(s3: S3, tmp_path: Path) -> None:
    uri = s3.new_index()
    location = IndexLocation(uri=uri, endpoint_url=s3.endpoint)
    leases = [WriteLease(ObjectFiles(location), ttl_s=30) for _ in range(6)]
    start = threading.Barrier(len(leases))
    won: list[bool] = [False] * len(leases)

    def race(i: int) -> None:
        start.wait()
        won[i] = leases[i].acquire()

    threads = [threading.Thread(target=race, args=(i,)) for i in range(len(leases))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(won) == 1
    for lease in leases:
        lease.release()

    root = _vault_folder(tmp_path / "vault", NOTES, lease_ttl_s=1.0)
    with Vault.open(config=VaultConfig.load(root, index=uri)) as first:
        first.sync()
        assert first.is_writer
        first.roles.lock._stop.set()  # type: ignore[union-attr]  # a partition: it stops renewing
        wait_for(lambda: not first.roles.lock.held, timeout=10)
        taker = WriteLease(ObjectFiles(location), ttl_s=30)
        assert taker.acquire()
        (root / "food" / "tea.md").write_text("# Tea\n\nMatcha.\n", encoding="utf-8")
        with pytest.raises(LeaseLost, match="lost the write lease"):
            first.sync(["food/tea.md"])
        assert not first.is_writer
        assert first.search("espresso", mode="keyword")[0].path == "food/coffee.md"
        taker.release()


def test_no_bucket_or_no_credentials_is_one_clear_sentence(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _vault_folder(tmp_path / "vault", NOTES)
    missing = "s3://no-such-bucket-here/kb"
    with pytest.raises(IndexUnreachable, match="does not exist") as no_bucket:
        Vault.open(config=VaultConfig.load(root, index=missing))
    assert describe_failure(no_bucket.value).count(". ") == 0
    cli = _nvault("search", "zebra", "--root", str(root), "--index", missing)
    assert cli.returncode == 2
    assert cli.stderr.strip().startswith("error: The bucket 'no-such-bucket-here' does not exist")
    assert len(cli.stderr.strip().splitlines()) == 1

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there
    with pytest.raises(IndexUnreachable, match="Cannot connect to the object store at"):
        Vault.open(config=VaultConfig.load(root, index=missing, endpoint_url=closed))

    for key in CREDENTIALS:
        if key != "AWS_REGION":
            monkeypatch.delenv(key)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(IndexUnreachable, match="No AWS credentials for s3://") as no_creds:
        Vault.open(config=VaultConfig.load(root, index=s3.new_index()))
    assert "AWS_ACCESS_KEY_ID" in str(no_creds.value)


def _indexed_elsewhere(s3: S3, tmp_path: Path) -> tuple[Path, str]:
    """NOTES indexed to a new s3:// index; (a folder with no notes in it, the index URI)."""
    root = _vault_folder(tmp_path / "vault", NOTES)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    uri = s3.new_index()
    with Vault.open(config=VaultConfig.load(root, index=uri)) as writer:
        writer.sync()
    return elsewhere, uri


def test_features_that_need_the_file_say_so(s3: S3, tmp_path: Path) -> None:
    elsewhere, uri = _indexed_elsewhere(s3, tmp_path)
    with Vault.open(config=VaultConfig.load(elsewhere, index=uri), writer=False) as reader:
        meaning = reader.search("striped wild horses of africa", mode="semantic")
        assert meaning[0].path == "animals/zebra.md"  # vectors from the bucket, no files here
        related = reader.related("Lions")  # works from the indexed chunks
        assert all(r.path in reader.catalog and r.path != "animals/lion.md" for r in related)
        assert reader.read_note("Lions").from_index
        with pytest.raises(FileNotHere, match="needs the note's file"):
            reader.unlinked_mentions("Lions")
        status: Any = reader.status()
        assert status.lag is not None and status.lag.versions_behind == 0
        reader._promote_at = 0.0  # the writer is gone and its lease released: still a reader
        reader.refresh(force=True)
        assert not reader.is_writer


async def test_language_server_reads_a_shared_index_without_the_notes(
    s3: S3, tmp_path: Path
) -> None:
    from lsp_support import lsp_client, open_doc, position_of
    from lsprotocol import types
    from poll import await_for as async_wait_for

    elsewhere, uri = _indexed_elsewhere(s3, tmp_path)
    options = {"index": uri, "readOnly": True}
    async with lsp_client(elsewhere, options=options) as client:

        async def opened() -> Any:
            status = await client.protocol.send_request_async("nvault/status", {})
            return status if status and status.notes == len(NOTES) else None

        status = await async_wait_for(opened, timeout=120)
        assert status.role == "reader" and status.index == uri and status.lag is not None
        text = "# Scratch\n\nSee [[Zebra Facts]].\n"
        doc = open_doc(client, elsewhere, "Scratch.md", text)
        hover = await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=doc),
                position=position_of(text, "[[Zebra", 4),
            )
        )
        assert hover is not None and "animals/zebra.md" in str(hover.contents)
