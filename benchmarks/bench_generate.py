"""How fast the demo generator writes CloudTrail, against plain gzip writing the same bytes.

Baseline, measured in the same run: the generated files' JSON payloads are written again
to as many files with ``gzip.compress`` at the generator's level, in one process. The ratio
says what record building and multiprocessing cost (or save) beyond compressing and writing.

    .venv/bin/python benchmarks/bench_generate.py            # ~1 million events
    .venv/bin/python benchmarks/bench_generate.py --events-per-day 20000 --days 3
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from orginsight.demo import generate_lake
from orginsight.demo.cloudtrail import GZIP_LEVEL
from orginsight.sources.layout import iter_cloudtrail_files


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=12)
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--events-per-day", type=int, default=120000)
    ap.add_argument("--delivery-minutes", type=int, default=5)
    ap.add_argument("--processes", type=int)
    ap.add_argument("--dir", default=".bench", help="where to write (default .bench/, kept out of git)")
    args = ap.parse_args()
    base = Path(args.dir)
    base.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-generate-", dir=base))
    try:
        summary = generate_lake(
            work / "lake",
            accounts=args.accounts,
            days=args.days,
            events_per_day=args.events_per_day,
            processes=args.processes,
            delivery_minutes=args.delivery_minutes,
            progress=sys.stderr.isatty(),
        )
        files = list(iter_cloudtrail_files(work / "lake"))
        payloads = [gzip.decompress(Path(f.path).read_bytes()) for f in files]
        out = work / "baseline"
        out.mkdir()
        t0 = time.perf_counter()
        for i, data in enumerate(payloads):
            sub = out / str(i // 1000)
            if i % 1000 == 0:
                sub.mkdir()
            (sub / f"{i}.json.gz").write_bytes(gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0))
        baseline = time.perf_counter() - t0
        mb = sum(len(p) for p in payloads) / 1e6
        print("\n".join(summary.lines()))
        print(
            f"generator         {summary.events:,} events, {len(files):,} files, {mb:,.0f} MB JSON: "
            f"{summary.seconds:.1f} s = {summary.events / summary.seconds:,.0f} events/s "
            f"({os.cpu_count()} cores)"
        )
        print(
            f"baseline          plain gzip level {GZIP_LEVEL} of the same bytes into {len(files):,} files, 1 process: "
            f"{baseline:.1f} s = {summary.events / baseline:,.0f} events/s"
        )
        print(f"ratio             generator / baseline = {summary.seconds / baseline:.2f}x the time")
        print(f"1 million events  ~{1e6 / (summary.events / summary.seconds):.0f} s at this rate")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
