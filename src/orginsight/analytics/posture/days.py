"""The days of a posture period: timestamps as UTC, daily grids, ``--since 90d`` periods."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from orginsight.timerange import parse_time


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _days(start: Any, end: Any) -> pd.DatetimeIndex:
    return pd.date_range(_utc(start).normalize(), _utc(end).normalize(), freq="D")


def period(since: str | timedelta | None, end: datetime | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) UTC timestamps for ``--since 90d`` style periods ending at ``end`` (default now)."""
    end_ts = _utc(end) if end is not None else _utc(pd.Timestamp.now(tz="UTC"))
    if since is None:
        return end_ts - pd.Timedelta(days=90), end_ts
    if isinstance(since, timedelta):
        return end_ts - pd.Timedelta(since), end_ts
    start = parse_time(since, now=end_ts.tz_localize(None).to_pydatetime())
    return _utc(start), end_ts
