"""Systems Manager collector: EC2 instances through moto (which implements DescribeInstances, and member
accounts through STS AssumeRole), the SSM calls through botocore's Stubber (moto 5.2 implements none of
DescribeInstanceInformation, ListResourceComplianceSummaries, DescribeInstancePatchStates), on real
responses (tests/data/real/ssm)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
import pytest
from botocore.stub import Stubber
from conftest import fake_session, shared_data_dir
from data.aws import ssm as data
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.session import Connection, retry_config
from orginsight.collectors.ssm import (
    PATCH_STATE_COLUMNS,
    SSM,
    collect_ssm,
    ssm_frames,
    transform_compliance,
    transform_managed_nodes,
    transform_patch_states,
    transform_unmanaged,
)

HOME = "us-east-1"
OTHER = "eu-west-1"
MEMBERS = ["111111111111", "222222222222"]
AMI = "ami-12c6146b"  # one of moto's default images


@pytest.fixture
def connection():
    with mock_aws():
        session = fake_session(HOME)
        # one attempt: a stubbed throttle is the throttle that outlasted botocore's retries
        yield Connection(session, retry_config(max_attempts=1), member_role="OrgInsightReadOnly")


def launch(connection: Connection, account: str, region: str, n: int) -> list[str]:
    """``n`` running instances in a member account's region (moto, through the member role)."""
    ec2 = connection.client("ec2", region, account)
    found = ec2.run_instances(ImageId=AMI, MinCount=n, MaxCount=n)["Instances"]
    return [i["InstanceId"] for i in found]


def compliance_filter(kind: str) -> dict[str, Any]:
    return {"Filters": [{"Key": "ComplianceType", "Values": [kind], "Type": "EQUAL"}]}


def stub_ssm(connection: Connection, account: str, region: str) -> Stubber:
    client = connection.session.client("ssm", region_name=region, config=connection.config)
    stub = Stubber(client)
    connection.use_client("ssm", region, client, account=account)
    return stub


def test_two_accounts_two_regions_pages_batches_and_faults(connection: Connection) -> None:
    a, b = MEMBERS
    running = launch(connection, a, HOME, 56)
    ec2 = connection.client("ec2", HOME, a)
    stopped = launch(connection, a, HOME, 1)
    ec2.stop_instances(InstanceIds=stopped)
    launch(connection, a, OTHER, 2)  # read nowhere: SSM is throttled there
    launch(connection, b, HOME, 1)  # read nowhere: SSM is denied there
    managed, unmanaged = running[:55], running[55]

    ok = stub_ssm(connection, a, HOME)
    ok.add_response(
        "describe_instance_information", data.describe_instance_information_for(managed[:50], "t1"), {}
    )
    ok.add_response(
        "describe_instance_information",
        data.describe_instance_information_for(managed[50:]),
        {"NextToken": "t1"},
    )
    for kind in ("Patch", "Association"):
        ok.add_response(
            "list_resource_compliance_summaries",
            data.list_resource_compliance_summaries_for(managed[:3], kind),
            compliance_filter(kind),
        )
    ok.add_response(
        "describe_instance_patch_states",
        data.describe_instance_patch_states_for(managed[:50]),
        {"InstanceIds": managed[:50]},
    )
    ok.add_response(
        "describe_instance_patch_states",
        data.describe_instance_patch_states_for(managed[50:]),
        {"InstanceIds": managed[50:]},
    )
    throttled = stub_ssm(connection, a, OTHER)
    throttled.add_client_error("describe_instance_information", "ThrottlingException", "Rate exceeded", 400)
    for kind in ("Patch", "Association"):  # the rest of the region is still read
        throttled.add_response(
            "list_resource_compliance_summaries",
            {"ResourceComplianceSummaryItems": []},
            compliance_filter(kind),
        )
    denied = stub_ssm(connection, b, HOME)
    disabled = stub_ssm(connection, b, OTHER)
    for stub, code, message in (
        (denied, "AccessDeniedException", "not authorized to perform: ssm:DescribeInstanceInformation"),
        (disabled, "UnrecognizedClientException", "The security token included in the request is invalid."),
    ):
        stub.add_client_error("describe_instance_information", code, message, 400)
        for kind in ("Patch", "Association"):
            stub.add_client_error(
                "list_resource_compliance_summaries",
                code,
                message,
                400,
                expected_params=compliance_filter(kind),
            )
    stubs = [ok, throttled, denied, disabled]
    for stub in stubs:
        stub.activate()
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_ssm(connection, [HOME, OTHER], MEMBERS, log=log, progress=False, recording=recording)

    for stub in stubs:
        stub.assert_no_pending_responses()
    nodes = frames["managed_nodes"]
    assert len(nodes) == 55 and set(nodes["account_id"]) == {a} and set(nodes["region"]) == {HOME}
    assert len(recording.calls("ssm", HOME, "describe_instance_information")) == 2
    assert [
        len(c["params"]["InstanceIds"])
        for c in recording.calls("ssm", HOME, "describe_instance_patch_states")
    ] == [50, 5]
    patches = frames["patch_states"]
    assert len(patches) == 55 and set(patches["instance_id"]) == set(managed)
    compliance = frames["compliance"]
    assert sorted(compliance["compliance_type"].value_counts().items()) == [("Association", 3), ("Patch", 3)]
    # the running instance outside SSM, not the stopped one, and nothing where SSM could not be read
    unmanaged_rows = frames["unmanaged_instances"]
    assert list(unmanaged_rows["instance_id"]) == [unmanaged]
    assert unmanaged_rows.iloc[0][["account_id", "region", "state"]].tolist() == [a, HOME, "running"]
    failures = [
        (f["account"], f["region"], f["operation"], f["status"], f["error_code"])
        for f in nodes.attrs["failures"]
    ]
    assert failures == [
        (a, OTHER, "describe_instance_information", "throttled", "ThrottlingException"),
        (b, OTHER, "describe_instance_information", "region_disabled", "UnrecognizedClientException"),
        (b, OTHER, "list_resource_compliance_summaries", "region_disabled", "UnrecognizedClientException"),
        (b, OTHER, "list_resource_compliance_summaries", "region_disabled", "UnrecognizedClientException"),
        (b, HOME, "describe_instance_information", "access_denied", "AccessDeniedException"),
        (b, HOME, "list_resource_compliance_summaries", "access_denied", "AccessDeniedException"),
        (b, HOME, "list_resource_compliance_summaries", "access_denied", "AccessDeniedException"),
    ]
    # a recording replays into the same tables (the demo lake and snapshots read it this way)
    replayed = ssm_frames(recording)
    pd.testing.assert_frame_equal(replayed["unmanaged_instances"], unmanaged_rows)


def test_transform_managed_nodes_on_a_real_response() -> None:
    call = {"params": {}, "response": recorded(data.DESCRIBE_INSTANCE_INFORMATION), "account": "644160558196"}
    rows = transform_managed_nodes(HOME, [call])
    assert len(rows) == 2
    assert rows[0] == {
        "account_id": "644160558196",
        "region": HOME,
        "instance_id": "i-0ba3874e85bb97244",
        "resource_type": "EC2Instance",
        "ping_status": "Online",
        "last_ping_at": pd.Timestamp("2019-01-30T08:30:07.712Z"),
        "platform_type": "Linux",
        "platform_name": "Ubuntu",
        "platform_version": "18.04",
        "agent_version": "2.3.274.0",
        "is_latest_version": False,
        "computer_name": "ip-172-31-10-93",
        "ip_address": "172.31.10.93",
        "association_status": "Success",
    }


def test_transform_compliance_on_a_real_response() -> None:
    rows = transform_compliance(
        HOME, [{"params": {}, "response": recorded(data.LIST_RESOURCE_COMPLIANCE_SUMMARIES)}]
    )
    assert [
        (r["resource_id"], r["compliance_type"], r["status"], r["non_compliant_count"]) for r in rows
    ] == [
        ("i-0dea82d960d56dc1d", "Association", "NON_COMPLIANT", 3),
        ("i-0dea82d960d56dc1d", "Patch", "NON_COMPLIANT", 36),
        ("i-0ba3874e85bb97244", "Association", "NON_COMPLIANT", 3),
        ("i-0ba3874e85bb97244", "Patch", "NON_COMPLIANT", 36),
    ]
    patch = rows[1]
    assert (
        patch["account_id"] is None
        and patch["critical_non_compliant"] == 0
        and patch["high_non_compliant"] == 0
    )
    assert patch["execution_type"] == "Command"
    assert patch["execution_time"] == pd.Timestamp("2020-03-19T22:50:59Z")  # -04:00 in the record
    assert rows[0]["execution_type"] is None  # Association summaries have no ExecutionType


def test_transform_patch_states_keeps_the_last_install_not_the_last_scan() -> None:
    call = {"params": {}, "response": recorded(data.DESCRIBE_INSTANCE_PATCH_STATES)}
    (row,) = transform_patch_states(HOME, [call])
    assert list(row) == PATCH_STATE_COLUMNS
    assert row["operation"] == "Scan"
    assert row["operation_end_time"] == pd.Timestamp("2021-05-03T18:01:09Z")
    assert row["last_install_time"] == pd.Timestamp("2020-06-14T19:17:41Z")  # the scan installed nothing
    assert (
        row["missing_count"],
        row["failed_count"],
        row["installed_count"],
        row["critical_non_compliant"],
    ) == (
        1,
        2,
        123,
        2,
    )
    install = {**data.DESCRIBE_INSTANCE_PATCH_STATES["InstancePatchStates"][0], "Operation": "Install"}
    (row,) = transform_patch_states(HOME, [{"params": {}, "response": {"InstancePatchStates": [install]}}])
    assert row["last_install_time"] == pd.Timestamp("2021-05-03T18:01:09Z")  # the install's end is later


def test_transform_patch_states_does_not_read_the_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same pages give the same rows on any day: a snapshot is a pure function of its pages."""

    def no_clock(now: datetime | None = None) -> datetime:
        raise AssertionError("transform_patch_states read the clock")

    monkeypatch.setattr("orginsight.timerange.utc_now", no_clock)
    monkeypatch.setattr("orginsight.collectors.ssm.utc_now", no_clock, raising=False)
    call = {"params": {}, "response": recorded(data.DESCRIBE_INSTANCE_PATCH_STATES)}
    assert transform_patch_states(HOME, [call]) == transform_patch_states(HOME, [call])
    assert not any("days" in column for column in PATCH_STATE_COLUMNS)


def test_transform_unmanaged_needs_a_complete_managed_node_walk() -> None:
    instances = {
        "params": {},
        "account": "111111111111",
        "response": {
            "Reservations": [
                {
                    "OwnerId": "111111111111",
                    "Instances": [
                        {"InstanceId": "i-managed", "State": {"Name": "running"}},
                        {
                            "InstanceId": "i-bare",
                            "State": {"Name": "pending"},
                            "Tags": [{"Key": "Name", "Value": "web"}],
                        },
                        {"InstanceId": "i-off", "State": {"Name": "stopped"}},
                    ],
                }
            ]
        },
    }
    first_page = {
        "params": {},
        "account": "111111111111",
        "response": recorded(data.describe_instance_information_for(["i-managed"], "t")),
    }
    assert transform_unmanaged(HOME, [instances], [first_page]) == []  # the walk stopped after page 1
    last_page = {
        "params": {"NextToken": "t"},
        "account": "111111111111",
        "response": {"InstanceInformationList": []},
    }
    (row,) = transform_unmanaged(HOME, [instances], [first_page, last_page])
    assert (row["instance_id"], row["state"], row["name"], row["launch_time"]) == (
        "i-bare",
        "pending",
        "web",
        None,
    )


@pytest.mark.shared_data
def test_every_shared_managed_node_response_transforms() -> None:
    folder = shared_data_dir("ssm")
    calls = [
        {"params": {}, "response": recorded(data.placebo_response(p))}
        for p in sorted((folder / "custodian").glob("*DescribeInstanceInformation*.json"))
    ] + [
        {
            "params": {},
            "response": data.awscli_response(
                folder / "awscli-examples" / "ssm_describe-instance-information.1.json"
            ),
        }
    ]
    rows = transform_managed_nodes(HOME, calls)
    assert len(rows) == 5 and all(r["instance_id"] and r["ping_status"] == "Online" for r in rows)
    assert {r["resource_type"] for r in rows} == {"EC2Instance", "ManagedInstance"}
    # aws-cli prints the wire form, epoch seconds; boto3's datetimes are recorded as ISO text
    assert rows[-1]["last_ping_at"] == pd.Timestamp("2020-02-20T17:53:53.421Z")
    assert rows[0]["last_ping_at"] == pd.Timestamp("2019-01-30T08:30:07.712Z")
    compliance = data.awscli_response(
        folder / "awscli-examples" / "ssm_list-resource-compliance-summaries.1.json"
    )
    assert len(transform_compliance(HOME, [{"params": {}, "response": compliance}])) == 2


def test_service_declares_every_call() -> None:
    assert SSM.name == "ssm" and SSM.api == "ssm"
    assert SSM.table_names == ("managed_nodes", "compliance", "patch_states", "unmanaged_instances")
    assert {
        ("ssm", "describe_instance_information"),
        ("ssm", "list_resource_compliance_summaries"),
        ("ssm", "describe_instance_patch_states"),
        ("ec2", "describe_instances"),
    } <= SSM.operations


def recorded(response: dict[str, Any]) -> dict[str, Any]:
    """A response as the recording stores it (datetimes as ISO text)."""
    return ApiRecording().add("ssm", HOME, "x", {}, response)


def test_get_for_run_without_a_member_role_names_the_callers_account(connection: Connection) -> None:
    from orginsight.collectors.service import RunOptions
    from orginsight.collectors.ssm import get_for_run

    single = Connection(connection.session, connection.config)
    me = single.account_id  # moto's default account
    instance = single.client("ec2", HOME).run_instances(ImageId=AMI, MinCount=1, MaxCount=1)["Instances"][0]
    stub = stub_ssm(single, me, HOME)
    stub.add_response("describe_instance_information", {"InstanceInformationList": []}, {})
    for kind in ("Patch", "Association"):
        stub.add_response(
            "list_resource_compliance_summaries",
            {"ResourceComplianceSummaryItems": []},
            compliance_filter(kind),
        )
    stub.activate()
    log, recording = OutcomeLog(), ApiRecording()

    assert get_for_run(single, recording, log, RunOptions(regions=[HOME], progress=False)) == [HOME]

    stub.assert_no_pending_responses()
    assert log.failures == []
    (row,) = ssm_frames(recording)["unmanaged_instances"].to_dict("records")
    assert (row["account_id"], row["instance_id"], row["instance_type"]) == (
        me,
        instance["InstanceId"],
        "m1.small",
    )
