"""Triage against the floor: the time to scan the same window's columns for the indicator itself.

Three triages on the demo lake (default: 12 accounts, 30 days, as ``orginsight demo`` builds it), each as
``orginsight triage`` runs it (the lake's findings read, ``Lake.triage``, the page written without PNGs):

1. the leaked key of ``scenario.json`` (``indicators.leaked_access_key_id``) over the day of the incident;
2. the same key over the lake's 30 days;
3. an access key that appears nowhere, over the 30 days.

Beside each, measured in the same run on a fresh ``Lake``, the floor: one plain SELECT over ``cloudtrail``
of the same days, filtering on the columns the key can appear in (the caller's key, and the key an STS
call handed out). The ratio is what triage adds above reading the data once. The files' checks are warmed
first (a one-off per lake, cached on disk), so that neither side pays for them.

Goals (issue 21): the 30 days within 4x the floor, the absent key within 2x.

Run: .venv/bin/python benchmarks/bench_triage.py [--lake /tmp/lakes/demo] [--accounts 12] [--days 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from orginsight import Lake  # noqa: E402
from orginsight.outputs import triage_page  # noqa: E402
from orginsight.timerange import delivery_days, parse_time  # noqa: E402

ABSENT_KEY = "AKIAIOSFODNN7EXAMPLE"
"""AWS's documentation example key: no demo event carries it (checked below)."""

FLOOR_SQL = """
SELECT eventid, eventtime
FROM cloudtrail
WHERE "timestamp" BETWEEN :first_day AND :last_day
  AND from_iso8601_timestamp(eventtime) >= :since AND from_iso8601_timestamp(eventtime) < :until
  AND (useridentity.accesskeyid = :key
       OR (eventsource = 'sts.amazonaws.com'
           AND json_extract_scalar(responseelements, '$.credentials.accessKeyId') = :key))
"""
"""The indicator's own events in the window: the least any triage of it has to read."""


def lake_for(root: Path, accounts: int, days: int) -> Path:
    from orginsight.demo import generate_lake

    if not (root / "scenario.json").exists():
        generate_lake(root, accounts=accounts, days=days, progress=True, overwrite=True)
    return root


def timed(fn):
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def floor(root: Path, key: str, since: datetime, until: datetime):
    first_day, last_day = delivery_days(since, until)
    params = {"first_day": first_day, "last_day": last_day, "since": since, "until": until, "key": key}
    return timed(lambda: Lake.local(root).sql_params(FLOOR_SQL, params))


def triage_as_the_cli_does(root: Path, key: str, since: datetime, until: datetime, out: Path):
    def run():
        lake = Lake.local(root)
        t0 = time.perf_counter()
        found = lake.findings()
        t1 = time.perf_counter()
        t = lake.triage(key, since=since, until=until, findings=found)
        t2 = time.perf_counter()
        triage_page.write(t, out, png=False)
        t3 = time.perf_counter()
        return t, {"findings_s": t1 - t0, "triage_s": t2 - t1, "page_s": t3 - t2}

    return timed(run)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lake", type=Path, default=Path("/tmp/lakes/demo"))
    ap.add_argument("--accounts", type=int, default=12)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--only", choices=["1d", "30d", "absent"], action="append")
    ap.add_argument("--no-warm-up", action="store_true", help="the files' checks are cached already")
    args = ap.parse_args()
    root = lake_for(args.lake, args.accounts, args.days)
    scenario = json.loads((root / "scenario.json").read_text())
    key = scenario["indicators"]["leaked_access_key_id"]
    leak = next(i for i in scenario["incidents"] if i["name"] == "leaked-ci-access-key")
    start = parse_time(leak["start"])
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    end = Lake.local(root).data_range().end
    month = (end - timedelta(days=args.days), end)
    cases = {
        "1d": (key, day, day + timedelta(days=1)),
        "30d": (key, *month),
        "absent": (ABSENT_KEY, *month),
    }
    if not args.no_warm_up:
        warm, t_warm = floor(root, key, *month)  # checks every file once (cached on disk for later runs)
        print(f"lake {root}: {len(warm)} events of {key} in {args.days} days; warm-up {t_warm:.1f} s")
    for name, (indicator, since, until) in cases.items():
        if args.only and name not in args.only:
            continue
        found, t_floor = floor(root, indicator, since, until)
        with tempfile.TemporaryDirectory() as out:
            (t, parts), t_triage = triage_as_the_cli_does(root, indicator, since, until, Path(out))
        if name == "absent":
            assert len(found) == 0 and len(t.timeline) == 0, "the absent key appears in the lake"
        stages = ", ".join(f"{k} {v:.2f} s" for k, v in {**parts, **getattr(t, "stats", {})}.items())
        print(
            f"{name:>6}: {indicator} {since:%Y-%m-%d %H:%M} .. {until:%Y-%m-%d %H:%M}: triage {t_triage:.2f} s "
            f"({len(t.timeline)} events, {len(t.chain)} links); floor {t_floor:.2f} s ({len(found)} events); "
            f"ratio {t_triage / t_floor:.2f}x\n        stages: {stages}"
        )


if __name__ == "__main__":
    main()
