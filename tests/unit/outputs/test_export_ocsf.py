"""The findings frame as OCSF Detection Findings: every record valid, one file per UTC day."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_real_findings

from orginsight.outputs.exports.ocsf import (
    CLASS_UID,
    day_of,
    detection_finding,
    detection_findings,
    ocsf_errors,
    write_ocsf,
)


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return read_real_findings()


def test_every_real_finding_becomes_a_valid_detection_finding(findings):
    records = detection_findings(findings)
    assert len(records) == len(findings) > 10
    for record in records:
        assert ocsf_errors(record) == []
        assert record["class_uid"] == CLASS_UID and record["type_uid"] == 200400 + record["activity_id"]
    assert {r["finding_info"]["uid"] for r in records} == set(findings["finding_id"])


def test_a_record_carries_the_finding_its_entities_and_its_source(findings):
    row = findings[findings["remote_ip"].notna()].iloc[0]
    record = detection_finding(row.to_dict())
    assert record["finding_info"]["types"] == [row["type"]]
    assert (
        record["finding_info"]["last_seen_time"] == int(row["last_seen"].timestamp() * 1000) == record["time"]
    )
    assert record["cloud"]["account"]["uid"] == row["account_id"]
    assert record["cloud"]["region"] == row["region"]
    assert record["severity"] == row["severity_label"]
    assert {"name": "remote_ip", "type_id": 2, "type": "IP Address", "value": row["remote_ip"]} in record[
        "observables"
    ]
    assert record["metadata"]["product"]["name"] == row["source"]
    assert json.loads(record["raw_data"])


@pytest.mark.parametrize(
    "broken",
    [
        lambda r: r.pop("finding_info"),
        lambda r: r.update(class_uid=2001),
        lambda r: r["finding_info"].pop("uid"),
        lambda r: r.update(severity_id=7),
        lambda r: r.update(time="2024-06-01T00:00:00Z"),
        lambda r: r["metadata"].pop("version"),
    ],
)
def test_the_schema_check_refuses_what_the_class_does_not_allow(findings, broken):
    record = detection_finding(findings.iloc[0].to_dict())
    broken(record)
    assert ocsf_errors(record)


def test_one_file_per_day_each_line_a_record_of_that_day(findings, tmp_path: Path):
    paths = write_ocsf(findings, tmp_path)
    days = {pd.Timestamp(t).strftime("%Y-%m-%d") for t in findings["last_seen"]}
    assert [p.name for p in paths] == [f"findings-{d}.ocsf.jsonl" for d in sorted(days)]
    lines = [json.loads(line) for p in paths for line in p.read_text().splitlines()]
    assert len(lines) == len(findings)
    for path in paths:
        for line in path.read_text().splitlines():
            assert path.name == f"findings-{day_of(json.loads(line))}.ocsf.jsonl"
