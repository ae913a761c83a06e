"""Effective SCPs along each account's OU path, and guardrail coverage, on AWS's own published example SCPs
(tests/data/aws/guardrails.py names each source) attached to a made-up organization:

    Root (FullAWSAccess, DenyLeaveOrganization)     management 111.. (exempt)
      Security                                       audit 222..
      Workloads (ProtectGuardDuty, ProtectSecurityHub, ProtectAccessAnalyzer)    dev 444..
        Prod (ProtectOrgTrail)                       prod 333.. (+ DenyRootAccessKeys on the account)
      Sandbox (DenyRootExceptBucketPolicy)           sandbox 555..
"""

from __future__ import annotations

import json

import botocore.session
import pandas as pd
import pytest
from data.aws import guardrails as data

from orginsight.analytics.guardrails import (
    CONDITIONAL,
    DENIED,
    EXEMPT,
    GUARDRAILS,
    NOT_DENIED,
    Guardrail,
    action_matches,
    deny_verdict,
    effective_scps,
    guardrail_coverage,
)
from orginsight.collectors.guardrails import transform_policies, transform_policy_targets


def _calls(op: str, response) -> list[dict]:  # noqa: ANN001 - a response builder
    return [{"params": {"PolicyId": p}, "response": response(p)} for p in data.POLICIES]


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    policies = transform_policies(
        [{"params": {"Filter": "SERVICE_CONTROL_POLICY"}, "response": data.LIST_POLICIES}],
        _calls("describe_policy", data.describe_policy),
    )
    targets = transform_policy_targets(_calls("list_targets_for_policy", data.list_targets_for_policy))
    return {
        "policies": policies,
        "targets": targets,
        "accounts": pd.DataFrame(data.ACCOUNTS),
        "ous": pd.DataFrame(data.OUS),
    }


@pytest.fixture(scope="module")
def effective(tables) -> pd.DataFrame:  # noqa: ANN001 - the fixture above
    return effective_scps(
        tables["policies"],
        tables["targets"],
        tables["accounts"],
        tables["ous"],
        management_account_id=data.MANAGEMENT,
    )


@pytest.fixture(scope="module")
def coverage(effective, tables) -> pd.DataFrame:  # noqa: ANN001 - the fixtures above
    return guardrail_coverage(effective, tables["policies"]).set_index(["account_name", "guardrail"])


# ----------------------------------------------------------------------------- effective SCPs


def test_policies_inherit_from_the_root_down_the_ou_path_to_the_account(effective) -> None:  # noqa: ANN001
    prod = effective[effective["account_id"] == data.PROD]
    assert list(zip(prod["depth"], prod["attached_name"], prod["policy_name"], strict=True)) == [
        (0, "Root", "DenyLeaveOrganization"),
        (0, "Root", "FullAWSAccess"),
        (1, "Workloads", "FullAWSAccess"),
        (1, "Workloads", "ProtectAccessAnalyzer"),
        (1, "Workloads", "ProtectGuardDuty"),
        (1, "Workloads", "ProtectSecurityHub"),
        (2, "Prod", "FullAWSAccess"),
        (2, "Prod", "ProtectOrgTrail"),
        (3, "prod", "DenyRootAccessKeys"),
        (3, "prod", "FullAWSAccess"),
    ]
    assert set(prod["attached_type"]) == {"ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"}
    assert prod["applies"].all() and set(prod["ou_path"]) == {"Root/Workloads/Prod"}


def test_an_account_sees_none_of_its_sibling_ous_policies(effective) -> None:  # noqa: ANN001
    audit = effective[effective["account_id"] == data.AUDIT]
    assert set(audit["policy_name"]) == {"FullAWSAccess", "DenyLeaveOrganization"}
    assert (audit["aws_managed"] == (audit["policy_name"] == "FullAWSAccess")).all()


def test_the_management_account_is_marked_as_not_restricted(effective) -> None:  # noqa: ANN001
    management = effective[effective["account_id"] == data.MANAGEMENT]
    assert set(management["attached_to"]) == {data.ROOT, data.MANAGEMENT} and not management["applies"].any()


def test_resource_control_policies_are_left_out_of_the_scps(tables) -> None:  # noqa: ANN001
    rcp = pd.DataFrame(
        [
            {
                "policy_id": "p-RCPFullAWSAccess",
                "policy_type": "RESOURCE_CONTROL_POLICY",
                "name": "RCPFullAWSAccess",
            }
        ]
    )
    targets = pd.DataFrame(
        [{"policy_id": "p-RCPFullAWSAccess", "target_id": data.ROOT, "target_type": "ROOT"}]
    )
    policies = pd.concat([tables["policies"], rcp], ignore_index=True)
    both = pd.concat([tables["targets"], targets], ignore_index=True)
    scps = effective_scps(policies, both, tables["accounts"], tables["ous"])
    rcps = effective_scps(
        policies, both, tables["accounts"], tables["ous"], policy_type="RESOURCE_CONTROL_POLICY"
    )
    assert "RCPFullAWSAccess" not in set(scps["policy_name"])
    assert set(rcps["policy_name"]) == {"RCPFullAWSAccess"} and len(rcps) == len(data.ACCOUNTS)


# ----------------------------------------------------------------------------- guardrail coverage


def test_a_deny_attached_at_the_root_protects_every_account(coverage) -> None:  # noqa: ANN001
    leave = coverage.xs("leave-organization", level="guardrail")
    assert dict(leave["status"]) == {
        "management": EXEMPT,
        "audit": DENIED,
        "prod": DENIED,
        "dev": DENIED,
        "sandbox": DENIED,
    }
    assert leave.loc["dev", "statements"] == "DenyLeaveOrganization#0"


def test_an_account_in_an_ou_without_the_guardrail_is_not_protected(coverage) -> None:  # noqa: ANN001
    assert coverage.loc[("dev", "guardduty-detector"), "status"] == DENIED
    assert coverage.loc[("prod", "guardduty-detector"), "policies"] == "ProtectGuardDuty"  # inherited
    audit = coverage.loc[("audit", "guardduty-detector")]
    assert audit["status"] == NOT_DENIED and audit["policies"] is None
    assert audit["missing_actions"] == "guardduty:DeleteDetector, guardduty:UpdateDetector"


def test_the_aws_guardduty_example_leaves_the_new_disassociate_action_open(coverage) -> None:  # noqa: ANN001
    """AWS's documented GuardDuty SCP denies DisassociateFromMasterAccount but not its 2021 successor."""
    row = coverage.loc[("dev", "guardduty-administrator")]
    assert row["status"] == NOT_DENIED
    assert row["missing_actions"] == "guardduty:DisassociateFromAdministratorAccount"
    assert row["policies"] == "ProtectGuardDuty"  # it does deny the old name


def test_a_deny_with_an_exception_for_a_role_is_conditional(coverage) -> None:  # noqa: ANN001
    row = coverage.loc[("dev", "securityhub")]
    assert row["status"] == CONDITIONAL and row["policies"] == "ProtectSecurityHub"
    assert "ArnNotLike" in row["detail"] and "[PRIVILEGED_ROLE]" in row["detail"]


def test_a_deny_on_one_named_trail_is_conditional_and_says_so(coverage) -> None:  # noqa: ANN001
    row = coverage.loc[("prod", "cloudtrail-logging")]
    assert row["status"] == CONDITIONAL and row["missing_actions"] is None
    assert "only resources" in row["detail"] and "trail/[CLOUDTRAIL_NAME]" in row["detail"]
    assert (
        coverage.loc[("dev", "cloudtrail-logging"), "status"] == NOT_DENIED
    )  # Prod's policy, not Workloads'


def test_not_action_denies_everything_else_to_the_root_user(coverage) -> None:  # noqa: ANN001
    """Sandbox's SCP denies the root user every action but three S3 bucket-policy ones: the root access key
    guardrail holds (its condition names exactly the guardrail's principal), while for everyone else it is
    only a condition."""
    assert coverage.loc[("sandbox", "root-access-keys"), "status"] == DENIED
    assert coverage.loc[("sandbox", "root-access-keys"), "statements"] == "DenyRootExceptBucketPolicy#0"
    assert coverage.loc[("sandbox", "cloudtrail-logging"), "status"] == CONDITIONAL
    assert coverage.loc[("prod", "root-access-keys"), "status"] == DENIED  # the account-level Resource: root
    assert coverage.loc[("dev", "root-access-keys"), "status"] == NOT_DENIED


def test_the_aws_managed_full_access_policy_denies_nothing(tables) -> None:  # noqa: ANN001
    """Only FullAWSAccess attached (the state of a new organization): nothing is protected."""
    targets = tables["targets"][tables["targets"]["policy_id"] == "p-FullAWSAccess"]
    effective = effective_scps(tables["policies"], targets, tables["accounts"], tables["ous"])
    coverage = guardrail_coverage(effective, tables["policies"])
    assert len(coverage) == len(data.ACCOUNTS) * len(GUARDRAILS)
    assert set(coverage["status"]) == {NOT_DENIED}


def test_a_policy_whose_content_was_not_read_protects_nothing(effective, tables) -> None:  # noqa: ANN001
    policies = tables["policies"].copy()
    policies.loc[policies["name"] == "DenyLeaveOrganization", "content"] = None
    coverage = guardrail_coverage(effective, policies).set_index(["account_name", "guardrail"])
    assert coverage.loc[("audit", "leave-organization"), "status"] == NOT_DENIED
    policies.loc[policies["name"] == "DenyLeaveOrganization", "content"] = '{"Statement": [{"Effect": "Deny"'
    coverage = guardrail_coverage(effective, policies).set_index(["account_name", "guardrail"])
    assert (
        coverage.loc[("audit", "leave-organization"), "status"] == NOT_DENIED
    )  # not JSON: loses only itself
    assert coverage.loc[("dev", "guardduty-detector"), "status"] == DENIED


# ----------------------------------------------------------------------------- IAM matching


@pytest.mark.parametrize(
    ("pattern", "action", "matches"),
    [
        ("*", "cloudtrail:StopLogging", True),
        ("cloudtrail:*", "cloudtrail:StopLogging", True),
        ("CloudTrail:stop*", "cloudtrail:StopLogging", True),  # case-insensitive, service and action
        ("cloudtrail:Stop????ing", "cloudtrail:StopLogging", True),
        ("cloudtrail:Stop???ing", "cloudtrail:StopLogging", False),
        ("cloudtrail:Delete*", "cloudtrail:StopLogging", False),
        ("guardduty:Disassociate*", "guardduty:DisassociateFromAdministratorAccount", True),
        ("cloudtrail.StopLogging", "cloudtrail:StopLogging", False),  # a dot is literal, not any character
    ],
)
def test_action_matching_follows_iam(pattern: str, action: str, matches: bool) -> None:
    assert action_matches(pattern, action) is matches


def test_wildcards_and_not_action_in_one_policy() -> None:
    """Made up for the test (no published SCP mixes these): a wildcard Deny and a NotAction Deny."""
    content = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "NoTrailTampering", "Effect": "Deny", "Action": "CLOUDTRAIL:Stop*", "Resource": "*"},
            {
                "Sid": "OnlyReads",
                "Effect": "Deny",
                "NotAction": ["*:Get*", "*:List*", "*:Describe*"],
                "Resource": "*",
            },
            {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
        ],
    }
    policies = pd.DataFrame(
        [
            {
                "policy_id": "p-1",
                "policy_type": "SERVICE_CONTROL_POLICY",
                "name": "P",
                "content": json.dumps(content),
            }
        ]
    )
    effective = pd.DataFrame(
        [
            {
                "account_id": "1",
                "account_name": "a",
                "ou_path": "Root",
                "policy_id": "p-1",
                "policy_name": "P",
                "applies": True,
            }
        ]
    )
    guardrails = (
        Guardrail("stop", ("cloudtrail:StopLogging",), "why"),
        Guardrail("read", ("cloudtrail:GetTrail",), "why"),
    )
    rows = guardrail_coverage(effective, policies, guardrails).set_index("guardrail")
    assert rows.loc["stop", "status"] == DENIED and rows.loc["stop", "statements"] == "P#NoTrailTampering"
    assert rows.loc["read", "status"] == NOT_DENIED  # NotAction exempts it, and Allow never denies


def test_a_principal_condition_for_another_principal_stays_conditional() -> None:
    root_keys = next(g for g in GUARDRAILS if g.name == "root-access-keys")
    for_root = {
        "Effect": "Deny",
        "Action": "*",
        "Resource": "*",
        "Condition": {"StringLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
    }
    for_role = {**for_root, "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/Admin"}}}
    assert deny_verdict(for_root, "iam:CreateAccessKey", root_keys) == (DENIED, "")
    assert deny_verdict(for_role, "iam:CreateAccessKey", root_keys)[0] == CONDITIONAL
    assert (
        deny_verdict({**for_root, "NotResource": "arn:aws:iam::*:user/*"}, "iam:CreateAccessKey", root_keys)[
            0
        ]
        == CONDITIONAL
    )
    assert deny_verdict({**for_root, "Effect": "Allow"}, "iam:CreateAccessKey", root_keys) is None


def test_every_default_guardrail_names_iam_actions_and_says_why() -> None:
    names = [g.name for g in GUARDRAILS]
    assert len(set(names)) == len(names)
    for g in GUARDRAILS:
        assert g.actions and all(":" in a and "*" not in a for a in g.actions) and len(g.why) > 40, g


def test_every_default_guardrail_action_is_an_api_of_its_service() -> None:
    """Each action is an operation in botocore's model of the service whose signing name is its prefix
    (``access-analyzer`` is boto3's ``accessanalyzer``), so a typo cannot pass for a guardrail."""
    session = botocore.session.get_session()
    services = {"access-analyzer": "accessanalyzer"}
    for action in {a for g in GUARDRAILS for a in g.actions}:
        prefix, name = action.split(":")
        model = session.get_service_model(services.get(prefix, prefix))
        assert model.signing_name == prefix and name in model.operation_names, action
