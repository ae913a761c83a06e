"""What an Athena query will scan, known before it runs: the S3 objects of the partitions it reads.

Athena bills the bytes it reads, and for the trail's gzip JSON it reads every object of every partition
the query names, whole (Athena User Guide, "Partitioning data", and pricing page, 2024). So the sum of
the object sizes under the partitions :func:`~orginsight.engines.pruning.partition_filter` allows is what
the query will cost, before it costs it: one read-only ``ListObjectsV2`` listing per account and region,
from the window's first day and stopped after its last. A Parquet table (``athena_compact``) is read by
column, so its listing is an upper bound of what Athena scans.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import unquote

from sqlglot import exp

from orginsight.engines.pruning import PartitionFilter, date_of, partition_filter, table_refs
from orginsight.errors import LakeError

PRICE_PER_TB_USD = 5.0
"""Athena SQL price per TB scanned in most regions (AWS Athena pricing page, 2024)."""

_TRAIL = re.compile(r"^s3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/((?:[^'\\]*/)?AWSLogs/o-[a-z0-9]{10,32}/)$")
_DAY_KEY = re.compile(r"^(\d{4})/(\d{2})/(\d{2})/")
_ACCOUNT = re.compile(r"^\d{12}$")
_HIVE_PARTITION = re.compile(r"account=([^/]+)/region=([^/]+)/timestamp=([^/]+)/")


@dataclass(frozen=True)
class S3Location:
    """An S3 folder: a bucket and a key prefix that ends with ``/`` (or is empty)."""

    bucket: str
    prefix: str

    @classmethod
    def trail(cls, uri: str) -> S3Location:
        """The organization trail's ``s3://BUCKET/[PREFIX/]AWSLogs/o-xxxx/``, checked for that shape."""
        m = _TRAIL.match(uri if uri.endswith("/") else uri + "/")
        if not m:
            raise LakeError(
                f"not an organization trail location: {uri!r}; expected s3://BUCKET/[PREFIX/]AWSLogs/o-xxxxxxxxxx/"
            )
        return cls(m[1], m[2])

    @classmethod
    def folder(cls, uri: str) -> S3Location:
        """Any ``s3://BUCKET/PREFIX/`` (a table's location)."""
        bucket, _, prefix = uri.removeprefix("s3://").partition("/")
        if not uri.startswith("s3://") or not bucket or "'" in uri or "\\" in uri:
            raise LakeError(f"not an S3 folder: {uri!r}; expected s3://BUCKET/PREFIX/")
        return cls(bucket, prefix if not prefix or prefix.endswith("/") else prefix + "/")

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


@dataclass(frozen=True)
class PartitionSize:
    """One partition of the trail (account, region, day) and the objects under it."""

    account: str
    region: str
    day: date
    objects: int
    bytes: int


@dataclass(frozen=True)
class ScanEstimate:
    """What a query will read on Athena, from the S3 listing of the partitions it names."""

    bytes: int
    objects: int
    partitions: int
    notes: tuple[str, ...] = ()

    @property
    def cost_usd(self) -> float:
        """Athena's charge for scanning ``bytes`` (its 10 MB minimum per query aside)."""
        return self.bytes / 1024**4 * PRICE_PER_TB_USD

    def line(self) -> str:
        """One line for people, shown before the query runs."""
        return (
            f"expected scan: {self.bytes:,} bytes in {self.objects:,} object(s) of {self.partitions:,} "
            f"partition(s) (about ${self.cost_usd:.4f})"
        )


def folders(s3: Any, location: S3Location) -> list[str]:
    """The names of the folders directly under ``location`` (a delimited listing)."""
    pages = s3.get_paginator("list_objects_v2").paginate(
        Bucket=location.bucket, Prefix=location.prefix, Delimiter="/"
    )
    return [
        p["Prefix"][len(location.prefix) :].rstrip("/")
        for page in pages
        for p in page.get("CommonPrefixes", [])
    ]


def raw_partitions(s3: Any, trail: S3Location, pf: PartitionFilter | None = None) -> list[PartitionSize]:
    """The trail's non-empty partitions that ``pf`` allows, with their objects' count and size.

    Accounts and regions not named by ``pf`` are read from the listing's folders; within one account and
    region the listing starts after the day before the first and stops after the last day.
    """
    pf = pf or PartitionFilter()
    accounts = sorted(pf.accounts) if pf.accounts is not None else folders(s3, trail)
    found: list[PartitionSize] = []
    for account in (a for a in accounts if _ACCOUNT.match(a)):
        cloudtrail = S3Location(trail.bucket, f"{trail.prefix}{account}/CloudTrail/")
        regions = sorted(pf.regions) if pf.regions is not None else folders(s3, cloudtrail)
        for region in regions:
            prefix = f"{cloudtrail.prefix}{region}/"
            found.extend(_day_sizes(s3, trail.bucket, prefix, account, region, pf))
    return found


def _day_sizes(
    s3: Any, bucket: str, prefix: str, account: str, region: str, pf: PartitionFilter
) -> Iterator[PartitionSize]:
    request: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    if pf.first_day is not None:
        request["StartAfter"] = prefix + pf.first_day.strftime("%Y/%m/%d")
    sizes: dict[date, list[int]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(**request):
        past_last = False
        for obj in page.get("Contents", []):
            day = date_of(_DAY_KEY.match(obj["Key"][len(prefix) :]))
            if day is None or not pf.allows(account, region, day):
                past_last = day is not None and pf.last_day is not None and day > pf.last_day
                if past_last:
                    break
                continue
            sizes.setdefault(day, []).append(int(obj["Size"]))
        if past_last:
            break
    for day, objects in sorted(sizes.items()):
        yield PartitionSize(account, region, day, len(objects), sum(objects))


def compact_partitions(
    s3: Any, location: S3Location, pf: PartitionFilter | None = None
) -> list[PartitionSize]:
    """The Parquet table's partitions under ``location`` (Hive folders ``account=/region=/timestamp=``)."""
    pf = pf or PartitionFilter()
    sizes: dict[tuple[str, str, date], list[int]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=location.bucket, Prefix=location.prefix):
        for obj in page.get("Contents", []):
            m = _HIVE_PARTITION.search(obj["Key"][len(location.prefix) :])
            day = date_of(_DAY_KEY.match(unquote(m[3]) + "/")) if m else None
            if m is None or day is None or not pf.allows(unquote(m[1]), unquote(m[2]), day):
                continue
            sizes.setdefault((unquote(m[1]), unquote(m[2]), day), []).append(int(obj["Size"]))
    return [PartitionSize(a, r, d, len(s), sum(s)) for (a, r, d), s in sorted(sizes.items())]


def total(partitions: Iterable[PartitionSize], notes: Iterable[str] = ()) -> ScanEstimate:
    """The estimate of reading ``partitions`` whole."""
    parts = list(partitions)
    return ScanEstimate(
        bytes=sum(p.bytes for p in parts),
        objects=sum(p.objects for p in parts),
        partitions=len(parts),
        notes=tuple(notes),
    )


def estimate_scan(tree: exp.Expression, s3: Any, trail: S3Location) -> ScanEstimate:
    """What the (cost-guarded) query ``tree`` will scan: each ``cloudtrail`` reference's partitions, listed."""
    parts: list[PartitionSize] = []
    notes = []
    for ref in table_refs(tree):
        pf = partition_filter(ref)
        if pf.first_day is None and pf.last_day is None:
            notes.append(f"{ref.alias_or_name}: no day bounds, every day of the trail is listed")
        parts.extend(raw_partitions(s3, trail, pf))
    return total(parts, notes)
