"""GuardDuty collector: botocore Stubber (moto does not implement GuardDuty's findings APIs).

Response bodies are real public findings (tests/data/real/guardduty) in boto3's shape;
every Stubber is checked for unconsumed responses, so the tests also prove that the
collector makes exactly the expected calls: ceil(n/50) ListFindings pages and as many
GetFindings batches of at most 50 ids.
"""

from __future__ import annotations

import math

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session
from data.aws import guardduty as data

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.guardduty import (
    collect_guardduty,
    finding_criteria,
    guardduty_frames,
    transform_org_configuration,
    transform_statistics,
)
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.session import Connection, retry_config

ADMIN = "111111111111"
CRITERIA = finding_criteria()


@pytest.fixture
def connection() -> Connection:
    session = fake_session()
    return Connection(session, retry_config(max_attempts=2))


def stub_region(
    connection: Connection, region: str, findings: list[dict], detectors: dict | None = None
) -> Stubber:
    """A GuardDuty client for ``region`` expecting the collector's exact call sequence."""
    client = connection.session.client("guardduty", region_name=region, config=connection.config)
    stub = Stubber(client)
    d = data.DETECTOR_ID
    stub.add_response("list_detectors", detectors or data.LIST_DETECTORS, {})
    stub.add_response("get_detector", data.GET_DETECTOR, {"DetectorId": d})
    stub.add_response("list_members", data.LIST_MEMBERS, {"DetectorId": d, "OnlyAssociated": "false"})
    stub.add_response(
        "get_member_detectors",
        data.GET_MEMBER_DETECTORS,
        {"DetectorId": d, "AccountIds": ["222222222222", "333333333333"]},
    )
    stub.add_response(
        "describe_organization_configuration", data.DESCRIBE_ORGANIZATION_CONFIGURATION, {"DetectorId": d}
    )
    stub.add_response(
        "get_findings_statistics",
        data.GET_FINDINGS_STATISTICS,
        {"DetectorId": d, "GroupBy": "SEVERITY", "FindingCriteria": CRITERIA},
    )
    for i, page in enumerate(data.list_findings_pages(findings)):
        expected = {"DetectorId": d, "FindingCriteria": CRITERIA, "MaxResults": 50}
        if i:
            expected["NextToken"] = f"token-{i * 50}"
        stub.add_response("list_findings", page, expected)
        if page["FindingIds"]:
            batch = [f for f in findings if f["Id"] in set(page["FindingIds"])]
            stub.add_response(
                "get_findings", {"Findings": batch}, {"DetectorId": d, "FindingIds": page["FindingIds"]}
            )
    stub.activate()
    connection.use_client("guardduty", region, client)
    return stub


def test_findings_over_many_regions_and_accounts_use_the_minimum_calls(connection: Connection) -> None:
    regions = ["us-east-1", "eu-west-1", "ap-southeast-2", "sa-east-1"]
    members = ["222222222222", "333333333333", "444444444444"]
    per_region = {
        r: [f for i, a in enumerate(members) for f in data.boto3_findings(40 + 17 * i, a, r)] for r in regions
    }
    stubs = [stub_region(connection, r, per_region[r]) for r in regions]
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_guardduty(
        connection, regions, log=log, criteria=CRITERIA, workers=4, progress=False, recording=recording
    )

    for stub in stubs:
        stub.assert_no_pending_responses()
    findings = frames["findings"]
    total = sum(len(v) for v in per_region.values())
    assert len(findings) == total == findings["finding_id"].nunique()
    assert set(findings["region"]) == set(regions)
    assert set(findings["account_id"]) == set(members)
    assert findings["severity_label"].notna().all() and findings["first_seen"].notna().all()
    assert log.failures == []
    calls = [o for o in log.outcomes if o.operation == "guardduty"]
    assert sorted(o.items for o in calls) == sorted(len(v) for v in per_region.values())
    for region, found in per_region.items():
        batches = [c["params"]["FindingIds"] for c in recording.calls("guardduty", region, "get_findings")]
        assert (
            len(batches)
            == len(recording.calls("guardduty", region, "list_findings"))
            == math.ceil(len(found) / 50)
        )
        assert max(map(len, batches)) == 50


def test_org_tables_come_from_the_recorded_pages(connection: Connection) -> None:
    stub_region(connection, "eu-west-1", data.boto3_findings(3, "222222222222", "eu-west-1"))
    frames = collect_guardduty(connection, ["eu-west-1"], criteria=CRITERIA, progress=False)

    detectors = frames["detectors"]
    assert (
        detectors.loc[0, "status"] == "ENABLED"
        and '"RUNTIME_MONITORING": "ENABLED"' in detectors.loc[0, "features"]
    )
    members = frames["members"].set_index("account_id")
    assert members.loc["222222222222", "relationship_status"] == "Enabled"
    assert members.loc["333333333333", "relationship_status"] == "Removed"
    assert pd.isna(members.loc["333333333333", "member_detector_id"])
    assert frames["statistics"]["count"].sum() == 43
    assert frames["member_features"].drop(columns="region").to_dict("records") == [
        {"account_id": "222222222222", "feature": "S3_DATA_EVENTS", "status": "ENABLED"},
        {"account_id": "222222222222", "feature": "RUNTIME_MONITORING", "status": "ENABLED"},
        {
            "account_id": "222222222222",
            "feature": "RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT",
            "status": "DISABLED",
        },
    ]


def test_transform_org_configuration_lists_each_feature_and_additional_configuration() -> None:
    call = {"params": {"DetectorId": "d1"}, "response": data.DESCRIBE_ORGANIZATION_CONFIGURATION}
    rows = transform_org_configuration("eu-west-1", [call])
    assert [(r["feature"], r["auto_enable"]) for r in rows] == [
        ("S3_DATA_EVENTS", "ALL"),
        ("EKS_AUDIT_LOGS", "NONE"),
        ("RUNTIME_MONITORING", "NEW"),
        ("RUNTIME_MONITORING/EKS_ADDON_MANAGEMENT", "NEW"),
        ("EBS_MALWARE_PROTECTION", "ALL"),
    ]
    assert {r["auto_enable_organization_members"] for r in rows} == {"ALL"}


def test_transform_statistics_reads_grouped_and_legacy_counts() -> None:
    grouped = {"params": {"DetectorId": "d1"}, "response": data.GET_FINDINGS_STATISTICS}
    legacy = {
        "params": {"DetectorId": "d2"},
        "response": {"FindingStatistics": {"CountBySeverity": {"2.0": 7}}},
    }
    assert transform_statistics("us-east-1", [grouped, legacy]) == [
        {"region": "us-east-1", "detector_id": "d1", "severity": 8.0, "count": 3},
        {"region": "us-east-1", "detector_id": "d1", "severity": 5.0, "count": 40},
        {"region": "us-east-1", "detector_id": "d2", "severity": 2.0, "count": 7},
    ]


def test_faulty_regions_become_outcomes_and_the_rest_is_collected(connection: Connection) -> None:
    good = data.boto3_findings(120, "222222222222", "us-east-1")
    stub_good = stub_region(connection, "us-east-1", good)
    faults = {
        "eu-west-1": (
            "AccessDeniedException",
            403,
            "User is not authorized to perform: guardduty:ListDetectors",
        ),
        "me-south-1": (
            "UnrecognizedClientException",
            400,
            "The security token included in the request is invalid",
        ),
    }
    for region, (code, status, message) in faults.items():
        client = connection.session.client("guardduty", region_name=region, config=connection.config)
        stub = Stubber(client)
        stub.add_client_error("list_detectors", code, message, http_status_code=status)
        stub.activate()
        connection.use_client("guardduty", region, client)
    empty = connection.session.client("guardduty", region_name="ap-south-1", config=connection.config)
    stub_empty = Stubber(empty)
    stub_empty.add_response("list_detectors", {"DetectorIds": []}, {})
    stub_empty.activate()
    connection.use_client("guardduty", "ap-south-1", empty)
    log = OutcomeLog()

    frames = collect_guardduty(
        connection,
        ["us-east-1", "eu-west-1", "me-south-1", "ap-south-1"],
        log=log,
        criteria=CRITERIA,
        progress=False,
    )

    stub_good.assert_no_pending_responses()
    assert len(frames["findings"]) == 120
    failures = {
        (f["region"], f["operation"]): (f["status"], f["error_code"])
        for f in frames["findings"].attrs["failures"]
    }
    assert failures == {
        ("eu-west-1", "list_detectors"): ("access_denied", "AccessDeniedException"),
        ("me-south-1", "list_detectors"): ("region_disabled", "UnrecognizedClientException"),
        ("ap-south-1", "list_detectors"): ("not_enabled", "NoDetector"),
    }
    assert {o.status for o in log.failures} == {
        Status.ACCESS_DENIED,
        Status.REGION_DISABLED,
        Status.NOT_ENABLED,
    }


def test_throttling_that_outlasts_retries_keeps_the_findings_already_fetched(connection: Connection) -> None:
    region, d = "eu-central-1", data.DETECTOR_ID
    findings = data.boto3_findings(80, "222222222222", region)
    pages = data.list_findings_pages(findings)
    client = connection.session.client("guardduty", region_name=region, config=connection.config)
    stub = Stubber(client)
    stub.add_response("list_detectors", data.LIST_DETECTORS, {})
    stub.add_response("get_detector", data.GET_DETECTOR, {"DetectorId": d})
    stub.add_client_error("list_members", "AccessDeniedException", "not the administrator", 403)
    stub.add_response("describe_organization_configuration", data.DESCRIBE_ORGANIZATION_CONFIGURATION)
    stub.add_response("get_findings_statistics", data.GET_FINDINGS_STATISTICS)
    stub.add_response("list_findings", pages[0])
    stub.add_response("get_findings", {"Findings": findings[:50]})
    stub.add_response("list_findings", pages[1])
    stub.add_client_error("get_findings", "TooManyRequestsException", "Rate exceeded", 429)
    stub.activate()
    connection.use_client("guardduty", region, client)

    frames = collect_guardduty(connection, [region], criteria=CRITERIA, progress=False)

    stub.assert_no_pending_responses()
    assert len(frames["findings"]) == 50
    assert len(frames["detectors"]) == 1 and frames["members"].empty
    got = sorted((f["operation"], f["status"], f["error_code"]) for f in frames["findings"].attrs["failures"])
    assert got == [
        ("list_findings/get_findings", "throttled", "TooManyRequestsException"),
        ("list_members", "access_denied", "AccessDeniedException"),
    ]


def test_recorded_pages_round_trip_through_disk(connection: Connection, tmp_path) -> None:
    stub_region(connection, "us-west-2", data.boto3_findings(60, "222222222222", "us-west-2"))
    recording = ApiRecording()
    live = collect_guardduty(
        connection, ["us-west-2"], criteria=CRITERIA, progress=False, recording=recording
    )
    recording.save(tmp_path)

    replayed = guardduty_frames(ApiRecording.load(tmp_path))

    for name, df in live.items():
        assert df.reset_index(drop=True).equals(replayed[name].reset_index(drop=True)), name
    assert (tmp_path / "api" / "guardduty" / "us-west-2" / "get_findings.json").is_file()


def test_finding_criteria_bind_time_range_severity_and_archived() -> None:
    from datetime import UTC, datetime

    c = finding_criteria(
        since=datetime(2024, 6, 1, tzinfo=UTC),
        until=datetime(2024, 6, 2, tzinfo=UTC),
        min_severity=7,
        archived=True,
    )
    assert c == {
        "Criterion": {
            "updatedAt": {"GreaterThanOrEqual": 1717200000000, "LessThan": 1717286400000},
            "severity": {"GreaterThanOrEqual": 7},
            "service.archived": {"Equals": ["true"]},
        }
    }
    assert finding_criteria(archived=None) == {"Criterion": {}}


def test_export_reader_takes_the_newest_version_and_reports_bad_lines(tmp_path) -> None:
    import gzip
    import json
    from datetime import UTC, date, datetime

    from orginsight.collectors.guardduty import read_guardduty_export
    from orginsight.sources.layout import guardduty_key

    raw = [f for f in data.real_raw_findings() if "id" in f and "resource" in f]
    first = dict(
        raw[0], service={**raw[0]["service"], "count": 1, "eventLastSeen": "2019-06-09T19:10:23.308Z"}
    )
    update = dict(
        raw[0], service={**raw[0]["service"], "count": 9, "eventLastSeen": "2019-06-10T08:00:00.000Z"}
    )
    when = datetime(2019, 6, 9, tzinfo=UTC)
    good = tmp_path / guardduty_key("123456789012", "us-west-2", when, "a1")
    good.parent.mkdir(parents=True)
    lines = [json.dumps(f) for f in [first, *raw[1:], update]] + ["{not json"]
    good.write_bytes(gzip.compress("\n".join(lines).encode()))
    broken = tmp_path / guardduty_key("123456789012", "us-west-2", when, "b2")
    broken.write_bytes(
        gzip.compress(b"{}\n" * 100)[:8]
    )  # upload truncated in the gzip header: nothing to read

    df = read_guardduty_export(tmp_path)

    assert len(df) == len({f["id"] for f in raw}) and df["finding_id"].is_unique
    newest = df.set_index("finding_id").loc[raw[0]["id"]]
    assert newest["count"] == 9 and newest["last_seen"] == pd.Timestamp("2019-06-10T08:00:00Z")
    errors = df.attrs["errors"]
    assert [
        (e["origin"].endswith(name), e["record"])
        for e, name in zip(errors, ["a1.jsonl.gz", "b2.jsonl.gz"], strict=True)
    ] == [(True, len(lines)), (True, None)]
    assert len(read_guardduty_export(tmp_path, latest_only=False)) == len(raw) + 1
    # Objects exported before a day are skipped; a CloudTrail folder beside them is never walked.
    (tmp_path / "AWSLogs" / "123456789012" / "CloudTrail" / "us-west-2").mkdir(parents=True)
    assert len(read_guardduty_export(tmp_path, exported_since=when.date())) == len(df)
    later = read_guardduty_export(tmp_path, exported_since=date(2019, 6, 10))
    assert len(later) == 0 and later.attrs["errors"] == []


def test_transform_members_and_detectors_compare_equal_to_expected_rows() -> None:
    from orginsight.collectors.guardduty import transform_detectors, transform_members

    members = transform_members(
        "eu-west-1", [{"params": {"DetectorId": "d1"}, "response": data.LIST_MEMBERS}]
    )
    assert members[0] == {
        "region": "eu-west-1",
        "detector_id": "d1",
        "account_id": "222222222222",
        "email": "prod@example.com",
        "relationship_status": "Enabled",
        "administrator_id": "111111111111",
        "member_detector_id": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
        "invited_at": pd.Timestamp("2023-03-01T10:05:00Z"),
        "updated_at": pd.Timestamp("2024-05-02T08:31:00Z"),
    }
    detectors = transform_detectors(
        "eu-west-1",
        [{"params": {"DetectorId": "d1"}, "response": data.GET_DETECTOR}],
        [{"params": {}, "response": {"DetectorIds": ["d1", "d2"]}}],
    )
    assert detectors == [
        {
            "region": "eu-west-1",
            "detector_id": "d1",
            "status": "ENABLED",
            "created_at": pd.Timestamp("2023-03-01T10:00:00Z"),
            "updated_at": pd.Timestamp("2024-05-02T08:30:00Z"),
            "finding_publishing_frequency": "FIFTEEN_MINUTES",
            "features": '{"CLOUD_TRAIL": "ENABLED", "EBS_MALWARE_PROTECTION": "ENABLED", "EKS_AUDIT_LOGS": "DISABLED", '
            '"RUNTIME_MONITORING": "ENABLED", "S3_DATA_EVENTS": "ENABLED"}',
        },
        {
            "region": "eu-west-1",
            "detector_id": "d2",
            "status": None,
            "created_at": None,
            "updated_at": None,
            "finding_publishing_frequency": None,
            "features": None,
        },
    ]


def test_export_reader_on_s3_lists_only_the_named_accounts_and_regions() -> None:
    import gzip
    import json
    from datetime import UTC, datetime

    from moto import mock_aws

    from orginsight.collectors.guardduty_export import read_guardduty_export_s3
    from orginsight.sources.layout import guardduty_key

    raw = [f for f in data.real_raw_findings() if "id" in f][:6]
    when = datetime(2024, 6, 1, tzinfo=UTC)
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        s3 = session.client("s3")
        s3.create_bucket(Bucket="gd-export")
        objects = {
            guardduty_key("222222222222", "eu-west-1", when, "a"): raw[:2],
            guardduty_key("222222222222", "us-east-1", when, "b"): raw[2:4],
            guardduty_key("333333333333", "eu-west-1", when, "c"): raw[4:],
        }
        for key, found in objects.items():
            body = gzip.compress(
                "\n".join(json.dumps(dict(f, accountId=key.split("/")[1])) for f in found).encode()
            )
            s3.put_object(Bucket="gd-export", Key=f"org/{key}", Body=body)
        s3.put_object(
            Bucket="gd-export", Key="org/AWSLogs/222222222222/CloudTrail/eu-west-1/x.json.gz", Body=b"x"
        )
        s3.put_object(
            Bucket="gd-export",
            Key="org/" + guardduty_key("222222222222", "eu-west-1", when, "d"),
            Body=gzip.compress(b"{}\n" * 50)[:8],  # truncated in the gzip header
        )
        connection = Connection(session, retry_config())

        df = read_guardduty_export_s3(
            connection,
            "gd-export",
            "org/",
            accounts=["222222222222"],
            regions={"eu-west-1"},
            progress=False,
            latest_only=False,
        )
        everything = read_guardduty_export_s3(
            connection, "gd-export", "org/", progress=False, latest_only=False
        )

    assert sorted(df["finding_id"]) == sorted(f["id"] for f in raw[:2])
    assert set(df["account_id"]) == {"222222222222"} and set(df["region"]) == {
        raw[0]["region"],
        raw[1]["region"],
    }
    assert [e["origin"] for e in df.attrs["errors"]] == [
        "s3://gd-export/org/" + guardduty_key("222222222222", "eu-west-1", when, "d")
    ]
    assert len(everything) == 6 and df.attrs["failures"] == []
