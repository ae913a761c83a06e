"""Hunts on a demo lake, against baselines measured in the same run.

1. Optional-filter folding: a hunt limited to one account, run as prepared by
   ``orginsight.analytics.hunts.prepare`` (``account IN ('...')``, which the engine prunes files by)
   against the same SQL unfolded (``cardinality(ARRAY['...']) = 0 OR account IN (...)``,
   which no engine can prune by): files read and time.
2. The whole library (``hunt run --all``) against the cheapest possible pass over the same
   window (``SELECT count(*)`` with the same time range), run as many times as there are
   hunts: what the hunts cost above reading the data.

Uses a demo lake generated once into .bench/hunts-lake.

Run: .venv/bin/python benchmarks/bench_hunts.py [--accounts 12] [--days 14] [--events-per-day 3000]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from orginsight import Lake, hunts  # noqa: E402
from orginsight.engines import translate  # noqa: E402

BENCH = REPO / ".bench"


def lake_for(accounts: int, days: int, per_day: int) -> Path:
    from orginsight.demo import generate_lake

    root = BENCH / f"hunts-lake-{accounts}a-{days}d-{per_day}"
    if not (root / "scenario.json").exists():
        generate_lake(
            root, accounts=accounts, days=days, events_per_day=per_day, progress=True, overwrite=True
        )
    return root


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=12)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--events-per-day", type=int, default=3000)
    args = ap.parse_args()
    root = lake_for(args.accounts, args.days, args.events_per_day)
    lake = Lake.local(root)
    truth = hunts.load_ground_truth(root / "scenario.json")
    window = {k: v for k, v in truth.window().items() if k in ("start", "end")}
    account = truth.org_accounts[0]

    hunt = hunts.get("cloudtrail_tampering")
    values = hunts.resolve(hunt, {**window, "accounts": [account]})
    lake.engine.run(hunts.prepare(hunt, values), values)  # warm the file checks
    folded, t_folded = timed(lambda: lake.engine.run(hunts.prepare(hunt, values), values))
    unfolded, t_unfolded = timed(lambda: lake.engine.run(translate.parse(hunt.sql), values))
    assert len(folded) == len(unfolded)
    f_files, u_files = folded.attrs["stats"]["files_read"], unfolded.attrs["stats"]["files_read"]
    print(
        f"1. one account of {args.accounts}: folded {f_files} files in {t_folded:.3f} s; "
        f"unfolded (baseline) {u_files} files in {t_unfolded:.3f} s; "
        f"files ratio {u_files / max(f_files, 1):.1f}x, time ratio {t_unfolded / t_folded:.1f}x"
    )

    library = hunts.list_hunts()
    summary, t_all = timed(lambda: hunts.run_all(lake, window))
    count_sql = (
        "SELECT count(*) AS n FROM cloudtrail WHERE from_iso8601_timestamp(eventtime) BETWEEN :start AND :end"
    )
    _, t_scan = timed(lambda: [lake.sql(count_sql, **window) for _ in library])
    n = lake.sql(count_sql, **window)["n"][0]
    print(
        f"2. {len(library)} hunts over {n:,} events: {t_all:.2f} s ({t_all / len(library) * 1000:.0f} ms/hunt); "
        f"baseline {len(library)} count(*) passes {t_scan:.2f} s; ratio {t_all / t_scan:.2f}x; "
        f"hunts with hits: {(summary['hits'] > 0).sum()}"
    )


if __name__ == "__main__":
    main()
