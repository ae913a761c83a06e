"""The demo organization's recorded API state has the shapes boto3 returns (checked by botocore's Stubber)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from conftest import stub_replay

from orginsight.demo.org import MIN_ACCOUNTS, build_organization, organizations_responses, service_responses
from orginsight.errors import ParameterError

END = datetime(2026, 11, 27)


def _org(n: int = 9):
    return build_organization(random.Random(3), n, END - timedelta(days=10), END)


def test_organizations_responses_match_the_service_model():
    for op, entries in organizations_responses(_org()).items():
        assert entries, op
        stub_replay("organizations", "us-east-1", {op: entries})


@pytest.mark.parametrize(
    "service",
    [
        "guardduty",
        "securityhub",
        "config",
        "inspector2",
        "macie2",
        "accessanalyzer",
        "cloudtrail",
        "s3control",
    ],
)
def test_service_responses_match_the_service_model(service):
    recorded = {k: v for k, v in service_responses(_org(), END).items() if k[0] == service}
    assert recorded
    for (_, _region), ops in recorded.items():
        for op, entries in ops.items():
            stub_replay(service, "us-east-1", {op: entries})


def test_accounts_ous_and_coverage_drift():
    org = _org(12)
    listed = organizations_responses(org)["list_accounts"][0]["response"]["Accounts"]
    assert [a["Id"] for a in listed] == [a.id for a in org.accounts]
    assert len({a.id for a in org.accounts}) == 12
    roles = {a.role for a in org.accounts}
    assert {"management", "security", "log-archive", "shared-services", "prod", "nonprod", "sandbox"} <= roles
    # Every account sits under exactly one parent, and every OU under the tree.
    per_parent = organizations_responses(org)["list_accounts_for_parent"]
    assert sorted(a["Id"] for e in per_parent for a in e["response"]["Accounts"]) == sorted(
        a.id for a in org.accounts
    )
    assert org.start < org.joiner.joined < org.end - timedelta(days=2)
    assert org.joiner.joined_method == "INVITED"
    members = service_responses(org, END)[("guardduty", "us-east-1")]["list_members"][0]["response"][
        "Members"
    ]
    status = {m["AccountId"]: m["RelationshipStatus"] for m in members}
    assert status.pop(org.guardduty_disabled.id) == "Disabled"
    assert set(status.values()) == {"Enabled"}
    assert org.by_role("security").id not in {m["AccountId"] for m in members}


def test_delegated_admin_is_the_security_account():
    org = _org()
    admins = organizations_responses(org)["list_delegated_administrators"][0]["response"][
        "DelegatedAdministrators"
    ]
    assert [a["Id"] for a in admins] == [org.by_role("security").id]


def test_too_few_accounts_is_a_parameter_error():
    with pytest.raises(ParameterError, match=str(MIN_ACCOUNTS)):
        _org(MIN_ACCOUNTS - 1)


def test_a_large_organization_reuses_the_account_table_with_numbered_names():
    # The first MIN_ACCOUNTS accounts are always there; past the table's end, names come round again
    # numbered, so every name (and hence every email) stays unique.
    names = [a.name for a in _org(30).accounts]
    assert names[:MIN_ACCOUNTS] == [
        "org-management",
        "security-tooling",
        "log-archive",
        "shared-services",
        "payments-prod",
        "payments-staging",
    ]
    assert names[MIN_ACCOUNTS : MIN_ACCOUNTS + 2] == ["data-prod", "sandbox-research"]
    assert names[14:16] == ["data-prod-2", "sandbox-research-2"]
    assert names[22:24] == ["data-prod-3", "sandbox-research-3"]
    assert len(set(names)) == len(names) == 30
