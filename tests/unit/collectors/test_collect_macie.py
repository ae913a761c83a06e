"""Macie collector: botocore Stubber (moto 5.2 implements only GetMacieSession of these calls).

Buckets and the session are REAL responses (tests/data/real/macie, see SOURCE.md); findings are
built from botocore's model, one per FindingType, since no real Macie finding is public. Every
Stubber is checked for unconsumed responses, so the tests also prove the exact call sequence.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session, shared_data_dir
from data.aws import macie as data

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.macie import (
    MACIE,
    collect_macie,
    coverage_status,
    finding_criteria,
    macie_frames,
    transform_buckets,
    transform_findings,
    transform_jobs,
)
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.session import Connection, retry_config

CRITERIA = finding_criteria()
MEMBERS = ["222222222222", "333333333333"]
ALL_MEMBERS = {"onlyAssociated": "false"}
"""ListMembers' parameters: every member, whatever its relationship status."""


@pytest.fixture
def connection() -> Connection:
    session = fake_session()
    return Connection(session, retry_config(max_attempts=2))


def client_for(connection: Connection, region: str) -> tuple[object, Stubber]:
    client = connection.session.client("macie2", region_name=region, config=connection.config)
    stub = Stubber(client)
    connection.use_client("macie2", region, client)
    return client, stub


def stub_region(
    connection: Connection,
    region: str,
    buckets: list[dict],
    findings: list[dict],
    bucket_page: int = 50,
    fail_get_findings: tuple[str, str, int] | None = None,
    members: dict[str, str] | None = None,
    member_page: int = 50,
    fail_list_members: tuple[str, str, int] | None = None,
) -> Stubber:
    """A macie2 client for ``region`` expecting the collector's exact call sequence (``members``: account ->
    relationshipStatus, every one of MEMBERS Enabled by default)."""
    _client, stub = client_for(connection, region)
    stub.add_response("get_macie_session", data.GET_MACIE_SESSION, {})
    if fail_list_members:
        code, message, status = fail_list_members
        stub.add_client_error("list_members", code, message, status, expected_params=ALL_MEMBERS)
    else:
        listed = data.list_members(members or dict.fromkeys(MEMBERS, "Enabled"), region)
        for i, page in enumerate(data.pages("members", listed, member_page)):
            expected = {**ALL_MEMBERS, "nextToken": f"token-{i * member_page}"} if i else ALL_MEMBERS
            stub.add_response("list_members", page, expected)
    for i, page in enumerate(data.pages("buckets", buckets, bucket_page)):
        stub.add_response("describe_buckets", page, {"nextToken": f"token-{i * bucket_page}"} if i else {})
    stub.add_response("list_classification_jobs", data.LIST_CLASSIFICATION_JOBS, {})
    for i, page in enumerate(data.pages("findingIds", [f["id"] for f in findings])):
        expected = {"findingCriteria": CRITERIA, "maxResults": 50}
        if i:
            expected["nextToken"] = f"token-{i * 50}"
        stub.add_response("list_findings", page, expected)
        if page["findingIds"]:
            if fail_get_findings:
                code, message, status = fail_get_findings
                stub.add_client_error("get_findings", code, message, http_status_code=status)
                break
            ids = set(page["findingIds"])
            stub.add_response(
                "get_findings",
                {"findings": [f for f in findings if f["id"] in ids]},
                {"findingIds": page["findingIds"]},
            )
    stub.activate()
    return stub


def test_two_accounts_two_regions_with_paged_buckets_and_batched_findings(connection: Connection) -> None:
    regions = ["us-east-1", "eu-west-1"]
    buckets = {r: [b for a in MEMBERS for b in data.buckets_of(a, r)] for r in regions}
    # 11 finding types x 3 x 2 accounts = 66 findings: two ListFindings pages, two GetFindings batches.
    findings = {r: [f for a in MEMBERS for f in data.model_findings(a, r, n=3)] for r in regions}
    stubs = [
        stub_region(connection, r, buckets[r], findings[r], bucket_page=3, member_page=1) for r in regions
    ]
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_macie(
        connection, regions, log=log, criteria=CRITERIA, progress=False, recording=recording
    )

    for stub in stubs:
        stub.assert_no_pending_responses()
    assert log.failures == []
    for r in regions:
        assert len(recording.calls("macie2", r, "list_members")) == 2
        assert len(recording.calls("macie2", r, "describe_buckets")) == 2
        batches = [c["params"]["findingIds"] for c in recording.calls("macie2", r, "get_findings")]
        assert [len(b) for b in batches] == [50, 16]
    b = frames["buckets"]
    assert len(b) == 8 and set(b["account_id"]) == set(MEMBERS) and set(b["region"]) == set(regions)
    f = frames["findings"]
    assert len(f) == 132 == f["finding_id"].nunique()
    assert set(f["type"]) == set(data.FINDING_TYPES)
    assert (f.groupby(["account_id", "region"]).size() == 33).all()
    assert len(frames["jobs"]) == 4 and len(frames["sessions"]) == 2
    assert sorted(o.items for o in log.outcomes if o.operation == "macie") == [66, 66]


def test_a_live_collection_fills_the_coverage_column(connection: Connection) -> None:
    """The administrator's member list decides for its members (a Paused one is not covered, even with
    buckets inventoried); an account it does not list is covered where Macie inventories its buckets."""
    admin, enabled, paused, unlisted = data.ADMINISTRATOR, *MEMBERS, "444444444444"
    region = "us-east-1"
    buckets = [b for a in (enabled, paused, unlisted) for b in data.buckets_of(a, region)]
    stub = stub_region(
        connection,
        region,
        buckets,
        [],
        members={enabled: "Enabled", paused: "Paused", "555555555555": "Removed"},
    )
    recording, log = ApiRecording(), OutcomeLog()
    collect_macie(connection, [region], log=log, criteria=CRITERIA, progress=False, recording=recording)
    stub.assert_no_pending_responses()

    assert log.failures == []
    (coverage,) = MACIE.coverage
    assert coverage.transform is coverage_status
    status, features = coverage.transform(recording)
    assert features == {}
    assert status == {
        (admin, region): True,
        (enabled, region): True,
        (paused, region): False,
        ("555555555555", region): False,
        (unlisted, region): True,
    }


def test_transform_buckets_reads_the_real_describe_buckets_response() -> None:
    rows = transform_buckets([data.DESCRIBE_BUCKETS])
    assert [r["bucket_name"] for r in rows] == ["amzn-s3-demo-bucket1", "amzn-s3-demo-bucket2"]
    first, second = rows
    assert first["account_id"] == "123456789012" and first["region"] == "us-west-2"
    assert first["public_access"] == "NOT_PUBLIC"
    assert (first["default_encryption"], first["objects_unencrypted"], first["objects_kms_managed"]) == (
        "NONE",
        4,
        2,
    )
    assert (first["shared_access"], first["sensitivity_score"], first["classifiable_size_bytes"]) == (
        "NOT_SHARED",
        78,
        1592088,
    )
    assert second["shared_access"] == "EXTERNAL" and second["sensitivity_score"] == 95
    assert second["allows_unencrypted_object_uploads"] == "TRUE"
    assert second["last_job_id"] == "188d4f6044d621771ef7d65f2EXAMPLE"
    assert second["last_job_run_time"] == pd.Timestamp("2024-07-09T19:37:11.511Z")
    assert second["last_job_run_time"].tzinfo is not None
    assert json.loads(first["tags"]) == {"Division": "HR", "Team": "Recruiting"}
    assert first["error_code"] is None


@pytest.mark.shared_data
def test_the_vendored_describe_buckets_is_the_shared_one() -> None:
    assert data.describe_buckets(shared_data_dir("macie")) == data.DESCRIBE_BUCKETS


def test_transform_findings_covers_every_finding_type_of_the_model() -> None:
    rows = {
        r["type"]: r
        for r in transform_findings([{"findings": data.model_findings("222222222222", "us-east-1")}])
    }
    assert set(rows) == set(data.FINDING_TYPES)
    personal = rows["SensitiveData:S3Object/Personal"]
    assert personal["category"] == "CLASSIFICATION" and personal["object_key"] == "exports/personal-0.csv"
    assert json.loads(personal["sensitive_data"]) == {
        "PERSONAL_INFORMATION": 37,
        "PERSONAL_INFORMATION/NAME": 7,
        "PERSONAL_INFORMATION/USA_SOCIAL_SECURITY_NUMBER": 30,
    }
    assert personal["sensitive_data_count"] == 37 and personal["principal"] is None
    custom = rows["SensitiveData:S3Object/CustomIdentifier"]
    assert json.loads(custom["sensitive_data"]) == {"CUSTOM_IDENTIFIER": 5, "CUSTOM_IDENTIFIER/EmployeeId": 5}
    public = rows["Policy:IAMUser/S3BucketPublic"]
    assert (
        public["category"] == "POLICY" and public["object_key"] is None and public["sensitive_data"] is None
    )
    assert public["principal"] == "arn:aws:sts::222222222222:assumed-role/deploy/ci"
    assert public["action"] == "PutBucketPolicy"
    for row in rows.values():
        assert row["bucket_name"] == "data-222222222222-us-east-1"
        assert row["severity"] == "High" and row["archived"] is False
        assert row["created_at"].tzinfo is not None


def test_transform_jobs() -> None:
    rows = transform_jobs("us-east-1", [{"params": {}, "response": data.LIST_CLASSIFICATION_JOBS}])
    assert [(r["name"], r["job_status"], r["last_run_error"]) for r in rows] == [
        ("pii-sweep-hr", "COMPLETE", "NONE"),
        ("public-buckets-daily", "USER_PAUSED", "ERROR"),
    ]
    assert json.loads(rows[0]["buckets"]) == ["hr-payroll", "hr-recruiting", "shared-exports"]
    assert rows[1]["buckets"] is None and rows[1]["paused_until"] == pd.Timestamp("2024-09-18T14:50:00Z")


def test_faulty_regions_become_outcomes_and_the_rest_is_collected(connection: Connection) -> None:
    good = data.model_findings("222222222222", "us-east-1")
    stub_good = stub_region(connection, "us-east-1", data.buckets_of("222222222222", "us-east-1"), good)
    code, message, status = data.NOT_ENABLED  # the real 403 "Macie is not enabled"
    faults = {
        "eu-west-1": (code, message, status),
        "ap-south-1": (
            "AccessDeniedException",
            "User is not authorized to perform: macie2:GetMacieSession",
            403,
        ),
        "sa-east-1": ("ThrottlingException", "Rate exceeded", 429),
    }
    stubs = []
    for region, (c, m, s) in faults.items():
        _client, stub = client_for(connection, region)
        stub.add_client_error("get_macie_session", c, m, http_status_code=s)
        stub.activate()
        stubs.append(stub)
    # ca-central-1: the member list is denied; buckets, jobs and findings are kept.
    denied_members = stub_region(
        connection,
        "ca-central-1",
        data.buckets_of("222222222222", "ca-central-1"),
        data.model_findings("222222222222", "ca-central-1"),
        fail_list_members=(
            "AccessDeniedException",
            "User is not authorized to perform: macie2:ListMembers",
            403,
        ),
    )
    # eu-central-1: findings fail part way (throttled); buckets and jobs are kept.
    partial = stub_region(
        connection,
        "eu-central-1",
        data.buckets_of("333333333333", "eu-central-1"),
        data.model_findings("333333333333", "eu-central-1"),
        fail_get_findings=("ThrottlingException", "Rate exceeded", 429),
    )
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_macie(
        connection,
        ["us-east-1", "eu-west-1", "ap-south-1", "sa-east-1", "eu-central-1", "ca-central-1"],
        log=log,
        criteria=CRITERIA,
        progress=False,
        recording=recording,
    )

    stub_good.assert_no_pending_responses()
    partial.assert_no_pending_responses()
    denied_members.assert_no_pending_responses()
    for stub in stubs:
        stub.assert_no_pending_responses()
    failures = {o.region: o for o in log.failures}
    assert failures["eu-west-1"].status is Status.NOT_ENABLED
    assert failures["eu-west-1"].error_code == "MacieNotEnabled"
    assert failures["ap-south-1"].status is Status.ACCESS_DENIED
    assert failures["sa-east-1"].status is Status.THROTTLED
    assert failures["eu-central-1"].status is Status.THROTTLED
    assert failures["eu-central-1"].operation == "list_findings/get_findings"
    assert failures["ca-central-1"].status is Status.ACCESS_DENIED
    assert failures["ca-central-1"].operation == "list_members" and len(failures) == 5
    assert set(frames["findings"]["region"]) == {"us-east-1", "ca-central-1"}
    assert len(frames["findings"]) == 2 * len(good)
    assert set(frames["buckets"]["region"]) == {"us-east-1", "eu-central-1", "ca-central-1"}
    # ca-central-1 without its member list: the account whose buckets Macie inventories is still covered
    status, _features = coverage_status(recording)
    assert status[("222222222222", "ca-central-1")] is True
    assert ("111111111111", "ca-central-1") not in status
    assert frames["buckets"].attrs["failures"] == log.failure_records()


def test_a_paused_session_is_not_enabled(connection: Connection) -> None:
    _client, stub = client_for(connection, "us-east-1")
    stub.add_response("get_macie_session", {**data.GET_MACIE_SESSION, "status": "PAUSED"}, {})
    stub.activate()
    log = OutcomeLog()
    frames = collect_macie(connection, ["us-east-1"], log=log, progress=False)
    stub.assert_no_pending_responses()
    assert [(o.status, o.error_code) for o in log.failures] == [(Status.NOT_ENABLED, "MacieNotEnabled")]
    assert frames["sessions"]["status"].tolist() == ["PAUSED"] and frames["buckets"].empty


def test_frames_survive_a_recording_round_trip(connection: Connection, tmp_path) -> None:
    stub_region(
        connection,
        "us-east-1",
        data.buckets_of("222222222222", "us-east-1"),
        data.model_findings("222222222222", "us-east-1"),
    )
    recording = ApiRecording()
    live = collect_macie(connection, ["us-east-1"], progress=False, recording=recording)
    recording.save(tmp_path)
    replayed = macie_frames(ApiRecording.load(tmp_path))
    assert set(replayed) == set(MACIE.table_names)
    for name, df in live.items():
        pd.testing.assert_frame_equal(df, replayed[name])


def test_service_declares_every_call() -> None:
    assert MACIE.name == "macie" and MACIE.api == "macie2"
    assert {op for _s, op in MACIE.operations} == {
        "get_macie_session",
        "describe_buckets",
        "list_findings",
        "get_findings",
        "list_classification_jobs",
        "list_members",
    }
    assert CRITERIA == {"criterion": {"archived": {"eq": ["false"]}}}
