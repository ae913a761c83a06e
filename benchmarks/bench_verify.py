"""How fast ``lake verify`` checks a lake's CloudTrail, against ``sha256sum`` over the same files, in the same run.

What is hashed: CloudTrail's ``hashValue`` is the SHA-256 of a log file's *uncompressed* content (CloudTrail
User Guide, "Custom implementations of CloudTrail log file integrity validation": "hash the uncompressed
contents of the log file"), so verification must gunzip every file. The baseline doing that same work is
``gzip -dc FILES | sha256sum``; plain ``sha256sum FILES`` (hashing the compressed objects, ~8x fewer
bytes) is printed too as the bare cost of reading them. All three run on one core (``taskset -c 0``,
verify with one worker thread), with a cold cache dropped between runs (``.orginsight/verify`` removed).

The lake is a generated demo lake (cached in .bench/verify-lake): its digests are signed, its tampering
found on every run. Usage: ``.venv/bin/python benchmarks/bench_verify.py [--days 7 --events-per-day 20000]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

from orginsight.demo import ensure_lake
from orginsight.sources.digests import lake_public_keys, verify

BENCH = Path(__file__).resolve().parent.parent / ".bench"


def one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})


def timed_shell(command: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(["taskset", "-c", "0", "sh", "-c", command], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--events-per-day", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3, help="best of N for each measurement")
    args = ap.parse_args()
    lake = BENCH / f"verify-lake-{args.days}d-{args.events_per_day}"
    ensure_lake(
        lake,
        accounts=8,
        days=args.days,
        events_per_day=args.events_per_day,
        end=datetime(2026, 11, 27),
        progress=True,
    )
    files = sorted(str(p) for p in lake.glob("AWSLogs/*/*/CloudTrail/*/*/*/*/*.json.gz"))
    listing = lake / ".bench-files"
    listing.write_text("\0".join(files))
    compressed = sum(os.path.getsize(f) for f in files)
    keys = lake_public_keys(lake)
    one_core()

    def cold_verify() -> tuple[float, object]:
        shutil.rmtree(lake / ".orginsight" / "verify", ignore_errors=True)
        t0 = time.perf_counter()
        result = verify(lake, public_keys=keys, workers=1)
        return time.perf_counter() - t0, result

    plain = min(timed_shell(f"xargs -0 sha256sum < {listing}") for _ in range(args.repeat))
    gunzip = min(timed_shell(f"xargs -0 gzip -dc < {listing} | sha256sum") for _ in range(args.repeat))
    runs = [cold_verify() for _ in range(args.repeat)]
    seconds, result = min(runs, key=lambda r: r[0])
    t0 = time.perf_counter()
    warm = verify(lake, public_keys=keys, workers=1)
    warm_seconds = time.perf_counter() - t0
    uncompressed = int(
        subprocess.run(
            f"xargs -0 gzip -dc < {listing} | wc -c", shell=True, capture_output=True, text=True, check=True
        ).stdout
    )
    mb = compressed / 1e6
    print(
        f"lake: {len(files):,} log files, {mb:,.1f} MB gzip ({uncompressed / 1e6:,.1f} MB uncompressed), "
        f"{result.summary['digests']:,} digests; one core"
    )
    print(f"sha256sum (compressed objects)    {plain:7.2f} s  {mb / plain:8.1f} MB/s gzip")
    print(f"gzip -dc | sha256sum (same work)  {gunzip:7.2f} s  {mb / gunzip:8.1f} MB/s gzip")
    print(
        f"orginsight verify, cold           {seconds:7.2f} s  {mb / seconds:8.1f} MB/s gzip "
        f"({len(result.problems)} problems: the planted tampering)"
    )
    print(
        f"orginsight verify, second run     {warm_seconds:7.2f} s  ({warm.summary['digests_hashed']} digests re-read)"
    )
    print(f"ratio to gzip -dc | sha256sum: {gunzip / seconds:.2f}  (goal >= 0.8)")
    print(
        f"ratio to sha256sum of the gzip objects: {plain / seconds:.2f}  (hashes 1/{uncompressed / compressed:.0f} of the bytes)"
    )
    listing.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
