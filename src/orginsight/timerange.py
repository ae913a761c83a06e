"""Time ranges as analysts type them: ``7d``, ``12h``, ``2024-06-01``, ``2024-06-01T12:00:00Z``."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_RELATIVE = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_time(text: str | datetime | date, now: datetime | None = None) -> datetime:
    """A naive UTC datetime from a relative span before ``now`` (``7d``) or an ISO date/time."""
    if isinstance(text, datetime):
        return text.astimezone(UTC).replace(tzinfo=None) if text.tzinfo else text
    if isinstance(text, date):
        return datetime(text.year, text.month, text.day)
    m = _RELATIVE.match(text)
    if m:
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return now - timedelta(**{_UNITS[m[2]]: int(m[1])})
    if text.strip().lower() == "now":
        return now or datetime.now(UTC).replace(tzinfo=None)
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as e:
        raise ValueError(
            f"cannot read {text!r} as a time: use e.g. 7d, 12h, 2024-06-01 or 2024-06-01T12:00:00Z"
        ) from e
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


DELIVERY_LAG = timedelta(days=1)
"""How long after an event its log file may be delivered. CloudTrail delivers within about
5 minutes on average, without a guarantee; a day covers the late stragglers."""


def delivery_days(start: datetime, end: datetime) -> tuple[str, str]:
    """The first and last ``timestamp`` partitions (``yyyy/MM/dd``) holding the events of ``[start, end)``.

    A file sits under the UTC day it was delivered, never before its events, so the
    range starts on the day of ``start`` and ends a delivery lag after ``end``. A day
    of slack before ``start`` would read a whole extra day of files for nothing.
    """
    last = end - timedelta(microseconds=1) + DELIVERY_LAG
    return start.strftime("%Y/%m/%d"), last.strftime("%Y/%m/%d")
