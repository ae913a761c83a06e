"""The S3 key layouts of an organization's security data.

A local lake is a folder laid out exactly like the S3 buckets AWS writes to, so
the same partition logic serves DuckDB locally and Athena's partition projection.

CloudTrail (AWS CloudTrail User Guide, "Finding your CloudTrail log files", 2024):
    AWSLogs/<org-id>/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/
        <account>_CloudTrail_<region>_<yyyymmddThhmmZ>_<random>.json.gz
A single-account trail omits ``<org-id>/``. Digest and Insight files live under
``CloudTrail-Digest/`` and ``CloudTrail-Insight/`` and are not events.

GuardDuty export (GuardDuty User Guide, "Exporting findings", 2024):
    AWSLogs/<account>/GuardDuty/<region>/<yyyy>/<mm>/<dd>/<uuid>.jsonl.gz

S3 Storage Lens export (S3 User Guide, "Storage Lens export schema", 2024):
    StorageLens/<account>/<config-id>/V_1/reports/dt=<yyyy-mm-dd>/<uuid>.csv|.par
    StorageLens/<account>/<config-id>/V_1/manifests/dt=<yyyy-mm-dd>/manifest.json

Collector snapshots and recorded API responses (orginsight's own):
    snapshots/<collector>/<yyyymmddThhmmssZ>/<table>.parquet + manifest.json
    api/<service>/<region|global>/<Operation>.json   (list of {"params", "response"})
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

CLOUDTRAIL_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]{10,32})/)?(?P<account>\d{12})/CloudTrail/"
    r"(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)/(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/"
    r"(?P<name>[^/]+\.json(?:\.gz)?)$"
)
"""Matches an organization or single-account trail log file key; digest and insight keys do not match."""

GUARDDUTY_KEY = re.compile(
    r"(?:^|/)AWSLogs/(?P<account>\d{12})/GuardDuty/(?P<region>[a-z]{2}(?:-gov)?-[a-z]+-\d)/"
    r"(?P<yyyy>\d{4})/(?P<mm>\d{2})/(?P<dd>\d{2})/(?P<name>[^/]+\.jsonl(?:\.gz)?)$"
)

STORAGE_LENS_KEY = re.compile(
    r"(?:^|/)StorageLens/(?P<account>\d{12})/(?P<config>[^/]+)/V_1/reports/dt=(?P<dt>\d{4}-\d{2}-\d{2})/"
    r"(?P<name>[^/]+\.(?:csv|par|parquet)(?:\.gz)?)$"
)


@dataclass(frozen=True, slots=True)
class CloudTrailFile:
    """One CloudTrail log file of a lake, with the partition values its key carries."""

    path: str
    account: str
    region: str
    day: date
    org_id: str | None
    size: int

    @property
    def timestamp(self) -> str:
        """The partition value Athena's projection uses (``yyyy/MM/dd``)."""
        return self.day.strftime("%Y/%m/%d")


def parse_cloudtrail_key(key: str) -> dict[str, str] | None:
    """Partition values of a CloudTrail log file key, or None when the key is not a log file."""
    m = CLOUDTRAIL_KEY.search(key.replace(os.sep, "/"))
    return m.groupdict() if m else None


def cloudtrail_key(account: str, region: str, when: datetime, org_id: str | None = None,
                   suffix: str | None = None) -> str:
    """The key CloudTrail gives a log file delivered for ``account`` and ``region`` at ``when``."""
    suffix = suffix or _random_suffix()
    prefix = f"AWSLogs/{org_id}/{account}" if org_id else f"AWSLogs/{account}"
    return (
        f"{prefix}/CloudTrail/{region}/{when:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{when:%Y%m%dT%H%MZ}_{suffix}.json.gz"
    )


def guardduty_key(account: str, region: str, when: datetime, name: str) -> str:
    """The key of a GuardDuty findings export object."""
    return f"AWSLogs/{account}/GuardDuty/{region}/{when:%Y/%m/%d}/{name}.jsonl.gz"


def iter_cloudtrail_files(root: str | Path, partitions: PartitionSelector | None = None) -> Iterator[CloudTrailFile]:
    """Every CloudTrail log file below ``root``, skipping digests, insights and anything else.

    Walks only ``AWSLogs`` trees and, inside them, only ``CloudTrail`` folders, so a
    bucket that also holds GuardDuty exports or Config snapshots is cheap to index;
    with ``partitions``, folders of other accounts, regions and days are not even listed.
    """
    root = Path(root)
    base = root / "AWSLogs"
    if not base.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(base):
        rel = os.path.relpath(dirpath, root).replace(os.sep, "/")
        if re.fullmatch(r"AWSLogs/(?:o-[a-z0-9]+/)?\d{12}", rel):
            # An account folder: only its CloudTrail/ child holds events.
            account = rel.rsplit("/", 1)[1]
            wanted = partitions is None or partitions.accounts is None or account in partitions.accounts
            dirnames[:] = [d for d in dirnames if d == "CloudTrail" and wanted]
        elif partitions is not None:
            dirnames[:] = [d for d in dirnames if _may_hold(rel, d, partitions)]
        dirnames.sort()
        for name in sorted(filenames):
            full = os.path.join(dirpath, name)
            m = parse_cloudtrail_key(f"{rel}/{name}")
            if not m:
                continue
            yield CloudTrailFile(
                path=full,
                account=m["account"],
                region=m["region"],
                day=date(int(m["yyyy"]), int(m["mm"]), int(m["dd"])),
                org_id=m["org"],
                size=os.path.getsize(full),
            )


class PartitionSelector(Protocol):
    """What a walk may skip: accounts and regions not listed, days outside the range."""

    accounts: set[str] | None
    regions: set[str] | None
    first_day: date | None
    last_day: date | None


_CT_DIR = re.compile(r"/CloudTrail(?:/(?P<region>[a-z0-9-]+)(?:/(?P<y>\d{4})(?:/(?P<m>\d{2}))?)?)?$")


def _may_hold(rel: str, child: str, p: PartitionSelector) -> bool:
    """Whether folder ``rel/child`` of a CloudTrail tree can hold files the selector wants."""
    m = _CT_DIR.search(rel)
    if not m:
        return True
    if m["region"] is None:
        return p.regions is None or child in p.regions
    if not child.isdigit():
        return False
    if m["y"] is None:
        lo, hi = (int(child), 1, 1), (int(child), 12, 31)
    elif m["m"] is None:
        lo, hi = (int(m["y"]), int(child), 1), (int(m["y"]), int(child), 31)
    else:
        lo = hi = (int(m["y"]), int(m["m"]), int(child))
    if p.first_day is not None and hi < (p.first_day.year, p.first_day.month, p.first_day.day):
        return False
    return not (p.last_day is not None and lo > (p.last_day.year, p.last_day.month, p.last_day.day))


def _random_suffix() -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(secrets.choice(alphabet) for _ in range(16))
