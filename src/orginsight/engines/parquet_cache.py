"""An opt-in Parquet copy of a local lake's closed CloudTrail partitions, and when it may be trusted.

Why: reading gzip JSON costs about 0.15 ms per file in DuckDB on top of parsing
(~350 MB/s of JSON on this 2-core machine), so a lake of CloudTrail's real 5-minute
files (113k files for 12 accounts x 30 days) is dominated by per-file cost, and
analysts query the same closed days again and again. ``orginsight lake compact``
writes each closed (account, region, day) partition once as one zstd Parquet file
holding every column of the ``cloudtrail`` table, typed exactly as the JSON scan
gives them; queries then read those partitions from Parquet and every other file
from JSON as before.

Layout (next to the file verdicts, ``<lake>/.orginsight/filecheck/<day folder>.json``)::

    <lake>/.orginsight/parquet/<account>/<region>/<yyyy>/<mm>/<dd>.parquet
    <lake>/.orginsight/parquet/<account>/<region>/<yyyy>/<mm>/<dd>.manifest.json

The manifest records the source files the Parquet file was made from (path relative
to the lake, size, mtime_ns of every good file, and the unreadable files left out),
the Parquet file's own size and mtime, and the table schema. A partition is read
from Parquet only while all of these still match what is on disk, so a late file, a
rewritten file or a schema change falls back to JSON (with a warning) until the next
``compact``. Bad files do not make a partition stale: they add no rows either way.

Checking that costs a ``stat`` per source file, which on CloudTrail's 5-minute files
(213k files for a month of 12 accounts) took longer than DuckDB's read of the Parquet
files themselves. So the manifest also records the partition's day folders
(``layout.CloudTrailFolder``: path, mtime_ns, inode and the sorted log file names),
and a query first makes the quick check (``ParquetCache.trusted``): when each folder's
mtime, inode and names are as recorded, the partition is read from Parquet without a
``stat`` of any of its files, and its unreadable files are reported from the manifest.
Otherwise it falls back to the per-file check above. The quick check rests on two facts:

- CloudTrail never rewrites a log object (each delivery is a new key), and adding,
  removing or renaming a file changes its folder's mtime (names are compared too, for
  changes within one tick of the file system's clock);
- a copied or restored lake has new folder inodes, so its partitions get the per-file
  check (and a ``compact`` there records the new folders).

The one change only the per-file check sees is a file rewritten in place under the
same name with its folder untouched (``aws s3 sync`` writes a temporary file and
renames it, which the quick check does see). ``compact``, ``orginsight lake info`` and
``LocalEngine(verify_cache=True)`` always make the per-file check; ``compact`` also
records the folders of an up-to-date partition whose folders changed (a copied lake,
a stray file) or that a manifest without folders lacks, rewriting only its manifest.

Manifests written before the folders were recorded stay valid (same ``version``: a
reader that ignores ``folders`` reads the new ones too): their partitions just get the
per-file check until the next ``compact`` adds the folders, so no Parquet is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from orginsight.errors import LakeError
from orginsight.sources import schema
from orginsight.sources.layout import CloudTrailFile
from orginsight.timerange import DELIVERY_LAG, parse_time

DEFAULT_DIR = Path(".orginsight") / "parquet"
"""Where the cache lives inside a lake, unless the engine is given another ``cache_dir``."""

MANIFEST_VERSION = 1

COMPRESSION = "zstd"
"""zstd reads about as fast as snappy and makes CloudTrail's repetitive strings much smaller."""

ROW_GROUP_SIZE = 122_880
"""DuckDB's own default: a big account-day splits into row groups both threads can read, and a small one is one group."""

SCHEMA_ID = hashlib.sha256(
    json.dumps([list(schema.CLOUDTRAIL_FIELDS.items()), schema.PARTITION_COLUMNS], sort_keys=True).encode()
).hexdigest()[:16]
"""Changes whenever the ``cloudtrail`` columns or their types change, which makes every cached partition stale."""

FileFingerprint = tuple[str, int, int]
"""(path relative to the lake, size, mtime_ns) of one source file."""

FolderStamp = tuple[str, int, int, tuple[str, ...]]
"""(path relative to the lake, mtime_ns, inode, sorted log file names) of one day folder."""


class PartitionKey(NamedTuple):
    """One CloudTrail partition: an account's region on one day."""

    account: str
    region: str
    day: date

    @property
    def label(self) -> str:
        return f"{self.account}/{self.region}/{self.day:%Y/%m/%d}"


class Verdict(Protocol):
    """What the file check knows of a file (``filechecks.FileVerdict``)."""

    size: int
    mtime_ns: int


class Folder(Protocol):
    """A day folder as the walk saw it (``layout.CloudTrailFolder``)."""

    path: str
    account: str
    region: str
    day: date
    mtime_ns: int
    inode: int
    names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """What one cached partition was made from, and the Parquet file that holds it."""

    schema_id: str
    files: tuple[FileFingerprint, ...]
    bad_files: tuple[tuple[str, int, int, str], ...]
    rows: int
    parquet_size: int
    parquet_mtime_ns: int
    compacted_at: str = ""
    folders: tuple[FolderStamp, ...] | None = None
    """The partition's day folders when compacted; None in manifests written before they were recorded."""


@dataclass(frozen=True, slots=True)
class CachedPartition:
    """A partition a query reads from Parquet instead of its JSON files."""

    key: PartitionKey
    parquet: str
    parquet_size: int
    source_files: int


@dataclass
class CacheSplit:
    """One scan's good files, divided into Parquet partitions and JSON files still to read."""

    json_files: list[CloudTrailFile] = field(default_factory=list)
    cached: list[CachedPartition] = field(default_factory=list)
    stale: list[PartitionKey] = field(default_factory=list)


# --- pure functions ---------------------------------------------------------------------------------


def partition_of(f: CloudTrailFile) -> PartitionKey:
    return PartitionKey(f.account, f.region, f.day)


def group_by_partition(files: Iterable[CloudTrailFile]) -> dict[PartitionKey, list[CloudTrailFile]]:
    """Files by partition, each list in the order given."""
    groups: dict[PartitionKey, list[CloudTrailFile]] = {}
    for f in files:
        groups.setdefault(PartitionKey(f.account, f.region, f.day), []).append(f)
    return groups


def group_folders(folders: Iterable[Folder]) -> dict[PartitionKey, list[Folder]]:
    """Day folders by partition (an account's org trail and its own trail may both write one day)."""
    groups: dict[PartitionKey, list[Folder]] = {}
    for d in folders:
        groups.setdefault(PartitionKey(d.account, d.region, d.day), []).append(d)
    return groups


def folder_stamps(folders: Iterable[Folder], root: Path) -> tuple[FolderStamp, ...]:
    """What identifies a partition's day folders as they are now, in path order (for the quick check)."""
    base = str(root / "AWSLogs")
    return tuple(sorted((relative_path(d.path, root, base), d.mtime_ns, d.inode, d.names) for d in folders))


def parquet_path(cache_dir: Path, key: PartitionKey) -> Path:
    return cache_dir / f"{key.account}/{key.region}/{key.day:%Y/%m/%d}.parquet"


def manifest_path(cache_dir: Path, key: PartitionKey) -> Path:
    return cache_dir / f"{key.account}/{key.region}/{key.day:%Y/%m/%d}.manifest.json"


def is_closed(day: date, now: datetime) -> bool:
    """Whether CloudTrail is done delivering ``day``: the day is over by more than the delivery lag.

    ``now`` is aware or naive UTC. A partition compacted while still open would go
    stale at its next file anyway; waiting for ``DELIVERY_LAG`` avoids the wasted work.
    """
    return parse_time(day) + timedelta(days=1) + DELIVERY_LAG <= parse_time(now)


def relative_path(path: str, root: Path, base: str | None = None) -> str:
    """A lake file's path relative to the lake, cheaply: files come from walking ``base`` = ``root/AWSLogs``."""
    base = base if base is not None else str(root / "AWSLogs")
    return "AWSLogs" + path[len(base) :] if path.startswith(base) else os.path.relpath(path, root)


def absolute_path(rel: str, root: Path, base: str | None = None) -> str:
    """The path a walk of ``root`` gives the file a manifest names ``rel`` (``relative_path`` undone)."""
    base = base if base is not None else str(root / "AWSLogs")
    return base + rel[len("AWSLogs") :] if rel.startswith("AWSLogs/") else os.path.join(root, rel)


def fingerprint(
    files: Iterable[CloudTrailFile], verdicts: Mapping[str, Verdict], root: Path
) -> tuple[FileFingerprint, ...]:
    """What identifies a partition's source files: path, size and mtime of each (the walk already stat'ed them)."""
    base = str(root / "AWSLogs")
    return tuple(
        (
            relative_path(f.path, root, base),
            f.size,
            f.mtime_ns if f.mtime_ns is not None else verdicts[f.path].mtime_ns,
        )
        for f in files
    )


def manifest_to_json(key: PartitionKey, m: Manifest) -> str:
    return json.dumps(
        {
            "version": MANIFEST_VERSION,
            "schema": m.schema_id,
            "partition": {"account": key.account, "region": key.region, "day": key.day.isoformat()},
            "rows": m.rows,
            "parquet": {"size": m.parquet_size, "mtime_ns": m.parquet_mtime_ns},
            "compacted_at": m.compacted_at,
            "files": [list(f) for f in m.files],
            "bad_files": [list(b) for b in m.bad_files],
            **({} if m.folders is None else {"folders": [[p, t, i, list(n)] for p, t, i, n in m.folders]}),
        }
    )


def manifest_from_json(text: str) -> Manifest | None:
    """A manifest, or None when it is not one this version wrote (then the partition is simply not cached)."""
    try:
        raw = json.loads(text)
        if raw.get("version") != MANIFEST_VERSION:
            return None
        return Manifest(
            schema_id=raw["schema"],
            # tuple(map(tuple, ...)): 4x faster than unpacking each entry (13 ms against 50 ms for 213k files), and
            # a malformed entry still only compares unequal (stale), never equal. An engine's first query reads them all.
            files=tuple(map(tuple, raw["files"])),
            bad_files=tuple((str(p), int(s), int(t), str(e)) for p, s, t, e in raw["bad_files"]),
            rows=int(raw["rows"]),
            parquet_size=int(raw["parquet"]["size"]),
            parquet_mtime_ns=int(raw["parquet"]["mtime_ns"]),
            compacted_at=str(raw.get("compacted_at", "")),
            folders=(
                None
                if raw.get("folders") is None
                else tuple((str(p), int(t), int(i), tuple(n)) for p, t, i, n in raw["folders"])
            ),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return None


def _project_sql(expr: str, pruned: object, full: object) -> str:
    """SQL that cuts a whole (lower-cased) struct value down to the fields of a pruned spec.

    A field the query reads whole is taken as stored, NULL or not. A struct it only
    reads sub-fields of is rebuilt from them without asking whether it was NULL
    itself: the query cannot tell a NULL struct from one of NULL fields, and asking
    would make DuckDB read the whole struct instead of just those fields (0.35 s
    against 0.13 s for the typical hunt over 480 partitions, measured 2026-11-28).
    Lists are never pruned (``schema.pruned_spec``), so they are always taken whole.
    """
    if pruned == full or not isinstance(pruned, dict) or not isinstance(full, dict):
        return expr
    parts = ", ".join(
        f"'{k.lower()}': " + _project_sql(f'{expr}."{k.lower()}"', v, full[k]) for k, v in pruned.items()
    )
    return f"{{{parts}}}"


def select_list(columns: dict[str, set[tuple[str, ...]] | None]) -> list[str]:
    """Select expressions over the Parquet columns giving exactly the JSON scan's columns and types.

    Parquet holds whole structs; a query reading only ``useridentity.arn`` gets from
    JSON a struct of that one field, so the Parquet side is cut to the same shape (and
    DuckDB then reads only that field from the file): the two unite without widening
    the type, whatever DuckDB's rules for uniting different structs.
    """
    exprs = []
    for c, paths in columns.items():
        if c in schema.CLOUDTRAIL_FIELDS and paths is not None:
            full = schema.CLOUDTRAIL_FIELDS[c][1]
            pruned = schema.pruned_spec(full, paths)
            if pruned != full:
                exprs.append(_project_sql(f'"{c}"', pruned, full) + f' AS "{c}"')
                continue
        exprs.append(f'"{c}"')
    return exprs


def scan_sql(columns: dict[str, set[tuple[str, ...]] | None] | None) -> str:
    """The SELECT over the cached partitions (``$parquet``, a list of files) for one ``cloudtrail`` reference.

    A query that names no column (``count(*)``) still needs one: ``timestamp`` is the
    cheapest, one value per file. The JSON side's stand-in column (``eventid``) then
    comes out NULL here, which nothing reads.
    """
    if columns is None:
        columns = dict.fromkeys(schema.COLUMNS)
    exprs = select_list(columns) or ['"timestamp"']
    return f"SELECT {', '.join(exprs)} FROM read_parquet($parquet)"


# --- I/O --------------------------------------------------------------------------------------------


def write_atomic(path: Path, write: Any) -> None:
    """Call ``write(tmp_path)`` then move the result into place, so readers never see half a file."""
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


class ParquetCache:
    """The cache of one lake: which partitions it holds, and whether each still matches its files.

    Manifests are read once and kept in memory with the mtime they had; each query
    costs two ``stat`` calls per partition it reads (manifest and Parquet file) and
    either the quick comparison of its folders (``trusted``) or the comparison of the
    file fingerprints the walk computed (``split``).
    """

    def __init__(self, lake_root: Path, cache_dir: str | os.PathLike[str] | None = None) -> None:
        self.root = lake_root
        self.dir = Path(cache_dir) if cache_dir is not None else lake_root / DEFAULT_DIR
        self._manifests: dict[PartitionKey, tuple[int, Manifest | None]] = {}

    def manifest(self, key: PartitionKey) -> Manifest | None:
        """The partition's manifest (re-read only when its file changed), or None when there is none."""
        path = manifest_path(self.dir, key)
        try:
            mtime = os.stat(path).st_mtime_ns
        except OSError:
            self._manifests.pop(key, None)
            return None
        known = self._manifests.get(key)
        if known is not None and known[0] == mtime:
            return known[1]
        try:
            m = manifest_from_json(path.read_text())
        except OSError:
            m = None
        self._manifests[key] = (mtime, m)
        return m

    def trusted(self, key: PartitionKey, stamps: tuple[FolderStamp, ...]) -> Manifest | None:
        """The partition's manifest when the quick check passes: same folders, names and schema, Parquet unchanged.

        None means "make the per-file check" (``split``), not "stale".
        """
        m = self.manifest(key)
        if m is None or m.folders is None or m.folders != stamps or m.schema_id != SCHEMA_ID:
            return None
        try:
            st = os.stat(parquet_path(self.dir, key))
        except OSError:
            return None
        return m if st.st_size == m.parquet_size and st.st_mtime_ns == m.parquet_mtime_ns else None

    def is_fresh(
        self, key: PartitionKey, m: Manifest, prints: tuple[FileFingerprint, ...], parquet: Path | None = None
    ) -> bool:
        """Whether the Parquet file still stands for exactly these source files, in this schema."""
        if m.schema_id != SCHEMA_ID or m.files != prints:
            return False
        try:
            st = os.stat(parquet or parquet_path(self.dir, key))
        except OSError:
            return False
        return st.st_size == m.parquet_size and st.st_mtime_ns == m.parquet_mtime_ns

    def split(self, good: list[CloudTrailFile], verdicts: Mapping[str, Verdict]) -> CacheSplit:
        """Which of a scan's files the cache stands for (by whole partition), and which to read as JSON."""
        if not self.dir.is_dir():
            return CacheSplit(json_files=good)
        out = CacheSplit()
        for key, files in group_by_partition(good).items():
            m = self.manifest(key)
            parquet = parquet_path(self.dir, key)
            if m is not None and self.is_fresh(key, m, fingerprint(files, verdicts, self.root), parquet):
                out.cached.append(CachedPartition(key, str(parquet), m.parquet_size, len(files)))
                continue
            if m is not None:
                out.stale.append(key)
            out.json_files.extend(files)
        return out

    def status(
        self, good: list[CloudTrailFile], verdicts: Mapping[str, Verdict], now: datetime
    ) -> dict[str, Any]:
        """How many closed partitions the cache holds up to date, and how many it holds stale."""
        closed = cached = stale = 0
        for key, files in group_by_partition(good).items():
            if not is_closed(key.day, now):
                continue
            closed += 1
            m = self.manifest(key)
            if m is not None and self.is_fresh(key, m, fingerprint(files, verdicts, self.root)):
                cached += 1
            elif m is not None:
                stale += 1
        return {"dir": str(self.dir), "closed_partitions": closed, "cached": cached, "stale": stale}

    def ensure_writable(self) -> None:
        """Raise a LakeError saying what to do when the cache cannot be written here (a read-only lake)."""
        probe = self.dir / f".write-test-{os.getpid()}"
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as e:
            raise LakeError(
                f"cannot write the Parquet cache in {self.dir}: {e.strerror or e}. The lake may be read-only: "
                "pass a writable cache folder (Lake.local(path, cache_dir=DIR), or "
                "'orginsight lake compact --cache-dir DIR') and use the same cache_dir when querying"
            ) from e

    def write_partition(
        self,
        key: PartitionKey,
        relation: Any,
        prints: tuple[FileFingerprint, ...],
        bad_files: tuple[tuple[str, int, int, str], ...],
        rows: int,
        now: datetime,
        folders: tuple[FolderStamp, ...] | None = None,
    ) -> Manifest:
        """Write one partition's Parquet file from a DuckDB relation, then its manifest, each atomically.

        The Parquet file goes first: a crash between the two leaves a manifest naming the
        old Parquet size and mtime, which reads as stale, never as wrong rows.
        """
        target = parquet_path(self.dir, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(
            target,
            lambda tmp: relation.write_parquet(
                str(tmp), compression=COMPRESSION, row_group_size=ROW_GROUP_SIZE
            ),
        )
        st = os.stat(target)
        m = Manifest(
            SCHEMA_ID,
            prints,
            bad_files,
            rows,
            st.st_size,
            st.st_mtime_ns,
            now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            folders,
        )
        return self._write_manifest(key, m)

    def restamp(
        self,
        key: PartitionKey,
        m: Manifest,
        folders: tuple[FolderStamp, ...],
        bad_files: tuple[tuple[str, int, int, str], ...],
    ) -> Manifest:
        """Record the folders (and unreadable files) of a partition whose Parquet file is up to date; no Parquet write."""
        return self._write_manifest(key, replace(m, bad_files=bad_files, folders=folders))

    def _write_manifest(self, key: PartitionKey, m: Manifest) -> Manifest:
        """Write ``m`` as the partition's manifest, atomically; returns it."""
        write_atomic(manifest_path(self.dir, key), lambda tmp: tmp.write_text(manifest_to_json(key, m)))
        return m
