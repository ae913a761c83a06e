"""Guardrails collector: moto (which implements Organizations policies) for the whole path from the API to
the coverage, botocore's Stubber for pagination and faults (its responses checked against the model)."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.stub import Stubber
from conftest import fake_session, moto_organization
from data.aws import guardrails as data
from moto import mock_aws

from orginsight.analytics.guardrails import DENIED, NOT_DENIED, effective_scps, guardrail_coverage
from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.guardrails import (
    GUARDRAILS,
    collect_guardrails,
    get_guardrails,
    guardrails_frames,
)
from orginsight.collectors.organizations import collect_organization
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.session import Connection, retry_config

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"


@pytest.fixture
def moto_org():
    """Root (DenyLeaveOrganization) / Workloads (ProtectGuardDuty) / one account; Security / one account."""
    with mock_aws():
        session, ids = moto_organization({"workloads": "Workloads", "security": "Security"})
        org = session.client("organizations")
        for name, document, target in [
            ("DenyLeaveOrganization", data.DENY_LEAVE_ORGANIZATION, ids["Root"]),
            ("ProtectGuardDuty", data.GUARDDUTY_DOCS, ids["Workloads OU"]),
        ]:
            policy = org.create_policy(Content=json.dumps(document), Description=name, Name=name, Type=SCP)[
                "Policy"
            ]["PolicySummary"]["Id"]
            org.attach_policy(PolicyId=policy, TargetId=target)
            ids[name] = policy
        yield Connection(session, retry_config(max_attempts=2)), ids


def test_policies_targets_and_coverage_from_moto(moto_org) -> None:  # noqa: ANN001
    connection, ids = moto_org
    log = OutcomeLog()
    frames = collect_guardrails(connection, log=log, progress=False)

    policies = frames["policies"].set_index("name")
    assert set(policies.index) == {
        "FullAWSAccess",
        "RCPFullAWSAccess",
        "DenyLeaveOrganization",
        "ProtectGuardDuty",
    }
    assert (
        policies.loc["FullAWSAccess", "aws_managed"] and not policies.loc["ProtectGuardDuty", "aws_managed"]
    )
    assert policies.loc["RCPFullAWSAccess", "policy_type"] == RCP
    assert json.loads(policies.loc["ProtectGuardDuty", "content"]) == data.GUARDDUTY_DOCS
    targets = frames["policy_targets"]
    leave = targets[targets["policy_id"] == ids["DenyLeaveOrganization"]]
    assert list(zip(leave["target_type"], leave["target_name"], strict=True)) == [("ROOT", "Root")]
    assert log.failures == [] and frames["policies"].attrs["failures"] == []

    org = collect_organization(connection, progress=False)
    management = org["organization"]["management_account_id"].iloc[0]
    effective = effective_scps(frames["policies"], targets, org["accounts"], org["ous"], management)
    coverage = guardrail_coverage(effective, frames["policies"]).set_index(["account_id", "guardrail"])
    assert coverage.loc[(ids["workloads"], "guardduty-detector"), "status"] == DENIED
    assert coverage.loc[(ids["security"], "guardduty-detector"), "status"] == NOT_DENIED
    assert coverage.loc[(ids["security"], "leave-organization"), "status"] == DENIED


# ----------------------------------------------------------------------------- Stubber: pages and faults


@pytest.fixture
def connection():
    with mock_aws():  # no stubbed call may reach the network by mistake
        session = fake_session()
        yield Connection(session, retry_config(max_attempts=1))


def stubbed(connection: Connection) -> Stubber:
    client = connection.session.client("organizations", region_name="us-east-1", config=connection.config)
    connection.use_client("organizations", "us-east-1", client)
    return Stubber(client)


def test_every_page_of_policies_and_targets_is_read() -> None:
    """ListPolicies in two pages; one policy's targets in two pages; the other described and listed once."""
    with mock_aws():
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name="us-east-1")
        connection = Connection(session, retry_config(max_attempts=1))
        stub = stubbed(connection)
        first, second = data.summary("p-FullAWSAccess"), data.summary("p-guardduty1")
        stub.add_response("list_policies", {"Policies": [first], "NextToken": "t1"}, {"Filter": SCP})
        stub.add_response("list_policies", {"Policies": [second]}, {"Filter": SCP, "NextToken": "t1"})
        every = data.list_targets_for_policy("p-FullAWSAccess")["Targets"]
        for policy, pages in [("p-FullAWSAccess", [every[:3], every[3:]]), ("p-guardduty1", [None])]:
            stub.add_response("describe_policy", data.describe_policy(policy), {"PolicyId": policy})
            for n, page in enumerate(pages):
                response = data.list_targets_for_policy(policy) if page is None else {"Targets": page}
                if n + 1 < len(pages):
                    response["NextToken"] = f"targets-{n}"
                params = {"PolicyId": policy} | ({"NextToken": f"targets-{n - 1}"} if n else {})
                stub.add_response("list_targets_for_policy", response, params)
        stub.activate()
        log = OutcomeLog()
        recording = get_guardrails(connection, ApiRecording(), log, (SCP,), workers=1, progress=False)
        stub.assert_no_pending_responses()

    frames = guardrails_frames(recording)
    assert list(frames["policies"]["policy_id"]) == ["p-FullAWSAccess", "p-guardduty1"]
    targets = frames["policy_targets"]
    assert len(targets[targets["policy_id"] == "p-FullAWSAccess"]) == len(every) == 10
    assert list(targets[targets["policy_id"] == "p-guardduty1"]["target_id"]) == [data.WORKLOADS_OU]
    assert log.failures == []


def test_a_denied_policy_type_and_a_throttled_description_are_outcomes(connection: Connection) -> None:
    """RCPs refused, one DescribePolicy throttled past its retries: the SCPs are still listed and their
    targets read; the policy whose content was not read is kept, with no content."""
    stub = stubbed(connection)
    stub.add_response("list_policies", {"Policies": [data.summary("p-leaveorg1")]}, {"Filter": SCP})
    stub.add_client_error(
        "list_policies",
        "AccessDeniedException",
        "You don't have permissions",
        403,
        expected_params={"Filter": RCP},
    )
    stub.add_client_error(
        "describe_policy",
        "TooManyRequestsException",
        "Rate exceeded",
        400,
        expected_params={"PolicyId": "p-leaveorg1"},
    )
    stub.add_response(
        "list_targets_for_policy", data.list_targets_for_policy("p-leaveorg1"), {"PolicyId": "p-leaveorg1"}
    )
    stub.activate()
    log = OutcomeLog()
    frames = guardrails_frames(get_guardrails(connection, ApiRecording(), log, progress=False))

    stub.assert_no_pending_responses()
    (policy,) = frames["policies"].to_dict("records")
    assert policy["name"] == "DenyLeaveOrganization" and policy["content"] is None
    assert list(frames["policy_targets"]["target_id"]) == [data.ROOT]
    assert sorted((f.operation, f.status, f.error_code) for f in log.failures) == [
        ("describe_policy", Status.THROTTLED, "TooManyRequestsException"),
        ("list_policies", Status.ACCESS_DENIED, "AccessDeniedException"),
    ]


def test_organizations_not_in_use_is_an_outcome_and_empty_tables(connection: Connection) -> None:
    stub = stubbed(connection)
    for policy_type in (SCP, RCP):
        stub.add_client_error(
            "list_policies",
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
            400,
            expected_params={"Filter": policy_type},
        )
    stub.activate()
    log = OutcomeLog()
    frames = guardrails_frames(get_guardrails(connection, ApiRecording(), log, progress=False))

    assert frames["policies"].empty and frames["policy_targets"].empty
    assert list(frames["policies"].columns) == [
        "policy_id",
        "policy_type",
        "name",
        "description",
        "aws_managed",
        "arn",
        "content",
    ]
    assert {f.status for f in log.failures} == {Status.ACCESS_DENIED}


def test_the_registry_declares_the_calls_and_tables() -> None:
    assert GUARDRAILS.name == "guardrails" and GUARDRAILS.api == "organizations"
    assert GUARDRAILS.table_names == ("policies", "policy_targets")
    assert GUARDRAILS.operations == {
        ("organizations", "describe_policy"),
        ("organizations", "list_policies"),
        ("organizations", "list_targets_for_policy"),
    }
