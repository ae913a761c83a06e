"""Put loose CloudTrail files into a lake's S3 key layout.

Analysts receive CloudTrail as a customer exported it: ``{"Records": [...]}``
objects, JSON lines, EventBridge events, directory trees, zip or tar archives.
Importing places every record under the key CloudTrail itself would have used
(account, region and day taken from the record), gzip-compressed, one file per
account, region and five minutes.

Those inputs are shaped by whoever handed them over, so import is a trust boundary:

- A record decides nothing about the filesystem. Account, region and time are checked
  against the layout's rules (``orginsight.sources.layout``) before they name a folder, and
  every folder written to is checked to lie inside the lake. Archive member names
  only ever appear in messages.
- One bad item loses only itself. A record that cannot be placed is reported with its
  input and record number; a broken input keeps the records read before the break.
- Memory stays bounded. Inputs are read as streams, records go to the lake in batches,
  and no input member (a file, a zip or tar member, a gzip stream) may decompress to
  more than ``max_member_bytes``: a compression bomb is refused after that many bytes.
- Nothing is placed twice. A record whose eventID (or, without one, its content) is
  already in its partition (account, region, day folder) is skipped, so importing a
  folder again after it grew, or two overlapping exports, adds only what is new; a
  damaged file met in a partition is repaired (its readable records kept, the
  original moved to ``.orginsight/damaged/``).
- Concurrent imports count exactly. Each partition is locked while its existing ids are
  read and its new file written (``.orginsight/locks/``); files are written under a
  unique temporary name, fsynced and renamed into place.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import io
import json
import os
import re
import secrets
import tarfile
import zipfile
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from orginsight.errors import LakeError
from orginsight.sources.layout import (
    cloudtrail_key,
    is_account_id,
    is_org_id,
    is_plausible_event_time,
    is_region,
    path_inside,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: imports into one lake must not overlap there
    fcntl = None  # type: ignore[assignment]

DEFAULT_ORG_ID = "o-localimport"
"""Org id used when neither the caller nor the lake names one (the layout needs one)."""

DEFAULT_MAX_MEMBER_BYTES = 1 << 30
"""Largest decompressed size of one input member (1 GiB): a real CloudTrail file is a few MB."""

MAX_LISTED_FAILURES = 1000
"""Failures kept in ``ImportReport.failures``; the rest are only counted (a hostile input may hold millions)."""

_SOURCE_NAME = re.compile(r"(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_")
_GZIP_MAGIC = b"\x1f\x8b"
_READ_BYTES = 1 << 16
_FLUSH_BYTES = 32 << 20
"""Serialized records held before they are written: bounds memory whatever the size of the inputs."""
_LOG_SUFFIXES = (".json.gz", ".json")
_LONGEST_TIME_TEXT = 40


@dataclass(frozen=True, slots=True)
class ImportFailure:
    """Something of the input that was not placed: which input, which record (1-based, None for the whole
    input) and why. ``source`` is safe to print: control characters are escaped."""

    source: str
    reason: str
    record: int | None = None

    def __str__(self) -> str:
        where = f"record {self.record} of {self.source}" if self.record is not None else self.source
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class LakeRepair:
    """A damaged file of the lake that an import rewrote: its readable records were kept."""

    path: str
    reason: str
    records_kept: int
    damaged_copy: str

    def __str__(self) -> str:
        return (
            f"repaired {self.path} ({self.reason}): kept {self.records_kept} readable record(s); "
            f"the damaged file is kept as {self.damaged_copy}"
        )


@dataclass
class ImportReport:
    """What an import did. Every record read is placed, a duplicate, already in the lake, or failed:

    ``records_read == records_placed + duplicates + records_already_in_lake + records_failed``.

    ``failures`` lists inputs and records that were not placed, with the reason (the first
    ``MAX_LISTED_FAILURES``; ``failures_not_listed`` counts the rest). ``files_already_present``
    counts output files that were not written because the lake held all their records.
    """

    inputs_read: int = 0
    records_read: int = 0
    records_placed: int = 0
    duplicates: int = 0
    records_already_in_lake: int = 0
    records_failed: int = 0
    files_written: int = 0
    files_already_present: int = 0
    failures: list[ImportFailure] = field(default_factory=list)
    failures_not_listed: int = 0
    repairs: list[LakeRepair] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def fail(self, source: str, reason: str, record: int | None = None) -> None:
        """Note a failure (shown escaped: names and errors may quote what an archive's author chose);
        beyond ``MAX_LISTED_FAILURES`` only count it."""
        if len(self.failures) < MAX_LISTED_FAILURES:
            self.failures.append(
                ImportFailure(_shown(source, limit=1000), _shown(reason, limit=2000), record)
            )
        else:
            self.failures_not_listed += 1

    def summary(self) -> str:
        lines = [
            f"read {self.records_read} records from {self.inputs_read} input(s); "
            f"placed {self.records_placed} in {self.files_written} new file(s)"
            + (
                f", {self.records_already_in_lake} record(s) already in the lake"
                if self.records_already_in_lake
                else ""
            )
            + (
                f", {self.files_already_present} file(s) already in the lake"
                if self.files_already_present
                else ""
            )
            + (f", {self.duplicates} duplicate record(s) skipped" if self.duplicates else "")
            + (f", {self.records_failed} record(s) not placed" if self.records_failed else "")
        ]
        lines += [str(r) for r in self.repairs]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"could not import {f}" for f in self.failures]
        if self.failures_not_listed:
            lines.append(f"... and {self.failures_not_listed} more failure(s) not listed")
        return "\n".join(lines)


def import_files(
    sources: Iterable[str | os.PathLike[str]],
    lake: str | os.PathLike[str],
    org_id: str | None = None,
    *,
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
) -> ImportReport:
    """Import CloudTrail records from files, folders and archives into the lake at ``lake``.

    ``max_member_bytes`` caps the decompressed size of each input member; a larger one is
    reported and its records after the cap are not read. Raises ``LakeError`` only for a
    bad ``org_id`` or cap; everything about the inputs is reported in the returned report.
    """
    if org_id is not None and not is_org_id(org_id):
        raise LakeError(
            f"organization id {_shown_value(org_id)} is not of the form o- and 10 to 32 lowercase "
            "letters or digits; pass the id the Organizations console shows (e.g. o-a1b2c3d4e5)"
        )
    if not isinstance(max_member_bytes, int) or max_member_bytes <= 0:
        raise LakeError(f"max_member_bytes must be a positive number of bytes, not {max_member_bytes!r}")
    root = Path(lake)
    importer = _Importer(root, org_id or _existing_org_id(root) or DEFAULT_ORG_ID, max_member_bytes)
    for name, stream in _iter_members(sources, root, importer.report, max_member_bytes):
        importer.read_member(name, stream)
    importer.flush()
    importer.finish_notes()
    return importer.report


def parse_byte_size(text: str) -> int:
    """A size as the command line takes it: ``1073741824``, ``512M``, ``1G``, ``64KiB`` (powers of 1024)."""
    m = re.fullmatch(r"\s*([0-9]{1,18})\s*([kmgt]?)(?:i?b)?\s*", text, re.IGNORECASE)
    if not m or int(m[1]) <= 0:
        raise LakeError(f"size {text!r} is not a positive number of bytes (examples: 1073741824, 512M, 1G)")
    return int(m[1]) * 1024 ** " kmgt".index(m[2].lower() or " ")


def parse_records(data: bytes) -> list[dict]:
    """CloudTrail records from one input's bytes, whatever the wrapping; ValueError says why not.

    Elements of ``Records`` that are not JSON objects are left out here (the import reports them).
    """
    try:
        items = list(_iter_candidates(_Text(_text_chunks(io.BytesIO(data), DEFAULT_MAX_MEMBER_BYTES))))
    except _MemberError as e:
        raise ValueError(str(e)) from e
    records = [r for r in items if isinstance(r, dict)]
    if not records:
        raise ValueError(_NO_RECORDS)
    return records


_NO_RECORDS = (
    'no CloudTrail records (expected {"Records": [...]}, JSON lines of records, or EventBridge events)'
)


# --- placing one record ------------------------------------------------------------------------------------


class _NoTime(ValueError):
    """The record carries no time at all: it waits for the earliest time of its input."""


def _placement(
    rec: dict, fallback_time: datetime | None = None, now: datetime | None = None
) -> tuple[str, str, datetime]:
    """Account, region and 5-minute delivery bucket (aware, UTC) of a record; ValueError says why not.

    A record without ``eventTime`` (some public datasets strip it) is placed by the
    nearest time it carries, else by the earliest time in its input; its
    ``eventtime`` column stays empty, so nothing is invented in the data itself.
    Every value is checked against the layout's rules before it names a folder.
    """
    account, region, when, _ = _place(rec, fallback_time, now)
    return account, region, _bucket(when)


def _place(
    rec: dict, fallback_time: datetime | None, now: datetime | None
) -> tuple[str, str, datetime, bool]:
    """Account, region, time of a record, and whether the time is the record's own (not the fallback)."""
    account = _record_account(rec)
    region = rec.get("awsRegion")
    if region is None or region == "":
        raise ValueError("record has no awsRegion to place it by")
    if not is_region(region):
        raise ValueError(_not_a("awsRegion", region, "an AWS region name (like eu-west-1)"))
    own = _record_time(rec, now)
    when = own or fallback_time
    if when is None:
        raise _NoTime(
            "record has no eventTime (nor a session creationDate), and its input no time to place it by"
        )
    return account, region, when, own is not None


def _bucket(when: datetime) -> datetime:
    """The 5-minute delivery bucket CloudTrail would have written ``when`` into."""
    return when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)


def _record_account(rec: dict) -> str:
    name, value = "recipientAccountId", rec.get("recipientAccountId")
    if value is None or value == "":
        identity = rec.get("userIdentity")
        name, value = (
            "userIdentity.accountId",
            identity.get("accountId") if isinstance(identity, dict) else None,
        )
    if value is None or value == "":
        raise ValueError("record has no recipientAccountId (nor userIdentity.accountId) to place it by")
    if not is_account_id(value):
        raise ValueError(_not_a(name, value, "a 12-digit account id"))
    return value


def _record_time(rec: dict, now: datetime | None = None) -> datetime | None:
    """The record's eventTime or, when a dataset stripped it, its session's creationDate; None without either."""
    value = rec.get("eventTime")
    if value is not None and value != "":
        return _event_time("eventTime", value, now)
    identity = rec.get("userIdentity")
    context = identity.get("sessionContext") if isinstance(identity, dict) else None
    attributes = context.get("attributes") if isinstance(context, dict) else None
    created = attributes.get("creationDate") if isinstance(attributes, dict) else None
    if created is None or created == "":
        return None
    return _event_time("userIdentity.sessionContext.attributes.creationDate", created, now)


def _event_time(name: str, value: object, now: datetime | None) -> datetime:
    """An ISO 8601 time as an aware UTC datetime; a time without a zone is UTC (never the machine's zone)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} is {_json_type(value)}, not a time string")
    try:
        if len(value) > _LONGEST_TIME_TEXT:
            raise ValueError("too long")
        t = datetime.fromisoformat(value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value)
        t = t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)
    except (ValueError, OverflowError) as e:
        raise ValueError(f"{name} {_shown_value(value)} is not an ISO 8601 time") from e
    if not is_plausible_event_time(t, now):
        raise ValueError(
            f"{name} {_shown_value(value)} is outside the times an AWS log can carry (2005 to tomorrow)"
        )
    return t


def _record_key(rec: dict) -> str:
    """What makes a record the same as another: its eventID, else a hash of its content."""
    event_id = rec.get("eventID")
    if isinstance(event_id, str) and event_id:
        return event_id
    return "sha256:" + hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()


def _sort_key(rec: dict) -> tuple[str, str]:
    t, event_id = rec.get("eventTime"), rec.get("eventID")
    return (t if isinstance(t, str) else "", event_id if isinstance(event_id, str) else "")


# --- the import --------------------------------------------------------------------------------------------


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


@dataclass
class _MemberState:
    """What one input member gathered for the notes and for its records without time."""

    earliest: datetime | None = None
    accounts: set[str] = field(default_factory=set)
    untimed: int = 0
    waiting: list[tuple[int, dict]] = field(default_factory=list)


class _Importer:
    """Reads members, places their records in batches, and keeps the report exact."""

    def __init__(self, root: Path, org_id: str, max_member_bytes: int) -> None:
        self.root = root
        self.org_id = org_id
        self.cap = max_member_bytes
        self.now = datetime.now(UTC)
        self.report = ImportReport()
        self.partitions: dict[tuple[str, str, date], _Partition] = {}
        self.pending_bytes = 0
        self.untimed: dict[str, int] = defaultdict(int)
        self.mismatches: dict[tuple[str, str], int] = defaultdict(int)

    def read_member(self, name: str, stream: BinaryIO) -> None:
        """Place every record of one member; a break in the member keeps the records read before it."""
        state = _MemberState()
        count = 0
        broken: str | None = None
        text = _Text(_text_chunks(stream, self.cap))

        def bad_line(line: int, why: str) -> None:
            self.report.fail(name, f"line {line} is not JSON ({why}); skipped to the next line")

        try:
            for count, item in enumerate(_iter_candidates(text, bad_line), 1):
                self.report.records_read += 1
                self._take(name, count, item, state, may_wait=True)
        except _MemberError as e:
            broken = str(e)
        for n, rec in state.waiting:
            self._take(name, n, rec, state, may_wait=False)
        if broken is not None:
            kept = f" (the {count} record(s) before it were read)" if count else ""
            self.report.fail(name, broken + kept)
        elif count == 0 and not text.bad_lines:
            self.report.fail(name, _NO_RECORDS)
        else:
            self.report.inputs_read += 1
        if state.untimed:
            self.untimed[_shown(name)] += state.untimed
        m = _SOURCE_NAME.search(os.path.basename(name))
        if m and state.accounts and m["account"] not in state.accounts:
            self.mismatches[(m["account"], ", ".join(sorted(state.accounts)))] += 1

    def _take(self, name: str, n: int, item: object, state: _MemberState, may_wait: bool) -> None:
        """Check and place one record; one without any time waits (``may_wait``) for its input's earliest."""
        if not isinstance(item, dict):
            self._record_failed(name, n, f"is {_json_type(item)}, not a JSON object")
            return
        try:
            account, region, when, own = _place(item, None if may_wait else state.earliest, self.now)
        except _NoTime as e:
            if may_wait:
                state.waiting.append((n, item))
            else:
                self._record_failed(name, n, str(e))
            return
        except ValueError as e:
            self._record_failed(name, n, str(e))
            return
        if own and (state.earliest is None or when < state.earliest):
            state.earliest = when
        if "eventTime" not in item:
            state.untimed += 1
        if len(state.accounts) < 20:
            state.accounts.add(account)
        self._add(name, n, item, account, region, _bucket(when))

    def _record_failed(self, name: str, n: int, reason: str) -> None:
        self.report.records_failed += 1
        self.report.fail(name, reason, n)

    def _add(self, name: str, n: int, rec: dict, account: str, region: str, bucket: datetime) -> None:
        part = self._partition(account, region, bucket.date())
        if part.unusable:
            self._record_failed(name, n, part.unusable)
            return
        key = _record_key(rec)
        if key in part.pending_keys or key in part.counted:
            self.report.duplicates += 1
            return
        if key in part.in_lake:
            self.report.records_already_in_lake += 1
            part.counted.add(key)
            return
        body = json.dumps(rec, separators=(",", ":")).encode()
        part.pending.setdefault(bucket, []).append((_sort_key(rec), key, body))
        part.pending_keys.add(key)
        self.pending_bytes += len(body) + 200
        if self.pending_bytes > _FLUSH_BYTES:
            self.flush()

    def _partition(self, account: str, region: str, day: date) -> _Partition:
        part = self.partitions.get((account, region, day))
        if part is None:
            day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            rel = cloudtrail_key(account, region, day_start, org_id=self.org_id, suffix="x").rsplit("/", 1)[0]
            part = _Partition(self.root / rel, rel, account, region)
            if not path_inside(self.root, part.folder):
                part.unusable = (
                    f"its folder {rel} resolves outside the lake (a symbolic link inside the lake?); "
                    "remove the link and import again"
                )
            self.partitions[(account, region, day)] = part
        return part

    def flush(self) -> None:
        """Write every pending record, one partition at a time under its lock."""
        for key in sorted(k for k, p in self.partitions.items() if p.pending):
            part = self.partitions[key]
            try:
                with _partition_lock(self.root, part.rel):
                    self._refresh(part)
                    for bucket in sorted(part.pending):
                        self._write_bucket(part, bucket, part.pending[bucket])
                        part.pending[bucket] = []
                    _fsync_dir(part.folder)  # the renames of this partition's new files, once
            except (OSError, _PartitionUnavailable) as e:
                left = sum(len(v) for v in part.pending.values())
                self.report.records_failed += left
                self.report.fail(part.rel, f"{left} record(s) not placed: {e}")
                if isinstance(e, _PartitionUnavailable):
                    part.unusable = str(e)
            part.pending.clear()
            part.pending_keys.clear()
        self.pending_bytes = 0

    def _refresh(self, part: _Partition) -> None:
        """Read the ids of the partition's files this import has not read yet (another import may have
        written some since), repairing damaged ones. Runs under the partition's lock."""
        try:
            with os.scandir(part.folder) as it:
                names = sorted(
                    e.name
                    for e in it
                    if e.name.endswith(_LOG_SUFFIXES)
                    and not e.name.startswith(".")
                    and e.is_file(follow_symlinks=False)
                )
        except FileNotFoundError:
            return
        except OSError as e:
            raise _PartitionUnavailable(f"cannot list {part.rel}: {e}") from e
        for name in names:
            if name in part.files_read:
                continue
            path = part.folder / name
            keys, damage = _lake_file_keys(path, self.cap)
            if damage is not None:
                keys = self._repair(part, path, damage)
            part.in_lake |= keys
            part.files_read.add(name)

    def _repair(self, part: _Partition, path: Path, reason: str) -> set[str]:
        """Rewrite a damaged lake file with its readable records; the original goes to .orginsight/damaged/."""
        records = _readable_records(path, self.cap)
        rel = f"{part.rel}/{path.name}"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        copy = (
            self.root
            / ".orginsight"
            / "damaged"
            / f"{rel}.{stamp}.{os.getpid()}.{secrets.token_hex(4)}.damaged"
        )
        if not path_inside(self.root, copy):
            raise _PartitionUnavailable(f"cannot repair {rel}: .orginsight/damaged resolves outside the lake")
        copy.parent.mkdir(parents=True, exist_ok=True)
        if records:
            body = (
                b'{"Records":['
                + b",".join(json.dumps(r, separators=(",", ":")).encode() for r in records)
                + b"]}"
            )
            tmp = _write_temporary(part.folder, path.name, body, compress=path.name.endswith(".gz"))
            try:
                _link_or_copy(path, copy)
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        else:
            os.replace(path, copy)
        _fsync_dir(part.folder)
        _fsync_dir(copy.parent)
        self.report.repairs.append(
            LakeRepair(rel, reason, len(records), copy.relative_to(self.root).as_posix())
        )
        return {_record_key(r) for r in records}

    def _write_bucket(
        self, part: _Partition, bucket: datetime, items: list[tuple[tuple[str, str], str, bytes]]
    ) -> None:
        fresh = [item for item in items if item[1] not in part.in_lake]
        self.report.records_already_in_lake += len(items) - len(fresh)
        part.counted.update(item[1] for item in items if item[1] in part.in_lake)
        if not fresh:
            if items:
                self.report.files_already_present += 1
            return
        fresh.sort(key=lambda item: item[0])
        body = b'{"Records":[' + b",".join(item[2] for item in fresh) + b"]}"
        name = ""
        for attempt in range(100):
            digest = hashlib.sha256(body + (b"%d" % attempt if attempt else b"")).hexdigest()
            name = cloudtrail_key(part.account, part.region, bucket, suffix=_suffix(digest)).rsplit("/", 1)[1]
            if not (part.folder / name).exists():
                break
        path = part.folder / name
        try:
            if not path_inside(self.root, path):
                raise OSError(f"{path} resolves outside the lake")
            part.folder.mkdir(parents=True, exist_ok=True)
            tmp = _write_temporary(part.folder, name, body)
            try:
                os.replace(tmp, path)
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
        except OSError as e:
            self.report.records_failed += len(fresh)
            self.report.fail(f"{part.rel}/{name}", f"could not write {len(fresh)} record(s): {e}")
            return
        part.in_lake.update(item[1] for item in fresh)
        part.counted.update(item[1] for item in fresh)
        part.files_read.add(name)
        self.report.records_placed += len(fresh)
        self.report.files_written += 1

    def finish_notes(self) -> None:
        for (named, actual), n in self.mismatches.items():
            self.report.notes.append(
                f"{n} file(s) named for account {named} hold records of account {actual}; "
                "placed by the records"
            )
        for name, n in self.untimed.items():
            self.report.notes.append(
                f"{name}: {n} record(s) have no eventTime; placed by their session's "
                "creationDate or the earliest time in the same input (their eventtime stays "
                "empty)"
            )


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


# --- reading inputs as streams -------------------------------------------------------------------------------


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


class _Text:
    """The decoded text of one member, read on demand, with what was parsed dropped.

    Only the value being parsed is held: ``more`` reads at least as much again as is held,
    so a value of n characters costs O(n) to parse however it is chunked.
    """

    _DECODER = json.JSONDecoder()
    _NOT_SPACE = re.compile(r"[^ \t\n\r]")
    _RECORDS_OPEN = re.compile(r'\{\s*"Records"\s*:\s*\[')

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.line = 1  # line number of buf[0]
        self.bad_lines = 0
        self._error: _MemberError | None = (
            None  # the break in the member, raised once its text before is used
        )

    def more(self, at_least: int = 0) -> bool:
        """Read more text (dropping what was parsed); False at the end of the member.

        A break in the member (truncated gzip, the cap) is raised only once the text read
        before it was handed out, so the records before a break are kept.
        """
        if self.eof:
            return False
        if self._error is not None:
            raise self._error
        if self.pos:
            self.line += self.buf.count("\n", 0, self.pos)
            self.buf = self.buf[self.pos :]
            self.pos = 0
        want = max(_READ_BYTES, len(self.buf), at_least)
        got: list[str] = []
        n = 0
        while n < want:
            try:
                chunk = next(self._chunks, None)
            except _MemberError as e:
                self._error = e
                break
            if chunk is None:
                self.eof = True
                break
            got.append(chunk)
            n += len(chunk)
        self.buf += "".join(got)
        if n == 0 and self._error is not None:
            raise self._error
        return n > 0

    def line_at(self, pos: int) -> int:
        return self.line + self.buf.count("\n", 0, pos)

    def next_char(self) -> str | None:
        """The next character that is not white space (not consumed), or None at the end."""
        while True:
            m = self._NOT_SPACE.search(self.buf, self.pos)
            if m:
                self.pos = m.start()
                return self.buf[self.pos]
            self.pos = len(self.buf)
            if not self.more():
                return None

    def take(self, char: str) -> bool:
        if self.next_char() == char:
            self.pos += 1
            return True
        return False

    def at_records_wrapper(self) -> bool:
        """Whether the object starting here opens with ``"Records": [``; if so, consume up to the ``[``."""
        while len(self.buf) - self.pos < 64 and self.more():
            pass
        m = self._RECORDS_OPEN.match(self.buf, self.pos)
        if m:
            self.pos = m.end()
        return m is not None

    def value(self) -> object:
        """Parse the next JSON value; ``_BadJson`` when the text is not JSON (or ends before or inside the value)."""
        if self.next_char() is None:
            raise _BadJson(self.line_at(self.pos), "the file ends where a value should be: truncated")
        while True:
            try:
                value, end = self._DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as e:
                incomplete = e.pos >= len(self.buf) - 64 or e.msg.startswith("Unterminated string")
                if incomplete and self.more():
                    continue
                raise _BadJson(self.line_at(e.pos), e.msg) from e
            except (ValueError, RecursionError) as e:  # an int of 5000 digits, nesting 1000 deep
                raise _BadJson(self.line_at(self.pos), str(e) or type(e).__name__) from e
            if end == len(self.buf) and not isinstance(value, dict | list) and self.more():
                continue  # a number or literal may go on in the next chunk
            self.pos = end
            return value

    def skip_line(self) -> None:
        """Skip to the start of the next line (after a JSON line that does not parse)."""
        while True:
            i = self.buf.find("\n", self.pos)
            if i >= 0:
                self.pos = i + 1
                return
            self.pos = len(self.buf)
            if not self.more():
                return


class _BadJson(_MemberError):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"not JSON at line {line} ({why})")
        self.line = line
        self.why = why


def _iter_candidates(text: _Text, bad_line: Callable[[int, str], None] | None = None) -> Iterator[object]:
    """Every value of the member that should be a CloudTrail record, in order, streamed.

    ``{"Records": [...]}`` (with Records first, as CloudTrail writes it) is read element by
    element; other objects (a single record, an EventBridge event, a wrapper with Records
    later) and arrays are read whole. Elements of ``Records`` and of a top-level array are
    yielded whatever their type (the caller reports those that are not objects). After a
    first value parsed, a line that does not parse is passed to ``bad_line`` and skipped
    (JSON lines); otherwise ``_BadJson`` ends the member.
    """
    values = 0
    last_line = 0  # the line the previous top-level value ended on
    while (char := text.next_char()) is not None:
        if char == "{" and text.at_records_wrapper():
            yield from _array_items(text)
            _rest_of_object(text)
        elif char == "[":
            text.pos += 1
            for item in _array_items(text):
                if isinstance(item, dict):
                    yield from _records_in(item)
                else:
                    yield item
        else:
            start_line = text.line_at(text.pos)
            try:
                value = text.value()
            except _BadJson as e:
                if values == 0 or bad_line is None or start_line <= last_line:
                    raise
                text.bad_lines += 1
                bad_line(start_line, e.why)
                text.skip_line()
                last_line = start_line
                continue
            if isinstance(value, dict):
                yield from _records_in(value)
        values += 1
        last_line = text.line_at(text.pos)


def _array_items(text: _Text) -> Iterator[object]:
    """The elements of the array whose ``[`` was just consumed, one at a time."""
    if text.take("]"):
        return
    while True:
        if text.next_char() is None:
            raise _BadJson(text.line_at(text.pos), "the file ends inside an array: truncated")
        yield text.value()
        if text.take(","):
            continue
        if text.take("]"):
            return
        char = text.next_char()
        if char is None:
            raise _BadJson(text.line_at(text.pos), "the file ends inside an array: truncated")
        raise _BadJson(text.line_at(text.pos), f"expected ',' or ']' but found {char!r}")


def _rest_of_object(text: _Text) -> None:
    """Read past the keys that follow ``"Records": [...]`` up to the object's ``}``."""
    while True:
        if text.take("}"):
            return
        if not text.take(","):
            raise _BadJson(text.line_at(text.pos), "expected ',' or '}' after the Records array")
        if text.next_char() != '"':
            raise _BadJson(text.line_at(text.pos), "expected a key")
        text.value()
        if not text.take(":"):
            raise _BadJson(text.line_at(text.pos), "expected ':'")
        text.value()


def _records_in(value: dict) -> list[object]:
    records = value.get("Records")
    if isinstance(records, list):
        return records
    if "eventName" in value and "eventTime" in value:
        return [value]
    detail = value.get("detail")
    if (
        isinstance(detail, dict) and "eventName" in detail
    ):  # an EventBridge "AWS API Call via CloudTrail" event
        return [detail]
    return []


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


def _existing_org_id(root: Path) -> str | None:
    base = root / "AWSLogs"
    if base.is_dir():
        for child in sorted(base.iterdir()):
            if is_org_id(child.name) and child.is_dir():
                return child.name
    return None


def _suffix(digest: str) -> str:
    """A 16-character name suffix in CloudTrail's alphabet, from the content digest."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    n = int(digest, 16)
    out = []
    for _ in range(16):
        n, r = divmod(n, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)


# --- showing what came from outside --------------------------------------------------------------------------


def _shown(text: str, limit: int = 300) -> str:
    """``text`` safe to print: control and format characters escaped (no terminal escapes), length capped."""
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in text)


def _not_a(name: str, value: object, what: str) -> str:
    """Why a record's value cannot be used: ``awsRegion '../x' is not ...`` or ``awsRegion is an array, not ...``."""
    if isinstance(value, str):
        return f"{name} {_shown_value(value)} is not {what}"
    return f"{name} is {_json_type(value)}, not {what}"


def _shown_value(value: object) -> str:
    """A value of a record as a message quotes it: short, escaped, with its JSON type when not a string."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:79] + "…")
    return _json_type(value)


def _json_type(value: object) -> str:
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
