"""The local end of an organization at scale: 10 million events, against 1 million measured in the same run.

Writes (once, cached in .bench/) two lakes of CloudTrail-format files in the organization trail's key
layout, with the same file size (``EVENTS_PER_FILE`` records, 24 files per account, region and day) so
that only the number of events differs: a baseline of ``--baseline-events`` (default a tenth) and one of
``--events``. The records come from a small set of CloudTrail-shaped templates (console logins, S3 and EC2
reads, AccessDenied errors, AssumeRole) with their own time, id, account and region; the writer is a
string join and ``gzip`` in a process per core, far faster than the demo generator's event model.

Then prints, and checks against the goals of issue 21:

- the typical hunt (AccessDenied by principal and API) on each lake: events per second of wall time,
  and the 10M rate as a share of the 1M rate (goal: within 20%);
- the Parquet cache (``Lake.compact``) of the large lake: the time to build it, and the same hunt from
  Parquet against from JSON (goal: at least 50x);
- peak memory (``ru_maxrss``) of this process (DuckDB runs in it) and of its largest child (goal: < 4 GiB).

Exits 1 when a goal is missed, so a run says plainly whether the scale claims hold on this machine.

Run: .venv/bin/python benchmarks/bench_scale.py                    # quick: 1M events against 100k
     .venv/bin/python benchmarks/bench_scale.py --events 10000000  # the claim: 10M against 1M
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import random
import resource
import shutil
import sys
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from orginsight import Lake  # noqa: E402
from orginsight.sources.layout import cloudtrail_key  # noqa: E402

ORG = "o-benchscale01"
REGIONS = ("us-east-1", "eu-west-1")
DAYS = 30
FILES_PER_DAY = 24
EVENTS_PER_FILE = 350
"""About what one CloudTrail file of a busy account holds (files of 5 minutes, a few hundred records)."""
START = datetime(2026, 10, 1, tzinfo=UTC)
GZIP_LEVEL = 3
"""The demo generator's level: on CloudTrail JSON about 2x faster than 6 for 1.3 points more size."""

HUNT = (
    "SELECT useridentity.arn AS principal, eventname, count(*) AS n FROM cloudtrail "
    "WHERE errorcode IN ('AccessDenied', 'Client.UnauthorizedOperation') GROUP BY 1, 2 ORDER BY n DESC"
)
GOAL_RATE_SHARE = 0.8
GOAL_CACHE_SPEEDUP = 50.0
GOAL_PEAK_BYTES = 4 * 2**30

_T = "@TIME@"
_I = "@ID@"
_A = "@ACCOUNT@"
_R = "@REGION@"
_Q = "@REQUEST@"
_P = "@IP@"


def _identity(user: str) -> dict:
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLE{user.upper()}:{user}",
        "arn": f"arn:aws:sts::{_A}:assumed-role/{user}/{user}-session",
        "accountId": _A,
        "accessKeyId": "ASIAEXAMPLEKEY000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": f"AROAEXAMPLE{user.upper()}",
                "arn": f"arn:aws:iam::{_A}:role/{user}",
                "accountId": _A,
                "userName": user,
            },
            "attributes": {"creationDate": _T, "mfaAuthenticated": "false"},
        },
    }


def _record(source: str, name: str, user: str, params: dict | None, error: str | None = None) -> dict:
    r = {
        "eventVersion": "1.09",
        "userIdentity": _identity(user),
        "eventTime": _T,
        "eventSource": source,
        "eventName": name,
        "awsRegion": _R,
        "sourceIPAddress": _P,
        "userAgent": "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64 command/" + name.lower(),
        "requestParameters": params,
        "responseElements": None,
        "requestID": _Q,
        "eventID": _I,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": _A,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    }
    if error:
        r["errorCode"], r["errorMessage"] = error, f"User is not authorized to perform: {name}"
    return r


TEMPLATES = [
    _record("s3.amazonaws.com", "GetObject", "app", {"bucketName": "data", "key": "reports/daily.csv"}),
    _record("s3.amazonaws.com", "ListObjects", "app", {"bucketName": "data", "prefix": "reports/"}),
    _record("ec2.amazonaws.com", "DescribeInstances", "ops", {"maxResults": 100}),
    _record("sts.amazonaws.com", "AssumeRole", "ci", {"roleArn": "arn:aws:iam::111122223333:role/deploy"}),
    _record("kms.amazonaws.com", "Decrypt", "app", {"encryptionAlgorithm": "SYMMETRIC_DEFAULT"}),
    _record("iam.amazonaws.com", "ListRoles", "audit", None),
    _record("s3.amazonaws.com", "GetBucketPolicy", "intruder", {"bucketName": "data"}, "AccessDenied"),
    _record("ec2.amazonaws.com", "RunInstances", "intruder", {"instanceType": "p3.16xlarge"},
            "Client.UnauthorizedOperation"),
]  # fmt: skip
"""What the records look like; one in four is an error the hunt looks for (the hunt's rows are few)."""
WEIGHTS = (10, 10, 6, 3, 6, 2, 8, 3)


def _format(template: dict) -> str:
    """A template's JSON as a %-format string over its placeholders: formatting it is all a record costs."""
    text = json.dumps(template, separators=(",", ":")).replace("%", "%%")
    for mark, name in ((_T, "t"), (_I, "i"), (_Q, "q"), (_P, "p"), (_A, "a"), (_R, "r")):
        text = text.replace(mark, f"%({name})s")
    return text


def write_partition(root: str, account: str, region: str, day: int) -> int:
    """The day's ``FILES_PER_DAY`` files of one account and region; returns the bytes written.

    Ids and addresses are random (as CloudTrail's are), so the files compress as real ones do, not as
    repeats of a few records would.
    """
    formats = [_format(t) for t in TEMPLATES]
    cycle = [f for f, w in zip(formats, WEIGHTS, strict=True) for _ in range(w)]
    rng = random.Random(f"{account}{region}{day}")
    written = 0
    for f in range(FILES_PER_DAY):
        start = START + timedelta(days=day, hours=f)
        values = {"a": account, "r": region}
        records = []
        for i in range(EVENTS_PER_FILE):
            values["t"] = (start + timedelta(seconds=i * 3600 // EVENTS_PER_FILE)).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            values["i"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            values["q"] = f"{rng.getrandbits(64):016X}"
            values["p"] = f"203.0.{rng.getrandbits(8)}.{rng.getrandbits(8)}"
            records.append(cycle[(day * 31 + f * 7 + i) % len(cycle)] % values)
        body = ('{"Records":[' + ",".join(records) + "]}").encode()
        path = Path(root) / cloudtrail_key(
            account, region, start + timedelta(minutes=5), org_id=ORG, suffix=f"{f:016d}"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        data = gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)
        path.write_bytes(data)
        written += len(data)
    return written


def shape(events: int) -> tuple[list[str], int]:
    """Accounts and days of a lake of about ``events``: up to ``DAYS`` days, then more accounts."""
    units = max(1, math.ceil(events / (FILES_PER_DAY * EVENTS_PER_FILE * len(REGIONS))))
    days = min(DAYS, units)
    accounts = math.ceil(units / days)
    return [f"{200000000000 + i * 1111111:012d}" for i in range(accounts)], days


def build_lake(root: Path, events: int) -> tuple[int, int]:
    """The lake of about ``events`` events (written once; a marker says it is complete); (events, gzip bytes)."""
    accounts, days = shape(events)
    n = len(accounts) * len(REGIONS) * days * FILES_PER_DAY * EVENTS_PER_FILE
    marker = root / f".complete-{n}"
    if marker.exists():
        return n, int(marker.read_text())
    shutil.rmtree(root, ignore_errors=True)
    jobs = [(str(root), a, r, d) for a in accounts for r in REGIONS for d in range(days)]
    print(f"writing {n:,} events in {len(jobs) * FILES_PER_DAY:,} files to {root} (once) ...", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        size = sum(pool.map(write_partition, *zip(*jobs, strict=True), chunksize=4))
    print(f"  {time.perf_counter() - t0:.0f} s, {size / 1e9:.2f} GB gzip", flush=True)
    marker.write_text(str(size))
    return n, size


def best_of(fn, repeat: int) -> tuple[float, float]:
    """Best wall and best CPU seconds of ``repeat`` runs (CPU counts DuckDB's threads: on a shared
    machine it moves less with the neighbours' load than wall time does)."""
    wall = cpu = float("inf")
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t), min(cpu, time.process_time() - c)
    return wall, cpu


def hunt_rate(root: Path, events: int, repeat: int) -> tuple[float, float, list]:
    """Events per second of wall and of CPU time of the typical hunt over the whole lake (files checked
    once before timing), and its rows."""
    lake = Lake.local(root, cache_dir=root / ".no-cache")
    counted = int(lake.sql("SELECT count(*) AS n FROM cloudtrail")["n"][0])
    assert counted == events, f"{root}: {counted:,} events, expected {events:,}"
    rows = sorted(map(tuple, lake.sql(HUNT).values.tolist()))
    wall, cpu = best_of(lambda: lake.sql(HUNT), repeat)
    return events / wall, events / cpu, rows


def peak_memory() -> tuple[int, int]:
    """Peak resident bytes of this process and of its largest child (Linux reports ``ru_maxrss`` in KiB)."""
    scale = 1 if sys.platform == "darwin" else 1024
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
    return own, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="the large lake (the claim: 10000000)")
    ap.add_argument("--baseline-events", type=int, help="the baseline lake (default: a tenth of --events)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each timed query; the best counts")
    ap.add_argument("--dir", default=str(REPO / ".bench"), help="where the lakes are kept")
    args = ap.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # a long run's lines show as they come, in a log file too
    base = Path(args.dir)
    small_root, large_root = base / "scale-lake-baseline", base / "scale-lake"
    t_start = time.perf_counter()
    small_n, small_gz = build_lake(small_root, args.baseline_events or args.events // 10)
    large_n, large_gz = build_lake(large_root, args.events)
    print(
        f"lakes: {small_n:,} events ({small_gz / 1e6:,.0f} MB gzip) and {large_n:,} events "
        f"({large_gz / 1e6:,.0f} MB gzip, {large_gz / large_n:.0f} B/event); {os.cpu_count()} cores; "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )

    small_rate, small_cpu, _ = hunt_rate(small_root, small_n, args.repeat)
    large_rate, large_cpu, json_rows = hunt_rate(large_root, large_n, args.repeat)
    share = large_rate / small_rate
    print(f"\n{'typical hunt, JSON':22}{'events':>12}{'events/s wall':>16}{'events/CPU-s':>15}")
    print(f"{'':22}{small_n:>12,}{small_rate:>16,.0f}{small_cpu:>15,.0f}")
    print(f"{'':22}{large_n:>12,}{large_rate:>16,.0f}{large_cpu:>15,.0f}")
    print(
        f"rate at {large_n / 1e6:g}M / rate at {small_n / 1e6:g}M: {share:.2f} wall, "
        f"{large_cpu / small_cpu:.2f} CPU   (goal >= {GOAL_RATE_SHARE})"
    )

    cache_dir = base / "scale-lake-parquet"
    shutil.rmtree(cache_dir, ignore_errors=True)
    cached = Lake.local(large_root, cache_dir=cache_dir)
    t0 = time.perf_counter()
    result = cached.compact(progress=sys.stderr.isatty())
    t_compact = time.perf_counter() - t0
    parquet_rows = sorted(map(tuple, cached.sql(HUNT).values.tolist()))
    assert parquet_rows == json_rows, "the hunt from Parquet differs from the hunt from JSON"
    t_parquet, c_parquet = best_of(lambda: cached.sql(HUNT), max(3, args.repeat))
    t_json, c_json = large_n / large_rate, large_n / large_cpu
    speedup = t_json / t_parquet
    print(
        f"\nParquet cache: {result['written']:,} partitions, {result['rows']:,} events in {t_compact:.0f} s "
        f"({result['rows'] / t_compact:,.0f} events/s); {result['parquet_bytes'] / 1e6:,.0f} MB "
        f"({result['parquet_bytes'] / large_gz:.2f}x the gzip)"
    )
    print(
        f"typical hunt: JSON {t_json:.2f} s wall ({c_json:.2f} s CPU), Parquet {t_parquet:.3f} s wall "
        f"({c_parquet:.3f} s CPU): {speedup:.0f}x wall, {c_json / c_parquet:.0f}x CPU   "
        f"(goal >= {GOAL_CACHE_SPEEDUP:g}x)"
    )

    own, child = peak_memory()
    peak = max(own, child)
    print(
        f"\npeak memory: this process {own / 2**30:.2f} GiB, largest child {child / 2**30:.2f} GiB   "
        f"(goal < {GOAL_PEAK_BYTES / 2**30:g} GiB)"
    )
    print(f"total {time.perf_counter() - t_start:.0f} s")
    missed = [
        name
        for name, ok in (
            ("hunt rate share", share >= GOAL_RATE_SHARE),
            ("Parquet speed-up", speedup >= GOAL_CACHE_SPEEDUP),
            ("peak memory", peak < GOAL_PEAK_BYTES),
        )
        if not ok
    ]
    print("goals: " + ("all met" if not missed else "MISSED " + ", ".join(missed)))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
