"""Trusted Advisor and Support API test data named after the calls, shaped exactly like boto3 responses.

Every response is REAL, from tests/data/real/trustedadvisor (SOURCE.md there): aws-cli's documented
examples of both APIs (Apache-2.0) and cloud-custodian's recorded Support API responses (Apache-2.0).
The one shape without a public sample, ListOrganizationRecommendationResources, is the real
ListRecommendationResources records under the org key with the ``accountId`` the org API adds.
The organizational view report has no public real export at all: ``ORG_VIEW_*`` are built from the
shape AWS's documentation describes (see ``read_organizational_view_summary``).
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "real" / "trustedadvisor"
"""The trimmed real responses, in the repository (the full sets: conftest.SHARED_DATA / "trustedadvisor")."""

ACCOUNTS = ["111111111111", "222222222222"]


def _decode(value: Any) -> Any:
    """Custodian placebo values: ``{"__class__": "datetime", "year": ...}`` back to aware datetimes."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            parts = ("year", "month", "day", "hour", "minute", "second", "microsecond")
            return datetime(*(int(value.get(p, 0)) for p in parts), tzinfo=UTC)
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def load(path: Path) -> dict[str, Any]:
    """A boto3 response from an aws-cli example or a custodian placebo file (unwrapped, decoded)."""
    data = json.loads(path.read_text())
    if "status_code" in data and "data" in data:
        data = data["data"]
    data = _decode(data)
    data.pop("ResponseMetadata", None)
    return data


def awscli(name: str, root: Path = REAL) -> dict[str, Any]:
    return load(root / "awscli-examples" / name)


def custodian(name: str, root: Path = REAL) -> dict[str, Any]:
    return load(root / "custodian-support" / name)


LIST_ORGANIZATION_RECOMMENDATIONS_1 = awscli("trustedadvisor_list-organization-recommendations.1.json")
LIST_ORGANIZATION_RECOMMENDATIONS_2 = awscli("trustedadvisor_list-organization-recommendations.2.json")
"""Two pages: the first ends with ``nextToken`` (``"REDACTED"`` in the example), the second does not."""

LIST_ORGANIZATION_RECOMMENDATION_ACCOUNTS = awscli(
    "trustedadvisor_list-organization-recommendation-accounts.1.json"
)


def list_organization_recommendation_resources(account: str = ACCOUNTS[0]) -> dict[str, Any]:
    """The real account-level resource records as the org API returns them (plus ``accountId``)."""
    real = awscli("trustedadvisor_list-recommendation-resources.1.json")
    return {
        "organizationRecommendationResourceSummaries": [
            {**copy.deepcopy(r), "accountId": account} for r in real["recommendationResourceSummaries"]
        ]
    }


DESCRIBE_TRUSTED_ADVISOR_CHECKS = awscli("support_describe-trusted-advisor-checks.1.json")
"""One check: IAM Use (``zXCkfM1nI3``), category ``security``, no metadata columns."""
DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_AS_DOCUMENTED = awscli(
    "support_describe-trusted-advisor-check-result.1.json"
)
"""The aws-cli example as published: its flagged resource lacks ``metadata``, which the Support API
model requires (botocore's Stubber rejects it), so the docs trimmed it."""
DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT = copy.deepcopy(DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_AS_DOCUMENTED)
for _resource in DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT["result"]["flaggedResources"]:
    _resource.setdefault(
        "metadata", []
    )  # IAM Use has no metadata columns (its DescribeTrustedAdvisorChecks entry)

DESCRIBE_TRUSTED_ADVISOR_CHECKS_LIMITS = custodian(
    "test_account_service_limit__support.DescribeTrustedAdvisorChecks_1.json"
)
DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_RDS = custodian(
    "test_account_service_limit__support.DescribeTrustedAdvisorCheckResult_1.json"
)
DESCRIBE_TRUSTED_ADVISOR_CHECK_RESULT_EBS = custodian(
    "test_ebs_fault_tolerant__support.DescribeTrustedAdvisorCheckResult_1.json"
)

# ----------------------------------------------------------------------------- org-view report (built)

ORG_VIEW_SUMMARY = {
    "numAccounts": 2,
    "filtersApplied": {
        "accountIds": ACCOUNTS,
        "checkIds": "All",
        "categories": ["security"],
        "statuses": "All",
        "regions": "All",
        "organizationalUnitIds": ["r-ab12"],
    },
    "categoryStatusMap": {
        "security": {
            "statusMap": {
                "ERROR": {"name": "Red", "count": 1},
                "WARN": {"name": "Yellow", "count": 2},
                "OK": {"name": "Green", "count": 11},
            },
            "name": "Security",
        }
    },
    "accountStatusMap": {
        ACCOUNTS[0]: {
            "security": {
                "statusMap": {"ERROR": {"name": "Red", "count": 1}, "OK": {"name": "Green", "count": 6}},
                "name": "Security",
            }
        },
        ACCOUNTS[1]: {
            "security": {
                "statusMap": {"WARN": {"name": "Yellow", "count": 2}, "OK": {"name": "Green", "count": 5}},
                "name": "Security",
            }
        },
    },
}
"""A ``summary.json`` built from the documented shape (no real export is public)."""

ORG_VIEW_CHECK_JSON = [
    {
        "accountId": ACCOUNTS[0],
        "status": "ERROR",
        "region": "us-east-1",
        "resourceId": "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZEXAMPLE",
        "Security Group ID": "sg-0a1b2c3d",
        "Protocol": "tcp",
        "Port": "22",
    }
]
ORG_VIEW_CHECK_CSV = (
    "Account ID,Region,Status,Resource ID,Security Group ID,Protocol,Port\n"
    f"{ACCOUNTS[1]},eu-west-1,Warn,CwLIJp8c8NLj3p9zLVbM6Nbcw5o3uTOqzdMktKNAImM,sg-0d1e2f3a,tcp,3389\n"
)
