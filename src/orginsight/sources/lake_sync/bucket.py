"""The sync's S3 calls, all read-only: ListObjectsV2 (objects and subfolders of a prefix) and GetObject.

A copy is streamed to a temporary file in its final folder (``.<name>.<pid>.<random>.part``: no reader of
the lake takes it for a data file), its size checked against the listing, fsynced, and renamed over its
final name; an interrupted copy leaves no file under that name. ``IfMatch`` on the listed ETag makes
GetObject refuse an object replaced between the listing and the read (412) rather than copy a mix.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from orginsight.sources.lake_sync.manifest import Copied

CHUNK = 1 << 20
RETRIES = {"mode": "adaptive", "max_attempts": 10}
"""botocore's adaptive retries: SlowDown and 503s back off and are retried before a copy counts as failed."""


class SizeMismatch(Exception):
    """The bytes read are not the size the listing gave."""


def s3_client(profile: str | None, workers: int) -> Any:
    """An S3 client whose connection pool fits ``workers`` threads (boto3 clients are thread-safe)."""
    import boto3  # reason: boto3 loads only when a sync runs (the command line starts fast)
    from botocore.config import Config  # reason: as above

    config = Config(retries=RETRIES, max_pool_connections=max(10, workers))
    return boto3.Session(profile_name=profile).client("s3", config=config)


def list_objects(client: Any, bucket: str, prefix: str) -> list[Copied]:
    """Every object under ``prefix``, as listed (size, ETag, LastModified)."""
    out = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for o in page.get("Contents", []):
            out.append(Copied(o["Key"], int(o["Size"]), o["ETag"], o["LastModified"].isoformat()))
    return out


def list_folders(client: Any, bucket: str, prefix: str) -> list[str]:
    """The names of the subfolders of ``prefix`` (ListObjectsV2 with a delimiter: no object is listed)."""
    names = []
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix, Delimiter="/")
    for page in pages:
        for p in page.get("CommonPrefixes", []):
            names.append(p["Prefix"][len(prefix) :].rstrip("/"))
    return names


def download(client: Any, bucket: str, listed: Copied, path: Path) -> dict[str, str]:
    """Copy one object to ``path`` (see the module docstring); returns its S3 user metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    response = client.get_object(Bucket=bucket, Key=listed.key, IfMatch=listed.etag)
    write_atomically(path, _chunks(response["Body"]), listed.size)
    return dict(response.get("Metadata") or {})


def write_atomically(path: Path, chunks: Any, size: int | None = None) -> None:
    """Write ``chunks`` (bytes) to ``path`` through a temporary file beside it; ``size`` is checked first."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(6)}.part")
    try:
        written = 0
        with open(tmp, "xb") as f:
            for chunk in chunks:
                f.write(chunk)
                written += len(chunk)
            if size is not None and written != size:
                raise SizeMismatch(f"read {written:,} bytes, the listing said {size:,}")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _chunks(body: Any) -> Any:
    while chunk := body.read(CHUNK):
        yield chunk


def describe(error: BaseException) -> str:
    """A failure as one line: the S3 error code and message where there is one."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:
        e = response["Error"]
        return f"{e.get('Code', type(error).__name__)}: {e.get('Message', '')}".rstrip(": ")
    return f"{type(error).__name__}: {error}"
