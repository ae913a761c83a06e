"""File checks: whether each CloudTrail file of a local lake can be read, and how many records it holds.

Files are checked once (a cheap DuckDB pass that counts each file's records) and the verdict is
cached by path, size and modification time: a corrupt, truncated, non-JSON or ``Records``-less
file is reported and left out, and every good file is still read.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import astuple, dataclass
from pathlib import Path
from typing import Any

from orginsight.engines.pruning import PartitionFilter, instant_of
from orginsight.engines.scan import MAX_OBJECT_SIZE, object_size_limit
from orginsight.sources.layout import CloudTrailFile

GZIP_RATIO_BOUND = 40
"""CloudTrail JSON compresses about 8-15x; 40x bounds the JSON size of a .gz file safely."""


CHECK_BATCH = 2000
"""Files checked per DuckDB pass; a failing batch is split until the bad file is alone."""

CHECKS_DIR = ".orginsight/filecheck"
CACHE_VERSION = 4


@dataclass(frozen=True, slots=True)
class FileVerdict:
    """The result of checking one file: its record count, or why it cannot be read."""

    size: int
    mtime_ns: int
    records: int | None
    error: str | None
    json_bytes: int = 0
    first_event: str | None = None
    """The earliest ``eventTime`` of the file's records, when every record has one (else None)."""
    last_event: str | None = None
    """The latest ``eventTime`` of the file's records, when every record has one (else None)."""

    def outside(self, pf: PartitionFilter) -> bool:
        """Whether no record of the file can fall in the event-time bounds a query asked for.

        The files of the day after a scope are read for records CloudTrail delivered late; most
        of them hold only that day's records, and skipping them halved a one-day graph's scan.
        """
        if pf.latest is not None and self.first_event is not None:
            first = instant_of(self.first_event)
            if first is not None and first > pf.latest:
                return True
        if pf.earliest is not None and self.last_event is not None:
            last = instant_of(self.last_event)
            if last is not None and last < pf.earliest:
                return True
        return False


class FileChecks(Mapping[str, FileVerdict]):
    """File verdicts by path, cached in the lake one file per day folder (in memory only when read-only).

    One file per folder, keyed by file name, so a query reads the verdicts of the folders it
    scans and nothing else: a single file for the whole lake was 96 MB on a month of 5-minute
    files and took 2.3 s to load for a one-day query (2026-11-28), and it was keyed by the
    path as typed, so opening a lake by two paths doubled it.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dir = root / CHECKS_DIR
        self._lock = threading.Lock()
        self._folders: dict[str, dict[str, FileVerdict]] = {}
        self._dirty: set[str] = set()

    def _folder(self, path: str) -> tuple[dict[str, FileVerdict], str]:
        folder, name = os.path.split(path)
        verdicts = self._folders.get(folder)
        if verdicts is None:
            with self._lock:
                verdicts = self._folders.get(folder)
                if verdicts is None:
                    verdicts = self._folders[folder] = self._load(folder)
        return verdicts, name

    def _shard(self, folder: str) -> Path:
        return self.dir / (os.path.relpath(folder, self.root) + ".json")

    def _load(self, folder: str) -> dict[str, FileVerdict]:
        try:
            raw = json.loads(self._shard(folder).read_bytes())
            if raw.get("version") == CACHE_VERSION:
                return {k: FileVerdict(*v) for k, v in raw["files"].items()}
        except (OSError, ValueError, TypeError, AttributeError):
            pass
        return {}

    def __getitem__(self, path: str) -> FileVerdict:
        verdicts, name = self._folder(path)
        return verdicts[name]

    def __setitem__(self, path: str, verdict: FileVerdict) -> None:
        verdicts, name = self._folder(path)
        verdicts[name] = verdict
        self._dirty.add(os.path.dirname(path))

    def __iter__(self) -> Iterator[str]:
        return (os.path.join(folder, name) for folder, names in list(self._folders.items()) for name in names)

    def __len__(self) -> int:
        return sum(len(v) for v in self._folders.values())

    @property
    def loaded(self) -> bool:
        """Whether any verdict has been read (a query over trusted cached partitions only reads none)."""
        return bool(self._folders)

    def current(self, f: CloudTrailFile, mtime_ns: int) -> FileVerdict | None:
        """The verdict on ``f`` if it was given for the file as it is now (same size and mtime)."""
        v = self.get(f.path)
        return v if v is not None and v.size == f.size and v.mtime_ns == mtime_ns else None

    def save(self) -> None:
        """Write the verdicts of the folders that got new ones, merged with what other writers saved.

        Two engines (processes) checking different files of one folder each hold only their own
        verdicts: each re-reads the shard and adds the verdicts it lacks (its own win for the same
        file), under a lock on the cache folder, and writes a temporary file of its own (pid and a
        random part) moved into place, so no writer's verdicts are lost and no reader sees half a file.
        """
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            if not dirty:
                return
            try:
                self.dir.mkdir(parents=True, exist_ok=True)
                with _folder_lock(self.dir):
                    for folder in dirty:
                        self._merge_and_write(folder)
            except OSError:
                pass  # a read-only lake keeps verdicts in memory only

    def _merge_and_write(self, folder: str) -> None:
        ours = self._folders[folder]
        for name, verdict in self._load(folder).items():
            ours.setdefault(name, verdict)
        files = {k: astuple(v) for k, v in dict(ours).items()}
        shard = self._shard(folder)
        shard.parent.mkdir(parents=True, exist_ok=True)
        tmp = shard.with_name(f"{shard.name}.tmp-{os.getpid()}-{secrets.token_hex(4)}")
        try:
            tmp.write_text(json.dumps({"version": CACHE_VERSION, "files": files}))
            os.replace(tmp, shard)
        finally:
            if tmp.exists():
                tmp.unlink()


@contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """An exclusive lock between processes on ``folder`` (``flock`` of its ``.lock`` file), if the OS can."""
    try:
        import fcntl
    except ImportError:  # Windows: merging still keeps most concurrent verdicts; a re-check restores the rest
        yield
        return
    with open(folder / ".lock", "a+b") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def check_files(
    checks: FileChecks,
    files: list[CloudTrailFile],
    check_new: Callable[[list[tuple[CloudTrailFile, int]]], None],
) -> tuple[list[CloudTrailFile], list[dict[str, str]]]:
    """Split files into readable ones and bad ones (with the reason), checking new files once.

    A file's verdict is kept in ``checks`` (saved in the lake) by size and mtime, so it is checked again
    only when it changes; ``check_new`` checks up to ``CHECK_BATCH`` new (file, mtime) pairs at a time
    and records their verdicts in ``checks`` (``LocalEngine`` passes :func:`check_batch` on its connection).
    """
    todo, good, bad = [], [], []
    for f in files:
        mtime = f.mtime_ns if f.mtime_ns is not None else os.stat(f.path).st_mtime_ns
        v = checks.current(f, mtime)
        if v is None:
            todo.append((f, mtime))
        elif v.error:
            bad.append({"file": f.path, "error": v.error})
        elif v.records:
            good.append(f)
    if todo:
        for i in range(0, len(todo), CHECK_BATCH):
            check_new(todo[i : i + CHECK_BATCH])
        checks.save()
        for f, mtime in todo:
            v = checks.current(f, mtime)
            if v.error:
                bad.append({"file": f.path, "error": v.error})
            elif v.records:
                good.append(f)
    good.sort(key=lambda f: f.path)
    return good, bad


def check_batch(
    con: Any, checks: FileChecks, batch: list[tuple[CloudTrailFile, int]], limit: int | None = None
) -> None:
    """Check (file, mtime) pairs in one DuckDB pass on ``con``, each verdict into ``checks``; a failing batch is
    split until the bad file is alone."""
    paths = [f.path for f, _ in batch]
    if limit is None:
        guess = [f.size * (GZIP_RATIO_BOUND if f.path.endswith(".gz") else 1) for f, _ in batch]
        limit = object_size_limit(guess)
    try:
        rows = con.execute(
            "SELECT filename, kind, n, nbytes, CASE WHEN len(times) = n THEN list_min(times) END, "
            "CASE WHEN len(times) = n THEN list_max(times) END FROM ("
            "SELECT filename, json_type(json -> 'Records') AS kind, json_array_length(json -> 'Records') AS n, "
            "strlen(json::VARCHAR) AS nbytes, json_extract_string(json, '$.Records[*].eventTime') AS times "
            "FROM read_json_objects($files, filename = true, format = 'unstructured', "
            f"maximum_object_size = {limit}))",
            {"files": paths},
        ).fetchall()
    except Exception as e:  # duckdb raises IOException / InvalidInputException naming the file
        if len(batch) == 1:
            if "maximum_object_size" in str(e) and limit < MAX_OBJECT_SIZE:
                check_batch(con, checks, batch, MAX_OBJECT_SIZE)
                return
            f, mtime = batch[0]
            checks[f.path] = FileVerdict(f.size, mtime, None, _reason(e))
            return
        half = len(batch) // 2
        check_batch(con, checks, batch[:half])
        check_batch(con, checks, batch[half:])
        return
    found: dict[str, list[tuple[Any, ...]]] = {}
    for name, *facts in rows:
        found.setdefault(name, []).append(tuple(facts))
    for f, mtime in batch:
        objs = found.get(f.path, [])
        if not objs:
            verdict = FileVerdict(f.size, mtime, None, "empty file: no JSON object")
        elif len(objs) > 1:
            verdict = FileVerdict(
                f.size,
                mtime,
                None,
                f'{len(objs)} JSON values where CloudTrail writes one {{"Records": [...]}} object',
            )
        elif objs[0][0] != "ARRAY":
            verdict = FileVerdict(f.size, mtime, None, 'not a CloudTrail log: no "Records" array')
        else:
            _, n, nbytes, first, last = objs[0]
            verdict = FileVerdict(f.size, mtime, int(n), None, int(nbytes), first, last)
        checks[f.path] = verdict


def _reason(e: Exception) -> str:
    text = str(e).split("\n")[0]
    text = re.sub(r"^[A-Za-z ]+Error:\s*", "", text)
    if "GZIP" in text or "gzip" in text:
        return f"corrupt or truncated gzip: {text}"
    if "Malformed JSON" in text:
        return f"not JSON: {text}"
    return text
