"""Timelines out: triage and hunt results for Timesketch, and the original CloudTrail records for plaso.

Timesketch imports JSONL and CSV whose rows carry ``message``, ``datetime`` (ISO 8601) and
``timestamp_desc`` (Timesketch's documentation, "Import from JSON or CSV", as published 2024), every other
column kept as an attribute to filter on. The rows written here keep the entity fields (principal, access
key, IP, account, region) under their own names, so a sketch pivots on them as orginsight does.

plaso's ``aws_cloudtrail_log`` JSON-L parser reads one CloudTrail record a line: :func:`original_records`
reads those records back from the lake, by event id, in one query.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.lake import Lake
from orginsight.sources.schema import CLOUDTRAIL_FIELDS, TABLE, J
from orginsight.timerange import delivery_days

TIMESKETCH_FIELDS = ("message", "datetime", "timestamp", "timestamp_desc")
"""The fields Timesketch requires (``timestamp``, microseconds since the epoch, it accepts in place of
parsing ``datetime``), first in every row."""

EVENT_TIME_DESC = "Event Recorded"
"""``timestamp_desc`` of a CloudTrail event: when CloudTrail recorded the call (``eventTime``)."""

TIME_COLUMNS = (("time", EVENT_TIME_DESC), ("eventtime", EVENT_TIME_DESC), ("first_seen", "First Seen"))
"""Where a row's time is, in order of preference, and what that time means."""

MESSAGE_PARTS = (
    ("principal", "{}"),
    ("eventname", "called {}"),
    ("eventsource", "on {}"),
    ("account", "in {}"),
    ("region", "{}"),
    ("ip", "from {}"),
    ("errorcode", "failed: {}"),
)
"""How an event's columns read as a sentence (columns absent from a row are skipped)."""


def _present(value: Any) -> bool:
    if value is None or value is pd.NaT:
        return False
    if isinstance(value, float) and math.isnan(value):
        return False
    return not (isinstance(value, str) and value == "")


def _plain(value: Any) -> Any:
    """A value JSON and CSV can carry: times as ISO 8601, arrays as lists, missing as None."""
    if isinstance(value, (pd.Timestamp, datetime)):
        return pd.Timestamp(value).isoformat()
    if hasattr(value, "tolist"):
        return value.tolist()
    if isinstance(value, (list, tuple, dict, str, int, bool)) or value is None:
        return value
    return value if _present(value) else None


def event_message(row: Mapping[str, Any], prefix: str = "") -> str:
    """One line saying what happened: ``alice called GetObject on s3.amazonaws.com in 1111... from 198.51.100.7``."""
    words = [fmt.format(row[col]) for col, fmt in MESSAGE_PARTS if _present(row.get(col))]
    return (prefix + " ".join(words)).strip() or prefix.strip() or "event"


def timesketch_rows(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """A timeline or a hunt's result as Timesketch rows: its columns, after the fields Timesketch requires.

    The time is the row's ``time``/``eventtime`` (an event) or ``first_seen`` (a hunt row that groups
    events); a row without one cannot sit on a timeline and is left out. ``source`` (the hunt's name, or
    ``triage``) prefixes the message and is kept as ``orginsight_source``.
    """
    column, desc = next(((c, d) for c, d in TIME_COLUMNS if c in frame.columns), (None, None))
    if column is None:
        raise ValueError(
            f"{source}: no time column ({', '.join(c for c, _ in TIME_COLUMNS)}) to place rows on a timeline"
        )
    times = pd.to_datetime(frame[column], utc=True, errors="coerce", format="ISO8601")
    prefix = "" if source == "triage" else f"{source}: "
    rows = []
    for when, row in zip(times, frame.to_dict("records"), strict=True):
        if when is pd.NaT:
            continue
        rows.append(
            {
                "message": event_message(row, prefix),
                "datetime": when.isoformat(),
                "timestamp": int(when.value // 1000),
                "timestamp_desc": desc,
                "orginsight_source": source,
                **{k: _plain(v) for k, v in row.items() if k not in TIMESKETCH_FIELDS},
            }
        )
    return pd.DataFrame(rows)


def write_timesketch(rows: pd.DataFrame, out: str | os.PathLike[str], stem: str) -> list[Path]:
    """Write ``stem.jsonl`` and ``stem.csv`` under ``out`` (lists and structs as JSON text in the CSV)."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    jsonl, csv = folder / f"{stem}.jsonl", folder / f"{stem}.csv"
    with jsonl.open("w", encoding="utf-8") as fh:
        for row in rows.to_dict("records"):
            fh.write(json.dumps(row, default=str) + "\n")
    flat = rows.apply(
        lambda col: col.map(lambda v: json.dumps(v, default=str) if isinstance(v, (list, dict)) else v)
    )
    flat.to_csv(csv, index=False)
    return [jsonl, csv]


def _camel(value: Any, spec: object) -> Any:
    """A column's value with CloudTrail's own keys back (the inverse of the table's lower-casing)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(spec, dict):
        lowered = {str(k).lower(): v for k, v in value.items()}
        out = {key: _camel(lowered.get(key.lower()), sub) for key, sub in spec.items()}
        return {k: v for k, v in out.items() if v is not None}  # {} stays {}: CloudTrail wrote it
    if isinstance(spec, list):
        return [_camel(v, spec[0]) for v in value]
    if spec == J:
        return json.loads(value) if isinstance(value, str) else value
    return value


BOOLEAN_KEYS = frozenset({"readOnly", "managementEvent"})
"""Top-level keys CloudTrail writes as JSON booleans (CloudTrail record contents, User Guide, 2024), which the
table keeps as Athena's strings ``'true'``/``'false'``."""


def _boolean(value: Any) -> Any:
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def cloudtrail_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of the ``cloudtrail`` table as the record CloudTrail wrote: its keys, keys absent stay absent.

    The fields the table's documented schema keeps come back as written; a field outside it (a key a newer
    event version added) is not in the lake's table and so not here.
    """
    out = {key: _camel(_plain(row.get(column)), spec) for column, (key, spec) in CLOUDTRAIL_FIELDS.items()}
    out |= {key: _boolean(out[key]) for key in BOOLEAN_KEYS if key in out}
    return {k: v for k, v in out.items() if v is not None}


def original_records(
    lake: Lake, eventids: Iterable[str], since: datetime | None = None, until: datetime | None = None
) -> list[dict[str, Any]]:
    """The CloudTrail records of the given event ids, read in one query and ordered by event time.

    ``since``/``until`` (the events' time range, when known) limit the days read.
    """
    ids = sorted({str(i) for i in eventids})
    if not ids:
        return []
    where, params = "eventid IN (:ids)", {"ids": ids}
    if since is not None and until is not None:
        first_day, last_day = delivery_days(since, until)
        where += ' AND "timestamp" BETWEEN :first_day AND :last_day'
        params |= {"first_day": first_day, "last_day": last_day}
    columns = ", ".join(CLOUDTRAIL_FIELDS)
    df = lake.sql(
        f"SELECT DISTINCT {columns} FROM {TABLE} WHERE {where} ORDER BY eventtime, eventid", **params
    )
    return [cloudtrail_record(row) for row in df.to_dict("records")]


def write_plaso(records: Iterable[Mapping[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write CloudTrail records one a line (plaso's CloudTrail JSON-L input)."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for record in records:
            fh.write(json.dumps(record, separators=(",", ":")) + "\n")
    return out
