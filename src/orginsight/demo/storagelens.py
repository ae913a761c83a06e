"""S3 Storage Lens daily metrics exports of the demo organization, with planted posture drift.

Layout and columns as documented (S3 User Guide, "Understanding the Amazon S3 Storage Lens
export schema" and "What is an S3 Storage Lens export manifest?", 2025; see
``../shared/data/storagelens/SCHEMA_NOTES.md``): one organization-level configuration owned
by the management account, one CSV a day in long format (one metric per row) with its
``manifest.json``. The CSV starts with a header row holding the manifest's ``reportSchema``:
AWS documents the columns in the manifest but not whether CSV files carry a header, so
readers must accept both (``orginsight.sources.storagelens`` does).

Metrics are the non-derived names of the metrics glossary, with one exception:
``ObjectLockEnabledStorageBytes``/``ObjectLockEnabledObjectCount`` are published by S3 to
CloudWatch and the export, although the glossary's Derived column marks them "Y" with a
formula copied from the row above (a glossary slip; there is no way to derive them).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from orginsight.demo.estate import bucket_names
from orginsight.demo.org import HOME_REGION, STORAGE_LENS_CONFIG_ID, Account, Organization
from orginsight.demo.records import new_uuid
from orginsight.sources.storagelens import EXPORT_COLUMNS

REPORT_SCHEMA = EXPORT_COLUMNS
"""Column order of a general-purpose-bucket export: the reader's schema, so both follow one list."""

HISTORY_DAYS = 90
GiB = 1024**3


@dataclass
class Bucket:
    name: str
    account: Account
    region: str
    size0: float
    growth: float
    avg_object: int
    versioned: bool = True
    kms: bool = True
    object_lock: bool = False
    created_day: int = 0
    versioning_off_day: int | None = None
    unencrypted_from_day: int | None = None
    storage_class: str = "STANDARD"
    prefixes: tuple[str, ...] = ()


def org_buckets(org: Organization, rng: random.Random) -> tuple[list[Bucket], dict]:
    """Every bucket of the organization and the posture drift planted among them."""
    buckets: list[Bucket] = []
    for a in org.accounts:
        for i, name in enumerate(bucket_names(a)):
            buckets.append(
                Bucket(
                    name=name,
                    account=a,
                    region=a.regions[0] if i != 1 else a.regions[-1],
                    size0=rng.uniform(20, 900) * GiB * (3 if a.role == "log-archive" else 1),
                    growth=rng.uniform(0.002, 0.012),
                    avg_object=rng.choice((48_000, 220_000, 1_400_000)),
                    prefixes=("customers/", "invoices/", "events/2026/") if i == 0 else (),
                )
            )
    log = org.by_role("log-archive")
    trail_bucket = next(b for b in buckets if b.account is log)
    trail_bucket.object_lock = True
    trail_bucket.storage_class = "STANDARD_IA"
    trail_bucket.growth = 0.015
    nonprod = org.by_role("nonprod")
    enc_drop = next(b for b in buckets if b.account is nonprod and "app-assets" in b.name)
    enc_drop.unencrypted_from_day = HISTORY_DAYS - 40
    prod = org.by_role("prod")
    versioning_off = next(b for b in buckets if b.account is prod and "build-artifacts" in b.name)
    versioning_off.versioning_off_day = HISTORY_DAYS - 25
    sandbox = next((a for a in org.accounts if a.role == "sandbox"), nonprod)
    new_bucket = Bucket(
        name=f"{sandbox.name}-tmp-share-{sandbox.id}",
        account=sandbox,
        region=sandbox.regions[0],
        size0=3 * GiB,
        growth=0.09,
        avg_object=900_000,
        versioned=False,
        kms=False,
        created_day=HISTORY_DAYS - 12,
        unencrypted_from_day=HISTORY_DAYS - 12,
    )
    buckets.append(new_bucket)
    end_day = org.end - timedelta(days=1)
    first_day = end_day - timedelta(days=HISTORY_DAYS - 1)

    def day(n: int) -> str:
        return (first_day + timedelta(days=n)).strftime("%Y-%m-%d")

    posture = {
        "storage_lens_config_id": STORAGE_LENS_CONFIG_ID,
        "storage_lens_account": org.management.id,
        "first_report_date": day(0),
        "last_report_date": day(HISTORY_DAYS - 1),
        "encryption_coverage_drop": {
            "account": enc_drop.account.id,
            "bucket": enc_drop.name,
            "from_date": day(enc_drop.unencrypted_from_day),
        },
        "versioning_disabled": {
            "account": versioning_off.account.id,
            "bucket": versioning_off.name,
            "from_date": day(versioning_off.versioning_off_day),
        },
        "new_unencrypted_bucket": {
            "account": new_bucket.account.id,
            "bucket": new_bucket.name,
            "first_date": day(new_bucket.created_day),
        },
        "object_lock": {"account": trail_bucket.account.id, "bucket": trail_bucket.name},
    }
    return buckets, posture


def _bucket_metrics(
    b: Bucket, d: int, rng: random.Random, downloads_boost: float
) -> list[tuple[str, str, int]]:
    """(storage_class, metric, value) of one bucket on day ``d`` of the history."""
    age = d - b.created_day
    size = b.size0 * (1 + b.growth) ** age * rng.uniform(0.998, 1.002)
    objects = int(size / b.avg_object)
    encrypted = size
    enc_objects = objects
    if b.unencrypted_from_day is not None and d >= b.unencrypted_from_day:
        if b.created_day >= b.unencrypted_from_day:
            encrypted, enc_objects = 0, 0
        else:
            base = b.size0 * (1 + b.growth) ** (b.unencrypted_from_day - b.created_day)
            # New uploads arrive unencrypted (a legacy client that strips the SSE header, say) and grow faster.
            size = base + (size - base) * 6
            objects = int(size / b.avg_object)
            encrypted, enc_objects = base, int(base / b.avg_object)
    versioned = b.versioned and (b.versioning_off_day is None or d < b.versioning_off_day)
    frozen = d if versioned or b.versioning_off_day is None else b.versioning_off_day
    noncurrent = (b.size0 * 0.12 * (1 + b.growth * 1.5) ** (frozen - b.created_day)) if b.versioned else 0
    sc = b.storage_class
    m = [
        (sc, "StorageBytes", int(size + noncurrent)),
        (sc, "ObjectCount", objects + int(noncurrent / b.avg_object)),
        (sc, "CurrentVersionStorageBytes", int(size)),
        (sc, "CurrentVersionObjectCount", objects),
        (sc, "NonCurrentVersionStorageBytes", int(noncurrent)),
        (sc, "NonCurrentVersionObjectCount", int(noncurrent / b.avg_object)),
        (sc, "DeleteMarkerObjectCount", int(objects * 0.004) if b.versioned else 0),
        (sc, "EncryptedStorageBytes", int(encrypted + (noncurrent if encrypted else 0))),
        (sc, "EncryptedObjectCount", enc_objects + (int(noncurrent / b.avg_object) if enc_objects else 0)),
        (sc, "IncompleteMultipartUploadStorageBytes", int(size * 0.001 * rng.random())),
        (sc, "IncompleteMPUStorageBytesOlderThan7Days", int(size * 0.0004 * rng.random())),
        (sc, "ObjectLockEnabledStorageBytes", int(size + noncurrent) if b.object_lock else 0),
        (sc, "ObjectLockEnabledObjectCount", objects if b.object_lock else 0),
        ("-", "VersioningEnabledBucketCount", int(versioned)),
        ("-", "SSEKMSEnabledBucketCount", int(b.kms)),
        ("-", "ObjectOwnershipBucketOwnerEnforcedBucketCount", 1),
    ]
    gets = int(objects * rng.uniform(0.01, 0.05) * downloads_boost)
    puts = int(objects * b.growth * rng.uniform(0.8, 1.2))
    m += [
        (sc, "AllRequests", gets + puts + int(gets * 0.2)),
        (sc, "GetRequests", gets),
        (sc, "PutRequests", puts),
        (sc, "BytesDownloaded", int(gets * b.avg_object * 0.7)),
        (sc, "BytesUploaded", int(puts * b.avg_object)),
        (sc, "4xxErrors", int(gets * 0.002 * rng.random())),
    ]
    return m


def export_destination(org: Organization) -> str:
    """The ARN of the bucket the organization dashboard exports to (the log archive's access-logs bucket)."""
    return f"arn:aws:s3:::{bucket_names(org.by_role('log-archive'))[1]}"


def storage_lens_configuration_responses(org: Organization) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """GetStorageLensConfiguration of the organization dashboard, keyed like ``org.service_responses``: the
    whole organization (``AwsOrg``), prefix-level metrics, a daily CSV export to ``export_destination``."""
    mgmt = org.management
    config = {
        "Id": STORAGE_LENS_CONFIG_ID,
        "AccountLevel": {"BucketLevel": {"PrefixLevel": {"StorageMetrics": {"IsEnabled": True}}}},
        "IsEnabled": True,
        "AwsOrg": {"Arn": f"arn:aws:organizations::{mgmt.id}:organization/{org.id}"},
        "DataExport": {
            "S3BucketDestination": {
                "Format": "CSV",
                "OutputSchemaVersion": "V_1",
                "AccountId": org.by_role("log-archive").id,
                "Arn": export_destination(org),
            }
        },
        "StorageLensArn": f"arn:aws:s3:{HOME_REGION}:{mgmt.id}:storage-lens/{STORAGE_LENS_CONFIG_ID}",
    }
    call = {
        "params": {"ConfigId": STORAGE_LENS_CONFIG_ID, "AccountId": mgmt.id},
        "response": {"StorageLensConfiguration": config},
    }
    return {("s3control", HOME_REGION): {"get_storage_lens_configuration": [call]}}


def write_storage_lens(lake: str, org: Organization, seed: int, exfil: dict | None = None) -> dict:
    """Write 90 daily exports and manifests; returns the planted posture facts for scenario.json."""
    rng = random.Random(f"storagelens/{seed}")
    buckets, posture = org_buckets(org, rng)
    owner = org.management.id
    dest = export_destination(org)
    first_day = org.end - timedelta(days=HISTORY_DAYS)
    files = 0
    exfil_day = None
    if exfil:
        exfil_day = (datetime.strptime(exfil["date"], "%Y-%m-%d") - first_day).days
    for d in range(HISTORY_DAYS):
        date = (first_day + timedelta(days=d)).strftime("%Y-%m-%d")
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(REPORT_SCHEMA)
        per_account: dict[tuple[str, str, str, str], int] = {}
        for b in buckets:
            if d < b.created_day:
                continue
            joined_day = (b.account.joined - first_day).days
            if d < joined_day:
                continue
            boost = 40.0 if exfil and exfil_day == d and b.name == exfil["bucket"] else 1.0
            for sc, metric, value in _bucket_metrics(b, d, rng, boost):
                w.writerow(_bucket_row(date, b, sc, "BUCKET", b.name, metric, value))
                k = (b.account.id, b.region, sc, metric)
                per_account[k] = per_account.get(k, 0) + value
                if metric in ("StorageBytes", "ObjectCount") and b.prefixes:
                    shares = (0.55, 0.3, 0.15)
                    for p, share in zip(b.prefixes, shares, strict=False):
                        w.writerow(_bucket_row(date, b, sc, "PREFIX", p, metric, int(value * share)))
        for (acct, region, sc, metric), value in sorted(per_account.items()):
            w.writerow(
                ("V_1", STORAGE_LENS_CONFIG_ID, date, acct, region, sc, "ACCOUNT", acct, "", metric, value)
            )
        data = buf.getvalue().encode()
        base = f"StorageLens/{owner}/{STORAGE_LENS_CONFIG_ID}/V_1"
        report_key = f"{base}/reports/dt={date}/{new_uuid(rng)}.csv"
        _write(lake, report_key, data)
        manifest = {
            "sourceAccountId": owner,
            "configId": STORAGE_LENS_CONFIG_ID,
            "destinationBucket": dest,
            "reportVersion": "V_1",
            "reportDate": date,
            "reportFormat": "CSV",
            "reportSchema": ",".join(REPORT_SCHEMA),
            "reportFiles": [
                {"key": report_key, "size": len(data), "md5Checksum": hashlib.md5(data).hexdigest()}
            ],
        }
        _write(lake, f"{base}/manifests/dt={date}/manifest.json", json.dumps(manifest, indent=1).encode())
        files += 1
    posture["buckets"] = len(buckets)
    posture["home_region"] = HOME_REGION
    posture["report_files"] = files
    return posture


def _bucket_row(
    date: str, b: Bucket, storage_class: str, record_type: str, record_value: str, metric: str, value: int
) -> tuple:
    """One export row about bucket ``b`` (``BUCKET``) or one of its prefixes (``PREFIX``), in
    ``REPORT_SCHEMA`` order; the record value is URL-encoded, as Storage Lens writes it."""
    return (
        "V_1",
        STORAGE_LENS_CONFIG_ID,
        date,
        b.account.id,
        b.region,
        storage_class,
        record_type,
        quote(record_value, safe=""),
        b.name,
        metric,
        value,
    )


def _write(lake: str, key: str, data: bytes) -> None:
    path = os.path.join(lake, key)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
