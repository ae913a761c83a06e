"""Trusted Advisor collector through botocore's Stubber (moto implements neither the trustedadvisor API
nor support's DescribeTrustedAdvisorCheckResult), on real aws-cli and custodian responses
(tests/data/real/trustedadvisor). Both APIs are global (us-east-1): the fan-out is over recommendations
and accounts, and regions appear in the data (each resource's ``regionCode``)."""

from __future__ import annotations

import csv
import io
import json

import boto3
import pytest
from botocore.exceptions import ParamValidationError
from botocore.stub import Stubber
from conftest import fake_session, shared_data_dir
from data.aws import trustedadvisor as data
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.service import RunOptions
from orginsight.collectors.session import Connection, retry_config
from orginsight.collectors.trustedadvisor import (
    HOME,
    TRUSTEDADVISOR,
    get_trustedadvisor,
    transform_check_resources,
    transform_checks,
    transform_recommendations,
    trustedadvisor_frames,
)
from orginsight.sources.trustedadvisor_report import (
    read_organizational_view_check,
    read_organizational_view_summary,
)

REC_1 = data.LIST_ORGANIZATION_RECOMMENDATIONS_1["organizationRecommendationSummaries"][0]["arn"]
REC_2 = data.LIST_ORGANIZATION_RECOMMENDATIONS_2["organizationRecommendationSummaries"][0]["arn"]


@pytest.fixture
def connection():
    with mock_aws():  # no stubbed call may reach the network by mistake
        session = fake_session(HOME)
        yield Connection(session, retry_config(max_attempts=2))


def stubbed(connection: Connection, service: str, account: str | None = None) -> Stubber:
    client = connection.session.client(service, region_name=HOME, config=connection.config)
    connection.use_client(service, HOME, client, account=account)
    return Stubber(client)


def stub_listing_denied(connection: Connection) -> Stubber:
    ta = stubbed(connection, "trustedadvisor")
    ta.add_client_error(
        "list_organization_recommendations",
        "AccessDeniedException",
        "not the management account or a delegated administrator",
        403,
        expected_params={"pillar": "security", "status": "error"},
    )
    ta.activate()
    return ta


def test_org_recommendations_two_pages_two_accounts_and_a_throttled_call(connection: Connection) -> None:
    ta = stubbed(connection, "trustedadvisor")
    security = {"pillar": "security"}
    ta.add_response(
        "list_organization_recommendations",
        data.LIST_ORGANIZATION_RECOMMENDATIONS_1,
        {**security, "status": "error"},
    )
    ta.add_response(
        "list_organization_recommendations",
        data.LIST_ORGANIZATION_RECOMMENDATIONS_2,
        {**security, "status": "error", "nextToken": "REDACTED"},
    )
    ta.add_response(
        "list_organization_recommendations",
        {"organizationRecommendationSummaries": []},
        {**security, "status": "warning"},
    )
    one = {"organizationRecommendationIdentifier": REC_1}
    two = {"organizationRecommendationIdentifier": REC_2}
    # The accounts example has a nextToken: its second page is the end of the list.
    ta.add_response(
        "list_organization_recommendation_accounts", data.LIST_ORGANIZATION_RECOMMENDATION_ACCOUNTS, one
    )
    ta.add_response(
        "list_organization_recommendation_accounts",
        {"accountRecommendationLifecycleSummaries": []},
        {**one, "nextToken": "REDACTED"},
    )
    ta.add_response(
        "list_organization_recommendation_resources",
        data.list_organization_recommendation_resources(data.ACCOUNTS[0]),
        one,
    )
    ta.add_response(
        "list_organization_recommendation_accounts", {"accountRecommendationLifecycleSummaries": []}, two
    )
    ta.add_client_error(
        "list_organization_recommendation_resources",
        "ThrottlingException",
        "Rate exceeded",
        429,
        expected_params=two,
    )
    ta.activate()
    log = OutcomeLog()
    recording = get_trustedadvisor(connection, ApiRecording(), log, workers=1, progress=False)
    ta.assert_no_pending_responses()

    frames = trustedadvisor_frames(recording)
    recs = frames["recommendations"]
    assert list(recs["recommendation_id"]) == [
        "9534ec9b-bf3a-44e8-8213-2ed68b39d9d5",
        "4ecff4d4-1bc1-4c99-a5b8-0fff9ee500d6",
    ]
    assert set(recs["status"]) == {"warning"} and set(recs["pillars"]) == {"security"}
    assert recs["check_id"].iloc[0] == "L4dfs2Q4C5"
    accounts = frames["recommendation_accounts"]
    assert accounts.to_dict("records")[0]["account_id"] == "000000000000"
    assert accounts["update_reason_code"].iloc[0] == "valid_business_case"
    resources = frames["resources"]
    assert len(resources) == 3 and set(resources["recommendation_arn"]) == {REC_1}
    assert resources["resource_arn"].iloc[0] == "arn:aws:rds:us-east-1:000000000000:db:webcms-dev-01"
    assert str(resources["last_updated_at"].iloc[0].tz) == "UTC"
    assert frames["checks"].empty  # the Trusted Advisor API answered: no Support API fallback

    [failure] = log.failures
    assert (failure.operation, failure.status) == (
        "list_organization_recommendation_resources",
        Status.THROTTLED,
    )


def test_denied_org_api_falls_back_to_support_checks_per_account(connection: Connection) -> None:
    stub_listing_denied(connection)
    allowed = stubbed(connection, "support", data.ACCOUNTS[0])
    allowed.add_response(
        "describe_trusted_advisor_checks", data.DESCRIBE_TRUSTED_ADVISOR_CHECKS, {"language": "en"}
    )
    allowed.add_response(
        "describe_trusted_advisor_check_result",
        data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT,
        {"checkId": "zXCkfM1nI3", "language": "en"},
    )
    allowed.activate()
    basic = stubbed(connection, "support", data.ACCOUNTS[1])
    basic.add_client_error(
        "describe_trusted_advisor_checks",
        "SubscriptionRequiredException",
        "AWS Premium Support Subscription is required to use this service.",
        400,
        expected_params={"language": "en"},
    )
    basic.activate()

    log = OutcomeLog()
    recording = get_trustedadvisor(
        connection, ApiRecording(), log, support_accounts=data.ACCOUNTS, progress=False
    )
    allowed.assert_no_pending_responses()
    frames = trustedadvisor_frames(recording)
    [check] = frames["checks"].to_dict("records")
    assert check["account_id"] == data.ACCOUNTS[0]
    assert (check["check_id"], check["name"], check["category"], check["status"]) == (
        "zXCkfM1nI3",
        "IAM Use",
        "security",
        "ok",
    )
    assert check["resources_flagged"] == 0 and check["resources_processed"] == 1
    assert len(frames["check_resources"]) == 1  # the example lists its one resource, status ok
    # The example as published (no "metadata", which the model requires) transforms the same.
    raw = [
        {"params": {}, "response": data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_AS_DOCUMENTED, "account": "1"}
    ]
    assert transform_check_resources([], raw)[0]["metadata"] == "{}"
    statuses = {(o.account, o.operation): (o.status, o.error_code) for o in log.failures}
    assert statuses == {
        (None, "list_organization_recommendations"): (Status.ACCESS_DENIED, "AccessDeniedException"),
        (data.ACCOUNTS[1], "describe_trusted_advisor_checks"): (
            Status.NOT_ENABLED,
            "SubscriptionRequiredException",
        ),
    }


def test_get_for_run_reads_the_active_accounts_of_the_org_snapshot(connection: Connection) -> None:
    import pandas as pd

    stub_listing_denied(connection)
    for account in data.ACCOUNTS:
        stub = stubbed(connection, "support", account)
        stub.add_response("describe_trusted_advisor_checks", {"checks": []}, {"language": "en"})
        stub.activate()
    org = pd.DataFrame(
        {"account_id": [*data.ACCOUNTS, "333333333333"], "status": ["ACTIVE", "ACTIVE", "SUSPENDED"]}
    )
    log = OutcomeLog()
    recording = ApiRecording()
    options = RunOptions(member_role="OrgInsightReadOnly", org=org, progress=False)
    assert TRUSTEDADVISOR.get(connection, recording, log, options) == [HOME]
    called = {c["account"] for c in recording.calls("support", HOME, "describe_trusted_advisor_checks")}
    assert called == set(data.ACCOUNTS)


def test_transforms_compare_equal_on_real_support_responses() -> None:
    checks = [
        {
            "params": {"language": "en"},
            "response": data.DESCRIBE_TRUSTED_ADVISOR_CHECKS_LIMITS,
            "account": "1",
        }
    ]
    results = [
        {"params": {}, "response": data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_RDS, "account": "1"},
        {"params": {}, "response": data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_EBS, "account": "1"},
    ]
    rows = transform_checks(checks, results)
    assert [(r["check_id"], r["name"], r["status"]) for r in rows] == [
        ("XG0aXHpIEt", "RDS DB Instances", "ok"),
        ("H7IgTzjTYb", None, "error"),  # not in that account's check list: no name, still a row
    ]
    flagged = transform_check_resources(checks, results)
    assert len(flagged) == 2 + 4
    assert json.loads(flagged[0]["metadata"]) == {
        "Region": "us-east-1",
        "Service": "RDS",
        "Limit Name": "DB instances",
        "Limit Amount": "40",
        "Current Usage": "1",
        "Status": "Green",
    }
    ebs = json.loads(flagged[2]["metadata"])  # no column names: AWS's positions, nulls kept as None
    assert ebs["1"] == "vol-abdb8d37" and ebs["3"] is None
    assert (flagged[2]["status"], flagged[2]["is_suppressed"]) == ("error", False)


def test_transform_recommendations_compares_equal() -> None:
    [row] = transform_recommendations([data.LIST_ORGANIZATION_RECOMMENDATIONS_2])
    assert row == {
        "recommendation_id": "4ecff4d4-1bc1-4c99-a5b8-0fff9ee500d6",
        "arn": REC_2,
        "name": "Lambda Runtime Deprecation Warning",
        "check_id": "L4dfs2Q4C5",
        "pillars": "security",
        "status": "warning",
        "lifecycle_stage": "resolved",
        "type": "priority",
        "source": "ta_check",
        "aws_services": "lambda",
        "error_count": 0,
        "warning_count": 0,
        "ok_count": 0,
        "created_at": None,
        "last_updated_at": None,
    }


def test_organizational_view_report_json_and_csv() -> None:
    summary = read_organizational_view_summary(data.ORG_VIEW_SUMMARY)
    assert sorted(map(tuple, summary.values.tolist())) == [
        (data.ACCOUNTS[0], "security", "error", 1),
        (data.ACCOUNTS[0], "security", "ok", 6),
        (data.ACCOUNTS[1], "security", "ok", 5),
        (data.ACCOUNTS[1], "security", "warn", 2),
    ]
    assert read_organizational_view_summary({}).empty
    name = "Security Groups - Specific Ports Unrestricted"
    from_json = read_organizational_view_check(name, data.ORG_VIEW_CHECK_JSON)
    from_csv = read_organizational_view_check(name, csv.DictReader(io.StringIO(data.ORG_VIEW_CHECK_CSV)))
    both = [*from_json.to_dict("records"), *from_csv.to_dict("records")]
    assert [(r["account_id"], r["region"], r["status"]) for r in both] == [
        (data.ACCOUNTS[0], "us-east-1", "error"),
        (data.ACCOUNTS[1], "eu-west-1", "warn"),
    ]
    assert json.loads(both[1]["metadata"]) == {
        "Security Group ID": "sg-0d1e2f3a",
        "Protocol": "tcp",
        "Port": "3389",
    }


def test_stubber_accepts_every_real_response() -> None:
    """The recorded real responses pass botocore's shape checks for the operation they answer."""
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=HOME)
    pairs = {
        "trustedadvisor": [
            ("list_organization_recommendations", data.LIST_ORGANIZATION_RECOMMENDATIONS_1),
            ("list_organization_recommendation_accounts", data.LIST_ORGANIZATION_RECOMMENDATION_ACCOUNTS),
            ("list_organization_recommendation_resources", data.list_organization_recommendation_resources()),
        ],
        "support": [
            ("describe_trusted_advisor_checks", data.DESCRIBE_TRUSTED_ADVISOR_CHECKS),
            ("describe_trusted_advisor_checks", data.DESCRIBE_TRUSTED_ADVISOR_CHECKS_LIMITS),
            ("describe_trusted_advisor_check_result", data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT),
            ("describe_trusted_advisor_check_result", data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_RDS),
        ],
    }
    for service, responses in pairs.items():
        stub = Stubber(session.client(service, region_name=HOME))
        for operation, response in responses:
            stub.add_response(operation, response)  # raises ParamValidationError on a wrong shape
    # A real recorded EBS-snapshot result has null metadata values, which the model (a list of
    # strings) forbids: AWS sends them anyway, so the transforms keep them as None (see above).
    stub = Stubber(session.client("support", region_name=HOME))
    with pytest.raises(ParamValidationError, match="metadata"):
        stub.add_response(
            "describe_trusted_advisor_check_result", data.DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_EBS
        )


@pytest.mark.shared_data
def test_every_shared_support_response_transforms() -> None:
    """All 14 custodian placebo files: 9 results with 48 flagged resources (shared/data README)."""
    root = shared_data_dir("trustedadvisor", "custodian-support")
    checks, results = [], []
    for path in sorted(root.glob("*.json")):
        call = {"params": {}, "response": data.load(path), "account": path.name.split("__")[0]}
        (checks if "DescribeTrustedAdvisorChecks" in path.name else results).append(call)
    assert len(transform_checks(checks, results)) == 9
    assert len(transform_check_resources(checks, results)) == 48
