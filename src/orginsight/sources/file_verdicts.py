"""Checking a lake's loose log files (flow logs, resolver logs, Insights events) before a query reads them.

A damaged or hostile file found by DuckDB mid-query fails the whole query; checked first, it is reported
and left out, and every good file is still read. A check reads the file, so its verdict is kept while the
file's size and mtime stay: a lake is read whole once, then only what was added or changed. Files are
opened without following a link: a link in a lake handed over by someone else could point anywhere.
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable, Iterable
from typing import BinaryIO, Generic, Protocol, TypeVar


class CheckedFile(Protocol):
    """What a verdict is kept by: where the file is, and what says it changed."""

    @property
    def path(self) -> str: ...

    @property
    def size(self) -> int: ...

    @property
    def mtime_ns(self) -> int | None: ...


F = TypeVar("F", bound=CheckedFile)
V = TypeVar("V")


class VerdictCache(Generic[F, V]):
    """Each file's verdict from ``check``, kept while its size and mtime stay (a file is read once to check it)."""

    def __init__(self, check: Callable[[F], V]) -> None:
        self.check = check
        self.verdicts: dict[str, tuple[int, int | None, V]] = {}

    def verdict(self, f: F) -> V:
        """``check(f)``, run only when ``f`` is new or changed since it was last checked."""
        known = self.verdicts.get(f.path)
        if known is not None and known[:2] == (f.size, f.mtime_ns):
            return known[2]
        v = self.check(f)
        self.verdicts[f.path] = (f.size, f.mtime_ns, v)
        return v


def split_checked(
    files: Iterable[F], error: Callable[[F], str | None]
) -> tuple[list[F], list[dict[str, str]]]:
    """The files whose ``error`` is None, and the others as ``{"file", "error"}`` rows for the report."""
    good, bad = [], []
    for f in files:
        why = error(f)
        if why is None:
            good.append(f)
        else:
            bad.append({"file": f.path, "error": why})
    return good, bad


def open_unlinked(path: str) -> BinaryIO:
    """The file at ``path`` opened for reading, refused (OSError) when it is a link."""
    return os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")


def first_line(path: str, limit: int) -> bytes:
    """The first line (at most ``limit + 1`` bytes) of a plain or gzip file.

    A gzip stream is read to its end: a truncated or corrupt one raises here (OSError, EOFError,
    ``gzip.BadGzipFile``) rather than in DuckDB mid-query.
    """
    with open_unlinked(path) as raw:
        gz = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        stream = gzip.GzipFile(fileobj=raw) if gz else raw
        first = stream.readline(limit + 1)
        if gz:
            while stream.read(1 << 20):  # the rest, for the gzip's CRC and length
                pass
    return first
