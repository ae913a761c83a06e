"""Storage Lens exports built from the documented schema (AWS S3 User Guide, "Understanding the Amazon S3
Storage Lens export schema"; notes in ../shared/data/storagelens/SCHEMA_NOTES.md): no public real export
exists, so the tests write small CSV and Parquet exports with the schema's columns, key layout and manifest."""

from __future__ import annotations

import csv
import hashlib
import json
import uuid
from pathlib import Path

from orginsight.sources import storagelens as sl

ACCOUNT = "111122223333"
CONFIG = "org-lens"


def row(
    dt,
    record_type,
    metric,
    value,
    *,
    bucket="",
    record_value="",
    storage_class="STANDARD",
    region="us-east-1",
    account=ACCOUNT,
):
    return {
        "version_number": "V_1",
        "configuration_id": CONFIG,
        "report_date": dt,
        "aws_account_number": account,
        "aws_region": region,
        "storage_class": storage_class,
        "record_type": record_type,
        "record_value": record_value,
        "bucket_name": bucket,
        "metric_name": metric,
        "metric_value": value,
    }


def write_export(
    root: Path,
    dt: str,
    rows: list[dict],
    *,
    fmt: str = "CSV",
    parts: int = 1,
    header: bool = True,
    prefix: str = "exports",
) -> list[Path]:
    """Write one day's export split over ``parts`` files, with its manifest, like Storage Lens does."""
    base = root / prefix / "StorageLens" / ACCOUNT / CONFIG / "V_1"
    reports = base / "reports" / f"dt={dt}"
    reports.mkdir(parents=True, exist_ok=True)
    files = []
    for i in range(parts):
        chunk = rows[i::parts]
        name = f"{uuid.UUID(int=i + 1)}.{'csv' if fmt == 'CSV' else 'par'}"
        path = reports / name
        if fmt == "CSV":
            with path.open("w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=sl.EXPORT_COLUMNS)
                if header:
                    w.writeheader()
                w.writerows(chunk)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            schema = pa.schema(
                [
                    pa.field(c, pa.int64() if c == "metric_value" else pa.string(), nullable=False)
                    for c in sl.EXPORT_COLUMNS
                ]
            )
            pq.write_table(pa.Table.from_pylist(chunk, schema=schema), path)
        files.append(path)
    manifest = {
        "sourceAccountId": ACCOUNT,
        "configId": CONFIG,
        "destinationBucket": "arn:aws:s3:::lens-exports",
        "reportVersion": "V_1",
        "reportDate": dt,
        "reportFormat": fmt,
        "reportSchema": sl.CSV_SCHEMA if fmt == "CSV" else sl.PARQUET_SCHEMA,
        "reportFiles": [
            {
                "key": f"{prefix}/{p.relative_to(root / prefix).as_posix()}",
                "size": p.stat().st_size,
                "md5Checksum": hashlib.md5(p.read_bytes()).hexdigest(),
            }
            for p in files
        ],
    }
    mdir = base / "manifests" / f"dt={dt}"
    mdir.mkdir(parents=True, exist_ok=True)
    (mdir / "manifest.json").write_text(json.dumps(manifest))
    return files


def day_rows(dt: str, *, alpha_encrypted: int = 800, alpha_versioning: int = 1) -> list[dict]:
    """alpha: two storage classes; beta: unencrypted, no versioning; plus account, prefix and group records."""
    return [
        row(dt, "BUCKET", "StorageBytes", 1000, bucket="alpha"),
        row(dt, "BUCKET", "EncryptedStorageBytes", alpha_encrypted, bucket="alpha"),
        row(dt, "BUCKET", "ObjectCount", 10, bucket="alpha"),
        row(dt, "BUCKET", "EncryptedObjectCount", 8, bucket="alpha"),
        row(dt, "BUCKET", "ReplicatedStorageBytesSource", 600, bucket="alpha"),
        row(dt, "BUCKET", "ObjectLockEnabledStorageBytes", 250, bucket="alpha"),
        row(dt, "BUCKET", "VersioningEnabledBucketCount", alpha_versioning, bucket="alpha"),
        row(dt, "BUCKET", "StorageBytes", 500, bucket="alpha", storage_class="STANDARD_IA"),
        row(dt, "BUCKET", "EncryptedStorageBytes", 500, bucket="alpha", storage_class="STANDARD_IA"),
        row(dt, "BUCKET", "ObjectCount", 5, bucket="alpha", storage_class="STANDARD_IA"),
        row(dt, "BUCKET", "EncryptedObjectCount", 5, bucket="alpha", storage_class="STANDARD_IA"),
        row(dt, "BUCKET", "ReplicatedStorageBytesSource", 300, bucket="alpha", storage_class="STANDARD_IA"),
        row(dt, "BUCKET", "ObjectLockEnabledStorageBytes", 0, bucket="alpha", storage_class="STANDARD_IA"),
        row(
            dt,
            "BUCKET",
            "VersioningEnabledBucketCount",
            alpha_versioning,
            bucket="alpha",
            storage_class="STANDARD_IA",
        ),
        row(dt, "BUCKET", "StorageBytes", 400, bucket="beta", region="eu-west-1"),
        row(dt, "BUCKET", "EncryptedStorageBytes", 0, bucket="beta", region="eu-west-1"),
        row(dt, "BUCKET", "ObjectCount", 4, bucket="beta", region="eu-west-1"),
        row(dt, "BUCKET", "EncryptedObjectCount", 0, bucket="beta", region="eu-west-1"),
        row(dt, "BUCKET", "VersioningEnabledBucketCount", 0, bucket="beta", region="eu-west-1"),
        row(dt, "ACCOUNT", "StorageBytes", 1900),
        row(dt, "ACCOUNT", "DistinctNumberOfBuckets", 2),
        row(dt, "ACCOUNT", "VersioningEnabledBucketCount", 1),
        row(dt, "PREFIX", "StorageBytes", 700, bucket="alpha", record_value="logs%2F2024+Q1%2Fa%2Bb%2F"),
        row(
            dt,
            "STORAGE_LENS_GROUP_ACCOUNT",
            "StorageBytes",
            123,
            record_value="arn%3Aaws%3As3%3Aus-east-1%3A111122223333%3Astorage-lens-group%2Fslg-1",
        ),
    ]
