"""How fast the local engine scans raw CloudTrail, against baselines measured in the same run.

Builds (once, cached in .bench/) a lake of about 1.2 million events: real records of the
Invictus Stratus dataset (../shared/data) used as templates, re-dated and spread over 30 days,
8 accounts and 2 regions, in the organization trail's key layout. Then prints:

- zcat over the same files (the floor: decompressing is unavoidable), in MB/s of JSON;
- DuckDB's plain read_json over the same files, for the same hunt;
- the local engine running a typical hunt (AccessDenied by principal and API), MB/s and ratios;
- a one-day query against the full 30-day query (partition pruning);
- the Parquet cache (``Lake.compact``): time to compact, Parquet vs gzip size, and the same hunt
  and a count(*) read from it against the JSON read, wall and CPU time (the machine is shared).

Run: .venv/bin/python benchmarks/bench_scan.py [--events N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from timing import timed, zcat_seconds  # noqa: E402

from orginsight import Lake  # noqa: E402
from orginsight.engines.scan import MAX_OBJECT_SIZE  # noqa: E402
from orginsight.sources.layout import cloudtrail_key, iter_cloudtrail_files  # noqa: E402

TEMPLATES = REPO.parent / "shared" / "data" / "cloudtrail" / "invictus-stratus"
ORG = "o-benchmark01"
ACCOUNTS = [f"{100000000000 + i * 1111111:012d}" for i in range(8)]
REGIONS = ["us-east-1", "eu-west-1"]
DAYS = 30
START = datetime(2026, 10, 1)

HUNT = (
    "SELECT useridentity.arn AS principal, eventname, count(*) AS n FROM cloudtrail "
    "WHERE errorcode IN ('AccessDenied', 'Client.UnauthorizedOperation') GROUP BY 1, 2 ORDER BY n DESC"
)
HUNT_READ_JSON = (
    "SELECT r.userIdentity.arn AS principal, r.eventName, count(*) AS n FROM "
    "(SELECT unnest(Records) AS r FROM read_json($files, maximum_object_size = {max}, format = 'auto', "
    'columns = {{\'Records\': \'STRUCT("userIdentity" STRUCT(arn VARCHAR), "eventName" VARCHAR, '
    '"errorCode" VARCHAR)[]\'}})) '
    "WHERE r.errorCode IN ('AccessDenied', 'Client.UnauthorizedOperation') GROUP BY 1, 2 ORDER BY n DESC"
)


def build_lake(root: Path, events: int) -> None:
    marker = root / f".complete-{events}"
    if marker.exists():
        return
    records = []
    for f in sorted(TEMPLATES.glob("*.json")):
        records.extend(json.loads(f.read_text())["Records"])
    rng = random.Random(1)
    files = len(ACCOUNTS) * len(REGIONS) * DAYS * 24
    per_file = max(1, events // files)
    print(f"building a {per_file * files:,}-event lake in {root} (once) ...", flush=True)
    for account in ACCOUNTS:
        for region in REGIONS:
            for hour in range(DAYS * 24):
                when = START + timedelta(hours=hour)
                batch = []
                for i in range(per_file):
                    r = dict(rng.choice(records))
                    r["eventTime"] = (when + timedelta(seconds=i * 3600 // per_file)).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    )
                    r["eventID"] = str(uuid.UUID(int=rng.getrandbits(128)))
                    r["recipientAccountId"], r["awsRegion"] = account, region
                    batch.append(r)
                path = root / cloudtrail_key(
                    account, region, when + timedelta(minutes=5), org_id=ORG, suffix=f"{hour:016d}"
                )
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), compresslevel=6))
    marker.touch()


def timed_cpu(fn, repeat: int = 3) -> tuple[float, float]:
    """Best (wall, CPU) seconds of ``repeat`` runs; CPU counts every DuckDB thread, so it shows contention."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def bench_parquet_cache(root: Path, json_lake: Lake, cache_dir: Path, gz: int) -> None:
    """Compact the whole lake into ``cache_dir`` (from scratch), then the same queries from JSON and from Parquet."""
    shutil.rmtree(cache_dir, ignore_errors=True)
    cached = Lake.local(root, cache_dir=cache_dir)
    wall, cpu = time.perf_counter(), time.process_time()
    result = cached.compact(progress=False)
    t_compact = (time.perf_counter() - wall, time.process_time() - cpu)
    engine = cached.engine
    good = engine.check(engine.files())[0]
    t_plan = timed_cpu(lambda: engine.check(engine.files()))
    t_split = timed_cpu(lambda: engine.cache.split(good, engine.checks))
    print(
        f"\nParquet cache: {result['written']} partitions, {result['rows']:,} events compacted in "
        f"{t_compact[0]:.1f} s wall, {t_compact[1]:.1f} s CPU; {result['parquet_bytes'] / 1e6:,.0f} MB of Parquet "
        f"for {gz / 1e6:,.0f} MB of gzip ({result['parquet_bytes'] / gz:.2f}x)"
    )
    print(
        f"per query: listing + file check {t_plan[0] * 1e3:.0f} ms, cache fingerprint check "
        f"{t_split[0] * 1e3:.0f} ms ({len(good):,} files)"
    )
    print(f"{'':28}{'JSON wall':>10}{'CPU':>8}{'Parquet wall':>14}{'CPU':>8}{'speed-up wall':>15}{'CPU':>7}")
    for label, sql in (("typical hunt", HUNT), ("count(*)", "SELECT count(*) AS n FROM cloudtrail")):
        from_json = json_lake.sql(sql)
        from_parquet = cached.sql(sql)
        assert from_parquet.attrs["stats"]["cached_partitions"] == result["written"]
        assert sorted(map(tuple, from_json.values.tolist())) == sorted(
            map(tuple, from_parquet.values.tolist())
        )
        j = timed_cpu(lambda sql=sql: json_lake.sql(sql))
        p = timed_cpu(lambda sql=sql: cached.sql(sql))
        print(
            f"{label:28}{j[0]:9.2f}s{j[1]:7.2f}s{p[0]:13.3f}s{p[1]:7.3f}s{j[0] / p[0]:14.1f}x{j[1] / p[1]:6.1f}x"
        )


def json_bytes(paths: list[str]) -> int:
    return sum(len(gzip.decompress(Path(p).read_bytes())) for p in paths)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_200_000)
    ap.add_argument("--dir", default=str(REPO / ".bench" / "scan-lake"))
    ap.add_argument(
        "--cache-dir",
        default=str(REPO / ".bench" / "scan-lake-parquet"),
        help="where the Parquet cache section compacts to (rebuilt each run)",
    )
    args = ap.parse_args()
    if not TEMPLATES.is_dir():
        sys.exit(f"needs the real templates in {TEMPLATES}")
    root = Path(args.dir)
    build_lake(root, args.events)
    paths = [f.path for f in iter_cloudtrail_files(root)]
    size = json_bytes(paths)
    gz = sum(os.path.getsize(p) for p in paths)
    print(
        f"lake: {len(paths):,} files, {gz / 1e6:,.0f} MB gzip, {size / 1e6:,.0f} MB of JSON; {os.cpu_count()} cores"
    )

    lake = Lake.local(root, cache_dir=Path(args.cache_dir) / "never")  # the JSON baselines never read a cache
    n = int(lake.sql("SELECT count(*) AS n FROM cloudtrail")["n"][0])  # also checks every file once (cached)
    print(f"events: {n:,}")

    t_zcat = zcat_seconds(root, paths)
    t_zcat2 = zcat_seconds(root, paths, processes=2)
    t_hunt = timed(lambda: lake.sql(HUNT))
    con = lake.engine.con
    t_read_json = timed(
        lambda: con.execute(HUNT_READ_JSON.format(max=MAX_OBJECT_SIZE), {"files": paths}).fetchall(), repeat=1
    )
    day = lake.sql("SELECT count(*) n FROM cloudtrail WHERE timestamp = '2026/10/15'")
    t_day = timed(lambda: lake.sql(HUNT.replace("WHERE", "WHERE timestamp = '2026/10/15' AND")))

    mb = size / 1e6
    print(f"\nzcat (1 process)          {mb / t_zcat:8.0f} MB/s   {t_zcat:6.2f} s")
    print(f"zcat (2 processes)        {mb / t_zcat2:8.0f} MB/s   {t_zcat2:6.2f} s")
    print(f"DuckDB read_json          {mb / t_read_json:8.0f} MB/s   {t_read_json:6.2f} s")
    print(
        f"orginsight local, hunt    {mb / t_hunt:8.0f} MB/s   {t_hunt:6.2f} s   ({n / t_hunt:,.0f} events/s)"
    )
    print(f"\nratio hunt / zcat (1 process):   {t_zcat / t_hunt:5.2f}   (goal >= 0.8)")
    print(f"ratio hunt / zcat (2 processes): {t_zcat2 / t_hunt:5.2f}")
    print(f"ratio hunt / DuckDB read_json:   {t_read_json / t_hunt:5.2f}x faster")
    print(
        f"\none day of {DAYS}: {day.attrs['stats']['files_read']:,} of {len(paths):,} files read; "
        f"{t_day:.3f} s vs {t_hunt:.2f} s for the full range ({t_hunt / t_day:.0f}x faster)"
    )
    bench_parquet_cache(root, lake, Path(args.cache_dir), gz)


if __name__ == "__main__":
    main()
