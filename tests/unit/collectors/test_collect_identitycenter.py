"""IAM Identity Center collector: moto where it answers, botocore Stubber for the exact call sequence.

moto 5.2.5 implements every sso-admin and identitystore call the collector makes but
GetPermissionsBoundaryForPermissionSet (tried under ``mock_aws``: "has not been implemented"), and it
cannot create an instance (its ListInstances answers one default instance), and its
ListAccountsForProvisionedPermissionSet names only its own account. The moto test answers the
boundary call as AWS answers a permission set without one, through botocore's ``before-call`` event.
The Stubber tests check the exact sequence, pagination and faults: every Stubber must be fully consumed.
"""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pandas as pd
import pytest
from botocore.stub import Stubber
from data.aws import identitycenter as data
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog, Status
from orginsight.collectors.identitycenter import (
    IDENTITYCENTER,
    NOT_ENABLED_CODE,
    collect_identitycenter,
    duration_seconds,
    get_for_run,
    identitycenter_frames,
    transform_permission_sets,
)
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.run import collect
from orginsight.collectors.service import RunOptions
from orginsight.collectors.session import Connection, retry_config

HOME = data.REGION
PAGE = {"MaxResults": 100}
STORE = {"IdentityStoreId": data.IDENTITY_STORE_ID, **PAGE}


@pytest.fixture
def connection() -> Connection:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=HOME)
    return Connection(session, retry_config(max_attempts=1), home_region=HOME)


def stubbed(connection: Connection, service: str, region: str = HOME) -> Stubber:
    client = connection.session.client(service, region_name=region, config=connection.config)
    connection.use_client(service, region, client)
    return Stubber(client)


def stub_permission_set(admin: Stubber, arn: str, fail_account: tuple[str, str] | None = None) -> None:
    """One permission set's calls, in the collector's order (``fail_account``: (account, error code))."""
    ps = {"InstanceArn": data.INSTANCE_ARN, "PermissionSetArn": arn}
    admin.add_response("describe_permission_set", data.DESCRIBE_PERMISSION_SET[arn], ps)
    admin.add_response(
        "list_managed_policies_in_permission_set",
        data.LIST_MANAGED_POLICIES_IN_PERMISSION_SET[arn],
        {**ps, **PAGE},
    )
    admin.add_response(
        "list_customer_managed_policy_references_in_permission_set",
        data.LIST_CUSTOMER_MANAGED_POLICY_REFERENCES_IN_PERMISSION_SET[arn],
        {**ps, **PAGE},
    )
    admin.add_response(
        "get_inline_policy_for_permission_set", data.GET_INLINE_POLICY_FOR_PERMISSION_SET[arn], ps
    )
    if arn in data.GET_PERMISSIONS_BOUNDARY_FOR_PERMISSION_SET:
        boundary = data.GET_PERMISSIONS_BOUNDARY_FOR_PERMISSION_SET[arn]
        admin.add_response("get_permissions_boundary_for_permission_set", boundary, ps)
    else:
        admin.add_client_error(
            "get_permissions_boundary_for_permission_set",
            "ResourceNotFoundException",
            "Could not find PermissionsBoundary",
            404,
            expected_params=ps,
        )
    provisioned = data.LIST_ACCOUNTS_FOR_PROVISIONED_PERMISSION_SET[arn]
    admin.add_response("list_accounts_for_provisioned_permission_set", provisioned, {**ps, **PAGE})
    for account in provisioned["AccountIds"]:
        params = {**ps, "AccountId": account, **PAGE}
        if fail_account and fail_account[0] == account:
            admin.add_client_error(
                "list_account_assignments", fail_account[1], "no", 400, expected_params=params
            )
        else:
            admin.add_response(
                "list_account_assignments", data.list_account_assignments(arn, account), params
            )


def stub_home(
    connection: Connection,
    region: str = HOME,
    set_page: int = 100,
    user_page: int = 100,
    fail_account: tuple[str, str] | None = None,
) -> tuple[Stubber, Stubber]:
    """sso-admin and identitystore in ``region`` expecting the whole collection, in order."""
    admin, store = stubbed(connection, "sso-admin", region), stubbed(connection, "identitystore", region)
    admin.add_response("list_instances", data.LIST_INSTANCES, PAGE)
    listed = {"InstanceArn": data.INSTANCE_ARN, **PAGE}
    for i, page in enumerate(data.pages("PermissionSets", data.PERMISSION_SET_ARNS, set_page)):
        admin.add_response(
            "list_permission_sets", page, {**listed, "NextToken": f"token-{i * set_page}"} if i else listed
        )
    for arn in data.PERMISSION_SET_ARNS:
        stub_permission_set(admin, arn, fail_account)
    for i, page in enumerate(data.pages("Users", data.USERS, user_page)):
        store.add_response(
            "list_users", page, {**STORE, "NextToken": f"token-{i * user_page}"} if i else STORE
        )
    store.add_response("list_groups", data.LIST_GROUPS, STORE)
    for group in data.MEMBERS:
        store.add_response(
            "list_group_memberships", data.list_group_memberships(group), {**STORE, "GroupId": group}
        )
    admin.activate()
    store.activate()
    return admin, store


def test_the_home_region_with_paged_permission_sets_and_users(connection: Connection) -> None:
    admin, store = stub_home(connection, set_page=3, user_page=2)
    log, recording = OutcomeLog(), ApiRecording()

    frames = collect_identitycenter(connection, log=log, workers=1, progress=False, recording=recording)

    admin.assert_no_pending_responses()
    store.assert_no_pending_responses()
    assert log.failures == []  # no boundary (ResourceNotFoundException) is not a failure
    assert recording.regions("sso-admin") == recording.regions("identitystore") == [HOME]
    assert len(recording.calls("sso-admin", HOME, "list_permission_sets")) == 2
    assert len(recording.calls("identitystore", HOME, "list_users")) == 3
    assert tuple(frames) == IDENTITYCENTER.table_names
    (instance,) = frames["instances"].to_dict("records")
    assert (
        instance["identity_store_id"] == data.IDENTITY_STORE_ID
        and instance["owner_account_id"] == data.MANAGEMENT
    )
    assert (
        instance["status"] == "ACTIVE" and instance["name"] == "example-corp" and instance["region"] == HOME
    )
    assert len(frames["permission_sets"]) == 4 and len(frames["users"]) == 5 and len(frames["groups"]) == 3
    assert len(frames["account_assignments"]) == sum(len(v) for v in data.ASSIGNED.values()) == 9
    assert len(frames["group_memberships"]) == 4
    (ok,) = [o for o in log.outcomes if o.operation == "identitycenter"]
    assert ok.items == 4 + 9 + 5


def test_permission_set_columns(connection: Connection) -> None:
    stubs = stub_home(connection)
    frames = collect_identitycenter(connection, workers=1, progress=False)
    for stub in stubs:
        stub.assert_no_pending_responses()
    ps = frames["permission_sets"].set_index("name")
    dev = ps.loc["Developer"]
    assert (dev["session_duration"], dev["session_duration_s"]) == ("PT8H", 8 * 3600)
    assert dev["relay_state"].startswith("https://") and dev["description"] == "Build and deploy workloads"
    assert json.loads(dev["managed_policies"]) == [
        "arn:aws:iam::aws:policy/PowerUserAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]
    assert json.loads(dev["customer_managed_policies"]) == ["/platform/DeployBuckets"]
    assert dev["has_inline_policy"] and json.loads(dev["inline_policy"])["Statement"][0]["Effect"] == "Deny"
    assert dev["permissions_boundary"] == "/WorkloadBoundary"
    assert ps.loc["ReadOnly", "permissions_boundary"] == "arn:aws:iam::aws:policy/ReadOnlyAccess"
    assert ps.loc["ReadOnly", "session_duration_s"] == 9000
    admin = ps.loc["AdministratorAccess"]
    assert not admin["has_inline_policy"] and pd.isna(admin["inline_policy"])
    assert pd.isna(admin["permissions_boundary"])
    assert json.loads(admin["customer_managed_policies"]) == []
    assert ps.loc["AdministratorAccess", "created_at"] == pd.Timestamp("2024-02-01T10:00:00Z")


def test_users_groups_and_memberships(connection: Connection) -> None:
    stubs = stub_home(connection)
    frames = collect_identitycenter(connection, workers=1, progress=False)
    for stub in stubs:
        stub.assert_no_pending_responses()
    users = frames["users"].set_index("user_id")
    assert users.loc[data.BOB, "email"] == "bob@example-corp.com"  # the primary email, not the first
    assert users.loc[data.BOB, "user_name"] == "Bob@Example-Corp.com"
    assert users.loc[data.CAROL, "active"] is False and users.loc[data.CAROL, "status"] == "DISABLED"
    assert users.loc[data.ALICE, "active"] is True
    assert users.loc[data.DAVE, "active"] is None and pd.isna(users.loc[data.DAVE, "status"])
    assert (
        users.loc[data.ALICE, "external_id"] == "idp-alice" and users.loc[data.ALICE, "given_name"] == "Alice"
    )
    groups = frames["groups"].set_index("group_id")
    assert groups.loc[data.DEVELOPERS, "external_id"] == "grp-developers"
    assert pd.isna(groups.loc[data.ADMINS, "description"])
    members = frames["group_memberships"]
    assert sorted(members.loc[members["group_id"] == data.DEVELOPERS, "user_id"]) == sorted(
        [data.BOB, data.CAROL]
    )


def test_no_instance_is_not_enabled_and_nothing_else_is_called(connection: Connection) -> None:
    admin = stubbed(connection, "sso-admin")
    admin.add_response("list_instances", data.NO_INSTANCES, PAGE)
    log = OutcomeLog()
    with admin:
        frames = collect_identitycenter(connection, log=log, progress=False)
        admin.assert_no_pending_responses()
    (failure,) = log.failures
    assert failure.status is Status.NOT_ENABLED and failure.error_code == NOT_ENABLED_CODE
    assert failure.region == HOME and "--home-region" in failure.message
    assert (
        all(df.empty for df in frames.values())
        and frames["users"].attrs["failures"][0]["status"] == "not_enabled"
    )


@pytest.mark.parametrize(
    ("code", "status"),
    [("AccessDeniedException", Status.ACCESS_DENIED), ("ThrottlingException", Status.THROTTLED)],
)
def test_list_instances_denied_or_throttled_is_an_outcome(
    connection: Connection, code: str, status: Status
) -> None:
    admin = stubbed(connection, "sso-admin")
    admin.add_client_error("list_instances", code, "no", 400, expected_params=PAGE)
    log = OutcomeLog()
    with admin:
        frames = collect_identitycenter(connection, log=log, progress=False)
        admin.assert_no_pending_responses()
    (failure,) = log.failures
    assert (failure.status, failure.error_code, failure.operation) == (status, code, "list_instances")
    assert all(df.empty for df in frames.values())


def test_a_throttled_account_loses_only_its_assignments(connection: Connection) -> None:
    stubs = stub_home(connection, fail_account=(data.DEV, "ThrottlingException"))
    log = OutcomeLog()
    frames = collect_identitycenter(connection, log=log, workers=1, progress=False)
    for stub in stubs:
        stub.assert_no_pending_responses()
    failures = log.failures
    assert [(f.status, f.operation) for f in failures] == [(Status.THROTTLED, "list_account_assignments")] * 2
    assignments = frames["account_assignments"]
    assert data.DEV not in set(assignments["account_id"]) and len(assignments) == 9 - 3
    assert len(frames["permission_sets"]) == 4 and len(frames["users"]) == 5


def test_a_denied_describe_keeps_the_listed_permission_set(connection: Connection) -> None:
    """A set whose own calls fail is still a row (its ARN was listed), with those columns unknown."""
    rec = data.recording()
    calls = {
        op: rec.calls("sso-admin", HOME, op) for op in ["list_permission_sets", "describe_permission_set"]
    }
    calls["describe_permission_set"] = [
        c for c in calls["describe_permission_set"] if c["params"]["PermissionSetArn"] != data.UNUSED
    ]
    rows = {r["permission_set_arn"]: r for r in transform_permission_sets(calls)}
    assert set(rows) == set(data.PERMISSION_SET_ARNS)
    unused = rows[data.UNUSED]
    assert unused["name"] is None and unused["session_duration_s"] is None
    assert unused["managed_policies"] is None and unused["has_inline_policy"] is None


def test_run_reads_the_home_region_option_only_and_writes_a_snapshot(
    connection: Connection, tmp_path: Path
) -> None:
    stubs = stub_home(connection, region="us-east-2")
    result = collect(
        "identitycenter", tmp_path, connection=connection, region="us-east-2", workers=1, progress=False
    )
    for stub in stubs:
        stub.assert_no_pending_responses()
    assert result.regions == ["us-east-2"] and result.failures == []
    assert sorted(p.stem for p in result.snapshot.glob("*.parquet")) == sorted(IDENTITYCENTER.table_names)
    assert (result.snapshot / "api" / "identitystore" / "us-east-2" / "list_users.json").is_file()
    assert pd.read_parquet(result.snapshot / "users.parquet")["user_id"].nunique() == 5


def test_get_for_run_defaults_to_the_connection_home_region(connection: Connection) -> None:
    admin = stubbed(connection, "sso-admin")
    admin.add_response("list_instances", data.NO_INSTANCES, PAGE)
    with admin:
        regions = get_for_run(
            connection, ApiRecording(), OutcomeLog(), RunOptions(regions="all", progress=False)
        )
    assert regions == [HOME]


def test_frames_of_the_recorded_data_match_a_live_collection(connection: Connection) -> None:
    stubs = stub_home(connection)
    live = collect_identitycenter(connection, workers=1, progress=False)
    for stub in stubs:
        stub.assert_no_pending_responses()
    recorded = identitycenter_frames(data.recording())
    for name, df in live.items():
        pd.testing.assert_frame_equal(df, recorded[name], check_like=False)


@pytest.mark.parametrize(
    ("iso", "seconds"),
    [("PT1H", 3600), ("PT12H", 43200), ("PT2H30M", 9000), ("PT90M", 5400), ("P1D", 86400), ("pt4h", 14400)],
)
def test_duration_seconds(iso: str, seconds: int) -> None:
    assert duration_seconds(iso) == seconds


@pytest.mark.parametrize("text", [None, "", "P", "PT", "1H", "PT1H junk", "P1Y"])
def test_duration_seconds_of_what_is_no_duration(text: str | None) -> None:
    assert duration_seconds(text) is None


def test_moto_answers_the_collection() -> None:
    with mock_aws():  # the session must be made inside the mock
        session = boto3.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=HOME)
        connection = Connection(session, retry_config(max_attempts=2), home_region=HOME)
        admin = connection.client("sso-admin", HOME)
        ids = connection.client("identitystore", HOME)
        (instance,) = admin.list_instances()["Instances"]  # moto's default instance
        arn, store = instance["InstanceArn"], instance["IdentityStoreId"]
        ps = admin.create_permission_set(InstanceArn=arn, Name="Developer", SessionDuration="PT8H")
        ps_arn = ps["PermissionSet"]["PermissionSetArn"]
        admin.attach_managed_policy_to_permission_set(
            InstanceArn=arn,
            PermissionSetArn=ps_arn,
            ManagedPolicyArn="arn:aws:iam::aws:policy/PowerUserAccess",
        )
        admin.put_inline_policy_to_permission_set(
            InstanceArn=arn, PermissionSetArn=ps_arn, InlinePolicy=data.INLINE
        )
        admin.create_permission_set(InstanceArn=arn, Name="Unassigned", SessionDuration="PT1H")
        user = ids.create_user(
            IdentityStoreId=store,
            UserName="alice@example-corp.com",
            DisplayName="Alice Martin",
            Name={"GivenName": "Alice", "FamilyName": "Martin"},
            Emails=[{"Value": "alice@example-corp.com", "Type": "work", "Primary": True}],
        )["UserId"]
        group = ids.create_group(IdentityStoreId=store, DisplayName="Developers")["GroupId"]
        ids.create_group_membership(IdentityStoreId=store, GroupId=group, MemberId={"UserId": user})
        account = instance["OwnerAccountId"]  # moto lists only its own account as provisioned
        admin.create_account_assignment(
            InstanceArn=arn,
            TargetId=account,
            TargetType="AWS_ACCOUNT",
            PermissionSetArn=ps_arn,
            PrincipalType="GROUP",
            PrincipalId=group,
        )
        admin.provision_permission_set(
            InstanceArn=arn, PermissionSetArn=ps_arn, TargetType="AWS_ACCOUNT", TargetId=account
        )
        admin.meta.events.register(
            "before-call.sso-admin.GetPermissionsBoundaryForPermissionSet", _no_boundary_as_aws_answers
        )
        log = OutcomeLog()
        frames = collect_identitycenter(connection, log=log, progress=False)

    assert log.failures == []
    ps_rows = frames["permission_sets"].set_index("name")
    assert (
        ps_rows.loc["Developer", "session_duration_s"] == 8 * 3600
        and ps_rows.loc["Developer", "has_inline_policy"]
    )
    assert ps_rows.loc["Developer", "permissions_boundary"] is None
    assert json.loads(ps_rows.loc["Developer", "managed_policies"]) == [
        "arn:aws:iam::aws:policy/PowerUserAccess"
    ]
    assignments = frames["account_assignments"]
    assert assignments["account_id"].tolist() == [instance["OwnerAccountId"]]
    assert set(assignments["principal_id"]) == {group} and set(assignments["principal_type"]) == {"GROUP"}
    assert frames["users"]["email"].tolist() == ["alice@example-corp.com"]
    assert frames["group_memberships"][["group_id", "user_id"]].values.tolist() == [[group, user]]


class _Http:
    status_code = 400
    headers: dict[str, str] = {}


def _no_boundary_as_aws_answers(**_kwargs: object) -> tuple[_Http, dict]:
    """AWS's answer for a permission set without a boundary (moto 5.2.5 does not implement the call)."""
    return _Http(), {"Error": {"Code": "ResourceNotFoundException", "Message": "no permissions boundary"}}
