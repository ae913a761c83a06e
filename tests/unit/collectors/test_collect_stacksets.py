"""StackSets collector through botocore's Stubber (tests/data/aws/stacksets.py says why not moto): the
caller's role decides ``CallAs``, two regions, instance pages, templates left out of the recording, and
faults as outcomes."""

from __future__ import annotations

import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session
from data.aws import stacksets as data
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.service import RunOptions
from orginsight.collectors.session import Connection, retry_config
from orginsight.collectors.stacksets import (
    DELEGATED_ADMIN,
    SELF,
    STACKSETS,
    caller_role,
    collect_stacksets,
    get_stacksets,
    stacksets_frames,
)

HOME, OTHER = "us-east-1", "eu-west-1"
DESCRIBE_ORGANIZATION = {
    "Organization": {
        "Id": "o-exampleorgid",
        "Arn": f"arn:aws:organizations::{data.MANAGEMENT}:organization/o-exampleorgid",
        "FeatureSet": "ALL",
        "MasterAccountArn": f"arn:aws:organizations::{data.MANAGEMENT}:account/o-exampleorgid/{data.MANAGEMENT}",
        "MasterAccountId": data.MANAGEMENT,
        "MasterAccountEmail": "management@example.com",
    }
}


@pytest.fixture
def connection():
    with mock_aws():  # no stubbed call may reach the network by mistake
        session = fake_session(HOME)
        yield Connection(session, retry_config(max_attempts=1))


def stubbed(connection: Connection, service: str, region: str = HOME) -> Stubber:
    client = connection.session.client(service, region_name=region, config=connection.config)
    connection.use_client(service, region, client)
    return Stubber(client)


def stub_caller(connection: Connection, account: str, organization: bool = True) -> list[Stubber]:
    """sts:GetCallerIdentity says ``account``; DescribeOrganization names the management account (or fails)."""
    sts, org = stubbed(connection, "sts"), stubbed(connection, "organizations")
    sts.add_response(
        "get_caller_identity",
        {"UserId": "AIDAEXAMPLE", "Account": account, "Arn": f"arn:aws:iam::{account}:user/a"},
    )
    if organization:
        org.add_response("describe_organization", DESCRIBE_ORGANIZATION, {})
    else:
        org.add_client_error("describe_organization", "AccessDeniedException", "not authorized", 403)
    for s in (sts, org):
        s.activate()
    return [sts, org]


def stub_home(connection: Connection, call_as: str) -> Stubber:
    """us-east-1: two stack sets, the baseline's instances in two pages, every call with ``call_as``."""
    cf = stubbed(connection, "cloudformation")
    cf.add_response("list_stack_sets", data.LIST_STACK_SETS, {"Status": "ACTIVE", "CallAs": call_as})
    for name in (data.BASELINE, data.RULES):
        named = {"StackSetName": name, "CallAs": call_as}
        cf.add_response("describe_stack_set", data.describe_stack_set(name), named)
        if name == data.BASELINE:
            cf.add_response("list_stack_instances", data.LIST_STACK_INSTANCES_1, named)
            cf.add_response(
                "list_stack_instances",
                data.LIST_STACK_INSTANCES_2,
                {**named, "NextToken": "instances-page-2"},
            )
            cf.add_response("list_stack_set_operations", data.LIST_STACK_SET_OPERATIONS, named)
        else:
            cf.add_response("list_stack_instances", {"Summaries": []}, named)
            cf.add_response("list_stack_set_operations", {"Summaries": []}, named)
    cf.activate()
    return cf


def stub_other(connection: Connection, call_as: str) -> Stubber:
    cf = stubbed(connection, "cloudformation", OTHER)
    cf.add_response("list_stack_sets", {"Summaries": []}, {"Status": "ACTIVE", "CallAs": call_as})
    cf.activate()
    return cf


@pytest.mark.parametrize(("caller", "call_as"), [(data.MANAGEMENT, SELF), (data.AUDIT, DELEGATED_ADMIN)])
def test_the_management_account_calls_as_self_and_any_other_as_delegated_admin(
    connection: Connection, caller: str, call_as: str
) -> None:
    stubs = [
        *stub_caller(connection, caller),
        stub_home(connection, call_as),
        stub_other(connection, call_as),
    ]
    log = OutcomeLog()
    frames = collect_stacksets(connection, [HOME, OTHER], log=log, progress=False)

    for stub in stubs:
        stub.assert_no_pending_responses()
    assert log.failures == []
    stack_sets = frames["stack_sets"].set_index("stack_set_name")
    baseline = stack_sets.loc[data.BASELINE]
    assert (baseline["region"], baseline["permission_model"], baseline["auto_deployment"]) == (
        HOME,
        "SERVICE_MANAGED",
        True,
    )
    assert baseline["organizational_unit_ids"] == f'["{data.SECURITY_OU}", "{data.WORKLOADS_OU}"]'
    assert (baseline["drift_status"], baseline["drifted_instances"]) == ("DRIFTED", 1)
    assert baseline["last_drift_check"] == pd.Timestamp(data.CHECKED) and baseline["call_as"] == call_as
    assert stack_sets.loc[data.RULES, "drift_status"] == "NOT_CHECKED"


def test_instances_of_every_page_and_operations_newest_first(connection: Connection) -> None:
    stubs = [
        *stub_caller(connection, data.MANAGEMENT),
        stub_home(connection, SELF),
        stub_other(connection, SELF),
    ]
    recording = get_stacksets(connection, [HOME, OTHER], ApiRecording(), OutcomeLog(), progress=False)
    frames = stacksets_frames(recording)

    for stub in stubs:
        stub.assert_no_pending_responses()
    instances = frames["stack_instances"]
    assert len(instances) == 5 and set(instances["stack_set_region"]) == {HOME}
    rows = {(r["account_id"], r["region"]): r for r in instances.to_dict("records")}
    assert rows[(data.PROD, HOME)]["drift_status"] == "DRIFTED"
    dev = rows[(data.DEV, OTHER)]
    assert (dev["status"], dev["detailed_status"], dev["ou_id"]) == ("OUTDATED", "FAILED", data.WORKLOADS_OU)
    assert "ExecutionRole" in dev["status_reason"]
    operations = frames["operations"]
    assert list(operations["action"]) == ["DETECT_DRIFT", "UPDATE", "CREATE"]
    assert operations.loc[1, "failed_instances"] == 1 and str(operations["created"].dt.tz) == "UTC"


def test_templates_are_left_out_of_the_recording(connection: Connection) -> None:
    stub_caller(connection, data.MANAGEMENT)
    stub_home(connection, SELF)
    stub_other(connection, SELF)
    recording = get_stacksets(connection, [HOME, OTHER], ApiRecording(), OutcomeLog(), progress=False)

    described = recording.responses("cloudformation", HOME, "describe_stack_set")
    assert len(described) == 2 and all("TemplateBody" not in r["StackSet"] for r in described)
    assert all(r["StackSet"]["Capabilities"] == ["CAPABILITY_NAMED_IAM"] for r in described)


def test_an_unreadable_organization_falls_back_to_self_and_says_why(connection: Connection) -> None:
    stub_caller(connection, data.AUDIT, organization=False)
    log = OutcomeLog()
    assert caller_role(connection, log) == SELF
    assert [(f.operation, f.status) for f in log.failures] == [
        ("describe_organization", Status.ACCESS_DENIED)
    ]


def test_faults_lose_only_their_own_stack_set_or_region(connection: Connection) -> None:
    """eu-west-1 throttled past its retries; the baseline's instances denied: the rest is still read."""
    cf = stubbed(connection, "cloudformation")
    cf.add_response(
        "list_stack_sets",
        {"Summaries": data.LIST_STACK_SETS["Summaries"][:1]},
        {"Status": "ACTIVE", "CallAs": SELF},
    )
    named = {"StackSetName": data.BASELINE, "CallAs": SELF}
    cf.add_response("describe_stack_set", data.describe_stack_set(data.BASELINE), named)
    cf.add_client_error("list_stack_instances", "AccessDenied", "not authorized", 403, expected_params=named)
    cf.add_response("list_stack_set_operations", data.LIST_STACK_SET_OPERATIONS, named)
    cf.activate()
    other = stubbed(connection, "cloudformation", OTHER)
    other.add_client_error("list_stack_sets", "Throttling", "Rate exceeded", 400)
    other.activate()
    log = OutcomeLog()
    frames = stacksets_frames(
        get_stacksets(connection, [HOME, OTHER], ApiRecording(), log, call_as=SELF, progress=False)
    )

    cf.assert_no_pending_responses()
    assert list(frames["stack_sets"]["stack_set_name"]) == [data.BASELINE]
    assert frames["stack_instances"].empty and len(frames["operations"]) == 3
    assert sorted((f.region, f.operation, f.status) for f in log.failures) == [
        (OTHER, "list_stack_sets", Status.THROTTLED),
        (HOME, "list_stack_instances", Status.ACCESS_DENIED),
    ]


def test_the_run_reads_the_picked_regions_and_the_registry_declares_it(connection: Connection) -> None:
    stub_caller(connection, data.AUDIT)
    stub_home(connection, DELEGATED_ADMIN)
    recording, log = ApiRecording(), OutcomeLog()
    regions = STACKSETS.get(connection, recording, log, RunOptions(regions=HOME, progress=False))

    assert regions == [HOME] and log.failures == []
    assert (
        tuple(STACKSETS.frames(recording, None))
        == STACKSETS.table_names
        == (
            "stack_sets",
            "stack_instances",
            "operations",
        )
    )
    assert ("organizations", "describe_organization") in STACKSETS.operations


def test_empty_recording_gives_empty_tables_with_their_columns() -> None:
    frames = stacksets_frames(ApiRecording())
    assert all(df.empty for df in frames.values())
    assert "drift_status" in frames["stack_instances"] and "action" in frames["operations"]
