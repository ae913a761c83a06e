"""The normalized findings frame on every real GuardDuty and Security Hub record: the trimmed sets in
tests/data/real, and the full ones in ../shared/data (marked ``shared_data``)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from conftest import real_data, shared_data_dir
from data.aws import guardduty as gd_data
from data.aws import securityhub as sh_data

from orginsight.sources.findings import (
    FINDING_COLUMNS,
    asff_label,
    guardduty_label,
    normalize_finding,
    normalize_findings,
    pascal_keys,
)

GUARDDUTY_FINDINGS = {"trimmed": 22, "full": 54}
"""How many GuardDuty findings each set holds."""


@pytest.fixture(
    scope="module",
    params=["trimmed", pytest.param("full", marks=pytest.mark.shared_data)],
)
def data_set(request: pytest.FixtureRequest) -> str:
    return request.param


def data_root(data_set: str, service: str):
    return real_data(service) if data_set == "trimmed" else shared_data_dir(service)


@pytest.fixture(scope="module")
def guardduty_raw(data_set: str) -> list[dict]:
    return gd_data.real_raw_findings(data_root(data_set, "guardduty"))


@pytest.fixture(scope="module")
def securityhub_records(data_set: str) -> list[tuple[str, dict]]:
    return sh_data.real_records(data_root(data_set, "securityhub"))


def test_every_real_guardduty_record_normalizes_with_fields_filled(guardduty_raw, data_set) -> None:
    df = normalize_findings(guardduty_raw)
    assert df.attrs["errors"] == [] and len(df) == len(guardduty_raw) == GUARDDUTY_FINDINGS[data_set]
    assert list(df.columns) == FINDING_COLUMNS
    assert set(df["source"]) == {"GuardDuty"}
    for raw, row in zip(guardduty_raw, df.to_dict("records"), strict=True):
        assert row["severity_label"] == guardduty_label(float(raw["severity"]))
        assert row["account_id"] == raw["accountId"] and row["region"] == raw["region"]
        assert row["type"] == raw["type"]
        assert row["first_seen"] == pd.Timestamp(
            raw["service"].get("eventFirstSeen") or raw["createdAt"], tz="UTC"
        )
        assert row["last_seen"] == pd.Timestamp(
            raw["service"].get("eventLastSeen") or raw["updatedAt"], tz="UTC"
        )
        if "resource" in raw:
            assert row["resource_type"] == raw["resource"]["resourceType"]
        if "accessKeyDetails" in raw.get("resource", {}):
            assert row["principal"] == raw["resource"]["accessKeyDetails"]["accessKeyId"]
        assert json.loads(row["raw"]) == raw


def test_remote_ip_comes_from_every_action_type(guardduty_raw) -> None:
    df = normalize_findings(guardduty_raw).set_index("type")
    ip = df["remote_ip"]
    assert ip["Stealth:IAMUser/LoggingConfigurationModified"].iloc[0] == "198.51.100.0"  # awsApiCallAction
    assert ip[ip.index.str.contains("PortProbe")].notna().all()  # portProbeAction details list
    assert ip[ip.index.str.contains("!DNS")].isna().all()  # DNS findings have no remote IP


def test_camel_and_pascal_case_give_the_same_row(guardduty_raw) -> None:
    for raw in guardduty_raw:
        boto3_shape = gd_data.to_boto3_finding(raw)
        camel, pascal = normalize_finding(raw), normalize_finding(boto3_shape)
        camel.pop("raw"), pascal.pop("raw")
        assert camel == pascal


def test_every_real_securityhub_record_normalizes_with_fields_filled(securityhub_records, data_set) -> None:
    findings = sh_data.real_findings(data_root(data_set, "securityhub"))
    df = normalize_findings([r for _name, r in securityhub_records], origin="shared/data/securityhub")
    assert df.attrs["errors"] == [] and len(df) == len(findings)
    for f, row in zip(findings, df.to_dict("records"), strict=True):
        assert row["finding_id"] == f["Id"] and row["account_id"] == f["AwsAccountId"]
        assert row["severity_label"] == asff_label(f["Severity"]) and row["severity_label"] is not None
        assert row["type"] == f["Types"][0]
        assert row["region"] == (f.get("Region") or f["Resources"][0].get("Region"))
        assert row["last_seen"] == pd.Timestamp(f.get("LastObservedAt") or f["UpdatedAt"]).tz_convert("UTC")
        assert row["resource_type"] == f["Resources"][0]["Type"]
    assert {"Security Hub", "Inspector", "GuardDuty"} <= set(df["source"])


def test_severity_scales() -> None:
    assert [guardduty_label(s) for s in (10, 9.0, 8.9, 7.0, 6.9, 4.0, 3.9, 1.0)] == [
        "Critical",
        "Critical",
        "High",
        "High",
        "Medium",
        "Medium",
        "Low",
        "Low",
    ]
    assert asff_label({"Label": "HIGH", "Normalized": 10}) == "High"
    assert [asff_label({"Normalized": n}) for n in (0, 1, 39, 40, 69, 70, 89, 90, 100)] == [
        "Informational",
        "Low",
        "Low",
        "Medium",
        "Medium",
        "High",
        "High",
        "Critical",
        "Critical",
    ]


def test_org_join_names_accounts_and_ou_paths(guardduty_raw) -> None:
    org = pd.DataFrame({"account_id": ["123456789012"], "name": ["prod"], "ou_path": ["Root/Workloads"]})
    df = normalize_findings(guardduty_raw[:3], org=org)
    assert set(df["account_name"]) == {"prod"} and set(df["ou_path"]) == {"Root/Workloads"}


def test_a_bad_record_is_reported_and_the_rest_kept(guardduty_raw) -> None:
    records = [
        guardduty_raw[0],
        {"ProductArn": "arn:x"},
        {"ProductArn": "arn:x", "Types": ["t"]},
        guardduty_raw[1],
    ]
    with pytest.warns(UserWarning, match="findings: 2 rejected"):
        df = normalize_findings(records, origin="feed.jsonl")
    assert len(df) == 2
    assert df.attrs["errors"] == [
        {
            "origin": "feed.jsonl",
            "record": 1,
            "finding": None,
            "finding_id": None,
            "where": "feed.jsonl record 1",
            "error": "not a finding: it has neither an id nor a type",
        },
        {
            "origin": "feed.jsonl",
            "record": 2,
            "finding": None,
            "finding_id": None,
            "where": "feed.jsonl record 2",
            "error": "not an ASFF finding: it has no Id (ASFF requires one)",
        },
    ]
    assert df.attrs["warnings"] == []


def test_pascal_keys() -> None:
    assert pascal_keys({"service": {"eventFirstSeen": 1, "list": [{"ipAddressV4": "x"}]}}) == {
        "Service": {"EventFirstSeen": 1, "List": [{"IpAddressV4": "x"}]}
    }
