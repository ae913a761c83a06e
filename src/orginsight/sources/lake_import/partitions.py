"""The lake's side of an import: one partition (account, region, day folder), its lock, durable writes,
and the repair of a damaged file met there.

Each partition is locked while its existing ids are read and its new file written
(``.orginsight/locks/``); files are written under a unique temporary name, fsynced and renamed into
place; a damaged file's original is moved to ``.orginsight/damaged/``.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orginsight.sources.lake_import.inputs import _READ_BYTES, _MemberError, _MemberTooLarge, _text_chunks
from orginsight.sources.lake_import.records import _iter_candidates, _record_key, _Text

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: imports into one lake must not overlap there
    fcntl = None  # type: ignore[assignment]

_LOG_SUFFIXES = (".json.gz", ".json")


@dataclass
class _Partition:
    """One day folder of the lake (account, region, day) that this import writes into."""

    folder: Path
    rel: str
    account: str
    region: str
    unusable: str | None = None
    in_lake: set[str] = field(default_factory=set)
    counted: set[str] = field(
        default_factory=set
    )  # keys this import counted as placed or already in the lake
    files_read: set[str] = field(default_factory=set)
    pending: dict[datetime, list[tuple[tuple[str, str], str, bytes]]] = field(default_factory=dict)
    pending_keys: set[str] = field(default_factory=set)
    insight: bool = False
    """A ``CloudTrail-Insight/`` folder: its files are named as CloudTrail names Insights files."""


class _PartitionUnavailable(Exception):
    """A partition whose existing records cannot be checked, so nothing is added to it."""


@contextmanager
def _partition_lock(root: Path, rel: str) -> Iterator[None]:
    """Hold an exclusive lock on one partition: another import waits until this one has written its file."""
    locks = root / ".orginsight" / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(rel.encode()).hexdigest()[:32] + ".lock"
    fd = os.open(locks / name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_temporary(folder: Path, name: str, body: bytes, compress: bool = True) -> Path:
    """Write ``body`` (gzip-compressed unless told otherwise) to a new temporary file beside ``name``, fsynced.

    The name is unique to this process and call, and starts with a dot and ends in ``.part``, so no
    reader of the lake takes it for a log file.
    """
    tmp = folder / f".{name}.{os.getpid()}.{secrets.token_hex(6)}.part"
    try:
        with open(tmp, "xb") as fh:
            if compress:
                # mtime=0 and no file name in the header keep the bytes a function of the records;
                # level 6 (zlib's default) compresses JSON about as well as 9, in half the time.
                with gzip.GzipFile(filename="", fileobj=fh, mode="wb", compresslevel=6, mtime=0) as gz:
                    gz.write(body)
            else:
                fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform can open a folder)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        with open(src, "rb") as fin, open(dst, "xb") as fout:
            while chunk := fin.read(_READ_BYTES):
                fout.write(chunk)
            fout.flush()
            os.fsync(fout.fileno())


def _lake_file_keys(path: Path, cap: int) -> tuple[set[str], str | None]:
    """The record keys of one lake file, and why it is damaged (None when it reads whole).

    Raises ``_PartitionUnavailable`` for a file over the cap: it is not damaged, but its
    records cannot be checked, so nothing may be added beside it.
    """
    keys: set[str] = set()
    try:
        with open(path, "rb") as fh:
            for item in _iter_candidates(_Text(_text_chunks(fh, cap))):
                if isinstance(item, dict):
                    keys.add(_record_key(item))
    except _MemberTooLarge as e:
        raise _PartitionUnavailable(f"lake file {path.name} is {e}") from e
    except _MemberError as e:
        return keys, str(e)
    except OSError as e:
        raise _PartitionUnavailable(f"cannot read lake file {path.name}: {e}") from e
    if path.stat().st_size == 0:
        return keys, "empty file"
    return keys, None


def _readable_records(path: Path, cap: int) -> list[dict]:
    """The records of a damaged lake file that read whole before the damage."""
    records: list[dict] = []
    try:
        with open(path, "rb") as fh:
            for item in _iter_candidates(_Text(_text_chunks(fh, cap))):
                if isinstance(item, dict):
                    records.append(item)
    except (_MemberError, OSError):
        pass
    return records


def _suffix(digest: str) -> str:
    """A 16-character name suffix in CloudTrail's alphabet, from the content digest."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int(digest, 16)
    out = []
    for _ in range(16):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)
