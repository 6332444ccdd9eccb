"""Where the index lives: a local folder or an S3-compatible prefix (`s3://bucket/prefix`).

LanceDB opens both natively (`storage_options` carry the endpoint and credentials). The few
small files beside the tables (index.json, the scan issues, the write lease) go through
`IndexFiles`: a folder, or the same bucket through boto3, whose conditional puts
(`If-None-Match: *`, `If-Match: <etag>`) are what the write lease is built on (lease.py).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from vault_core.errors import IndexUnreachable
from vault_core.places import endpoint, is_remote_uri, state_dir


class IndexFiles(Protocol):
    """The small text files of an index, wherever it lives."""

    def read_text(self, name: str) -> str | None: ...
    def write_text(self, name: str, text: str) -> None: ...
    def has_tables(self) -> bool: ...


class IndexLocation(BaseModel):
    """A folder (absolute path) or `s3://bucket/prefix`, plus how to reach the object store."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uri: str
    endpoint_url: str | None = None
    region: str | None = None

    @property
    def remote(self) -> bool:
        return is_remote_uri(self.uri)

    @property
    def folder(self) -> Path:
        if self.remote:
            raise ValueError(f"{self.uri} is not a local folder")
        return Path(self.uri)

    @property
    def bucket(self) -> str:
        return self.uri.removeprefix("s3://").split("/", 1)[0]

    @property
    def prefix(self) -> str:
        parts = self.uri.removeprefix("s3://").split("/", 1)
        return parts[1].strip("/") if len(parts) > 1 else ""

    @property
    def lance_uri(self) -> str:
        return f"{self.uri.rstrip('/')}/lance" if self.remote else str(self.folder / "lance")

    @property
    def endpoint(self) -> str | None:
        return endpoint(self.endpoint_url)

    def resolved_region(self) -> str:
        return (
            self.region
            or os.environ.get("AWS_REGION")
            or os.environ.get("AWS_DEFAULT_REGION")
            or "us-east-1"
        )

    def credentials(self) -> tuple[str, str, str | None]:
        """(key id, secret, session token) the way AWS tools find them: env, profile, role."""
        import boto3  # the `s3` extra: only an object-store index needs it

        creds = boto3.Session(region_name=self.resolved_region()).get_credentials()
        if creds is None:
            raise IndexUnreachable(
                f"No AWS credentials for {self.uri}: set AWS_ACCESS_KEY_ID and "
                "AWS_SECRET_ACCESS_KEY (or AWS_PROFILE) before opening this index."
            )
        frozen = creds.get_frozen_credentials()
        return frozen.access_key, frozen.secret_key, frozen.token

    def storage_options(self) -> dict[str, str]:
        """LanceDB's object-store options (keys checked against lancedb 0.40's S3 builder)."""
        if not self.remote:
            return {}
        key, secret, token = self.credentials()
        options = {
            "aws_access_key_id": key,
            "aws_secret_access_key": secret,
            "aws_region": self.resolved_region(),
        }
        if token:
            options["aws_session_token"] = token
        if self.endpoint:
            options["aws_endpoint"] = self.endpoint
            options["allow_http"] = str(self.endpoint.startswith("http://")).lower()
        return options

    def state_dir(self, root: Path) -> Path:
        """A local folder for what never leaves this machine (the query socket, study cache):
        the index folder itself, or a per-user cache folder keyed by the remote URI."""
        return state_dir(self.uri, self.endpoint_url, root)

    def files(self) -> IndexFiles:
        return ObjectFiles(self) if self.remote else LocalFiles(self.folder)

    def describe(self) -> str:
        return (
            f"{self.uri} (endpoint {self.endpoint})" if self.remote and self.endpoint else self.uri
        )


class LocalFiles:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def read_text(self, name: str) -> str | None:
        try:
            return (self.folder / name).read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return None

    def write_text(self, name: str, text: str) -> None:
        atomic_write_text(self.folder / name, text)

    def has_tables(self) -> bool:
        lance = self.folder / "lance"
        return lance.is_dir() and any(True for _ in lance.glob("*.lance"))


class ObjectFiles:
    """The index's small files in its bucket; every failure is one IndexUnreachable sentence."""

    def __init__(self, location: IndexLocation) -> None:
        import boto3
        from botocore.config import Config

        self.location = location
        key, secret, token = location.credentials()
        self.client: Any = boto3.client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=location.resolved_region(),
            aws_access_key_id=key,
            aws_secret_access_key=secret,
            aws_session_token=token,
            config=Config(connect_timeout=5, read_timeout=30, retries={"max_attempts": 3}),
        )

    def key(self, name: str) -> str:
        prefix = self.location.prefix
        return f"{prefix}/{name}" if prefix else name

    def check(self) -> None:
        """The bucket exists and answers: one clear sentence when it does not."""
        self._call("head_bucket", Bucket=self.location.bucket)

    def read_versioned(self, name: str) -> tuple[str, str] | None:
        """(text, etag), or None when there is no such object."""
        try:
            reply = self._call("get_object", Bucket=self.location.bucket, Key=self.key(name))
        except _Missing:
            return None
        return reply["Body"].read().decode("utf-8", errors="replace"), reply["ETag"]

    def read_text(self, name: str) -> str | None:
        found = self.read_versioned(name)
        return found[0] if found else None

    def write_text(self, name: str, text: str) -> None:
        self._call("put_object", Bucket=self.location.bucket, Key=self.key(name), Body=text)

    def put_if(self, name: str, text: str, *, etag: str | None = None) -> str | None:
        """Conditional put: create only if absent (`etag` None) or replace only that version;
        the new etag, or None when another process got there first."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            reply = self._call(
                "put_object",
                Bucket=self.location.bucket,
                Key=self.key(name),
                Body=text,
                **condition,
            )
        except _Conflict:
            return None
        return str(reply["ETag"])

    def delete(self, name: str) -> None:
        self._call("delete_object", Bucket=self.location.bucket, Key=self.key(name))

    def has_tables(self) -> bool:
        reply = self._call(
            "list_objects_v2", Bucket=self.location.bucket, Prefix=self.key("lance/"), MaxKeys=1
        )
        return bool(reply.get("KeyCount"))

    def _call(self, operation: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

        try:
            return getattr(self.client, operation)(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("PreconditionFailed", "ConditionalRequestConflict") or status == 412:
                raise _Conflict from exc
            if code == "NoSuchKey" or (status == 404 and operation == "get_object"):
                raise _Missing from exc
            raise IndexUnreachable(self._sentence(code, status)) from exc
        except EndpointConnectionError as exc:
            raise IndexUnreachable(
                f"Cannot connect to the object store at {self.location.endpoint or 'AWS S3'} "
                f"for {self.location.uri}: check the endpoint URL and that the store is running."
            ) from exc
        except BotoCoreError as exc:
            raise IndexUnreachable(
                f"The object store for {self.location.uri} failed: {exc}."
            ) from exc

    def _sentence(self, code: str, status: int | None) -> str:
        where = self.location.describe()
        if code in ("NoSuchBucket", "404") or status == 404:
            return (
                f"The bucket {self.location.bucket!r} does not exist ({where}): create it, "
                "or fix the --index URI."
            )
        if status in (401, 403):
            return (
                f"The object store refused access to {where} ({code}): check "
                "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the bucket's permissions."
            )
        return f"The object store for {where} answered {status} {code}."


class _Conflict(Exception):
    """A conditional put lost: another process changed the object first."""


class _Missing(Exception):
    """No such object (a new index, or a lease never taken)."""


def atomic_write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
