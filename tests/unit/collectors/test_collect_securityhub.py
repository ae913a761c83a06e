"""Security Hub collector: findings through moto (which implements GetFindings and BatchImportFindings),
standards and controls through botocore's Stubber (moto does not implement them), on real ASFF records
(tests/data/real/securityhub)."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber
from conftest import fake_session
from data.aws import securityhub as data
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.securityhub import asff_filters, collect_securityhub, transform_controls
from orginsight.collectors.session import Connection, retry_config

REGION = "us-east-1"
ADMIN = "123456789012"  # moto's default account
MEMBERS = ["222222222222", "333333333333"]


@pytest.fixture
def connection():
    with mock_aws():
        session = fake_session(REGION)
        yield Connection(session, retry_config(max_attempts=2))


def stub_standards(connection: Connection, account: str | None) -> Stubber:
    client = connection.session.client("securityhub", region_name=REGION, config=connection.config)
    stub = Stubber(client)
    stub.add_response("get_enabled_standards", data.GET_ENABLED_STANDARDS, {})
    stub.add_response(
        "describe_standards_controls",
        data.DESCRIBE_STANDARDS_CONTROLS_FSBP,
        {"StandardsSubscriptionArn": data.SUBSCRIPTION_FSBP},
    )
    stub.add_response(
        "describe_standards_controls",
        data.DESCRIBE_STANDARDS_CONTROLS_CIS,
        {"StandardsSubscriptionArn": data.SUBSCRIPTION_CIS},
    )
    stub.activate()
    connection.use_client("securityhub", REGION, client, account=account)
    return stub


def test_findings_pages_standards_controls_and_a_denied_member(connection: Connection) -> None:
    hub = connection.client("securityhub", REGION)
    hub.enable_security_hub()
    imported = data.importable_findings(230, account=MEMBERS[0])
    for start in range(0, len(imported), 100):  # BatchImportFindings takes at most 100
        assert hub.batch_import_findings(Findings=imported[start : start + 100])["FailedCount"] == 0
    allowed = stub_standards(connection, MEMBERS[0])
    denied_client = connection.session.client("securityhub", region_name=REGION, config=connection.config)
    denied = Stubber(denied_client)
    denied.add_client_error(
        "get_enabled_standards",
        "AccessDeniedException",
        "not authorized to perform: securityhub:GetEnabledStandards",
        403,
    )
    denied.activate()
    connection.use_client("securityhub", REGION, denied_client, account=MEMBERS[1])
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_securityhub(
        connection,
        REGION,
        log=log,
        filters=asff_filters(),
        accounts=MEMBERS,
        progress=False,
        recording=recording,
    )

    allowed.assert_no_pending_responses()
    denied.assert_no_pending_responses()
    assert len(recording.calls("securityhub", REGION, "get_findings")) == 3  # 100 + 100 + 30
    findings = frames["findings"]
    assert len(findings) == 230 and set(findings["account_id"]) == {MEMBERS[0]}
    assert findings["severity_label"].notna().all() and findings["last_seen"].notna().all()
    standards = frames["standards"]
    assert list(standards["status"]) == ["READY", "INCOMPLETE"] and set(standards["account_id"]) == {
        MEMBERS[0]
    }
    assert standards["status_reason"].tolist()[1] == "NO_AVAILABLE_CONFIGURATION_RECORDER"
    controls = frames["controls"].set_index("control_id")
    assert controls.loc["EC2.8", "status"] == "DISABLED"
    assert controls.loc["EC2.8", "disabled_reason"] == "IMDSv1 needed by a legacy appliance"
    assert [
        (f["account"], f["region"], f["operation"], f["error_code"]) for f in findings.attrs["failures"]
    ] == [(MEMBERS[1], REGION, "get_enabled_standards", "AccessDeniedException")]


def test_a_region_without_security_hub_is_not_enabled_not_an_error(connection: Connection) -> None:
    client = connection.session.client("securityhub", region_name="eu-west-3", config=connection.config)
    stub = Stubber(client)
    message = f"Account {ADMIN} is not subscribed to AWS Security Hub"
    stub.add_client_error("get_findings", "InvalidAccessException", message, 401)
    stub.add_client_error("get_enabled_standards", "InvalidAccessException", message, 401)
    stub.activate()
    connection.use_client("securityhub", "eu-west-3", client)
    log = OutcomeLog()

    frames = collect_securityhub(connection, "eu-west-3", log=log, progress=False)

    assert frames["findings"].empty and frames["standards"].empty
    assert sorted((f.operation, f.status.value, f.error_code) for f in log.failures) == [
        ("get_enabled_standards", "not_enabled", "InvalidAccessException"),
        ("get_findings", "not_enabled", "InvalidAccessException"),
    ]


def test_transform_controls_takes_account_from_the_subscription_arn() -> None:
    call = {
        "params": {"StandardsSubscriptionArn": data.SUBSCRIPTION_CIS},
        "response": data.DESCRIBE_STANDARDS_CONTROLS_CIS,
    }
    (row,) = transform_controls(REGION, [call])
    assert (
        row["account_id"] == "111111111111" and row["control_id"] == "CIS.1.4" and row["status"] == "ENABLED"
    )


def test_asff_filters() -> None:
    from datetime import UTC, datetime

    f = asff_filters(
        since=datetime(2024, 6, 1, tzinfo=UTC), severity_labels=["critical", "high"], workflow_status=["new"]
    )
    assert f == {
        "UpdatedAt": [{"Start": "2024-06-01T00:00:00.000Z"}],
        "SeverityLabel": [
            {"Value": "CRITICAL", "Comparison": "EQUALS"},
            {"Value": "HIGH", "Comparison": "EQUALS"},
        ],
        "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}],
        "WorkflowStatus": [{"Value": "NEW", "Comparison": "EQUALS"}],
    }


def test_transform_standards_compares_equal() -> None:
    from orginsight.collectors.securityhub import transform_standards

    rows = transform_standards(
        REGION, [{"params": {}, "response": data.GET_ENABLED_STANDARDS, "account": "444444444444"}]
    )
    assert rows == [
        {
            "account_id": "444444444444",
            "region": REGION,
            "subscription_arn": data.SUBSCRIPTION_FSBP,
            "standards_arn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
            "status": "READY",
            "status_reason": None,
        },
        {
            "account_id": "444444444444",
            "region": REGION,
            "subscription_arn": data.SUBSCRIPTION_CIS,
            "standards_arn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "status": "INCOMPLETE",
            "status_reason": "NO_AVAILABLE_CONFIGURATION_RECORDER",
        },
    ]
