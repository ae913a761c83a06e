"""Inspector (inspector2) collector: botocore Stubber.

moto 5.2 implements ListFindings (findings seeded through its internal results queue) and
ListMembers, but not ListCoverage or ListFindingAggregations, so one Stubber per region serves
every call and checks each request and response against the real service model. Findings are
Cloud Custodian's recorded real responses (tests/data/real/inspector2); every Stubber is checked
for unconsumed responses, so the tests prove the exact call sequence too.
"""

from __future__ import annotations

import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session, shared_data_dir
from data.aws import inspector as data

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.inspector import (
    INSPECTOR,
    RESOURCE_ID_FROM_DETAILS,
    collect_inspector,
    finding_filter,
    inspector_frames,
    transform_aggregations,
    transform_coverage,
    transform_finding,
    transform_findings,
)
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.session import Connection, retry_config

CRITERIA = finding_filter()


@pytest.fixture
def connection() -> Connection:
    session = fake_session()
    return Connection(session, retry_config(max_attempts=2))


def client_for(connection: Connection, region: str) -> tuple[object, Stubber]:
    client = connection.session.client("inspector2", region_name=region, config=connection.config)
    stub = Stubber(client)
    connection.use_client("inspector2", region, client)
    return client, stub


def stub_region(
    connection: Connection, region: str, pages: list[dict], coverage: list[dict] | None = None
) -> Stubber:
    """A client for ``region`` expecting the collector's exact call sequence, findings in ``pages``."""
    _client, stub = client_for(connection, region)
    stub.add_response("batch_get_account_status", data.batch_get_account_status([data.ADMIN]), {})
    stub.add_response("list_members", data.LIST_MEMBERS, {"onlyAssociated": False, "maxResults": 50})
    stub.add_response(
        "batch_get_account_status", data.batch_get_account_status(data.MEMBERS), {"accountIds": data.MEMBERS}
    )
    for i, page in enumerate(pages):
        expected = {"filterCriteria": CRITERIA, "maxResults": 100}
        if i:
            expected["nextToken"] = pages[i - 1]["nextToken"]
        stub.add_response("list_findings", page, expected)
    coverage = coverage or data.real_list_coverage()[:1]
    for i, page in enumerate(coverage):
        expected = {"maxResults": 200, **({"nextToken": coverage[i - 1]["nextToken"]} if i else {})}
        stub.add_response("list_coverage", page, expected)
    stub.add_response(
        "list_finding_aggregations",
        data.LIST_FINDING_AGGREGATIONS,
        {"aggregationType": "ACCOUNT", "maxResults": 100},
    )
    stub.activate()
    return stub


def real_findings() -> list[dict]:
    return [f for page in data.real_list_findings() for f in page["findings"]]


def test_transform_reads_cve_cvss_epss_package_and_resource_of_real_findings() -> None:
    rows = transform_findings("eu-central-1", [{"params": {}, "response": data.real_list_findings()[0]}])
    assert len(rows) == 4
    first = rows[0]
    assert first == {
        **first,
        "account_id": "644160558196",
        "region": "eu-central-1",
        "type": "PACKAGE_VULNERABILITY",
        "severity": "MEDIUM",
        "inspector_score": 6.5,
        "vulnerability_id": "CVE-2019-7149",
        "cvss_score": 6.5,
        "cvss_version": "3.0",
        "cvss_source": "UBUNTU_CVE",
        "epss_score": 0.00203,
        "fix_available": "YES",
        "exploit_available": "NO",
        "package_name": "libelf1",
        "package_version": "0.176",
        "package_fixed_in": "0:0.176-1.1ubuntu0.1",
        "package_count": 1,
        "resource_type": "AWS_EC2_INSTANCE",
        "resource_id": "i-07b035550fa86717d",
        "first_observed_at": pd.Timestamp("2023-09-08T20:07:30.243Z"),
    }
    # The recorded finding without epss, inspectorScore or CVSS gives None there, not a wrong value.
    last = rows[3]
    assert (last["epss_score"], last["inspector_score"], last["cvss_score"]) == (None, None, None)
    assert last["package_count"] == 2 and last["package_name"] == "libglib2.0-bin"


def test_findings_over_two_accounts_and_two_regions_in_two_pages(connection: Connection) -> None:
    regions = ["eu-west-1", "us-east-1"]
    per_region = {
        r: [f for a in data.MEMBERS for f in data.clone_findings(real_findings(), a, r)] for r in regions
    }
    stubs = [stub_region(connection, r, data.as_pages(per_region[r], 5)) for r in regions]
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_inspector(
        connection, regions, log=log, criteria=CRITERIA, progress=False, recording=recording
    )

    for stub in stubs:
        stub.assert_no_pending_responses()
    assert log.failures == []
    findings = frames["findings"]
    assert len(findings) == 16 == findings["finding_arn"].nunique()
    assert findings.groupby(["account_id", "region"]).size().to_dict() == {
        (a, r): 4 for a in data.MEMBERS for r in regions
    }
    assert findings["resource_id"].notna().all()
    assert [len(recording.calls("inspector2", r, "list_findings")) for r in regions] == [2, 2]
    agg = frames["aggregations"]
    assert (
        len(agg) == 4
        and agg.set_index(["account_id", "region"]).loc[("222222222222", "eu-west-1"), "critical"] == 1
    )
    assert set(frames["members"]["account_id"]) == set(data.MEMBERS)
    status = frames["account_status"]
    assert len(status) == 6 and set(status["status"]) == {"ENABLED"}
    assert frames["coverage"]["resource_id"].tolist() == ["i-EXAMPLE55555555555"] * 2
    assert sorted(o.items for o in log.outcomes if o.operation == "inspector2") == [8, 8]


@pytest.mark.shared_data
def test_both_recorded_real_pages_walk_as_one_paginated_listing(connection: Connection) -> None:
    pages = data.real_list_findings(shared_data_dir("inspector2"))
    assert [len(p["findings"]) for p in pages] == [6, 4]
    pages = [{**pages[0], "nextToken": "page-2"}, pages[1]]
    coverage = data.real_list_coverage(shared_data_dir("inspector2"))
    coverage = [{**coverage[0], "nextToken": "coverage-2"}, coverage[1]]
    stub = stub_region(connection, "eu-central-1", pages, coverage=coverage)

    frames = collect_inspector(connection, ["eu-central-1"], criteria=CRITERIA, progress=False)

    stub.assert_no_pending_responses()
    assert len(frames["findings"]) == 10
    assert frames["findings"]["epss_score"].notna().sum() == 8
    assert sorted(frames["coverage"]["scan_type"]) == ["CODE", "PACKAGE"]


def test_faults_become_outcomes_and_the_rest_is_collected(connection: Connection) -> None:
    good = data.clone_findings(real_findings(), "222222222222", "us-east-1")
    stub_good = stub_region(connection, "us-east-1", data.as_pages(good, 4))
    _c, denied = client_for(connection, "eu-west-1")
    denied.add_client_error(
        "batch_get_account_status",
        "AccessDeniedException",
        "not authorized: inspector2:BatchGetAccountStatus",
        403,
    )
    denied.activate()
    _c, off = client_for(connection, "ap-south-1")
    off.add_response(
        "batch_get_account_status", data.batch_get_account_status([data.ADMIN], status="DISABLED")
    )
    off.activate()
    # Throttled past the retries half-way through the findings: the first page is kept.
    region = "eu-central-1"
    throttled_findings = data.clone_findings(real_findings(), "333333333333", region)
    _c, throttled = client_for(connection, region)
    throttled.add_response("batch_get_account_status", data.batch_get_account_status([data.ADMIN]))
    throttled.add_response("list_members", {"members": []})
    throttled.add_response("list_findings", data.as_pages(throttled_findings, 2)[0])
    throttled.add_client_error("list_findings", "ThrottlingException", "Rate exceeded", 429)
    throttled.add_response("list_coverage", {"coveredResources": []})
    throttled.add_response("list_finding_aggregations", {"aggregationType": "ACCOUNT", "responses": []})
    throttled.activate()
    log = OutcomeLog()

    frames = collect_inspector(
        connection,
        ["us-east-1", "eu-west-1", "ap-south-1", region],
        log=log,
        criteria=CRITERIA,
        progress=False,
    )

    for stub in (stub_good, denied, off, throttled):
        stub.assert_no_pending_responses()
    assert frames["findings"].groupby("region").size().to_dict() == {"us-east-1": 4, region: 2}
    failures = {
        (f["region"], f["operation"]): (f["status"], f["error_code"])
        for f in frames["findings"].attrs["failures"]
    }
    assert failures == {
        ("eu-west-1", "batch_get_account_status"): ("access_denied", "AccessDeniedException"),
        ("ap-south-1", "batch_get_account_status"): ("not_enabled", "InspectorNotEnabled"),
        (region, "list_findings"): ("throttled", "ThrottlingException"),
    }
    assert {o.status for o in log.failures} == {Status.ACCESS_DENIED, Status.NOT_ENABLED, Status.THROTTLED}


def test_model_enum_and_id_fallbacks_agree() -> None:
    assert set(RESOURCE_ID_FROM_DETAILS) == set(data.RESOURCE_TYPES) == set(data.DETAILS_KEY)


@pytest.mark.parametrize("resource_type", data.RESOURCE_TYPES)
def test_every_model_resource_type_has_a_resource_id(connection: Connection, resource_type: str) -> None:
    finding = data.model_finding(resource_type)
    _c, stub = client_for(connection, "eu-west-1")  # the model-built response must pass the Stubber
    stub.add_response("list_findings", {"findings": [finding]})
    stub.activate()
    response = connection.client("inspector2", "eu-west-1").list_findings()

    row = transform_finding(response["findings"][0])

    assert (row["resource_type"], row["resource_id"]) == (resource_type, f"{resource_type}-id")
    assert (row["cvss_score"], row["epss_score"], row["severity"]) == (9.8, 0.5, "CRITICAL")
    # A record that lost its id (hand-trimmed, EventBridge copies) still names its resource,
    # except EC2, whose details carry no instance id.
    del finding["resources"][0]["id"]
    fallback = transform_finding(finding)["resource_id"]
    assert bool(fallback) == (resource_type != "AWS_EC2_INSTANCE"), fallback


@pytest.mark.parametrize("finding_type", ["CODE_VULNERABILITY", "NETWORK_REACHABILITY"])
def test_code_and_network_findings(finding_type: str) -> None:
    finding = data.model_finding("AWS_LAMBDA_FUNCTION", finding_type)
    row = transform_finding(finding)
    assert row["type"] == finding_type and row["resource_id"] == "AWS_LAMBDA_FUNCTION-id"
    assert row["code_detector_name"] == "detectorName" and row["code_file_path"] == "filePath"


def test_transform_coverage_of_aws_examples_and_aggregations() -> None:
    calls = [{"params": {}, "response": r} for r in data.real_list_coverage()]
    rows = transform_coverage("us-west-2", calls)
    assert [
        (r["resource_type"], r["scan_type"], r["scan_status_code"], r["scan_status_reason"]) for r in rows
    ] == [
        ("AWS_EC2_INSTANCE", "PACKAGE", "ACTIVE", "SUCCESSFUL"),
        ("AWS_LAMBDA_FUNCTION", "CODE", "ACTIVE", "SUCCESSFUL"),
    ]
    assert rows[0]["last_scanned_at"] == pd.Timestamp("2024-05-20T23:23:20Z")
    assert rows[1]["last_scanned_at"] is None
    agg = transform_aggregations("us-west-2", [{"params": {}, "response": data.LIST_FINDING_AGGREGATIONS}])
    assert agg[0] == {
        "account_id": "222222222222",
        "region": "us-west-2",
        "all": 10,
        "critical": 1,
        "high": 2,
        "medium": 6,
        "low": 1,
        "informational": None,
        "untriaged": None,
        "exploit_available": 1,
        "fix_available": 9,
    }


def test_recorded_pages_round_trip_through_disk(connection: Connection, tmp_path) -> None:
    stub_region(
        connection,
        "us-west-2",
        data.as_pages(data.clone_findings(real_findings(), "222222222222", "us-west-2"), 3),
    )
    recording = ApiRecording()
    live = collect_inspector(
        connection, ["us-west-2"], criteria=CRITERIA, progress=False, recording=recording
    )
    recording.save(tmp_path)

    replayed = inspector_frames(ApiRecording.load(tmp_path))

    assert list(replayed) == list(INSPECTOR.table_names)
    for name, df in live.items():
        assert df.reset_index(drop=True).equals(replayed[name].reset_index(drop=True)), name


def test_finding_filter_and_service_declaration() -> None:
    from datetime import UTC, datetime

    since = datetime(2026, 11, 1, tzinfo=UTC)
    assert finding_filter(since) == {
        "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}],
        "updatedAt": [{"startInclusive": since}],
    }
    assert finding_filter(include_closed=True) == {}
    assert INSPECTOR.name == "inspector" and INSPECTOR.api == "inspector2"
    assert all(op.split("_")[0] in {"list", "batch"} for _s, op in INSPECTOR.operations)
