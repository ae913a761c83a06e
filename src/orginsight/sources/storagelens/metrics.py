"""The derived data-protection metrics of Storage Lens, per record, per bucket and per account.

The export leaves out the metrics the glossary marks ``Derived=Y``; this module
computes the data-protection ones (unencrypted bytes/objects, and encryption,
versioning, replication and object-lock coverage as ratios). The AWS glossary as
published (``metrics_glossary.csv``, copied 2024) has copy-paste slips in several
formulas (``% encrypted bytes`` divides an object count by bytes, the replication
destination and object-lock rows repeat the unencrypted-objects formula, and mark
exported metrics such as ``ReplicatedStorageBytes`` as derived); the formulas below
follow each metric's *description*, and ``DERIVED_METRICS`` records them so a reviewer
can check each one.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import pandas as pd

from orginsight.sources.storagelens.read import pivot_wide, read_exports


def _ratio(num: str, den: str) -> tuple[str, str, str]:
    return (num, den, f"sum({num})/sum({den})")


DERIVED_METRICS: dict[str, tuple[str, ...]] = {
    # name: (numerator, denominator, formula) for ratios; (minuend, subtrahend, formula) for differences
    "UnencryptedStorageBytes": (
        "StorageBytes",
        "EncryptedStorageBytes",
        "sum(StorageBytes) - sum(EncryptedStorageBytes)",
    ),
    "UnencryptedObjectCount": (
        "ObjectCount",
        "EncryptedObjectCount",
        "sum(ObjectCount) - sum(EncryptedObjectCount)",
    ),
    "EncryptedStorageBytesRatio": _ratio("EncryptedStorageBytes", "StorageBytes"),
    "EncryptedObjectCountRatio": _ratio("EncryptedObjectCount", "ObjectCount"),
    "UnencryptedStorageBytesRatio": _ratio("UnencryptedStorageBytes", "StorageBytes"),
    "UnencryptedObjectCountRatio": _ratio("UnencryptedObjectCount", "ObjectCount"),
    "ReplicatedStorageBytesSourceRatio": _ratio("ReplicatedStorageBytesSource", "StorageBytes"),
    "ReplicatedObjectCountSourceRatio": _ratio("ReplicatedObjectCountSource", "ObjectCount"),
    "ReplicatedStorageBytesRatio": _ratio("ReplicatedStorageBytes", "StorageBytes"),
    "ReplicatedObjectCountRatio": _ratio("ReplicatedObjectCount", "ObjectCount"),
    "ObjectLockEnabledStorageBytesRatio": _ratio("ObjectLockEnabledStorageBytes", "StorageBytes"),
    "ObjectLockEnabledObjectCountRatio": _ratio("ObjectLockEnabledObjectCount", "ObjectCount"),
    "VersioningEnabledBucketRatio": _ratio("VersioningEnabledBucketCount", "DistinctNumberOfBuckets"),
    "MFADeleteEnabledBucketRatio": _ratio("MFADeleteEnabledBucketCount", "DistinctNumberOfBuckets"),
    "SSEKMSEnabledBucketRatio": _ratio("SSEKMSEnabledBucketCount", "DistinctNumberOfBuckets"),
}
"""Derived data-protection metrics, with the formula each follows (see the module docstring)."""

_DIFFERENCES = ("UnencryptedStorageBytes", "UnencryptedObjectCount")


def add_derived_metrics(wide: pd.DataFrame) -> pd.DataFrame:
    """The wide frame plus the derived data-protection metrics of ``DERIVED_METRICS``.

    Bucket-count ratios need ``DistinctNumberOfBuckets``; a BUCKET record counts as one
    bucket when the export does not carry it. A ratio over zero is NaN (not 0), so an empty
    bucket never reads as "0 % encrypted".
    """
    out = wide.copy()
    if "DistinctNumberOfBuckets" not in out.columns and "record_type" in out.columns:
        out["DistinctNumberOfBuckets"] = (
            (out["record_type"] == "BUCKET").astype("float").where(out["record_type"] == "BUCKET")
        )
    for name, (a, b, _formula) in DERIVED_METRICS.items():
        if a not in out.columns or b not in out.columns:
            continue
        x = pd.to_numeric(out[a], errors="coerce").astype("float64")
        y = pd.to_numeric(out[b], errors="coerce").astype("float64")
        if name in _DIFFERENCES:
            out[name] = x - y
        else:
            out[name] = (x / y).where(y > 0)
    return out


BUCKET_COUNT_METRICS = (
    "VersioningEnabledBucketCount",
    "MFADeleteEnabledBucketCount",
    "SSEKMSEnabledBucketCount",
    "ObjectLockEnabledBucketCount",
    "DistinctNumberOfBuckets",
)
"""Bucket-property metrics: a bucket has the property or not, whatever its storage classes."""

PROTECTION_SUMS = (
    "StorageBytes",
    "ObjectCount",
    "EncryptedStorageBytes",
    "EncryptedObjectCount",
    "ReplicatedStorageBytesSource",
    "ReplicatedObjectCountSource",
    "ReplicatedStorageBytes",
    "ReplicatedObjectCount",
    "ObjectLockEnabledStorageBytes",
    "ObjectLockEnabledObjectCount",
)


def bucket_protection(wide: pd.DataFrame) -> pd.DataFrame:
    """Per day, account, region and bucket: storage, encryption, versioning, replication, object lock.

    BUCKET records only; storage classes are summed for bytes and objects, and bucket
    properties (versioning ...) take the maximum, so a bucket split over storage classes
    still counts once. Columns: dt (datetime), account, region, bucket, the sums, derived
    unencrypted counts and ratios, and ``versioning_enabled`` (bool).
    """
    b = wide[wide["record_type"] == "BUCKET"] if "record_type" in wide.columns else wide.iloc[0:0]
    keys = ["dt", "aws_account_number", "aws_region", "bucket_name"]
    agg: dict[str, str] = {c: "sum" for c in PROTECTION_SUMS if c in b.columns}
    agg |= {c: "max" for c in BUCKET_COUNT_METRICS if c in b.columns}
    if b.empty:
        g = pd.DataFrame(columns=keys + list(agg))
    else:
        g = b.groupby(keys, dropna=False).agg(agg).reset_index()
    g["DistinctNumberOfBuckets"] = 1.0 if not g.empty else pd.Series(dtype="float64")
    g = add_derived_metrics(g.assign(record_type="BUCKET")).drop(columns=["record_type"])
    g["versioning_enabled"] = (
        g.get("VersioningEnabledBucketCount", pd.Series(0, index=g.index)).fillna(0).astype("int64") > 0
    )
    g = g.rename(columns={"aws_account_number": "account", "aws_region": "region", "bucket_name": "bucket"})
    g["dt"] = pd.to_datetime(g["dt"], utc=True)
    return g.sort_values(["account", "bucket", "dt"]).reset_index(drop=True)


def account_protection(buckets: pd.DataFrame, group_by: Iterable[str] = ("account",)) -> pd.DataFrame:
    """Data-protection coverage per day and ``group_by`` (account, region, OU ...) from ``bucket_protection``.

    Byte ratios are totals over totals (not means of bucket ratios), as Storage Lens
    computes them; versioning is the share of buckets with versioning on.
    """
    keys = ["dt", *group_by]
    sums = [c for c in PROTECTION_SUMS if c in buckets.columns]
    g = (
        buckets.groupby(keys, dropna=False)
        .agg(
            **{c: (c, "sum") for c in sums},
            DistinctNumberOfBuckets=("bucket", "nunique"),
            VersioningEnabledBucketCount=("versioning_enabled", "sum"),
        )
        .reset_index()
    )
    g["record_type"] = "BUCKET"
    return add_derived_metrics(g).drop(columns=["record_type"])


def read_bucket_protection(
    root: str | Path, *, since: date | str | None = None, progress: bool = False
) -> pd.DataFrame:
    """``bucket_protection`` straight from a lake: the one call notebooks and the report use."""
    long = read_exports(root, since=since, record_types=["BUCKET"], progress=progress)
    out = bucket_protection(pivot_wide(long))
    out.attrs["problems"] = long.attrs.get("problems", [])
    return out
