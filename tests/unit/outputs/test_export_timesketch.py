"""Timelines out: Timesketch's required fields on every row, and plaso's lines the records CloudTrail wrote."""

from __future__ import annotations

import csv
import json
from datetime import datetime

import pandas as pd
import pytest
from conftest import read_records, real_data

from orginsight import Lake
from orginsight.outputs.exports import write_hunt_timeline, write_triage_timeline
from orginsight.outputs.exports.timesketch import (
    EVENT_TIME_DESC,
    cloudtrail_record,
    original_records,
    timesketch_rows,
)

KEY = "ASIATFQR7NSCWLLE7IWW"
"""A Stratus Red Team session key in the real Invictus records (29 of its calls)."""


def _without_nulls(value):
    """A record as the lake keeps it: a key CloudTrail wrote as null is absent (the table has no null/absent)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


@pytest.fixture(scope="module")
def lake(real_lake) -> Lake:
    return Lake.local(real_lake)


@pytest.fixture(scope="module")
def originals() -> dict[str, dict]:
    return {r["eventID"]: r for r in read_records(real_data("cloudtrail", "invictus-stratus"))}


@pytest.fixture(scope="module")
def triage(lake):
    return lake.triage(KEY, since="2023-07-10", until="2023-07-11")


def _check_timesketch_row(row: dict) -> None:
    assert isinstance(row["message"], str) and row["message"]
    assert isinstance(row["timestamp_desc"], str) and row["timestamp_desc"]
    when = datetime.fromisoformat(row["datetime"])
    assert when.utcoffset() is not None and when.utcoffset().total_seconds() == 0
    assert int(row["timestamp"]) == int(when.timestamp() * 1_000_000)


def test_triage_rows_carry_timesketchs_fields_and_the_entities(triage, tmp_path):
    rows = timesketch_rows(triage.timeline, "triage")
    assert len(rows) == len(triage.timeline) > 0
    for row in rows.to_dict("records"):
        _check_timesketch_row(row)
        assert row["timestamp_desc"] == EVENT_TIME_DESC
        assert row["eventname"] in row["message"]
    assert {"principal", "access_key", "ip", "account", "region", "eventid"} <= set(rows.columns)
    assert KEY in set(rows["access_key"])


def test_the_triage_export_writes_jsonl_csv_and_plaso_lines(triage, lake, originals, tmp_path):
    paths = write_triage_timeline(triage, lake, tmp_path)
    assert [p.name for p in paths] == [
        "triage-timeline.jsonl",
        "triage-timeline.csv",
        "triage-cloudtrail.jsonl",
    ]
    lines = [json.loads(line) for line in paths[0].read_text().splitlines()]
    with paths[1].open(newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(lines) == len(table) == len(triage.timeline)
    for line, row in zip(lines, table, strict=True):
        _check_timesketch_row(line)
        _check_timesketch_row(row)
        assert row["message"] == line["message"]
    plaso = [json.loads(line) for line in paths[2].read_text().splitlines()]
    assert {r["eventID"] for r in plaso} == set(triage.timeline["eventid"])
    for record in plaso:
        if record["eventID"] in originals:
            assert record == _without_nulls(originals[record["eventID"]])


def test_plaso_lines_are_the_records_cloudtrail_wrote(lake, originals):
    records = original_records(lake, originals)
    assert len(records) == len(originals)
    assert [r["eventTime"] for r in records] == sorted(r["eventTime"] for r in records)
    for record in records:
        assert record == _without_nulls(originals[record["eventID"]])
    assert records[0]["readOnly"] in (True, False)


def test_a_hunts_rows_export_with_the_records_behind_them(lake, originals, tmp_path):
    paths = write_hunt_timeline(
        lake, "cloudtrail_tampering", tmp_path, {"start": "2023-07-01", "end": "2023-08-01"}
    )
    rows = [json.loads(line) for line in paths[0].read_text().splitlines()]
    assert rows, "Stratus stops and deletes a trail"
    for row in rows:
        _check_timesketch_row(row)
        assert row["message"].startswith("cloudtrail_tampering: ")
    plaso = [json.loads(line) for line in paths[2].read_text().splitlines()]
    assert plaso and all(r["eventSource"] == "cloudtrail.amazonaws.com" for r in plaso)


def test_a_frame_without_a_time_is_refused_and_rows_without_one_are_left_out():
    with pytest.raises(ValueError, match="no time column"):
        timesketch_rows(pd.DataFrame({"eventname": ["x"]}), "h")
    rows = timesketch_rows(pd.DataFrame({"first_seen": ["2024-06-01T00:00:00Z", None], "n": [1, 2]}), "h")
    assert list(rows["n"]) == [1] and rows["timestamp_desc"].iloc[0] == "First Seen"


def test_a_table_row_becomes_cloudtrails_keys():
    row = {
        "eventid": "e1",
        "readonly": "false",
        "requestparameters": '{"bucketName": "b"}',
        "useridentity": {"type": "IAMUser", "accesskeyid": "AKIA1", "sessioncontext": None},
    }
    assert cloudtrail_record(row) == {
        "eventID": "e1",
        "readOnly": False,
        "requestParameters": {"bucketName": "b"},
        "userIdentity": {"type": "IAMUser", "accessKeyId": "AKIA1"},
    }
