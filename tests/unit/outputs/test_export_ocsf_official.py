"""The OCSF export against the official OCSF 1.1.0 schema (``ocsf-json-schema``'s copy of the schema
server's export, tests/ocsf_official.py): every record of the real findings valid, and the check able to fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_real_findings
from ocsf_official import class_schema, export, official_errors

from orginsight.outputs.exports.ocsf import (
    CLASS_UID,
    DETECTION_FINDING_SCHEMA,
    OCSF_VERSION,
    PROFILES,
    detection_finding,
    detection_findings,
    write_ocsf,
)


@pytest.fixture(scope="module")
def findings() -> pd.DataFrame:
    return read_real_findings()


def test_every_written_record_of_the_real_findings_is_valid_against_the_official_schema(
    findings, tmp_path: Path
):
    records = [
        json.loads(line) for p in write_ocsf(findings, tmp_path) for line in p.read_text().splitlines()
    ]
    assert len(records) == len(findings) > 10
    assert {r["finding_info"]["uid"] for r in records} == set(findings["finding_id"])
    for record in records:
        assert official_errors(record, OCSF_VERSION) == [], record["finding_info"]["uid"]


def _record(findings: pd.DataFrame) -> dict:
    """A real finding's record that has resources and observables, so mutations of those have a target."""
    rows = findings[findings["remote_ip"].notna() & findings["resource_id"].notna()]
    return detection_finding(rows.iloc[0].to_dict())


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda r: r.pop("finding_info"), id="required-attribute-missing"),
        pytest.param(lambda r: r["finding_info"].pop("uid"), id="required-object-attribute-missing"),
        pytest.param(lambda r: r["metadata"]["product"].pop("vendor_name"), id="product-vendor-missing"),
        pytest.param(lambda r: r.update(severity_id=7), id="severity-not-in-enum"),
        pytest.param(lambda r: r.update(time="2024-06-01T00:00:00Z"), id="time-not-timestamp"),
        pytest.param(lambda r: r.update(type_uid=200405), id="type-uid-not-in-enum"),
        pytest.param(lambda r: r["observables"][0].update(type_id=31), id="observable-type-not-in-enum"),
        pytest.param(lambda r: r["observables"][0].pop("name"), id="observable-name-missing"),
        pytest.param(lambda r: r["resources"][0].update(uid=["a", "b"]), id="resource-uid-not-string"),
        pytest.param(lambda r: r.update(orginsight_note="x"), id="attribute-the-class-lacks"),
        pytest.param(lambda r: r["metadata"].pop("profiles"), id="cloud-used-without-its-profile"),
        pytest.param(lambda r: r.update(severity="Severe"), id="severity-not-its-ids-caption"),
        pytest.param(lambda r: r.update(status_id=1, status="Open"), id="status-not-its-ids-caption"),
        pytest.param(lambda r: r["observables"][0].update(type="Hostname"), id="observable-type-not-caption"),
        pytest.param(lambda r: r.update(class_uid=9999), id="no-such-class"),
    ],
)
def test_the_official_check_rejects_a_mutated_record(findings, mutate):
    record = _record(findings)
    assert official_errors(record, OCSF_VERSION) == []
    broken = copy.deepcopy(record)
    mutate(broken)
    assert official_errors(broken, OCSF_VERSION)


def test_the_run_time_schema_is_a_subset_of_the_official_one():
    """``DETECTION_FINDING_SCHEMA`` (checked when exporting) asks for what the official class requires
    with the declared profiles, and allows no enum value the official class lacks."""
    official = class_schema(OCSF_VERSION, CLASS_UID, tuple(PROFILES))
    assert set(official["required"]) <= set(DETECTION_FINDING_SCHEMA["required"])
    for name, prop in DETECTION_FINDING_SCHEMA["properties"].items():
        assert name in official["properties"], name
        if "enum" in prop:
            assert set(prop["enum"]) <= set(official["properties"][name]["enum"]), name
        if "const" in prop:
            allowed = official["properties"][name]
            assert prop["const"] in allowed.get("enum", [allowed.get("const")]), name


def test_every_record_declares_the_profiles_its_attributes_come_from(findings):
    """A Detection Finding's profile attributes (``cloud``) are only valid when the record names the profile."""
    attributes = export(OCSF_VERSION)["classes"]["detection_finding"]["attributes"]
    for record in detection_findings(findings):
        used = {attributes[k]["profile"] for k in record if attributes.get(k, {}).get("profile")}
        assert used == set(record["metadata"]["profiles"]) == {"cloud"}
