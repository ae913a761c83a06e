"""How long building the entity graph of one day takes, and how much memory, on a 1-million-event day.

Generates (once, cached in .bench/) a demo organization whose weekday holds about
``--events`` background events (default 1,000,000), with the demo generator. Then,
for the last full weekday of the lake, prints:

- a plain scan of that day (``count(*)``): the engine's floor for reading the day, the baseline;
- ``lake.entity_graph`` of that day: wall time, its ratio to the scan, the share spent in the
  engine (the aggregate query) versus Python (reshaping the aggregate into edges, entities,
  newly observed), and the peak resident memory of the process (ru_maxrss);
- the same with the lake's other days as baseline (newly observed needs one).

Goals (issue 6): at most 10 s and 2 GiB for the one-day graph on this machine.

Run: .venv/bin/python benchmarks/bench_graph.py [--events N] [--delivery-minutes M]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from orginsight import Lake  # noqa: E402

DAYS = 3
ACCOUNTS = 12


def build_lake(root: Path, events: int, delivery_minutes: int) -> dict:
    """The cached demo lake (generated once per size), and its scenario."""
    from orginsight.demo import generate_lake

    marker = root / ".complete"
    if not marker.exists():
        print(
            f"generating a {DAYS}-day demo lake with {events:,} events per weekday in {root} (once) ...",
            flush=True,
        )
        generate_lake(
            root,
            accounts=ACCOUNTS,
            days=DAYS,
            events_per_day=events,
            progress=True,
            overwrite=True,
            delivery_minutes=delivery_minutes,
        )
        marker.write_text("ok")
    return json.loads((root / "scenario.json").read_text())


def cpu_s() -> float:
    """CPU seconds of this process (all threads): steadier than wall time on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def peak_rss_gib() -> float:
    # ru_maxrss is in KiB on Linux; it includes DuckDB's native allocations.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--events", type=int, default=1_000_000, help="background events per weekday")
    ap.add_argument("--delivery-minutes", type=int, default=5, help="minutes each CloudTrail file covers")
    args = ap.parse_args()
    root = REPO / ".bench" / f"graph-lake-{args.events}-{args.delivery_minutes}m"
    scenario = build_lake(root, args.events, args.delivery_minutes)
    end = datetime.fromisoformat(scenario["end"].replace("Z", ""))
    day = end - timedelta(days=1)
    scope = (day, end)
    lake = Lake.local(root)

    day_params = {"day": day.strftime("%Y/%m/%d"), "start": day, "end": end}
    where = (
        ' WHERE "timestamp" = :day AND from_iso8601_timestamp(eventtime) >= :start '
        "AND from_iso8601_timestamp(eventtime) < :end"
    )
    count_sql = "SELECT count(*) AS n FROM cloudtrail" + where
    # The same columns the graph's aggregate reads, reduced to almost nothing: the cost of reading them.
    columns_sql = (
        "SELECT count(*) AS n, count(useridentity.arn) AS a, max(length(requestparameters)) AS p, "
        "max(length(responseelements)) AS r, max(cardinality(resources)) AS c, count(DISTINCT sourceipaddress) AS i, "
        "count(DISTINCT useragent) AS u, count(DISTINCT eventname) AS e, count(errorcode) AS x, "
        "count(DISTINCT recipientaccountid || awsregion || eventsource) AS s FROM cloudtrail" + where
    )
    lake.sql_params(count_sql, day_params)  # checks new files once (cached)
    t, cpu = time.perf_counter(), cpu_s()
    n = int(lake.sql_params(count_sql, day_params)["n"].iloc[0])
    scan_s, scan_cpu = time.perf_counter() - t, cpu_s() - cpu
    t, cpu = time.perf_counter(), cpu_s()
    lake.sql_params(columns_sql, day_params)
    read_s, read_cpu = time.perf_counter() - t, cpu_s() - cpu
    print(
        f"lake {root.name}: {scenario['cloudtrail']['events']:,} events, {scenario['cloudtrail']['files']:,} files"
    )
    print(f"day {day:%Y-%m-%d}: {n:,} events")
    print(f"  baseline 1, count(*) of the day: {scan_s:.2f} s wall, {scan_cpu:.2f} s CPU")
    print(
        f"  baseline 2, reading the graph's columns of the day: {read_s:.2f} s wall, {read_cpu:.2f} s CPU; "
        f"peak RSS {peak_rss_gib():.2f} GiB"
    )

    for baseline_days in (0, DAYS - 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a short baseline warns, as it should
            t, cpu = time.perf_counter(), cpu_s()
            g = lake.entity_graph(scope=scope, baseline_days=baseline_days)
            wall, cpu = time.perf_counter() - t, cpu_s() - cpu
        engine, python = g.stats["engine_s"], g.stats["python_s"]
        label = "one day, no baseline" if baseline_days == 0 else f"one day + {baseline_days}-day baseline"
        print(f"\nentity graph, {label}:")
        print(
            f"  wall {wall:.2f} s (goal <= 10 s), CPU {cpu:.2f} s; {wall / read_s:.2f}x baseline 2 wall, "
            f"{cpu / read_cpu:.2f}x its CPU"
        )
        print(
            f"  engine {engine:.2f} s ({engine / wall:.0%}), python {python:.2f} s ({python / wall:.0%}); "
            f"aggregate rows {g.stats['rows']:,}"
        )
        print(
            f"  {len(g.entities):,} entities, {len(g.edges):,} hourly edges, {len(g.capped):,} capped, "
            f"{len(g.newly_observed):,} newly observed"
        )
        print(
            f"  peak RSS so far {peak_rss_gib():.2f} GiB (goal <= 2 GiB); "
            f"after the engine's aggregate {g.stats['peak_rss_after_engine_gib']:.2f} GiB"
        )


if __name__ == "__main__":
    main()
