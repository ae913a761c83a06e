"""CloudTrail Insights windows: each Start/End pair of ``cloudtrail_insights`` as one row, and which overlap a window.

CloudTrail writes an Insights event when unusual activity starts and another when it ends, both with the
same ``sharedeventid`` (CloudTrail User Guide, "CloudTrail record contents for Insights events for trails",
2024). An analyst wants the pair: what was unusual (API, call rate or error rate, error code), where, from
when to when, and how far above its baseline. A Start without its End yet is an insight still open: it
ends at its Start plus ``insightduration`` when the record says, else it is open to the end of the data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.errors import QueryError
from orginsight.timerange import delivery_days

WINDOWS_SQL = """
SELECT
  sharedeventid, recipientaccountid AS account, awsregion AS region,
  insightdetails.eventsource AS eventsource, insightdetails.eventname AS eventname,
  insightdetails.insighttype AS insight_type, insightdetails.errorcode AS errorcode,
  min(CASE WHEN insightdetails.state = 'Start' THEN eventtime END) AS start_time,
  max(CASE WHEN insightdetails.state = 'End' THEN eventtime END) AS end_time,
  max(insightdetails.insightcontext.statistics.baseline.average) AS baseline_average,
  max(insightdetails.insightcontext.statistics.insight.average) AS insight_average,
  max(insightdetails.insightcontext.statistics.insightduration) AS duration_minutes
FROM cloudtrail_insights
WHERE "timestamp" BETWEEN :first_day AND :last_day
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
"""One row per Insights event pair in the days asked (Start and End share ``sharedeventid``)."""

COLUMNS = [
    "sharedeventid",
    "account",
    "region",
    "api",
    "insight_type",
    "errorcode",
    "start",
    "end",
    "baseline_average",
    "insight_average",
    "ratio",
]


def insight_windows(lake: Any, since: datetime, until: datetime) -> pd.DataFrame:
    """The Insights windows that overlap ``since`` .. ``until`` (``COLUMNS``), by start.

    A lake or Athena database without the table reads as no Insights (``attrs["note"]`` says why):
    Insights is opt-in per trail, and its absence must not stop a review or a triage.
    """
    first_day, last_day = delivery_days(since, until)
    try:
        raw = lake.sql_params(WINDOWS_SQL, {"first_day": first_day, "last_day": last_day})
    except QueryError as e:
        out = pd.DataFrame(columns=COLUMNS)
        out.attrs["note"] = f"no Insights events read: {e}"
        return out
    return overlapping(windows_of(raw), since, until)


def windows_of(raw: pd.DataFrame) -> pd.DataFrame:
    """``WINDOWS_SQL`` rows as windows: aware ``start``/``end``, ``api`` as service:call, ``ratio`` to baseline."""
    if raw.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = raw.copy()
    df["start"] = pd.to_datetime(df["start_time"], utc=True)
    ended = pd.to_datetime(df["end_time"], utc=True)
    by_duration = df["start"] + pd.to_timedelta(pd.to_numeric(df["duration_minutes"]), unit="min")
    df["end"] = ended.fillna(by_duration).fillna(df["start"])
    df["api"] = df["eventsource"].str.replace(".amazonaws.com", "", regex=False) + ":" + df["eventname"]
    base = pd.to_numeric(df["baseline_average"])
    df["ratio"] = (pd.to_numeric(df["insight_average"]) / base.where(base > 0)).round(1)
    df = df[df["start"].notna()]
    return df[COLUMNS].sort_values(["start", "account", "api"]).reset_index(drop=True)


def overlapping(windows: pd.DataFrame, since: datetime, until: datetime) -> pd.DataFrame:
    """The windows that meet ``since`` .. ``until`` (an Insight that began before and ended inside counts)."""
    if windows.empty:
        return windows
    hit = (windows["start"] <= pd.Timestamp(until)) & (windows["end"] >= pd.Timestamp(since))
    return windows[hit].reset_index(drop=True)


def describe(windows: pd.DataFrame) -> str | None:
    """One line for a summary: how many Insights overlap, of which kinds and APIs (None when none does)."""
    if windows.empty:
        return None
    parts = [
        f"{w.insight_type} on {w.api}"
        + (f" ({w.errorcode})" if isinstance(w.errorcode, str) else "")
        + f" in {w.account} {w.start:%Y-%m-%d %H:%M}..{w.end:%H:%M}Z"
        for w in windows.itertuples()
    ]
    return f"{len(windows)} CloudTrail Insights event(s) overlap the incident window: " + "; ".join(parts)


def during(lake: Any, window: tuple[datetime, datetime] | None, accounts: list[str]) -> pd.DataFrame:
    """The Insights windows of ``accounts`` that overlap an incident ``window`` (none without a window): an
    unusual rate CloudTrail itself flagged while the incident ran is corroboration an analyst should see."""
    if window is None or not accounts:
        return pd.DataFrame(columns=COLUMNS)
    found = insight_windows(lake, window[0], window[1])
    return found[found["account"].isin(accounts)].reset_index(drop=True)
