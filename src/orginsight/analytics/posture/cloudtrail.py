"""CloudTrail delivery: events per account, region and hour (one query in the engine), days and gaps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from orginsight.analytics.posture.days import _days, _utc

CLOUDTRAIL_HOURLY_SQL = """
SELECT account,
       region,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS events
FROM cloudtrail
WHERE "timestamp" >= :first_day AND "timestamp" <= :last_day
GROUP BY account, region, date_trunc('hour', from_iso8601_timestamp(eventtime))
"""
"""Events per account, region and hour: the one query CloudTrail coverage needs (partition-pruned by day)."""


def cloudtrail_hourly(
    lake: Any, since: date | datetime, until: date | datetime | None = None
) -> pd.DataFrame:
    """Events per (account, region, hour) between ``since`` and ``until`` (days, inclusive), in ONE query.

    ``timestamp`` is the partition (delivery day), so Athena and the local engine read only
    those days. Columns: account, region, hour (UTC), events.
    """
    until = until or _utc("now")
    df = lake.sql(
        CLOUDTRAIL_HOURLY_SQL,
        first_day=f"{pd.Timestamp(since):%Y/%m/%d}",
        last_day=f"{pd.Timestamp(until):%Y/%m/%d}",
    )
    df["hour"] = pd.to_datetime(df["hour"], utc=True)
    df["events"] = df["events"].astype("int64")
    return df


def cloudtrail_daily_coverage(hourly: pd.DataFrame) -> pd.DataFrame:
    """Per day, account and region: events and hours with events (0 on days a stream was silent).

    The expected streams are the (account, region) pairs seen at any time in the window,
    each from its first day on (an account that joins mid-period is not "missing" before).
    """
    if hourly.empty:
        return pd.DataFrame(columns=["day", "account", "region", "events", "hours_with_events", "delivered"])
    h = hourly.assign(day=hourly["hour"].dt.normalize())
    daily = (
        h.groupby(["account", "region", "day"])
        .agg(events=("events", "sum"), hours_with_events=("hour", "nunique"))
        .reset_index()
    )
    days = _days(h["day"].min(), h["day"].max())
    firsts = daily.groupby(["account", "region"])["day"].min()
    grid = pd.DataFrame(
        [(a, r, d) for (a, r), f in firsts.items() for d in days if d >= f],
        columns=["account", "region", "day"],
    )
    out = grid.merge(daily, on=["account", "region", "day"], how="left").fillna(
        {"events": 0, "hours_with_events": 0}
    )
    out[["events", "hours_with_events"]] = out[["events", "hours_with_events"]].astype("int64")
    out["delivered"] = out["events"] > 0
    return (
        out[["day", "account", "region", "events", "hours_with_events", "delivered"]]
        .sort_values(["day", "account", "region"])
        .reset_index(drop=True)
    )


def delivery_gaps(hourly: pd.DataFrame, *, min_hours: int = 3, min_expected: float = 10.0) -> pd.DataFrame:
    """Runs of hours with no events inside each (account, region) stream, with unusual ones flagged.

    Whether silence is unusual depends on the stream's own rhythm: a sandbox region quiet
    every night is not an outage, a busy region silent all afternoon is. Each stream's
    mean events per hour of day (weekdays and weekends apart) gives the events expected
    during a gap; a gap is flagged when it lasts at least ``min_hours`` and at least
    ``min_expected`` events were expected (for Poisson arrivals the chance of that much
    silence is below e^-10, about 5e-5). Columns: account, region, gap_start, gap_end
    (first hour with events again), hours, expected_events, flagged.
    """
    rows = []
    for (account, region), g in hourly.groupby(["account", "region"], sort=True):
        counts = g.groupby("hour")["events"].sum().sort_index()
        if len(counts) < 2:
            continue
        full = counts.reindex(pd.date_range(counts.index[0], counts.index[-1], freq="h"), fill_value=0)
        slot = pd.Index((full.index.day_of_week >= 5).astype(int) * 24 + full.index.hour)
        profile = full.groupby(slot).mean()
        expected = slot.map(profile).to_numpy(dtype="float64")
        silent = (full.to_numpy() == 0).astype(int)
        edges = np.diff(np.concatenate([[0], silent, [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            exp_events = float(expected[a:b].sum())
            rows.append(
                {
                    "account": account,
                    "region": region,
                    "gap_start": full.index[a],
                    "gap_end": full.index[b],
                    "hours": int(b - a),
                    "expected_events": round(exp_events, 1),
                    "flagged": bool(b - a >= min_hours and exp_events >= min_expected),
                }
            )
    cols = ["account", "region", "gap_start", "gap_end", "hours", "expected_events", "flagged"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("gap_start", "gap_end"):
        out[c] = pd.to_datetime(out[c], utc=True)
    return out.sort_values(["flagged", "expected_events"], ascending=[False, False]).reset_index(drop=True)
