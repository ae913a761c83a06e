"""Inspector (inspector2) API test data named after the calls, shaped exactly like boto3 responses.

Findings are REAL: Cloud Custodian's recorded ListFindings pages (Apache-2.0; the trimmed copy in
tests/data/real/inspector2, both pages in ../shared/data/inspector2), decoded from placebo's
``{"status_code", "data"}`` wrapper and ``{"__class__": "datetime", ...}`` timestamps. ListCoverage
pages are AWS's own CLI examples. No real ECR, Lambda, code or network finding exists in a licensed
public source (2026), so ``model_finding`` builds one per resource type from botocore's model.
"""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.utils import ArgumentGenerator

REAL = Path(__file__).resolve().parents[1] / "real" / "inspector2"
"""The trimmed real responses, in the repository (the full sets: conftest.SHARED_DATA / "inspector2")."""

ADMIN = "111111111111"
MEMBERS = ["222222222222", "333333333333"]

_MODEL = botocore.session.get_session().get_service_model("inspector2")


def _decode(value: Any) -> Any:
    """Placebo's encoded datetimes as aware datetimes, everything else unchanged."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            return datetime(
                value["year"],
                value["month"],
                value["day"],
                value.get("hour", 0),
                value.get("minute", 0),
                value.get("second", 0),
                value.get("microsecond", 0),
                tzinfo=UTC,
            )
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def read_placebo(path: Path) -> dict[str, Any]:
    """A custodian placebo file as the boto3 response it recorded (no ResponseMetadata)."""
    data = _decode(json.loads(path.read_text())["data"])
    data.pop("ResponseMetadata", None)
    return data


def real_list_findings(root: Path = REAL) -> list[dict[str, Any]]:
    """Every recorded ListFindings response under ``root``/custodian-listfindings, in file order."""
    pages = [read_placebo(p) for p in sorted((root / "custodian-listfindings").glob("*ListFindings*.json"))]
    assert pages, f"no ListFindings responses under {root}"
    return pages


def real_list_coverage(root: Path = REAL) -> list[dict[str, Any]]:
    """AWS's ListCoverage CLI examples (EC2 PACKAGE scan, Lambda CODE scan)."""
    return [
        json.loads(p.read_text()) for p in sorted((root / "awscli-examples").glob("*list-coverage.*.json"))
    ]


def as_pages(findings: list[dict[str, Any]], size: int) -> list[dict[str, Any]]:
    """ListFindings pages of ``size`` findings, ``nextToken`` on all but the last."""
    pages = []
    for start in range(0, len(findings), size):
        page: dict[str, Any] = {"findings": findings[start : start + size]}
        if start + size < len(findings):
            page["nextToken"] = f"token-{start + size}"
        pages.append(page)
    return pages or [{"findings": []}]


def clone_findings(findings: list[dict[str, Any]], account: str, region: str) -> list[dict[str, Any]]:
    """The real findings as a member ``account`` has them in ``region`` (fresh ARNs, same content)."""
    out = []
    for i, f in enumerate(findings):
        f = copy.deepcopy(f)
        fid = hashlib.md5(f"{account}/{region}/{i}".encode()).hexdigest()
        f.update(awsAccountId=account, findingArn=f"arn:aws:inspector2:{region}:{account}:finding/{fid}")
        for r in f["resources"]:
            r["region"] = region
        out.append(f)
    return out


def state(status: str = "ENABLED") -> dict[str, str]:
    # errorCode and errorMessage are required members of the State shape (botocore model, 2026).
    if status == "ENABLED":
        return {"status": "ENABLED", "errorCode": "ALREADY_ENABLED", "errorMessage": "Already enabled"}
    return {
        "status": status,
        "errorCode": "RESOURCE_NOT_FOUND",
        "errorMessage": "Resource scanning is not enabled",
    }


def batch_get_account_status(
    accounts: list[str], status: str = "ENABLED", ecr: str = "ENABLED"
) -> dict[str, Any]:
    return {
        "accounts": [
            {
                "accountId": a,
                "state": state(status),
                "resourceState": {"ec2": state(status), "ecr": state(ecr), "lambda": state(status)},
            }
            for a in accounts
        ],
        "failedAccounts": [],
    }


LIST_MEMBERS = {
    "members": [
        {
            "accountId": a,
            "relationshipStatus": "ENABLED",
            "delegatedAdminAccountId": ADMIN,
            "updatedAt": datetime(2024, 5, 2, 8, 31, tzinfo=UTC),
        }
        for a in MEMBERS
    ]
}

LIST_FINDING_AGGREGATIONS = {
    "aggregationType": "ACCOUNT",
    "responses": [
        {
            "accountAggregation": {
                "accountId": "222222222222",
                "severityCounts": {"all": 10, "critical": 1, "high": 2, "medium": 6, "low": 1},
                "exploitAvailableCount": 1,
                "fixAvailableCount": 9,
            }
        },
        {
            "accountAggregation": {
                "accountId": "333333333333",
                "severityCounts": {"all": 0, "critical": 0, "high": 0, "medium": 0},
                "exploitAvailableCount": 0,
                "fixAvailableCount": 0,
            }
        },
    ],
}
"""Shaped from the model's AccountAggregationResponse (no public recorded response exists, 2026)."""

RESOURCE_TYPES: list[str] = list(_MODEL.shape_for("ResourceType").enum)

DETAILS_KEY = {
    "AWS_EC2_INSTANCE": "awsEc2Instance",
    "AWS_ECR_CONTAINER_IMAGE": "awsEcrContainerImage",
    "AWS_ECR_REPOSITORY": "awsEcrContainerImage",
    "AWS_LAMBDA_FUNCTION": "awsLambdaFunction",
    "CODE_REPOSITORY": "codeRepository",
    "MACHINE_IMAGE": "machineImage",
    "Microsoft.Compute/virtualMachines": "vm",
    "compute.googleapis.com/Instance": "vm",
    "Microsoft.ContainerRegistry/registry/containerImage": "image",
    "artifactregistry.googleapis.com/DockerImage": "image",
    "Microsoft.Web/sites": "serverlessFunction",
    "cloudfunctions.googleapis.com/Function": "serverlessFunction",
}
"""Which ``ResourceDetails`` member describes each resource type (the model's docs, 2026)."""


def _fit(value: Any, shape: Any) -> Any:
    """A skeleton value with every string padded to its shape's minimum length (the Stubber checks it)."""
    if shape.type_name == "structure":
        return {k: _fit(v, shape.members[k]) for k, v in value.items()}
    if shape.type_name == "list":
        return [_fit(v, shape.member) for v in value]
    if shape.type_name == "string" and isinstance(value, str):
        return value.ljust(shape.metadata.get("min", 0), "0")
    return value


def model_finding(resource_type: str, finding_type: str = "PACKAGE_VULNERABILITY") -> dict[str, Any]:
    """A Finding built from botocore's shape (every member filled with its own name), on one resource of
    ``resource_type`` whose details hold only that type's member; valid for a Stubber."""
    shape = _MODEL.shape_for("Finding")
    f = _fit(ArgumentGenerator(use_member_names=True).generate_skeleton(shape), shape)
    key = hashlib.md5(resource_type.encode()).hexdigest()
    f.update(
        findingArn=f"arn:aws:inspector2:eu-west-1:222222222222:finding/{key}",
        awsAccountId="222222222222",
        type=finding_type,
        severity="CRITICAL",
        status="ACTIVE",
        fixAvailable="YES",
        exploitAvailable="YES",
    )
    for name in ("firstObservedAt", "lastObservedAt", "updatedAt"):
        f[name] = datetime(2026, 11, 1, tzinfo=UTC)
    resource = f["resources"][0]
    details = resource["details"]
    resource.update(type=resource_type, id=f"{resource_type}-id", region="eu-west-1")
    resource["details"] = {DETAILS_KEY[resource_type]: details[DETAILS_KEY[resource_type]]}
    f["packageVulnerabilityDetails"]["cvss"][0].update(version="3.1", baseScore=9.8)
    f["packageVulnerabilityDetails"]["source"] = f["packageVulnerabilityDetails"]["cvss"][0]["source"]
    f["epss"] = {"score": 0.5}
    return f
