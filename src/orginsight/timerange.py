"""The package's time convention: every time is timezone-aware UTC, and one parser reads every form of it.

:func:`parse_time` is the one parser: ISO-8601 with or without a zone (``2024-06-01``,
``2024-06-01T12:00:00Z``, ``2024-06-01 12:00:00+09:00``, ``2024/06/01``), relative spans before
``now`` (``7d``, ``-12h``, ``now``), ``datetime``/``date``/``pandas.Timestamp`` objects, and epoch
seconds. It returns an aware UTC ``datetime``. A time written without a zone is UTC, never the
machine's zone: AWS writes every time in UTC, and an analyst's laptop in Tokyo must read the same
window as Athena does. Public functions take aware or naive times and return aware UTC ones; the
only place a time becomes naive again is an SQL literal (``engines.parameters.literal``), as
Athena's ``timestamp`` type has no zone.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"^\s*-?\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_SLASHED_DAY = re.compile(r"^(\d{4})/(\d{2})/(\d{2})")
"""A partition value (``2024/06/01``) or a time written from one: read as ``2024-06-01``."""

DELIVERY_LAG = timedelta(days=1)
"""How long after an event its CloudTrail log file may still land, rounded up to whole days.

CloudTrail delivers a file about 5 minutes after its events on average and usually within 15
(CloudTrail User Guide, "How CloudTrail works", 2024), without a guarantee. The files of the S3 key
layout are foldered by the UTC day they were written, so an event near midnight sits in the next
day's folder. One day covers late stragglers and is the partition granularity, so every use
below is a whole number of day folders:

- the last day folder that can hold a time range's events is a day after its end (:func:`delivery_days`);
- a day folder is closed, safe to compact, a day after the day ends (``engines.parquet_cache.is_closed``);
- a predicate on ``eventtime`` widens its day bounds by this much (``engines.pruning``, ``Lake``), after
  for late files and, as a safeguard kept from the first version, as much before.
"""


def parse_time(value: str | datetime | date | int | float, now: datetime | None = None) -> datetime:
    """An aware UTC datetime from any time the package accepts (see the module's docstring).

    A relative span (``7d``, ``-7d``: the minus only reads better in a hunt header) and ``now``
    count back from ``now`` (default: the clock). A naive datetime or zone-less text is UTC.
    Raises ValueError naming the forms it takes.
    """
    if isinstance(value, datetime):  # pandas.Timestamp included
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise ValueError(
            f"cannot read {value!r} as a time: expected text, a datetime, a date or epoch seconds"
        )
    m = _RELATIVE.match(value)
    if m:
        return utc_now(now) - timedelta(**{_UNITS[m[2]]: int(m[1])})
    if value.strip().lower() == "now":
        return utc_now(now)
    try:
        return parse_iso(_SLASHED_DAY.sub(r"\1-\2-\3", value.strip()))
    except ValueError as e:
        raise ValueError(
            f"cannot read {value!r} as a time: use e.g. 7d, 12h, 2024-06-01 or 2024-06-01T12:00:00Z"
        ) from e


def parse_iso(text: str) -> datetime:
    """ISO-8601 text only (``2024-06-01``, ``2024-06-01T12:00:00Z``, with any zone or none) as aware UTC.

    The part of :func:`parse_time` for times read from records: a log record's ``eventTime`` of
    ``now`` or ``7d`` is malformed, not relative. CloudTrail writes ``Z``; a lowercase ``z`` is read too.
    """
    if text[-1:] == "z":
        text = text[:-1] + "Z"
    return parse_time(datetime.fromisoformat(text))


def utc_now(now: datetime | None = None) -> datetime:
    """``now`` as aware UTC (a naive one is UTC), or the clock's time when None."""
    return datetime.now(UTC) if now is None else parse_time(now)


def delivery_days(start: datetime, end: datetime) -> tuple[str, str]:
    """The first and last ``timestamp`` partitions (``yyyy/MM/dd``) holding the events of ``[start, end)``.

    A file sits under the UTC day it was delivered, never before its events, so the
    range starts on the day of ``start`` and ends a delivery lag after ``end``. A day
    of slack before ``start`` would read a whole extra day of files for nothing.
    """
    last = parse_time(end) - timedelta(microseconds=1) + DELIVERY_LAG
    return f"{parse_time(start):%Y/%m/%d}", f"{last:%Y/%m/%d}"
