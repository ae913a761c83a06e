"""GuardDuty API test data named after the calls, shaped exactly like boto3 responses.

Findings are REAL public records: the trimmed copies in tests/data/real/guardduty
(foxsec-pipeline's EventBridge samples, MPL-2.0; panther-analysis, Apache-2.0;
cloud-custodian, Apache-2.0; SOURCE.md there), or the full sets in ../shared/data/guardduty
when a test asks for them, converted from the raw API's camelCase to boto3's PascalCase shape by
``to_boto3_finding``, which follows botocore's own service model (so a Stubber accepts
them): unknown keys are dropped, free-form ``additionalInfo`` becomes the model's
``{"Value": <json>, "Type": "default"}``.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import botocore.session

REAL = Path(__file__).resolve().parents[1] / "real" / "guardduty"
"""The trimmed real findings, in the repository (the full sets: conftest.SHARED_DATA / "guardduty")."""

DETECTOR_ID = "12abc34d567e8fa901bc2d34e56789f0"

LIST_DETECTORS = {"DetectorIds": [DETECTOR_ID]}

GET_DETECTOR = {
    "CreatedAt": "2023-03-01T10:00:00.000Z",
    "FindingPublishingFrequency": "FIFTEEN_MINUTES",
    "ServiceRole": "arn:aws:iam::111111111111:role/aws-service-role/guardduty.amazonaws.com/AWSServiceRoleForAmazonGuardDuty",
    "Status": "ENABLED",
    "UpdatedAt": "2024-05-02T08:30:00.000Z",
    "Features": [
        {"Name": "CLOUD_TRAIL", "Status": "ENABLED", "UpdatedAt": "2024-05-02T08:30:00Z"},
        {"Name": "S3_DATA_EVENTS", "Status": "ENABLED", "UpdatedAt": "2024-05-02T08:30:00Z"},
        {"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED", "UpdatedAt": "2024-05-02T08:30:00Z"},
        {
            "Name": "RUNTIME_MONITORING",
            "Status": "ENABLED",
            "UpdatedAt": "2024-05-02T08:30:00Z",
            "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "ENABLED"}],
        },
        {"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED", "UpdatedAt": "2024-05-02T08:30:00Z"},
    ],
}

LIST_MEMBERS = {
    "Members": [
        {
            "AccountId": "222222222222",
            "DetectorId": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6",
            "AdministratorId": "111111111111",
            "MasterId": "111111111111",
            "Email": "prod@example.com",
            "RelationshipStatus": "Enabled",
            "InvitedAt": "2023-03-01T10:05:00.000Z",
            "UpdatedAt": "2024-05-02T08:31:00.000Z",
        },
        {
            "AccountId": "333333333333",
            "AdministratorId": "111111111111",
            "MasterId": "111111111111",
            "Email": "sandbox@example.com",
            "RelationshipStatus": "Removed",
            "UpdatedAt": "2024-06-10T12:00:00.000Z",
        },
    ]
}

GET_MEMBER_DETECTORS = {
    "MemberDataSourceConfigurations": [
        {
            "AccountId": "222222222222",
            "DataSources": {
                "CloudTrail": {"Status": "ENABLED"},
                "DNSLogs": {"Status": "ENABLED"},
                "FlowLogs": {"Status": "ENABLED"},
                "S3Logs": {"Status": "ENABLED"},
            },
            "Features": [
                {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
                {
                    "Name": "RUNTIME_MONITORING",
                    "Status": "ENABLED",
                    "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}],
                },
            ],
        },
    ],
    "UnprocessedAccounts": [
        {
            "AccountId": "333333333333",
            "Result": "The request is rejected because the account is not a member.",
        },
    ],
}

DESCRIBE_ORGANIZATION_CONFIGURATION = {
    "MemberAccountLimitReached": False,
    "AutoEnableOrganizationMembers": "ALL",
    "Features": [
        {"Name": "S3_DATA_EVENTS", "AutoEnable": "ALL"},
        {"Name": "EKS_AUDIT_LOGS", "AutoEnable": "NONE"},
        {
            "Name": "RUNTIME_MONITORING",
            "AutoEnable": "NEW",
            "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "AutoEnable": "NEW"}],
        },
        {"Name": "EBS_MALWARE_PROTECTION", "AutoEnable": "ALL"},
    ],
}

GET_FINDINGS_STATISTICS = {
    "FindingStatistics": {
        "GroupedBySeverity": [
            {"Severity": 8.0, "TotalFindings": 3, "LastGeneratedAt": "2024-06-01T00:00:00Z"},
            {"Severity": 5.0, "TotalFindings": 40, "LastGeneratedAt": "2024-06-01T00:00:00Z"},
        ]
    }
}


def real_raw_findings(root: Path = REAL) -> list[dict[str, Any]]:
    """Every real GuardDuty finding under ``root`` (the trimmed ones by default), camelCase, envelopes removed."""
    found: list[dict[str, Any]] = []
    for path in sorted((root / "foxsec-eventbridge").glob("*.txt")):
        found += [json.loads(line)["detail"] for line in path.read_text().splitlines() if line.strip()]
    panther = root / "panther" / "findings.jsonl"
    found += [json.loads(line) for line in panther.read_text().splitlines() if line.strip()]
    found += [json.loads(p.read_text())["detail"] for p in sorted((root / "custodian").glob("*.json"))]
    assert found, f"no GuardDuty findings under {root}"
    return found


_MODEL = botocore.session.get_session().get_service_model("guardduty")


def _conform(value: Any, shape: Any) -> Any:
    """``value`` (camelCase JSON) in the shape botocore's model gives ``shape``."""
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            return None
        if set(shape.members) == {"Value", "Type"} and "Value" not in value and "value" not in value:
            return {"Value": json.dumps(value, sort_keys=True), "Type": "default"}  # AdditionalInfo
        out = {}
        for key, item in value.items():
            name = key[:1].upper() + key[1:]
            if name in shape.members:
                conformed = _conform(item, shape.members[name])
                if conformed is not None:
                    out[name] = conformed
        return out
    if kind == "list":
        return [c for c in (_conform(v, shape.member) for v in value or []) if c is not None]
    if kind == "map":
        return {k: _conform(v, shape.value) for k, v in (value or {}).items()}
    if kind == "string":
        return value if isinstance(value, str) else json.dumps(value)
    if kind in ("integer", "long"):
        return int(value)
    if kind in ("double", "float"):
        return float(value)
    if kind == "boolean":
        return bool(value)
    return value


def to_boto3_finding(raw: dict[str, Any]) -> dict[str, Any]:
    """A raw camelCase GuardDuty finding as boto3's GetFindings returns it."""
    return _conform(raw, _MODEL.shape_for("Finding"))


def _complete(finding: dict[str, Any]) -> bool:
    """Whether a finding has every member GetFindings requires (some public samples were trimmed by hand)."""
    return set(_MODEL.shape_for("Finding").required_members) <= set(finding)


def boto3_findings(n: int, account: str, region: str) -> list[dict[str, Any]]:
    """``n`` boto3-shaped findings cloned round-robin from the real ones, each with a fresh id,
    in ``account`` and ``region`` (as the delegated admin sees its members' findings)."""
    real = [f for f in (to_boto3_finding(r) for r in real_raw_findings()) if _complete(f)]
    out = []
    for i in range(n):
        f = copy.deepcopy(real[i % len(real)])
        fid = hashlib.md5(f"{account}/{region}/{i}".encode()).hexdigest()  # stable, 32 hex like real ids
        f.update(
            Id=fid,
            AccountId=account,
            Region=region,
            Arn=f"arn:aws:guardduty:{region}:{account}:detector/{DETECTOR_ID}/finding/{fid}",
        )
        f.setdefault("CreatedAt", "2024-06-01T00:00:00.000Z")
        f.setdefault("UpdatedAt", "2024-06-01T00:00:00.000Z")
        out.append(f)
    return out


def list_findings_pages(findings: list[dict[str, Any]], page: int = 50) -> list[dict[str, Any]]:
    """ListFindings responses over ``findings``, ``page`` ids each, NextToken on all but the last."""
    pages = []
    for start in range(0, len(findings), page):
        body: dict[str, Any] = {"FindingIds": [f["Id"] for f in findings[start : start + page]]}
        if start + page < len(findings):
            body["NextToken"] = f"token-{start + page}"
        pages.append(body)
    return pages or [{"FindingIds": []}]
