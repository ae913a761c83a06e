"""The time convention: one parser for every form, aware UTC out, a naive time is UTC (never the machine's zone)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone

import pandas as pd
import pytest

from orginsight.timerange import delivery_days, parse_iso, parse_time, utc_now

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # relative spans before now, and now
        ("7d", datetime(2026, 11, 21, 12, 0)),
        ("-7d", datetime(2026, 11, 21, 12, 0)),
        ("12h", datetime(2026, 11, 28, 0, 0)),
        ("90m", datetime(2026, 11, 28, 10, 30)),
        ("2w", datetime(2026, 11, 14, 12, 0)),
        ("now", datetime(2026, 11, 28, 12, 0)),
        # ISO-8601 dates and times, with or without a zone
        ("2024-06-01", datetime(2024, 6, 1)),
        ("2024-06-01T12:00:00", datetime(2024, 6, 1, 12)),
        ("2024-06-01 12:00:00.000", datetime(2024, 6, 1, 12)),
        ("2024-06-01T12:00:00Z", datetime(2024, 6, 1, 12)),  # CloudTrail's eventTime
        ("2024-06-01T12:00:00.123Z", datetime(2024, 6, 1, 12, 0, 0, 123000)),  # GuardDuty, Security Hub
        ("2024-06-01T12:00:00+09:00", datetime(2024, 6, 1, 3)),
        ("2024/06/01", datetime(2024, 6, 1)),  # a partition value
        # objects
        (datetime(2024, 6, 1, 12), datetime(2024, 6, 1, 12)),
        (datetime(2024, 6, 1, 12, tzinfo=timezone(timedelta(hours=-5))), datetime(2024, 6, 1, 17)),
        (date(2024, 6, 1), datetime(2024, 6, 1)),
        (pd.Timestamp("2024-06-01 12:00"), datetime(2024, 6, 1, 12)),
        (pd.Timestamp("2024-06-01 12:00", tz="Asia/Tokyo"), datetime(2024, 6, 1, 3)),
        # epoch seconds
        (1717243200, datetime(2024, 6, 1, 12)),
        (1717243200.5, datetime(2024, 6, 1, 12, 0, 0, 500000)),
    ],
)
def test_parse_time_reads_every_form_as_aware_utc(value: object, expected: datetime) -> None:
    got = parse_time(value, now=NOW)
    assert got == expected.replace(tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)


def test_a_naive_now_is_utc() -> None:
    assert parse_time("7d", now=NOW.replace(tzinfo=None)) == datetime(2026, 11, 21, 12, tzinfo=UTC)
    assert utc_now(NOW.replace(tzinfo=None)) == NOW
    assert utc_now().tzinfo is not None


@pytest.mark.parametrize("value", ["last tuesday", "", "7x", [2024, 6, 1]])
def test_parse_time_says_what_it_takes(value: object) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        parse_time(value, now=NOW)


@pytest.mark.parametrize("text", ["now", "7d", "2024/06/01", " 2024-06-01"])
def test_parse_iso_takes_iso_text_only(text: str) -> None:
    """A record's time of ``now`` or ``7d`` is malformed, not relative."""
    with pytest.raises(ValueError):
        parse_iso(text)


def test_parse_iso_reads_a_lowercase_zone() -> None:
    assert parse_iso("2024-06-01T12:00:00z") == datetime(2024, 6, 1, 12, tzinfo=UTC)


NO_MACHINE_ZONE = """
import time
from datetime import datetime
from orginsight.timerange import parse_time
time.tzset()
for value in ("2024-06-01T12:00:00", "2024-06-01", datetime(2024, 6, 1, 12), 1717243200):
    print(parse_time(value).isoformat())
print(parse_time("1h", now=datetime(2024, 6, 1, 13)).isoformat())
"""


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is POSIX only")
@pytest.mark.parametrize("zone", ["Pacific/Kiritimati", "America/Adak", "Asia/Kathmandu"])
def test_a_naive_time_is_utc_whatever_the_machine_zone(zone: str) -> None:
    out = subprocess.run(
        [sys.executable, "-c", NO_MACHINE_ZONE],
        env={**os.environ, "TZ": zone},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert out == [
        "2024-06-01T12:00:00+00:00",
        "2024-06-01T00:00:00+00:00",
        "2024-06-01T12:00:00+00:00",
        "2024-06-01T12:00:00+00:00",
        "2024-06-01T12:00:00+00:00",
    ]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # A whole day: its own folder, and the next one for files delivered after midnight.
        (datetime(2026, 11, 26), datetime(2026, 11, 27), ("2026/11/26", "2026/11/27")),
        # Never the day before the start: a file is delivered after its events, not before.
        (datetime(2026, 11, 26, 0, 1), datetime(2026, 11, 26, 1), ("2026/11/26", "2026/11/27")),
        (datetime(2026, 11, 1), datetime(2026, 12, 1), ("2026/11/01", "2026/12/01")),
        # Aware times are read in UTC: 09:00 in Tokyo is the day before in UTC.
        (
            datetime(2026, 11, 26, 9, tzinfo=timezone(timedelta(hours=9))),
            datetime(2026, 11, 26, 9, tzinfo=UTC),
            ("2026/11/26", "2026/11/27"),
        ),
        (
            datetime(2026, 11, 27, 8, tzinfo=timezone(timedelta(hours=9))),
            datetime(2026, 11, 28, tzinfo=UTC),
            ("2026/11/26", "2026/11/28"),
        ),
    ],
)
def test_delivery_days(start: datetime, end: datetime, expected: tuple[str, str]) -> None:
    assert delivery_days(start, end) == expected


# --- public results are aware ---------------------------------------------------------------------


def _aware(t: datetime) -> bool:
    return t.tzinfo is not None and t.utcoffset() == timedelta(0)


def test_public_results_are_aware_utc(tmp_path) -> None:
    from orginsight import notebook
    from orginsight.analytics import hunts
    from orginsight.analytics.posture import period
    from orginsight.engines.base import DataRange
    from orginsight.engines.pruning import instant_of
    from orginsight.sources.findings import to_utc

    assert _aware(DataRange(last_day=date(2024, 6, 9)).end)
    assert all(_aware(t) for t in notebook.around("2024-06-01T12:00:00Z", hours=1))
    values = hunts.resolve(hunts.list_hunts()[0], now=NOW.replace(tzinfo=None))
    assert _aware(values["start"]) and _aware(values["end"])
    assert _aware(hunts.parse_time("2024-06-01"))
    assert all(_aware(t) for t in period("7d", datetime(2024, 6, 1)))
    assert _aware(instant_of("2024-06-01 12:00:00"))
    assert _aware(to_utc("2024-06-01 12:00:00"))
