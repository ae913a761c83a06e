"""Findings over time: each finding's active interval, daily trends, time active, top values, notable days."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from orginsight.analytics.posture.days import _days, _utc

SEVERITY_ORDER = ("Critical", "High", "Medium", "Low", "Informational")


CLOSED_WORKFLOW_STATES = frozenset({"ARCHIVED", "RESOLVED", "SUPPRESSED"})
"""Workflow states in which a finding no longer needs work (GuardDuty archive, ASFF Workflow.Status)."""


def is_closed(findings: pd.DataFrame) -> pd.Series:
    """Whether each finding is archived, resolved or suppressed (no longer active)."""
    archived = findings["archived"].astype("boolean").fillna(False) if "archived" in findings else False
    workflow = findings["workflow_state"].astype("string").str.upper().isin(CLOSED_WORKFLOW_STATES)
    return (workflow | archived).astype(bool)


def finding_activity(findings: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Each finding's active interval: from first seen to last seen if closed, else to ``as_of``.

    A closed finding's archive time is not in the record; its last sighting is the best
    lower bound AWS gives, so it counts as active until then.
    """
    as_of = (
        _utc(as_of) if as_of is not None else _utc(findings["last_seen"].max() if len(findings) else "now")
    )
    out = findings.copy()
    out["closed"] = is_closed(findings)
    first = pd.to_datetime(out["first_seen"], utc=True)
    last = pd.to_datetime(out["last_seen"], utc=True).fillna(first)
    out["active_from"] = first
    out["active_until"] = last.where(out["closed"], as_of)
    out["days_active"] = (out["active_until"] - out["active_from"]).dt.total_seconds() / 86400
    return out


def finding_trend(
    findings: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    by: Sequence[str] = ("severity_label",),
    as_of: Any = None,
) -> pd.DataFrame:
    """Per day and ``by`` group: findings opened that day and findings active at some time that day.

    Columns: day, *by, opened, active. Days with nothing still appear (zeros), so trends
    are continuous. Group by ``("severity_label",)``, ``("account_id", "severity_label")``,
    ``("ou_path",)`` ...
    """
    by = list(by)
    act = finding_activity(findings, as_of=as_of)
    if act.empty:
        return pd.DataFrame(columns=["day", *by, "opened", "active"])
    start = _utc(start) if start is not None else act["active_from"].min()
    end = _utc(end) if end is not None else act["active_until"].max()
    days = _days(start, end)
    for c in by:
        act[c] = act[c].fillna("(none)")
    opened_day = act["active_from"].dt.normalize()
    closed_day = act["active_until"].dt.normalize() + pd.Timedelta(
        days=1
    )  # no longer active from this day on
    keys = [*by] if by else []

    def daily(day: pd.Series, mask: pd.Series | None = None) -> pd.DataFrame:
        frame = act.loc[mask if mask is not None else slice(None), keys].assign(day=day)
        counts = frame.groupby(["day", *keys], dropna=False).size().rename("n").reset_index()
        if keys:
            return counts.pivot_table(index="day", columns=keys, values="n", aggfunc="sum", fill_value=0)
        return counts.set_index("day")[["n"]]

    starts = daily(opened_day.clip(lower=days[0]))
    ends = daily(closed_day)
    opened = daily(opened_day, (opened_day >= days[0]) & (opened_day <= days[-1]))
    cols = starts.columns.union(ends.columns).union(opened.columns)
    grid = pd.DatetimeIndex(sorted(set(days) | set(starts.index) | set(ends.index)))
    active = (
        starts.reindex(index=grid, columns=cols, fill_value=0).cumsum()
        - ends.reindex(index=grid, columns=cols, fill_value=0).cumsum()
    ).reindex(days)
    opened = opened.reindex(index=days, columns=cols, fill_value=0)
    if keys:
        out = pd.DataFrame(
            {
                "opened": opened.stack(list(range(len(keys))), future_stack=True),
                "active": active.stack(list(range(len(keys))), future_stack=True),
            }
        )
        out.index = out.index.set_names(["day", *keys])
        out = out.reset_index()
    else:
        out = pd.DataFrame({"day": days, "opened": opened["n"].to_numpy(), "active": active["n"].to_numpy()})
    out[["opened", "active"]] = out[["opened", "active"]].fillna(0).astype("int64")
    if "severity_label" in keys:
        order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        out = out.sort_values(["day", *[k for k in keys if k != "severity_label"]], kind="stable")
        out = out.iloc[
            np.lexsort((out["severity_label"].map(order).fillna(99).to_numpy(), out["day"].to_numpy()))
        ]
    return out.reset_index(drop=True)


def mean_time_active(
    findings: pd.DataFrame, by: Sequence[str] = ("account_id",), as_of: Any = None
) -> pd.DataFrame:
    """Per group: findings, how many are closed, mean days active of closed ones and of those still open.

    Open findings are censored (still running), so they are averaged apart rather than
    mixed with closed ones, which would understate how long findings stay open.
    """
    act = finding_activity(findings, as_of=as_of)
    by = list(by)
    for c in by:
        act[c] = act[c].fillna("(none)")
    g = act.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "findings": g.size(),
            "closed": g["closed"].sum().astype("int64"),
            "mean_days_active_closed": g.apply(
                lambda d: d.loc[d["closed"], "days_active"].mean(), include_groups=False
            ),
            "mean_days_open_still_active": g.apply(
                lambda d: d.loc[~d["closed"], "days_active"].mean(), include_groups=False
            ),
            "mean_days_active": g["days_active"].mean(),
        }
    ).reset_index()
    return out.sort_values("findings", ascending=False).reset_index(drop=True)


def top_counts(findings: pd.DataFrame, column: str, n: int = 10, *, since: Any = None) -> pd.DataFrame:
    """The ``n`` most frequent values of ``column`` (account, type ...) with counts by severity."""
    df = findings
    if since is not None:
        df = df[pd.to_datetime(df["first_seen"], utc=True) >= _utc(since)]
    df = df.assign(
        **{column: df[column].fillna("(none)"), "severity_label": df["severity_label"].fillna("(none)")}
    )
    counts = df.groupby([column, "severity_label"]).size().unstack(fill_value=0)
    counts = counts.reindex(
        columns=[s for s in SEVERITY_ORDER if s in counts.columns]
        + [c for c in counts.columns if c not in SEVERITY_ORDER]
    )
    counts["total"] = counts.sum(axis=1)
    return counts.sort_values("total", ascending=False).head(n).reset_index()


def notable_changes(
    series: pd.DataFrame,
    x: str,
    y: str,
    *,
    window: int = 7,
    k: float = 3.0,
    min_delta: float = 3,
    limit: int = 5,
) -> pd.DataFrame:
    """Days where ``y`` moves well away from its trailing ``window``-day median (for chart annotations).

    A change is notable when it is at least ``min_delta`` and ``k`` robust standard deviations
    (1.4826 x the median absolute deviation of the whole series) away from the median, so
    ordinary day-to-day noise and small counts do not flood the chart. The median, unlike
    the mean, is not dragged up by a spike, so the days after one do not read as drops.
    Days before the series first moves off zero are ignored. Returns the ``limit`` largest.
    """
    s = series[[x, y]].sort_values(x).reset_index(drop=True)
    started = s[y].ne(0).cumsum() > 0
    s = s[started].reset_index(drop=True)
    base = s[y].rolling(window, min_periods=window).median().shift(1)
    mad = float((s[y] - s[y].median()).abs().median()) * 1.4826
    delta = s[y] - base
    notable = s.assign(baseline=base, delta=delta)[delta.abs() >= max(min_delta, k * mad)]
    return (
        notable.reindex(notable["delta"].abs().sort_values(ascending=False).index).head(limit).sort_values(x)
    )
