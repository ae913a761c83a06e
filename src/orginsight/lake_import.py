"""Put loose CloudTrail files into a lake's S3 key layout.

Analysts receive CloudTrail as a customer exported it: ``{"Records": [...]}``
objects, JSON lines, EventBridge events, directory trees, zip or tar archives.
Importing places every record under the key CloudTrail itself would have used
(account, region and day taken from the record), gzip-compressed, one file per
account, region and five minutes. File names derive from the records' content,
so importing the same input twice adds nothing.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import tarfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from orginsight.layout import cloudtrail_key

DEFAULT_ORG_ID = "o-localimport"
"""Org id used when neither the caller nor the lake names one (the layout needs one)."""

_SOURCE_NAME = re.compile(r"(?P<account>\d{12})_CloudTrail_(?P<region>[a-z0-9-]+)_")


@dataclass
class ImportReport:
    """What an import did: every input is either read or listed in ``failures`` with the reason."""

    inputs_read: int = 0
    records_read: int = 0
    records_placed: int = 0
    duplicates: int = 0
    files_written: int = 0
    files_already_present: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [
            f"read {self.records_read} records from {self.inputs_read} input(s); "
            f"placed {self.records_placed} in {self.files_written} new file(s)"
            + (f", {self.files_already_present} file(s) already in the lake" if self.files_already_present else "")
            + (f", {self.duplicates} duplicate record(s) skipped" if self.duplicates else "")
        ]
        lines += [f"note: {n}" for n in self.notes]
        lines += [f"could not read {src}: {why}" for src, why in self.failures]
        return "\n".join(lines)


def import_files(sources: Iterable[str | os.PathLike[str]], lake: str | os.PathLike[str],
                 org_id: str | None = None) -> ImportReport:
    """Import CloudTrail records from files, folders and archives into the lake at ``lake``."""
    report = ImportReport()
    root = Path(lake)
    org_id = org_id or _existing_org_id(root) or DEFAULT_ORG_ID
    groups: dict[tuple[str, str, datetime], list[dict]] = defaultdict(list)
    seen: set[str] = set()
    untimed: dict[str, int] = defaultdict(int)
    mismatches: dict[tuple[str, str], int] = defaultdict(int)
    for name, data in _iter_inputs(sources, report):
        try:
            records = parse_records(data)
        except ValueError as e:
            report.failures.append((name, str(e)))
            continue
        report.inputs_read += 1
        report.records_read += len(records)
        mismatch = _account_mismatch(name, records)
        if mismatch:
            mismatches[mismatch] += 1
        times = [t for t in map(_record_time, records) if t]
        fallback_time = min(times) if times else None
        for rec in records:
            key = rec.get("eventID") or hashlib.sha256(json.dumps(rec, sort_keys=True).encode()).hexdigest()
            if key in seen:
                report.duplicates += 1
                continue
            seen.add(key)
            try:
                account, region, bucket = _placement(rec, fallback_time)
            except ValueError as e:
                report.failures.append((f"{name} (record {rec.get('eventID', '?')})", str(e)))
                continue
            if "eventTime" not in rec:
                untimed[name] += 1
            groups[(account, region, bucket)].append(rec)
    for (named, actual), n in mismatches.items():
        report.notes.append(f"{n} file(s) named for account {named} hold records of account {actual}; "
                            "placed by the records")
    for name, n in untimed.items():
        report.notes.append(f"{name}: {n} record(s) have no eventTime; placed by their session's creationDate "
                            "or the earliest time in the same input (their eventtime stays empty)")
    for (account, region, bucket), records in sorted(groups.items()):
        records.sort(key=lambda r: (r.get("eventTime") or "", r.get("eventID") or ""))
        body = json.dumps({"Records": records}, separators=(",", ":")).encode()
        digest = hashlib.sha256(body).hexdigest()
        suffix = _suffix(digest)
        path = root / cloudtrail_key(account, region, bucket, org_id=org_id, suffix=suffix)
        report.records_placed += len(records)
        if path.exists():
            report.files_already_present += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        # mtime=0 keeps the bytes, and so a re-import, identical.
        with open(tmp, "wb") as fh, gzip.GzipFile(fileobj=fh, mode="wb", mtime=0) as gz:
            gz.write(body)
        os.replace(tmp, path)
        report.files_written += 1
    return report


def parse_records(data: bytes) -> list[dict]:
    """CloudTrail records from one input's bytes, whatever the wrapping; ValueError says why not."""
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as e:
            raise ValueError(f"corrupt or truncated gzip ({e})") from e
    text = data.decode("utf-8-sig", errors="replace").strip()
    if not text:
        raise ValueError("empty file")
    try:
        doc = json.loads(text)
        values = doc if isinstance(doc, list) else [doc]
    except json.JSONDecodeError as whole_error:
        values = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                values.append(json.loads(line))
            except json.JSONDecodeError as e:
                if n == 1:
                    raise ValueError(f"not JSON: {whole_error}") from e
                raise ValueError(f"line {n} is not JSON: {e}") from e
    records: list[dict] = []
    for v in values:
        records.extend(_records_in(v))
    if not records:
        raise ValueError('no CloudTrail records (expected {"Records": [...]}, JSON lines of records, or EventBridge events)')
    return records


def _records_in(value: object) -> list[dict]:
    if not isinstance(value, dict):
        return []
    if isinstance(value.get("Records"), list):
        return [r for r in value["Records"] if isinstance(r, dict)]
    if "eventName" in value and "eventTime" in value:
        return [value]
    detail = value.get("detail")
    if isinstance(detail, dict) and "eventName" in detail:  # an EventBridge "AWS API Call via CloudTrail" event
        return [detail]
    return []


def _record_time(rec: dict) -> str | None:
    """The record's eventTime or, when a dataset stripped it, its session's creationDate."""
    identity = rec.get("userIdentity") or {}
    return rec.get("eventTime") or ((identity.get("sessionContext") or {}).get("attributes") or {}).get("creationDate")


def _placement(rec: dict, fallback_time: str | None = None) -> tuple[str, str, datetime]:
    """Account, region and 5-minute delivery bucket of a record.

    A record without ``eventTime`` (some public datasets strip it) is placed by the
    nearest time it carries, else by the earliest time in its input; its
    ``eventtime`` column stays empty, so nothing is invented in the data itself.
    """
    identity = rec.get("userIdentity") or {}
    account = rec.get("recipientAccountId") or identity.get("accountId")
    region = rec.get("awsRegion")
    when = _record_time(rec) or fallback_time
    if not account or not re.fullmatch(r"\d{12}", str(account)):
        raise ValueError("record has no recipientAccountId (nor userIdentity.accountId) to place it by")
    if not region:
        raise ValueError("record has no awsRegion to place it by")
    try:
        t = datetime.fromisoformat(str(when).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as e:
        raise ValueError(f"record has no usable eventTime ({when!r})") from e
    return str(account), str(region), t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)


def _iter_inputs(sources: Iterable[str | os.PathLike[str]], report: ImportReport) -> Iterator[tuple[str, bytes]]:
    for src in sources:
        path = Path(src)
        if path.is_dir():
            for p in sorted(path.rglob("*")):
                if p.is_file() and not _ignored(p.name):
                    yield from _iter_file(p, report)
        elif path.is_file():
            yield from _iter_file(path, report)
        else:
            report.failures.append((str(path), "no such file or folder"))


def _iter_file(path: Path, report: ImportReport) -> Iterator[tuple[str, bytes]]:
    name = path.name.lower()
    try:
        if name.endswith(".zip"):
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if not info.is_dir() and not _ignored(info.filename):
                        yield f"{path}!{info.filename}", zf.read(info)
        elif name.endswith((".tar", ".tar.gz", ".tgz")):
            with tarfile.open(path) as tf:
                for member in tf.getmembers():
                    if member.isfile() and not _ignored(member.name):
                        fh = tf.extractfile(member)
                        if fh is not None:
                            yield f"{path}!{member.name}", fh.read()
        else:
            yield str(path), path.read_bytes()
    except (OSError, zipfile.BadZipFile, tarfile.TarError, EOFError) as e:
        report.failures.append((str(path), f"cannot open archive or file: {e}"))


def _ignored(name: str) -> bool:
    base = os.path.basename(name)
    return base.startswith(".") or base in {"LICENSE", "README.md"} or "CloudTrail-Digest" in name


def _account_mismatch(name: str, records: list[dict]) -> tuple[str, str] | None:
    """(account in the file name, accounts in the records) when a CloudTrail file name disagrees."""
    m = _SOURCE_NAME.search(os.path.basename(name))
    if not m:
        return None
    accounts = {r.get("recipientAccountId") for r in records} - {None}
    if accounts and m["account"] not in accounts:
        return m["account"], ", ".join(sorted(accounts))
    return None


def _existing_org_id(root: Path) -> str | None:
    base = root / "AWSLogs"
    if base.is_dir():
        for child in sorted(base.iterdir()):
            if child.name.startswith("o-"):
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

