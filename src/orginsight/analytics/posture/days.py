"""The days of a posture period: timestamps as UTC, daily grids, ``--since 90d`` periods."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from orginsight.timerange import parse_time


def _utc(value: Any) -> pd.Timestamp:
    """``value`` (any form :func:`~orginsight.timerange.parse_time` reads, or a numpy time) as an aware UTC
    timestamp; ``"now"`` is the clock in UTC, a naive time is UTC."""
    if not isinstance(value, str | datetime | date):
        value = pd.Timestamp(value)
    return pd.Timestamp(parse_time(value))


def _days(start: Any, end: Any) -> pd.DatetimeIndex:
    return pd.date_range(_utc(start).normalize(), _utc(end).normalize(), freq="D")


def period(since: str | timedelta | None, end: datetime | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) UTC timestamps for ``--since 90d`` style periods ending at ``end`` (default now)."""
    end_ts = _utc(end if end is not None else "now")
    if since is None:
        return end_ts - pd.Timedelta(days=90), end_ts
    if isinstance(since, timedelta):
        return end_ts - pd.Timedelta(since), end_ts
    start = parse_time(since, now=end_ts)
    return _utc(start), end_ts
