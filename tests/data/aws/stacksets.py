"""CloudFormation StackSets test data named after the calls, shaped exactly like boto3 responses.

NOT real: no recorded StackSets response is public (../shared/data has none, 2026-12, and aws-cli documents
no output for ListStackInstances, DescribeStackSet or ListStackSetOperations), so these are built by hand
from botocore's service model (``StackSetSummary``, ``StackSet``, ``StackInstanceSummary``,
``StackSetOperationSummary``); every test feeds them through botocore's Stubber, which checks them
against it. (moto 5.2's stack sets ignore ``CallAs``, the status filter, drift and pagination, and its
CloudFormation backend needs packages the dev install does not carry.)

The organization: management 111111111111, audit 222222222222 (Security OU), prod 333333333333 and dev
444444444444 (Workloads OU). The baseline ``org-baseline`` is service-managed on both OUs in us-east-1 and
eu-west-1; it drifted in prod/us-east-1, is OUTDATED (a failed update) in dev/eu-west-1 and has no
instance in audit/eu-west-1.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

MANAGEMENT, AUDIT, PROD, DEV = "111111111111", "222222222222", "333333333333", "444444444444"
SECURITY_OU, WORKLOADS_OU = "ou-ab12-security", "ou-ab12-workload"
BASELINE, RULES = "org-baseline", "config-rules"
CHECKED = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def _stack_set_id(name: str) -> str:
    return f"{name}:1b2c3d4e-5f60-4a7b-8c9d-0e1f2a3b4c5d"


LIST_STACK_SETS = {
    "Summaries": [
        {
            "StackSetName": BASELINE,
            "StackSetId": _stack_set_id(BASELINE),
            "Description": "Organization security baseline",
            "Status": "ACTIVE",
            "AutoDeployment": {"Enabled": True, "RetainStacksOnAccountRemoval": False},
            "PermissionModel": "SERVICE_MANAGED",
            "DriftStatus": "DRIFTED",
            "LastDriftCheckTimestamp": CHECKED,
            "ManagedExecution": {"Active": True},
        },
        {
            "StackSetName": RULES,
            "StackSetId": _stack_set_id(RULES),
            "Status": "ACTIVE",
            "PermissionModel": "SELF_MANAGED",
            "DriftStatus": "NOT_CHECKED",
        },
    ]
}


def describe_stack_set(name: str) -> dict[str, Any]:
    """DescribeStackSet: the baseline with its drift detection details; ``config-rules`` never checked."""
    summary = next(s for s in LIST_STACK_SETS["Summaries"] if s["StackSetName"] == name)
    stack_set: dict[str, Any] = {
        "StackSetName": name,
        "StackSetId": summary["StackSetId"],
        "Status": "ACTIVE",
        "TemplateBody": '{"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}',
        "Parameters": [],
        "Capabilities": ["CAPABILITY_NAMED_IAM"],
        "StackSetARN": f"arn:aws:cloudformation:us-east-1:{MANAGEMENT}:stackset/{summary['StackSetId']}",
        "PermissionModel": summary["PermissionModel"],
        "Regions": ["eu-west-1", "us-east-1"],
    }
    if name == BASELINE:
        stack_set |= {
            "Description": summary["Description"],
            "AutoDeployment": summary["AutoDeployment"],
            "OrganizationalUnitIds": [WORKLOADS_OU, SECURITY_OU],
            "ManagedExecution": {"Active": True},
            "StackSetDriftDetectionDetails": {
                "DriftStatus": "DRIFTED",
                "DriftDetectionStatus": "COMPLETED",
                "LastDriftCheckTimestamp": CHECKED,
                "TotalStackInstancesCount": 5,
                "DriftedStackInstancesCount": 1,
                "InSyncStackInstancesCount": 4,
                "InProgressStackInstancesCount": 0,
                "FailedStackInstancesCount": 0,
            },
        }
    else:
        stack_set |= {
            "AdministrationRoleARN": f"arn:aws:iam::{MANAGEMENT}:role/AWSCloudFormationStackSetAdministrationRole",
            "ExecutionRoleName": "AWSCloudFormationStackSetExecutionRole",
            "StackSetDriftDetectionDetails": {"DriftStatus": "NOT_CHECKED"},
        }
    return {"StackSet": stack_set}


def instance(
    account: str,
    region: str,
    ou: str,
    status: str = "CURRENT",
    detailed: str = "SUCCEEDED",
    drift: str = "IN_SYNC",
) -> dict[str, Any]:
    """One StackInstanceSummary of the baseline."""
    found = {
        "StackSetId": _stack_set_id(BASELINE),
        "Region": region,
        "Account": account,
        "StackId": f"arn:aws:cloudformation:{region}:{account}:stack/StackSet-{BASELINE}-{account}/0a1b2c3d",
        "Status": status,
        "StackInstanceStatus": {"DetailedStatus": detailed},
        "OrganizationalUnitId": ou,
        "DriftStatus": drift,
        "LastDriftCheckTimestamp": CHECKED,
        "LastOperationId": "op-update-1",
    }
    if status != "CURRENT":
        found["StatusReason"] = (
            "Account 444444444444 should have 'AWSCloudFormationStackSetExecutionRole' role"
        )
    return found


LIST_STACK_INSTANCES_1 = {  # the baseline's first page
    "Summaries": [
        instance(AUDIT, "us-east-1", SECURITY_OU),
        instance(PROD, "us-east-1", WORKLOADS_OU, drift="DRIFTED"),
        instance(PROD, "eu-west-1", WORKLOADS_OU),
    ],
    "NextToken": "instances-page-2",
}
LIST_STACK_INSTANCES_2 = {
    "Summaries": [
        instance(DEV, "us-east-1", WORKLOADS_OU),
        instance(DEV, "eu-west-1", WORKLOADS_OU, status="OUTDATED", detailed="FAILED", drift="NOT_CHECKED"),
    ]
}

LIST_STACK_SET_OPERATIONS = {
    "Summaries": [
        {
            "OperationId": "op-create-1",
            "Action": "CREATE",
            "Status": "SUCCEEDED",
            "CreationTimestamp": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
            "EndTimestamp": datetime(2026, 1, 5, 9, 20, tzinfo=UTC),
        },
        {
            "OperationId": "op-update-1",
            "Action": "UPDATE",
            "Status": "FAILED",
            "CreationTimestamp": datetime(2026, 11, 2, 14, 0, tzinfo=UTC),
            "EndTimestamp": datetime(2026, 11, 2, 14, 30, tzinfo=UTC),
            "StatusReason": "The Operation op-update-1 has failed: 1 stack instance failed.",
            "StatusDetails": {"FailedStackInstancesCount": 1},
        },
        {
            "OperationId": "op-drift-1",
            "Action": "DETECT_DRIFT",
            "Status": "SUCCEEDED",
            "CreationTimestamp": datetime(2026, 11, 20, 5, 50, tzinfo=UTC),
            "EndTimestamp": CHECKED,
        },
    ]
}
