"""Reading an import's inputs as streams: files, folders, zip and tar archives, gzip, under a size cap.

No input member (a file, a zip or tar member, a gzip stream) may decompress to more than the cap: a
compression bomb is refused after that many bytes. A member's name is only ever shown, never used to
decide where anything is written.
"""

from __future__ import annotations

import codecs
import gzip
import io
import os
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from orginsight.sources.lake_import.report import ImportReport

DEFAULT_MAX_MEMBER_BYTES = 1 << 30
"""Largest decompressed size of one input member (1 GiB): a real CloudTrail file is a few MB."""

_GZIP_MAGIC = b"\x1f\x8b"
_READ_BYTES = 1 << 16


class _MemberError(Exception):
    """An input member that cannot be read further (the records before the break count)."""


class _MemberTooLarge(_MemberError):
    def __init__(self, cap: int) -> None:
        super().__init__(_too_large(cap))


def _too_large(cap: int) -> str:
    return (
        f"larger than {cap:,} bytes when decompressed (the cap on one input member); "
        "if it is genuine, import it with a larger --max-member-bytes"
    )


class _CappedReader(io.RawIOBase):
    """A raw stream that counts what it hands out and refuses to go past ``cap`` bytes.

    Errors of the stream below (a zip member's CRC, a truncated tar) become ``_MemberError``.
    """

    def __init__(self, raw: BinaryIO, cap: int) -> None:
        self._raw = raw
        self._cap = cap
        self._count = 0
        self._head = b""

    def readable(self) -> bool:
        return True

    def peek(self, n: int) -> bytes:
        while len(self._head) < n:
            more = self._read_counted(n - len(self._head))
            if not more:
                break
            self._head += more
        return self._head

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            data, self._head = self._head[: len(buffer)], self._head[len(buffer) :]
        else:
            data = self._read_counted(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read_counted(self, n: int) -> bytes:
        try:
            data = self._raw.read(min(n, _READ_BYTES))
        except (
            OSError,
            EOFError,
            zlib.error,
            zipfile.BadZipFile,
            tarfile.TarError,
            RuntimeError,
            NotImplementedError,
        ) as e:
            raise _MemberError(f"cannot read: {e}") from e
        self._count += len(data)
        if self._count > self._cap:
            raise _MemberTooLarge(self._cap)
        return data


def _text_chunks(raw: BinaryIO, cap: int) -> Iterator[str]:
    """The member's text, decompressed (gzip) and decoded (UTF-8) in chunks, never more than ``cap`` bytes.

    A gzip stream is read incrementally, so a bomb costs at most ``cap`` bytes of work before it
    is refused; memory is one chunk, or a small multiple of ``cap`` when one JSON value (a string
    that never closes) must be held to be parsed.
    """
    outer = _CappedReader(raw, cap)
    stream: io.RawIOBase | gzip.GzipFile = outer
    compressed = outer.peek(2)[:2] == _GZIP_MAGIC
    if compressed:
        stream = gzip.GzipFile(fileobj=outer, mode="rb")
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    total = 0
    while True:
        try:
            # read1: at most one decompression step, so what it gave before a truncation is never lost
            data = stream.read1(_READ_BYTES) if compressed else stream.read(_READ_BYTES)
        except _MemberError:
            raise
        except (OSError, EOFError, zlib.error) as e:
            raise _MemberError(f"corrupt or truncated gzip ({e})") from e
        if not data:
            break
        total += len(data)
        if total > cap:
            raise _MemberTooLarge(cap)
        text = decoder.decode(data)
        if text:
            yield text
    tail = decoder.decode(b"", final=True)
    if tail:
        yield tail


def _iter_members(
    sources: Iterable[str | os.PathLike[str]], lake: Path, report: ImportReport, cap: int
) -> Iterator[tuple[str, BinaryIO]]:
    """(name, open stream) of every member of the sources, in a stable order; the lake itself is skipped.

    A member's name is only ever shown (escaped), never used to decide where anything is written.
    """
    lake_resolved = lake.resolve()
    for src in sources:
        path = Path(src)
        if path.is_dir():
            for p in _walk_files(path, lake_resolved, report):
                yield from _members_of(p, report, cap)
        elif path.is_file():
            yield from _members_of(path, report, cap)
        else:
            report.fail(str(path), "no such file or folder")


def _walk_files(folder: Path, skip: Path, report: ImportReport) -> Iterator[Path]:
    """Files below ``folder`` in name order, without hidden files and folders, symbolic links to folders,
    or the lake being written; a folder that cannot be listed is reported."""

    def unreadable(e: OSError) -> None:
        report.fail(str(e.filename or folder), f"cannot list folder: {e.strerror or e}")

    for here, dirs, files in os.walk(folder, onerror=unreadable):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and Path(here, d).resolve() != skip)
        for name in sorted(files):
            if not _ignored(name):
                yield Path(here, name)


_ZIP_BOUNDED_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
"""Zip compressions whose decompression zipfile bounds per read; it decompresses bzip2 and LZMA members
without a limit (200 MiB of spaces is 177 bytes of bzip2), so those are refused."""


def _members_of(path: Path, report: ImportReport, cap: int) -> Iterator[tuple[str, BinaryIO]]:
    """(name, open stream) of each member of one input file: the file itself, or an archive's members.

    A member whose header already says it is over the cap is refused unread. In a compressed tar
    archive, skipping a member means decompressing it, so the rest of that archive is refused too.
    """
    lower = path.name.lower()
    try:
        if lower.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.is_dir() or _ignored(info.filename):
                        continue
                    member = f"{path}!{info.filename}"
                    if info.compress_type not in _ZIP_BOUNDED_METHODS:
                        report.fail(
                            member,
                            f"compressed with zip method {info.compress_type} (bzip2, LZMA, ...), "
                            "whose size cannot be bounded while reading; re-pack the archive with deflate",
                        )
                        continue
                    if info.file_size > cap:
                        report.fail(member, _too_large(cap))
                        continue
                    try:
                        fh = zf.open(info)
                    except (OSError, zipfile.BadZipFile, RuntimeError, NotImplementedError, ValueError) as e:
                        report.fail(member, f"cannot open archive member: {e}")
                        continue
                    with fh:
                        yield member, fh
        elif lower.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(path) as tf:
                compressed = not isinstance(tf.fileobj, io.BufferedReader)
                for info in tf:
                    if not info.isfile() or _ignored(info.name):
                        continue
                    member = f"{path}!{info.name}"
                    if info.size > cap:
                        report.fail(member, _too_large(cap))
                        if compressed:
                            report.fail(
                                str(path),
                                "its members after the one over the cap were not read "
                                "(skipping it would mean decompressing it)",
                            )
                            return
                        continue
                    fh = tf.extractfile(info)
                    if fh is not None:
                        with fh:
                            yield member, fh
        else:
            with open(path, "rb") as fh:
                yield str(path), fh
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error) as e:
        report.fail(str(path), f"cannot open archive or file: {e}")


def _ignored(name: str) -> bool:
    """Files an export folder holds beside its logs: hidden files, digests, notes and licences (``*.md``,
    ``LICENSE``, ``NOTICE``, ``COPYING``) are never CloudTrail, so they are skipped, not reported."""
    base = os.path.basename(name)
    return (
        base.startswith(".")
        or base.lower().endswith(".md")
        or "CloudTrail-Digest" in name
        or base.split(".")[0].upper() in {"LICENSE", "NOTICE", "COPYING"}
    )
