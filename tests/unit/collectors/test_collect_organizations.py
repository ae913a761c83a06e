"""Organizations collector against moto (which implements Organizations), plus throttling that clears."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from botocore.awsrequest import AWSResponse
from conftest import fake_session
from moto import mock_aws

from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.organizations import (
    collect_organization,
    transform_delegated_admins,
    transform_ou_tree,
)
from orginsight.collectors.session import Connection, retry_config


@pytest.fixture
def org():
    """A moto organization: Root/Security/Prod and Root/Workloads, three member accounts."""
    with mock_aws():
        session = fake_session()
        client = session.client("organizations")
        client.create_organization(FeatureSet="ALL")
        root = client.list_roots()["Roots"][0]["Id"]
        security = client.create_organizational_unit(ParentId=root, Name="Security")["OrganizationalUnit"][
            "Id"
        ]
        prod = client.create_organizational_unit(ParentId=security, Name="Prod")["OrganizationalUnit"]["Id"]
        workloads = client.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"][
            "Id"
        ]
        ids = {}
        for name, parent in [("audit", prod), ("app-1", workloads), ("app-2", workloads)]:
            status = client.create_account(
                AccountName=name,
                Email=f"{name}@example.com",
                Tags=[{"Key": "owner", "Value": f"team-{name}"}],
            )["CreateAccountStatus"]
            ids[name] = status["AccountId"]
            client.move_account(AccountId=ids[name], SourceParentId=root, DestinationParentId=parent)
        for principal in ("guardduty.amazonaws.com", "macie.amazonaws.com"):
            client.enable_aws_service_access(ServicePrincipal=principal)
            client.register_delegated_administrator(AccountId=ids["audit"], ServicePrincipal=principal)
        yield session, ids


def test_accounts_ou_paths_tags_and_delegations(org) -> None:
    session, ids = org
    log = OutcomeLog()
    frames = collect_organization(Connection(session, retry_config()), log, progress=False)

    (org_row,) = frames["organization"].to_dict("records")
    assert org_row["org_id"].startswith("o-") and org_row["feature_set"] == "ALL"
    accounts = frames["accounts"].set_index("name")
    assert org_row["management_account_id"] == accounts.loc["master", "account_id"]
    assert accounts.loc["audit", "ou_path"] == "Root/Security/Prod"
    assert accounts.loc["app-1", "ou_path"] == accounts.loc["app-2", "ou_path"] == "Root/Workloads"
    assert accounts.loc["master", "ou_path"] == "Root"
    assert set(accounts["status"]) == {"ACTIVE"} and accounts["joined"].dt.tz is not None
    assert set(frames["ous"]["path"]) == {"Root", "Root/Security", "Root/Security/Prod", "Root/Workloads"}
    tags = frames["tags"]
    assert set(zip(tags["account_id"], tags["value"], strict=True)) >= {(ids["audit"], "team-audit")}
    admins = frames["delegated_admins"]
    assert set(zip(admins["account_id"], admins["service_principal"], strict=True)) == {
        (ids["audit"], "guardduty.amazonaws.com"),
        (ids["audit"], "macie.amazonaws.com"),
    }
    assert list(frames["trusted_services"]["service_principal"]) == [
        "guardduty.amazonaws.com",
        "macie.amazonaws.com",
    ]
    assert log.failures == []


def _throttle_response(request) -> AWSResponse:
    body = json.dumps({"__type": "TooManyRequestsException", "Message": "Rate exceeded"}).encode()

    class Raw(io.BytesIO):
        def stream(self, **_kw):
            yield self.read()

    return AWSResponse(request.url, 400, {"Content-Type": "application/x-amz-json-1.1"}, Raw(body))


def test_throttling_that_clears_after_retries_loses_nothing(org) -> None:
    """botocore's own retry loop: the first two ListAccounts answers are throttles, the third is moto's."""
    session, ids = org
    connection = Connection(session, retry_config(max_attempts=5, mode="standard"))  # no rate limiter: fast
    client = connection.client("organizations", "us-east-1")
    attempts = []

    def throttle_twice(request, **_kw):
        attempts.append(1)
        return _throttle_response(request) if len(attempts) <= 2 else None

    client.meta.events.register_first("before-send.organizations.ListAccounts", throttle_twice)
    log = OutcomeLog()
    frames = collect_organization(connection, log, progress=False)

    assert len(attempts) == 3
    assert len(frames["accounts"]) == 4 and log.failures == []


def test_throttling_that_outlasts_retries_is_reported_not_raised(org) -> None:
    session, _ids = org
    connection = Connection(session, retry_config(max_attempts=2, mode="standard"))
    client = connection.client("organizations", "us-east-1")
    client.meta.events.register_first(
        "before-send.organizations.ListAccounts", lambda request, **_kw: _throttle_response(request)
    )
    frames = collect_organization(connection, progress=False)

    assert frames["accounts"].empty
    assert len(frames["ous"]) == 4  # the tree is still read
    failures = frames["accounts"].attrs["failures"]
    assert [(f["operation"], f["status"], f["error_code"]) for f in failures] == [
        ("list_accounts", "throttled", "TooManyRequestsException")
    ]


def test_transform_ou_tree_builds_paths_from_parent_params() -> None:
    roots = [{"Roots": [{"Id": "r-ab12", "Name": "Root", "Arn": "arn:aws:organizations::1:root/o-x/r-ab12"}]}]
    calls = [
        {
            "params": {"ParentId": "r-ab12"},
            "response": {"OrganizationalUnits": [{"Id": "ou-1", "Name": "Sec"}]},
        },
        {
            "params": {"ParentId": "ou-1"},
            "response": {"OrganizationalUnits": [{"Id": "ou-2", "Name": "Prod"}]},
        },
    ]
    tree = transform_ou_tree(roots, calls)
    assert list(zip(tree["ou_id"], tree["path"], tree["depth"], strict=True)) == [
        ("r-ab12", "Root", 0),
        ("ou-1", "Root/Sec", 1),
        ("ou-2", "Root/Sec/Prod", 2),
    ]


def test_transform_delegated_admins_accepts_per_principal_calls() -> None:
    calls = [
        {
            "params": {"ServicePrincipal": "guardduty.amazonaws.com"},
            "response": {
                "DelegatedAdministrators": [
                    {"Id": "222222222222", "Name": "audit", "DelegationEnabledDate": "2024-01-02T00:00:00Z"}
                ]
            },
        }
    ]
    df = transform_delegated_admins(calls, [])
    assert df.to_dict("records") == [
        {
            "account_id": "222222222222",
            "name": "audit",
            "service_principal": "guardduty.amazonaws.com",
            "delegation_enabled": pd.Timestamp("2024-01-02", tz="UTC"),
        }
    ]
