"""IAM Access Analyzer API test data named after the calls, shaped exactly like boto3 responses.

Real records: the trimmed copies in tests/data/real/accessanalyzer (cloud-custodian's placebo
ListFindings/ListAnalyzers recordings and aws-cli's documented examples, both Apache-2.0, SOURCE.md
there), or every file of ../shared/data/accessanalyzer when a test asks for them. Placebo files wrap
the response as ``{"status_code", "data"}`` with datetimes as ``{"__class__": "datetime", ...}``:
``load_response`` unwraps and decodes them, and drops ``ResponseMetadata`` and null values (aws-cli's
``"error": null``), which botocore's Stubber would refuse.

NOT real: no public unused-access finding exists (2026-12), so ``LIST_FINDINGS_V2_UNUSED`` and
``GET_FINDING_V2_UNUSED`` are built by hand from botocore's service model (``FindingSummaryV2``,
``FindingDetails``: ``unusedIamRoleDetails``, ``unusedIamUserAccessKeyDetails``,
``unusedIamUserPasswordDetails``, ``unusedPermissionDetails``); Stubber checks them against it.
``LIST_ARCHIVE_RULES`` is built the same way (no public sample either).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "real" / "accessanalyzer"
"""The trimmed real responses, in the repository (the full sets: conftest.SHARED_DATA / "accessanalyzer")."""


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            fields = ("year", "month", "day", "hour", "minute", "second", "microsecond")
            return datetime(*(value[k] for k in fields), tzinfo=UTC)
        return {k: _decode(v) for k, v in value.items() if k != "ResponseMetadata" and v is not None}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def load_response(path: Path) -> dict[str, Any]:
    """A boto3-shaped response from a placebo file (``{"status_code", "data"}``) or an aws-cli example."""
    raw = json.loads(path.read_text())
    return _decode(raw["data"] if "status_code" in raw and "data" in raw else raw)


def real(name: str) -> dict[str, Any]:
    """One trimmed real response by file name below tests/data/real/accessanalyzer."""
    return load_response(next(REAL.glob(f"*/{name}")))


LIST_ANALYZERS = real("accessanalyzer_list-analyzers.1.json")
"""aws-cli's example: ORGANIZATION_UNUSED_ACCESS, ORGANIZATION and ACCOUNT analyzers in us-west-2."""
UNUSED_ARN, ORG_ARN, ACCOUNT_ARN = (a["arn"] for a in LIST_ANALYZERS["analyzers"])
UNUSED_NAME, ORG_NAME, ACCOUNT_NAME = (a["name"] for a in LIST_ANALYZERS["analyzers"])

LIST_FINDINGS_ROLES = real("test_access_analyzer_finding__access-analyzer.ListFindings_1.json")
"""Custodian: 4 real IAM role findings (2 RESOLVED, 2 ACTIVE, one public), v1 shape."""
LIST_FINDINGS_SQS = real("test_sqs_analyzer_finding__access-analyzer.ListFindings_1.json")
"""Custodian: 1 real public SQS queue finding (principal ``{"AWS": "*"}``), v1 shape."""
LIST_ANALYZERS_CUSTODIAN = real(
    "test_access_analyzer_finding_org_analyzer__access-analyzer.ListAnalyzers_1.json"
)

LIST_FINDINGS_V2_EXTERNAL = real("accessanalyzer_list-findings-v2.1.json")
GET_FINDING_V2_EXTERNAL = real("accessanalyzer_get-finding-v2.1.json")
"""aws-cli's example: a Cognito-federated role, ``findingDetails[].externalAccessDetails``."""

OWNER = "111122223333"

LIST_FINDINGS_V2_UNUSED = {
    "findings": [
        {
            "id": "f1a2b3c4-0000-4000-8000-000000000001",
            "findingType": "UnusedIAMRole",
            "resource": f"arn:aws:iam::{OWNER}:role/legacy-deployer",
            "resourceType": "AWS::IAM::Role",
            "resourceOwnerAccount": OWNER,
            "status": "ACTIVE",
            "createdAt": "2024-02-20T10:00:00+00:00",
            "analyzedAt": "2024-06-01T10:00:00+00:00",
            "updatedAt": "2024-02-20T10:00:00+00:00",
        },
        {
            "id": "f1a2b3c4-0000-4000-8000-000000000002",
            "findingType": "UnusedIAMUserAccessKey",
            "resource": f"arn:aws:iam::{OWNER}:user/ci-bot",
            "resourceType": "AWS::IAM::User",
            "resourceOwnerAccount": OWNER,
            "status": "ACTIVE",
            "createdAt": "2024-02-20T10:00:00+00:00",
            "analyzedAt": "2024-06-01T10:00:00+00:00",
            "updatedAt": "2024-03-01T10:00:00+00:00",
        },
        {
            "id": "f1a2b3c4-0000-4000-8000-000000000003",
            "findingType": "UnusedIAMUserPassword",
            "resource": f"arn:aws:iam::{OWNER}:user/alice",
            "resourceType": "AWS::IAM::User",
            "resourceOwnerAccount": OWNER,
            "status": "RESOLVED",
            "createdAt": "2024-02-20T10:00:00+00:00",
            "analyzedAt": "2024-06-01T10:00:00+00:00",
            "updatedAt": "2024-05-01T10:00:00+00:00",
        },
        {
            "id": "f1a2b3c4-0000-4000-8000-000000000004",
            "findingType": "UnusedPermission",
            "resource": f"arn:aws:iam::{OWNER}:role/app-server",
            "resourceType": "AWS::IAM::Role",
            "resourceOwnerAccount": OWNER,
            "status": "ACTIVE",
            "createdAt": "2024-02-20T10:00:00+00:00",
            "analyzedAt": "2024-06-01T10:00:00+00:00",
            "updatedAt": "2024-04-01T10:00:00+00:00",
        },
    ]
}
"""BUILT from botocore's ``FindingSummaryV2`` (no real unused-access finding is public)."""

_DETAILS = {
    "f1a2b3c4-0000-4000-8000-000000000001": [
        {"unusedIamRoleDetails": {"lastAccessed": "2023-11-02T08:00:00+00:00"}}
    ],
    "f1a2b3c4-0000-4000-8000-000000000002": [
        {
            "unusedIamUserAccessKeyDetails": {
                "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
                "lastAccessed": "2023-12-24T23:00:00+00:00",
            }
        }
    ],
    "f1a2b3c4-0000-4000-8000-000000000004": [
        {
            "unusedPermissionDetails": {
                "serviceNamespace": "s3",
                "lastAccessed": "2024-01-05T00:00:00+00:00",
                "actions": [
                    {"action": "s3:DeleteBucket", "lastAccessed": "2023-10-01T00:00:00+00:00"},
                    {"action": "s3:PutBucketPolicy"},
                ],
            }
        },
        {"unusedPermissionDetails": {"serviceNamespace": "dynamodb"}},
    ],
}


def get_finding_v2_unused(finding_id: str) -> dict[str, Any]:
    """BUILT GetFindingV2 response of one unused-access finding: its summary plus ``findingDetails``."""
    summary = next(f for f in LIST_FINDINGS_V2_UNUSED["findings"] if f["id"] == finding_id)
    return {**copy.deepcopy(summary), "findingDetails": copy.deepcopy(_DETAILS.get(finding_id, []))}


LIST_ARCHIVE_RULES = {
    "archiveRules": [
        {
            "ruleName": "trusted-auditor-account",
            "filter": {"principal.AWS": {"eq": ["999988887777"]}, "resourceType": {"eq": ["AWS::IAM::Role"]}},
            "createdAt": "2023-05-01T12:00:00+00:00",
            "updatedAt": "2024-01-10T12:00:00+00:00",
        }
    ]
}
"""BUILT from botocore's ``ArchiveRuleSummary`` (aws-cli documents none with output)."""


def pages(findings: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """``findings`` cut into ListFindings pages of ``size``, each but the last with a ``nextToken``."""
    out = []
    for start in range(0, len(findings), size):
        page: dict[str, Any] = {"findings": findings[start : start + size]}
        if start + size < len(findings):
            page["nextToken"] = f"token-{start + size}"
        out.append(page)
    return out or [{"findings": []}]
