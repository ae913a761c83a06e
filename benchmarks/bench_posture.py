"""Posture inputs: Storage Lens reading and CloudTrail coverage, against baselines measured in the same run.

1. Storage Lens: a synthetic 90-day export (split over 4 CSV files a day, with manifests) read
   by ``storagelens.read_exports`` (pyarrow, every manifest-listed file) against the
   obvious baseline, pandas ``read_csv`` file by file plus ``concat`` and URL decoding.
2. CloudTrail coverage: ``posture.cloudtrail_hourly`` (ONE aggregate query in the engine)
   against fetching the raw (account, region, eventtime) rows into pandas and grouping there.
   Uses a demo lake generated once into .bench/posture-lake.

Run: .venv/bin/python benchmarks/bench_posture.py [--buckets 400] [--days 90]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import quote, unquote_plus

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import pandas as pd  # noqa: E402

from orginsight import Lake  # noqa: E402
from orginsight.analytics import posture  # noqa: E402
from orginsight.sources import storagelens  # noqa: E402

BENCH = REPO / ".bench"
METRICS = [
    "StorageBytes",
    "ObjectCount",
    "EncryptedStorageBytes",
    "EncryptedObjectCount",
    "CurrentVersionStorageBytes",
    "NonCurrentVersionStorageBytes",
    "ReplicatedStorageBytesSource",
    "ObjectLockEnabledStorageBytes",
    "VersioningEnabledBucketCount",
    "AllRequests",
    "GetRequests",
    "PutRequests",
    "BytesDownloaded",
    "4xxErrors",
]


def write_exports(root: Path, buckets: int, days: int, parts: int = 4) -> int:
    """A Storage Lens export of ``buckets`` buckets (each with 2 prefixes) over ``days`` days."""
    rows_written = 0
    for d in range(days):
        dt = (pd.Timestamp("2026-01-01") + pd.Timedelta(days=d)).strftime("%Y-%m-%d")
        rows = []
        for b in range(buckets):
            acct = f"{100000000000 + b % 20:012d}"
            name = f"bucket-{b:05d}"
            for m, metric in enumerate(METRICS):
                rows.append(
                    (
                        "V_1",
                        "cfg",
                        dt,
                        acct,
                        "us-east-1",
                        "STANDARD",
                        "BUCKET",
                        quote(name, safe=""),
                        name,
                        metric,
                        1000 * b + m + d,
                    )
                )
            for p in ("logs/2026 Q1/", "data/"):
                rows.append(
                    (
                        "V_1",
                        "cfg",
                        dt,
                        acct,
                        "us-east-1",
                        "STANDARD",
                        "PREFIX",
                        quote(p, safe=""),
                        name,
                        "StorageBytes",
                        10 * b,
                    )
                )
        base = root / "StorageLens" / "111122223333" / "cfg" / "V_1"
        files = []
        for i in range(parts):
            path = base / "reports" / f"dt={dt}" / f"part-{i}.csv"
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("w", newline="") as f:
                w = csv.writer(f)
                w.writerow(storagelens.EXPORT_COLUMNS)
                w.writerows(rows[i::parts])
            files.append(path)
        manifest = {
            "sourceAccountId": "111122223333",
            "configId": "cfg",
            "reportDate": dt,
            "reportFormat": "CSV",
            "reportSchema": storagelens.CSV_SCHEMA,
            "reportFiles": [
                {
                    "key": p.relative_to(root).as_posix(),
                    "size": p.stat().st_size,
                    "md5Checksum": hashlib.md5(p.read_bytes()).hexdigest(),
                }
                for p in files
            ],
        }
        mdir = base / "manifests" / f"dt={dt}"
        mdir.mkdir(parents=True, exist_ok=True)
        (mdir / "manifest.json").write_text(json.dumps(manifest))
        rows_written += len(rows)
    return rows_written


def pandas_baseline(root: Path) -> pd.DataFrame:
    frames = [
        pd.read_csv(p, dtype={"aws_account_number": str}) for p in sorted(root.rglob("reports/dt=*/*.csv"))
    ]
    df = pd.concat(frames, ignore_index=True)
    df["record_value"] = df["record_value"].map(unquote_plus)
    return df


def timed(fn, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def bench_storage_lens(buckets: int, days: int) -> None:
    root = BENCH / "storagelens"
    shutil.rmtree(root, ignore_errors=True)
    rows = write_exports(root, buckets, days)
    size = sum(p.stat().st_size for p in root.rglob("*.csv"))
    print(f"Storage Lens export: {rows:,} rows, {days * 4} files, {size / 1e6:.1f} MB of CSV")
    t_base, base = timed(lambda: pandas_baseline(root))
    t_ours, ours = timed(lambda: storagelens.read_exports(root, verify_md5=False))
    t_md5, _ = timed(lambda: storagelens.read_exports(root))
    assert len(base) == len(ours) == rows
    t_pivot, wide = timed(lambda: storagelens.bucket_protection(storagelens.pivot_wide(ours)))
    print(f"  pandas read_csv per file (baseline)   {t_base:6.2f} s  {rows / t_base:12,.0f} rows/s")
    print(
        f"  read_exports (pyarrow, manifests)     {t_ours:6.2f} s  {rows / t_ours:12,.0f} rows/s  "
        f"x{t_base / t_ours:.1f} vs baseline"
    )
    print(f"  read_exports + MD5 check of files     {t_md5:6.2f} s  x{t_base / t_md5:.1f} vs baseline")
    print(f"  pivot + derived metrics per bucket    {t_pivot:6.2f} s  ({len(wide):,} bucket-days)")


def bench_cloudtrail_coverage(events_per_day: int) -> None:
    from orginsight.demo.generate import generate_lake

    lake_dir = BENCH / "posture-lake"
    if not (lake_dir / "scenario.json").exists():
        generate_lake(
            lake_dir, accounts=8, days=7, events_per_day=events_per_day, progress=False, overwrite=True
        )
    lake = Lake.local(lake_dir)
    since, until = pd.Timestamp("2026-11-20"), pd.Timestamp("2026-11-26")
    raw_sql = (
        'SELECT account, region, eventtime FROM cloudtrail WHERE "timestamp" >= :a AND "timestamp" <= :b'
    )

    def in_pandas() -> pd.DataFrame:
        raw = lake.sql(raw_sql, a=f"{since:%Y/%m/%d}", b=f"{until:%Y/%m/%d}")
        raw["hour"] = pd.to_datetime(raw["eventtime"], utc=True).dt.floor("h")
        return raw.groupby(["account", "region", "hour"]).size().rename("events").reset_index()

    lake.sql(raw_sql, a=f"{since:%Y/%m/%d}", b=f"{until:%Y/%m/%d}")  # warm the file checks and page cache
    t_raw, raw = timed(in_pandas)
    t_agg, agg = timed(lambda: posture.cloudtrail_hourly(lake, since, until))
    assert int(raw["events"].sum()) == int(agg["events"].sum())
    print(f"CloudTrail coverage over {int(agg['events'].sum()):,} events, {len(agg):,} account-region-hours")
    print(f"  raw rows into pandas, group there     {t_raw:6.2f} s")
    print(f"  one aggregate query in the engine     {t_agg:6.2f} s  x{t_raw / t_agg:.1f} vs baseline")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--buckets", type=int, default=400)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--events-per-day", type=int, default=20000)
    ap.add_argument("--only", choices=["storagelens", "cloudtrail"], help="run one of the two benchmarks")
    args = ap.parse_args()
    if args.only in (None, "storagelens"):
        bench_storage_lens(args.buckets, args.days)
    if args.only in (None, "cloudtrail"):
        bench_cloudtrail_coverage(args.events_per_day)


if __name__ == "__main__":
    main()
