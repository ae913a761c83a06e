"""Security Hub API test data named after the calls, shaped exactly like boto3 responses.

Findings are REAL public ASFF records, the trimmed copies in tests/data/real/securityhub
(SOURCE.md there) or, when a test asks, the full sets in ../shared/data/securityhub: AWS's
automated-security-response-on-aws test data (Apache-2.0; plain ASFF, EventBridge
envelopes and custom-action payloads) and cloud-custodian's recorded GetFindings
responses (Apache-2.0).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "real" / "securityhub"
"""The trimmed real findings, in the repository (the full sets: conftest.SHARED_DATA / "securityhub")."""

SUBSCRIPTION_FSBP = (
    "arn:aws:securityhub:us-east-1:111111111111:subscription/aws-foundational-security-best-practices/v/1.0.0"
)
SUBSCRIPTION_CIS = (
    "arn:aws:securityhub:us-east-1:111111111111:subscription/cis-aws-foundations-benchmark/v/1.2.0"
)

GET_ENABLED_STANDARDS = {
    "StandardsSubscriptions": [
        {
            "StandardsSubscriptionArn": SUBSCRIPTION_FSBP,
            "StandardsArn": "arn:aws:securityhub:us-east-1::standards/aws-foundational-security-best-practices/v/1.0.0",
            "StandardsInput": {},
            "StandardsStatus": "READY",
        },
        {
            "StandardsSubscriptionArn": SUBSCRIPTION_CIS,
            "StandardsArn": "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0",
            "StandardsInput": {},
            "StandardsStatus": "INCOMPLETE",
            "StandardsStatusReason": {"StatusReasonCode": "NO_AVAILABLE_CONFIGURATION_RECORDER"},
        },
    ]
}

DESCRIBE_STANDARDS_CONTROLS_FSBP = {
    "Controls": [
        {
            "StandardsControlArn": "arn:aws:securityhub:us-east-1:111111111111:control/"
            "aws-foundational-security-best-practices/v/1.0.0/S3.1",
            "ControlStatus": "ENABLED",
            "ControlStatusUpdatedAt": "2024-01-10T09:00:00Z",
            "ControlId": "S3.1",
            "Title": "S3 Block Public Access setting should be enabled",
            "SeverityRating": "MEDIUM",
        },
        {
            "StandardsControlArn": "arn:aws:securityhub:us-east-1:111111111111:control/"
            "aws-foundational-security-best-practices/v/1.0.0/EC2.8",
            "ControlStatus": "DISABLED",
            "DisabledReason": "IMDSv1 needed by a legacy appliance",
            "ControlStatusUpdatedAt": "2024-02-01T09:00:00Z",
            "ControlId": "EC2.8",
            "Title": "EC2 instances should use IMDSv2",
            "SeverityRating": "HIGH",
        },
    ]
}

DESCRIBE_STANDARDS_CONTROLS_CIS = {
    "Controls": [
        {
            "StandardsControlArn": "arn:aws:securityhub:us-east-1:111111111111:control/"
            "cis-aws-foundations-benchmark/v/1.2.0/1.4",
            "ControlStatus": "ENABLED",
            "ControlStatusUpdatedAt": "2024-01-10T09:00:00Z",
            "ControlId": "CIS.1.4",
            "Title": "Ensure access keys are rotated every 90 days or less",
            "SeverityRating": "MEDIUM",
        },
    ]
}


def real_records(root: Path = REAL) -> list[tuple[str, dict[str, Any]]]:
    """(file name, record) for every real Security Hub file under ``root`` (the trimmed ones by default):
    ASFF, envelopes and GetFindings pages."""
    out = [(p.name, json.loads(p.read_text())) for p in sorted((root / "asr-asff").glob("*.json"))]
    out += [
        (p.name, json.loads(p.read_text())["data"])
        for p in sorted((root / "custodian-getfindings").glob("*.json"))
    ]
    assert out, f"no Security Hub findings under {root}"
    return out


def real_findings(root: Path = REAL) -> list[dict[str, Any]]:
    """Every real ASFF finding under ``root``, envelopes removed."""
    found = []
    for _name, record in real_records(root):
        if isinstance(record.get("detail"), dict):
            found += record["detail"].get("findings", [])
        elif isinstance(record.get("Findings"), list):
            found += record["Findings"]
        elif isinstance(record.get("findings"), list):
            found += record["findings"]
        elif isinstance(record.get("Finding"), dict):
            found.append(record["Finding"])
        else:
            found.append(record)
    return found


def importable_findings(n: int, account: str = "111111111111") -> list[dict[str, Any]]:
    """``n`` findings for BatchImportFindings, cloned from the real ones with unique ids."""
    import botocore.session

    required = (
        botocore.session.get_session()
        .get_service_model("securityhub")
        .shape_for("AwsSecurityFinding")
        .required_members
    )
    real = [f for f in real_findings() if set(required) <= set(f)]  # some samples were trimmed by hand
    out = []
    for i in range(n):
        f = copy.deepcopy(real[i % len(real)])
        f["Id"] = f"{f['Id']}#clone-{i}"
        f["AwsAccountId"] = account
        out.append(f)
    return out
