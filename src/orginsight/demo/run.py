"""``orginsight demo``: the whole job on the demo organization, with no AWS account.

Generates the demo lake if absent, then does what an analyst does on a real
organization: a look at the organization, SQL over its trail, every hunt,
triage of the leaked key, and the posture review report.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from orginsight import Lake
from orginsight.analytics import hunts
from orginsight.demo.generate import ensure_lake, load_scenario, scenario_lines
from orginsight.outputs import triage_page
from orginsight.outputs.charts.export import find_browser, missing_browser_note
from orginsight.outputs.report import STATIC_FORMATS, write_posture_report

DEMO_DELIVERY_MINUTES = 60
"""The demo writes one CloudTrail file an hour per account and region, not CloudTrail's five minutes:
the same events in 20k files instead of 110k, because the local engine pays about 0.15 ms a file
(measured here) and the demo should run in about a minute. ``lake generate`` keeps five minutes."""


def run_demo(
    lake_dir: str | os.PathLike[str] = "demo-lake",
    out_dir: str | os.PathLike[str] = "demo-out",
    echo: Callable[[str], None] = print,
) -> dict[str, Path]:
    """Run the demo and print its summary; returns where the report and triage page were written.

    Static chart images need a Chromium; with none, every HTML page and chart is still written, the
    images are skipped and one line says how to get them, so the demo finishes on any machine.
    """

    started = time.perf_counter()
    images = find_browser() is not None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    made = ensure_lake(lake_dir, delivery_minutes=DEMO_DELIVERY_MINUTES)
    scenario = load_scenario(lake_dir)
    if made is not None:
        echo(
            f"Generated the demo lake in {lake_dir}: {made.events:,} events in {made.cloudtrail_files:,} files "
            f"({made.seconds:.0f} s)."
        )
    lake = Lake.local(lake_dir)
    end = pd.Timestamp(scenario["end"]).tz_localize(None)
    week = (end - pd.Timedelta(days=7)).to_pydatetime(), end.to_pydatetime()

    _section(echo, "The organization at a glance")
    accounts = lake.collected("org", "accounts", latest=True)
    by_ou = accounts.groupby("ou_path")["name"].apply(lambda s: ", ".join(sorted(s))).reset_index()
    echo(
        f"{len(accounts)} accounts in {by_ou['ou_path'].nunique()} OUs ({scenario['organization'].get('id', '')})"
    )
    echo(by_ou.to_string(index=False, header=False))

    _section(echo, "Reading the organization trail (local engine, DuckDB)")
    loaded = lake.load_into_memory()
    echo(
        f"loaded {loaded['records']:,} events from {loaded['files']:,} files in {loaded['elapsed_s']:.1f} s; "
        f"{len(loaded['bad_files'])} unreadable"
    )
    activity = lake.sql(
        "SELECT account, count(*) AS events, count(errorcode) AS errors, "
        "count(DISTINCT useridentity.arn) AS principals FROM cloudtrail "
        "WHERE eventtime >= :since GROUP BY account ORDER BY events DESC",
        since=week[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    names = dict(zip(accounts["account_id"], accounts["name"], strict=False))
    activity.insert(1, "name", activity["account"].map(names))
    echo("last 7 days by account:")
    echo(activity.to_string(index=False))

    _section(echo, "Hunts (queries/, last 7 days)")
    results = hunts.run_all(lake, {"start": week[0], "end": week[1]})
    fired = results[results["hits"] > 0]
    echo(f"{len(fired)} of {len(results)} hunts fired:")
    echo(fired.to_string(index=False))

    _section(echo, "Triage of the leaked access key")
    key = scenario["indicators"]["leaked_access_key_id"]
    t = lake.triage(key, since=week[0], until=week[1])
    s = t.summary
    echo(repr(t))
    echo(f"accounts touched: {', '.join(names.get(a, a) for a in s['accounts'])}")
    truth = {
        e["eventID"] for e in scenario["events"] if e.get("incident") == scenario["incidents"][0]["name"]
    }
    found = truth & set(t.timeline["eventid"])
    echo(
        f"ground truth: {len(found)} of {len(truth)} planted events of '{scenario['incidents'][0]['name']}' "
        "are in the timeline"
    )
    triage_files = triage_page.write(t, out / "triage", png=images)

    _section(echo, "Posture review (90 days)")
    report = write_posture_report(
        lake_dir, out / "report", since="90d", progress=False, formats=STATIC_FORMATS if images else ()
    )
    echo(report.summary())
    if not images:
        echo(missing_browser_note())

    _section(echo, "What was planted (scenario.json)")
    for line in scenario_lines(scenario):
        echo(line)
    echo(f"\nDone in {time.perf_counter() - started:.0f} s. Report: {report.html}  Triage: {triage_files[0]}")
    return {"report": Path(report.html), "triage": Path(triage_files[0])}


def _section(echo: Callable[[str], None], title: str) -> None:
    echo(f"\n== {title} " + "=" * max(0, 70 - len(title)))
