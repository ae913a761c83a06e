"""How fast the local engine scans VPC Flow Logs (``vpcflow``), against ``zcat`` over the same files, same run.

Builds (once, cached in .bench/) a lake of flow-log files as VPC Flow Logs writes them to S3: gzip text, a
header line naming the fields, one space between fields, ``-`` for a field that does not apply, under
``AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/``, one file per account, region and 10 minutes. The
format is a custom one with v2-v5 fields (the header decides how each file is read); the traffic is
random but shaped like a VPC's: private sources, a few thousand remote addresses, common ports, mostly
ACCEPT, some NODATA. The default size gives ~3,500 records (~650 kB of text) a file, a busy VPC's 10
minutes; with many small files (``--lines 300000``: 90 records a file) per-file overhead dominates: DuckDB's
CSV reader costs a few milliseconds per file, zcat a fraction of one. Then prints:

- zcat (1 process) over the same files: the floor, decompressing is unavoidable; MB/s of text;
- the local engine running a typical hunt (egress bytes by instance and destination), warm (file checks
  cached) and cold (a new Lake: every file checked once, which reads it whole, then the hunt);
- the ratio hunt / zcat (goal >= 0.8 warm);
- pruning: a one-day, one-account query reads only that day's files of that account.

Run: .venv/bin/python benchmarks/bench_network.py [--lines N]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from timing import timed, zcat_seconds  # noqa: E402

from orginsight import Lake  # noqa: E402
from orginsight.sources.network.layout import FLOW_SERVICE, flow_log_key, iter_network_files  # noqa: E402

ACCOUNTS = [f"{200000000000 + i * 1111111:012d}" for i in range(2)]
REGIONS = ["us-east-1", "eu-west-1"]
DAYS = 2
START = datetime(2026, 11, 1, tzinfo=UTC)
FORMAT = (
    "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action "
    "log-status vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id "
    "pkt-src-aws-service pkt-dst-aws-service flow-direction traffic-path"
)

HUNT = (
    "SELECT instance_id, dstaddr, dstport, sum(bytes) AS sent, count(*) AS flows FROM vpcflow "
    "WHERE flow_direction = 'egress' AND action = 'ACCEPT' GROUP BY 1, 2, 3 ORDER BY sent DESC LIMIT 20"
)


def build_lake(root: Path, lines: int) -> None:
    marker = root / f".complete-{lines}"
    if marker.exists():
        return
    rng = random.Random(7)
    slots = DAYS * 24 * 6
    files = len(ACCOUNTS) * len(REGIONS) * slots
    per_file = max(1, lines // files)
    print(
        f"building {per_file * files:,} flow records in {files:,} files under {root} (once) ...", flush=True
    )
    remote = [
        f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        for _ in range(3000)
    ]
    ports = [443, 443, 443, 80, 53, 22, 3306, 5432, 8080, 123]
    for account in ACCOUNTS:
        for region in REGIONS:
            enis = [
                (
                    f"eni-{rng.getrandbits(68):017x}",
                    f"i-{rng.getrandbits(68):017x}",
                    f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                )
                for _ in range(40)
            ]
            vpc, subnet = f"vpc-{rng.getrandbits(68):017x}", f"subnet-{rng.getrandbits(68):017x}"
            az = f"{region[:2]}{region.split('-')[1][0]}{region[-1]}-az1"
            for slot in range(slots):
                when = START + timedelta(minutes=10 * slot)
                t0 = int(when.timestamp())
                out = [FORMAT]
                for _ in range(per_file):
                    eni, inst, local = rng.choice(enis)
                    if rng.random() < 0.01:
                        out.append(
                            f"5 {account} {eni} - - - - - - - {t0} {t0 + 60} - NODATA {vpc} {subnet} {inst} - - - - {region} {az} - - - -"
                        )
                        continue
                    far, port = rng.choice(remote), rng.choice(ports)
                    egress = rng.random() < 0.5
                    src, dst = (local, far) if egress else (far, local)
                    sport, dport = (
                        (rng.randint(32768, 60999), port) if egress else (port, rng.randint(32768, 60999))
                    )
                    packets = rng.randint(1, 500)
                    action = "REJECT" if rng.random() < 0.05 else "ACCEPT"
                    out.append(
                        f"5 {account} {eni} {src} {dst} {sport} {dport} 6 {packets} {packets * rng.randint(60, 1400)} "
                        f"{t0} {t0 + 59} {action} OK {vpc} {subnet} {inst} {rng.choice((2, 3, 18, 19))} IPv4 "
                        f"{src} {dst} {region} {az} - - {'egress' if egress else 'ingress'} {'8' if egress else '-'}"
                    )
                path = root / flow_log_key(account, region, when, "fl-0bench", f"{slot:08x}")
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(gzip.compress(("\n".join(out) + "\n").encode(), compresslevel=6))
    marker.write_text("ok\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lines", type=int, default=4_000_000, help="flow records in the lake (~190 bytes each)")
    ap.add_argument("--dir", default=str(REPO / ".bench" / "network-lake"))
    args = ap.parse_args()
    root = Path(args.dir)
    build_lake(root, args.lines)
    files = list(iter_network_files(root, FLOW_SERVICE))
    paths = [f.path for f in files]
    gz = sum(f.size for f in files)
    text = sum(len(gzip.decompress(Path(p).read_bytes())) for p in paths)
    print(
        f"lake: {len(paths):,} files, {gz / 1e6:,.0f} MB gzip, {text / 1e6:,.0f} MB of text; {os.cpu_count()} cores"
    )

    t_zcat = zcat_seconds(root, paths)

    t = time.perf_counter()
    lake = Lake.local(root)
    rows = int(lake.sql("SELECT count(*) AS n FROM vpcflow")["n"][0])  # checks every file once (kept)
    t_cold = time.perf_counter() - t
    t_hunt = timed(lambda: lake.sql(HUNT))
    t_count = timed(lambda: lake.sql("SELECT count(*) AS n FROM vpcflow"))

    mb = text / 1e6
    print(f"records: {rows:,}")
    print(f"\nzcat (1 process)              {mb / t_zcat:8.0f} MB/s   {t_zcat:6.2f} s")
    print(
        f"orginsight local, hunt (warm) {mb / t_hunt:8.0f} MB/s   {t_hunt:6.2f} s   ({rows / t_hunt:,.0f} records/s)"
    )
    print(f"orginsight local, count(*)    {mb / t_count:8.0f} MB/s   {t_count:6.2f} s")
    print(
        f"first query of a new Lake     {mb / t_cold:8.0f} MB/s   {t_cold:6.2f} s   (checks every file, then counts)"
    )
    print(f"\nratio hunt / zcat (1 process): {t_zcat / t_hunt:5.2f}   (goal >= 0.8)")

    day, account = (START + timedelta(days=1)).strftime("%Y/%m/%d"), ACCOUNTS[0]
    pruned = lake.sql(
        f"SELECT count(*) AS n FROM vpcflow WHERE account = '{account}' AND \"timestamp\" = '{day}'"
    )
    expected = [f for f in files if f.account == account and f.timestamp == day]
    read = pruned.attrs["stats"]["files_read"]
    assert read == len(expected), (read, len(expected))
    t_day = timed(
        lambda: lake.sql(
            HUNT.replace("WHERE", f"WHERE account = '{account}' AND \"timestamp\" = '{day}' AND")
        )
    )
    print(
        f"\none day of one account: {read:,} of {len(paths):,} files read (exactly that day's files of that account); "
        f"{t_day:.3f} s vs {t_hunt:.2f} s for the whole lake ({t_hunt / t_day:.0f}x faster)"
    )


if __name__ == "__main__":
    main()
