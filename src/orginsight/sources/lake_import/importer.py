"""The import: read every input member, place its records in batches, keep the report exact."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import BinaryIO

from orginsight.errors import LakeError
from orginsight.sources.insights import is_insight_record
from orginsight.sources.lake_import.inputs import (
    DEFAULT_MAX_MEMBER_BYTES,
    _iter_members,
    _MemberError,
    _text_chunks,
)
from orginsight.sources.lake_import.partitions import (
    _LOG_SUFFIXES,
    _fsync_dir,
    _lake_file_keys,
    _link_or_copy,
    _Partition,
    _partition_lock,
    _PartitionUnavailable,
    _readable_records,
    _suffix,
    _write_temporary,
)
from orginsight.sources.lake_import.records import (
    _NO_RECORDS,
    _bucket,
    _iter_candidates,
    _NoTime,
    _place,
    _record_key,
    _sort_key,
    _Text,
)
from orginsight.sources.lake_import.report import ImportReport, LakeRepair, _json_type, _shown, _shown_value
from orginsight.sources.layout import cloudtrail_key, insight_key, is_org_id, path_inside
from orginsight.sources.network import placement as network_placement

DEFAULT_ORG_ID = "o-localimport"
"""Org id used when neither the caller nor the lake names one (the layout needs one)."""

_SOURCE_NAME = re.compile(r"(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_")
_FLUSH_BYTES = 32 << 20
"""Serialized records held before they are written: bounds memory whatever the size of the inputs."""


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


def _raised(error: Exception) -> Iterator[str]:
    """The rest of a member whose reading already failed: the same error, where the parser meets it."""
    raise error
    yield ""


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
        self.partitions: dict[tuple[str, str, date, bool], _Partition] = {}
        self.pending_bytes = 0
        self.untimed: dict[str, int] = defaultdict(int)
        self.mismatches: dict[tuple[str, str], int] = defaultdict(int)

    def read_member(self, name: str, stream: BinaryIO) -> None:
        """Place every record of one member; a break in the member keeps the records read before it."""
        state = _MemberState()
        count = 0
        broken: str | None = None
        chunks = _text_chunks(stream, self.cap)
        head, error = network_placement.first_line_of(chunks)
        kind = network_placement.kind_of(head)
        if kind is not None and error is None:  # flow logs or resolver logs: placed by sources/network
            try:
                return network_placement.place(
                    self.root, name, itertools.chain([head], chunks), kind, self.report
                )
            except _MemberError as e:
                return self.report.fail(name, str(e))
        text = _Text(itertools.chain([head], _raised(error) if error else chunks))

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
        part = self._partition(account, region, bucket.date(), is_insight_record(rec))
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

    def _partition(self, account: str, region: str, day: date, insight: bool = False) -> _Partition:
        """The day folder of the trail (or of its Insights events: ``CloudTrail-Insight/``) a record goes to."""
        part = self.partitions.get((account, region, day, insight))
        if part is None:
            day_start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            key = insight_key if insight else cloudtrail_key
            rel = key(account, region, day_start, org_id=self.org_id, suffix="x").rsplit("/", 1)[0]
            part = _Partition(self.root / rel, rel, account, region, insight=insight)
            if not path_inside(self.root, part.folder):
                part.unusable = (
                    f"its folder {rel} resolves outside the lake (a symbolic link inside the lake?); "
                    "remove the link and import again"
                )
            self.partitions[(account, region, day, insight)] = part
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
            key = insight_key if part.insight else cloudtrail_key
            name = key(part.account, part.region, bucket, suffix=_suffix(digest)).rsplit("/", 1)[1]
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


def _existing_org_id(root: Path) -> str | None:
    base = root / "AWSLogs"
    if base.is_dir():
        for child in sorted(base.iterdir()):
            if is_org_id(child.name) and child.is_dir():
                return child.name
    return None
