"""Time ranges as analysts type them, and the delivery days that hold a time range's events."""

from __future__ import annotations

from datetime import datetime

import pytest

from orginsight.timerange import delivery_days, parse_time

NOW = datetime(2026, 11, 28, 12, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7d", datetime(2026, 11, 21, 12, 0)),
        ("12h", datetime(2026, 11, 28, 0, 0)),
        ("2024-06-01", datetime(2024, 6, 1)),
        ("2024-06-01T12:00:00Z", datetime(2024, 6, 1, 12)),
        ("2024-06-01T12:00:00+09:00", datetime(2024, 6, 1, 3)),
    ],
)
def test_parse_time(text: str, expected: datetime) -> None:
    assert parse_time(text, now=NOW) == expected


def test_parse_time_says_what_it_takes() -> None:
    with pytest.raises(ValueError, match="use e.g. 7d"):
        parse_time("last tuesday", now=NOW)


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # A whole day: its own folder, and the next one for files delivered after midnight.
        (datetime(2026, 11, 26), datetime(2026, 11, 27), ("2026/11/26", "2026/11/27")),
        # Never the day before the start: a file is delivered after its events, not before.
        (datetime(2026, 11, 26, 0, 1), datetime(2026, 11, 26, 1), ("2026/11/26", "2026/11/27")),
        (datetime(2026, 11, 1), datetime(2026, 12, 1), ("2026/11/01", "2026/12/01")),
    ],
)
def test_delivery_days(start: datetime, end: datetime, expected: tuple[str, str]) -> None:
    assert delivery_days(start, end) == expected
