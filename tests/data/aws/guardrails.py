"""Organizations policy test data named after the calls, shaped exactly like boto3 responses.

No real SCP is in ../shared/data (2026-12: grep finds none), so the policy documents are AWS's own
published examples, copied unchanged (only re-indented), each with its source:

- AWS Organizations User Guide, "Example SCPs for Amazon GuardDuty" (2024): ``GUARDDUTY_DOCS``;
  "General examples", "Prevent member accounts from leaving the organization": ``DENY_LEAVE_ORGANIZATION``.
- aws-samples/service-control-policy-examples (MIT-0; paths below): ``SECURITYHUB_SAMPLE``,
  ``ACCESS_ANALYZER_SAMPLE``, ``CLOUDTRAIL_SPECIFIC_TRAIL_SAMPLE``, ``ROOT_EXCEPT_BUCKET_POLICY_SAMPLE``,
  ``ROOT_ACCESS_KEYS_SAMPLE``; placeholders such as ``[PRIVILEGED_ROLE]`` and ``${Account}`` are theirs.
- ``FULL_AWS_ACCESS``: the AWS-managed policy's content as DescribePolicy returns it (aws-cli's
  organizations/describe-policy example shows the same document).

The response shapes (``list_policies``, ``describe_policy``, ``list_targets_for_policy``) follow aws-cli's
organizations examples (list-policies, describe-policy, list-targets-for-policy); Stubber checks them
against botocore's model. The organization they describe is made up (ids below).
"""

from __future__ import annotations

import json
from typing import Any

FULL_AWS_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}

DENY_LEAVE_ORGANIZATION = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": ["organizations:LeaveOrganization"], "Resource": "*"}],
}

GUARDDUTY_DOCS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": [
                "guardduty:AcceptInvitation",
                "guardduty:ArchiveFindings",
                "guardduty:CreateDetector",
                "guardduty:CreateFilter",
                "guardduty:CreateIPSet",
                "guardduty:CreateMembers",
                "guardduty:CreatePublishingDestination",
                "guardduty:CreateSampleFindings",
                "guardduty:CreateThreatIntelSet",
                "guardduty:DeclineInvitations",
                "guardduty:DeleteDetector",
                "guardduty:DeleteFilter",
                "guardduty:DeleteInvitations",
                "guardduty:DeleteIPSet",
                "guardduty:DeleteMembers",
                "guardduty:DeletePublishingDestination",
                "guardduty:DeleteThreatIntelSet",
                "guardduty:DisassociateFromMasterAccount",
                "guardduty:DisassociateMembers",
                "guardduty:InviteMembers",
                "guardduty:StartMonitoringMembers",
                "guardduty:StopMonitoringMembers",
                "guardduty:TagResource",
                "guardduty:UnarchiveFindings",
                "guardduty:UntagResource",
                "guardduty:UpdateDetector",
                "guardduty:UpdateFilter",
                "guardduty:UpdateFindingsFeedback",
                "guardduty:UpdateIPSet",
                "guardduty:UpdatePublishingDestination",
                "guardduty:UpdateThreatIntelSet",
            ],
            "Resource": "*",
        }
    ],
}

SECURITYHUB_SAMPLE = {  # Deny-changes-to-security-services/Deny-deletion-or-disassociation-or-updation-to-AWS-SecurityHub.json
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": [
                "securityhub:DeleteInvitations",
                "securityhub:BatchDisableStandards",
                "securityhub:DeleteInvitations",
                "securityhub:DeleteActionTarget",
                "securityhub:DeleteInsight",
                "securityhub:DeleteInvitations",
                "securityhub:TagResource",
                "securityhub:UntagResource",
                "securityhub:UpdateStandardsControl",
                "securityhub:UpdateSecurityHubConfiguration",
                "securityhub:UpdateFindingAggregator",
                "securityhub:UpdateOrganizationConfiguration",
                "securityhub:DisableSecurityHub",
                "securityhub:DisassociateFromMasterAccount",
                "securityhub:DeleteMembers",
                "securityhub:DisassociateMembers",
                "securityhub:DisableImportFindingsForProduct",
            ],
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::${Account}:role/[PRIVILEGED_ROLE]"}
            },
        }
    ],
}

ACCESS_ANALYZER_SAMPLE = {  # Deny-changes-to-security-services/Deny-deletion-of-AWS-Access-Analyzer-and-findings-in-an-account.json
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": [
                "access-analyzer:ApplyArchiveRule",
                "access-analyzer:CreateArchiveRule",
                "access-analyzer:DeleteAnalyzer",
                "access-analyzer:DeleteArchiveRule",
                "access-analyzer:UpdateArchiveRule",
                "access-analyzer:UpdateFindings",
            ],
            "Resource": "*",
        }
    ],
}

CLOUDTRAIL_SPECIFIC_TRAIL_SAMPLE = {  # Deny-changes-to-security-services/Deny-modifications-to-specific-CloudTrail-trails.json
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": [
                "cloudtrail:DeleteTrail",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:StopLogging",
                "cloudtrail:UpdateTrail",
                "cloudtrail:CreateTrail",
            ],
            "Resource": "arn:aws:cloudtrail:${Region}:${Account}:trail/[CLOUDTRAIL_NAME]",
            "Condition": {
                "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::${Account}:role/[PRIVILEGED_ROLE]"}
            },
        }
    ],
}

ROOT_EXCEPT_BUCKET_POLICY_SAMPLE = {  # Privileged-access-controls/Deny-the-root-user-from-performing-actions-except-S3-bucketpolicy-changes.json
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": ["s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"],
            "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}},
        }
    ],
}

ROOT_ACCESS_KEYS_SAMPLE = {  # Privileged-access-controls/Deny-creation-of-access-keys-for-the-root-user.json
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "iam:CreateAccessKey", "Resource": "arn:aws:iam::*:root"}],
}

# ----------------------------------------------------------------------------- the made-up organization

ORG = "o-exampleorgid"
MANAGEMENT = "111111111111"
ROOT = "r-ab12"
SECURITY_OU, WORKLOADS_OU, PROD_OU, SANDBOX_OU = (
    "ou-ab12-security",
    "ou-ab12-workload",
    "ou-ab12-prod",
    "ou-ab12-sandbox",
)
AUDIT, PROD, DEV, SANDBOX = "222222222222", "333333333333", "444444444444", "555555555555"

OUS = [  # the org collector's ``ous`` rows
    {"ou_id": ROOT, "name": "Root", "parent_id": None, "path": "Root", "depth": 0},
    {"ou_id": SECURITY_OU, "name": "Security", "parent_id": ROOT, "path": "Root/Security", "depth": 1},
    {"ou_id": WORKLOADS_OU, "name": "Workloads", "parent_id": ROOT, "path": "Root/Workloads", "depth": 1},
    {"ou_id": PROD_OU, "name": "Prod", "parent_id": WORKLOADS_OU, "path": "Root/Workloads/Prod", "depth": 2},
    {"ou_id": SANDBOX_OU, "name": "Sandbox", "parent_id": ROOT, "path": "Root/Sandbox", "depth": 1},
]
ACCOUNTS = [  # the org collector's ``accounts`` rows (the columns these functions read)
    {"account_id": MANAGEMENT, "name": "management", "status": "ACTIVE", "ou_id": ROOT, "ou_path": "Root"},
    {
        "account_id": AUDIT,
        "name": "audit",
        "status": "ACTIVE",
        "ou_id": SECURITY_OU,
        "ou_path": "Root/Security",
    },
    {
        "account_id": PROD,
        "name": "prod",
        "status": "ACTIVE",
        "ou_id": PROD_OU,
        "ou_path": "Root/Workloads/Prod",
    },
    {
        "account_id": DEV,
        "name": "dev",
        "status": "ACTIVE",
        "ou_id": WORKLOADS_OU,
        "ou_path": "Root/Workloads",
    },
    {
        "account_id": SANDBOX,
        "name": "sandbox",
        "status": "ACTIVE",
        "ou_id": SANDBOX_OU,
        "ou_path": "Root/Sandbox",
    },
]
NAMES = {
    ROOT: "Root",
    SECURITY_OU: "Security",
    WORKLOADS_OU: "Workloads",
    PROD_OU: "Prod",
    SANDBOX_OU: "Sandbox",
}
NAMES |= {a["account_id"]: a["name"] for a in ACCOUNTS}

POLICIES: dict[str, tuple[str, dict[str, Any], list[str]]] = {
    # id: (name, document, targets)  -- FullAWSAccess stays attached everywhere, as AWS attaches it
    "p-FullAWSAccess": ("FullAWSAccess", FULL_AWS_ACCESS, list(NAMES)),
    "p-leaveorg1": ("DenyLeaveOrganization", DENY_LEAVE_ORGANIZATION, [ROOT]),
    "p-guardduty1": ("ProtectGuardDuty", GUARDDUTY_DOCS, [WORKLOADS_OU]),
    "p-sechub0001": ("ProtectSecurityHub", SECURITYHUB_SAMPLE, [WORKLOADS_OU]),
    "p-analyzer01": ("ProtectAccessAnalyzer", ACCESS_ANALYZER_SAMPLE, [WORKLOADS_OU]),
    "p-trail00001": ("ProtectOrgTrail", CLOUDTRAIL_SPECIFIC_TRAIL_SAMPLE, [PROD_OU]),
    "p-rootonly01": ("DenyRootExceptBucketPolicy", ROOT_EXCEPT_BUCKET_POLICY_SAMPLE, [SANDBOX_OU]),
    "p-rootkeys01": ("DenyRootAccessKeys", ROOT_ACCESS_KEYS_SAMPLE, [PROD]),
}


ARN_KIND = {"ROOT": "root", "ORGANIZATIONAL_UNIT": "ou", "ACCOUNT": "account"}


def _type_of(target_id: str) -> str:
    return (
        "ROOT"
        if target_id.startswith("r-")
        else "ORGANIZATIONAL_UNIT"
        if target_id.startswith("ou-")
        else "ACCOUNT"
    )


def summary(policy_id: str) -> dict[str, Any]:
    """A PolicySummary, as ListPolicies and DescribePolicy return it."""
    managed = policy_id == "p-FullAWSAccess"
    owner = "aws" if managed else MANAGEMENT
    return {
        "Id": policy_id,
        "Arn": f"arn:aws:organizations::{owner}:policy/service_control_policy/{policy_id}",
        "Name": POLICIES[policy_id][0],
        "Description": "Allows access to every operation"
        if managed
        else f"{POLICIES[policy_id][0]} guardrail",
        "Type": "SERVICE_CONTROL_POLICY",
        "AwsManaged": managed,
    }


LIST_POLICIES = {"Policies": [summary(p) for p in POLICIES]}


def describe_policy(policy_id: str) -> dict[str, Any]:
    return {
        "Policy": {
            "PolicySummary": summary(policy_id),
            "Content": json.dumps(POLICIES[policy_id][1], indent=2),
        }
    }


def list_targets_for_policy(policy_id: str) -> dict[str, Any]:
    return {
        "Targets": [
            {
                "TargetId": t,
                "Arn": f"arn:aws:organizations::{MANAGEMENT}:{ARN_KIND[_type_of(t)]}/{ORG}/{t}",
                "Name": NAMES[t],
                "Type": _type_of(t),
            }
            for t in POLICIES[policy_id][2]
        ]
    }
