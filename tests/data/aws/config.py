"""AWS Config aggregator API test data named after the calls, shaped exactly like boto3 responses.

No real aggregator response exists publicly (../shared/data/config/README: only hand-written mocks),
so the aggregate responses here are BUILT from real per-account evaluation results: Cloud Custodian's
recorded GetComplianceDetailsByConfigRule responses (tests/data/real/config/custodian, Apache-2.0,
SOURCE.md there; the full set in ../shared/data/config/custodian), each result given the ``AccountId``
and ``AwsRegion`` that botocore's ``AggregateEvaluationResult`` shape adds to the per-account
``EvaluationResult``. Rule compliance rows are derived from those same results (one NON_COMPLIANT row per
rule x account x region, counting its resources), so the tables agree with each other. Conformance
packs, resource counts and the Select results follow botocore's model (``config`` service, 2024) with
names from the real records. ``describe_configuration_aggregator_sources_status`` follows botocore's
``AggregatedSourceStatus`` shape (no public sample): an organization aggregator with all regions has one
ORGANIZATION source per region. Every response passes botocore's Stubber checks.
"""

from __future__ import annotations

import copy
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REAL = Path(__file__).resolve().parents[1] / "real" / "config" / "custodian"
"""The trimmed real responses, in the repository (the full set: conftest.SHARED_DATA / "config")."""

AGGREGATOR = "org-aggregator"
ACCOUNTS = ["222222222222", "333333333333"]
REGIONS = ["us-east-1", "eu-west-1"]

DESCRIBE_CONFIGURATION_AGGREGATORS = {
    "ConfigurationAggregators": [
        {
            "ConfigurationAggregatorName": "legacy-accounts",
            "ConfigurationAggregatorArn": "arn:aws:config:us-east-1:111111111111:config-aggregator/config-aggregator-legacy1",
            "AccountAggregationSources": [{"AccountIds": ACCOUNTS, "AllAwsRegions": True}],
            "CreationTime": datetime(2022, 1, 10, 9, 0, tzinfo=UTC),
        },
        {
            "ConfigurationAggregatorName": AGGREGATOR,
            "ConfigurationAggregatorArn": "arn:aws:config:us-east-1:111111111111:config-aggregator/config-aggregator-org1",
            "OrganizationAggregationSource": {
                "RoleArn": "arn:aws:iam::111111111111:role/aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig",
                "AllAwsRegions": True,
            },
            "CreationTime": datetime(2023, 3, 1, 10, 0, tzinfo=UTC),
            "LastUpdatedTime": datetime(2024, 5, 2, 8, 30, tzinfo=UTC),
        },
    ]
}


ORGANIZATION_ID = "o-a1b2c3d4e5"
SOURCE_REGIONS = {"us-east-1": "SUCCEEDED", "eu-west-1": "SUCCEEDED", "ap-southeast-2": "FAILED"}
"""The organization source's last update per region: ap-southeast-2 fails (Config not set up there)."""


def describe_configuration_aggregator_sources_status(
    regions: dict[str, str] = SOURCE_REGIONS,
) -> list[dict[str, Any]]:
    """Two DescribeConfigurationAggregatorSourcesStatus pages: the organization source in each of ``regions``
    (region -> LastUpdateStatus), a FAILED one with its error code and message."""
    sources = []
    for region, state in regions.items():
        source = {
            "SourceId": ORGANIZATION_ID,
            "SourceType": "ORGANIZATION",
            "AwsRegion": region,
            "LastUpdateStatus": state,
            "LastUpdateTime": datetime(2024, 5, 2, 9, 15, tzinfo=UTC),
        }
        if state == "FAILED":
            source["LastErrorCode"] = "NoAvailableConfigurationRecorderException"
            source["LastErrorMessage"] = "No configuration recorder is available in this region."
        sources.append(source)
    half = (len(sources) + 1) // 2
    return [
        {"AggregatedSourceStatusList": sources[:half], "NextToken": "sources-2"},
        {"AggregatedSourceStatusList": sources[half:]},
    ]


def decode_placebo(value: Any) -> Any:
    """A custodian placebo value with its ``{"__class__": "datetime", ...}`` objects as aware datetimes."""
    if isinstance(value, dict):
        if value.get("__class__") == "datetime":
            parts = {k: value[k] for k in ("year", "month", "day", "hour", "minute", "second", "microsecond")}
            return datetime(**parts, tzinfo=UTC)
        return {k: decode_placebo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode_placebo(v) for v in value]
    return value


def real_evaluation_results(root: Path = REAL) -> list[dict[str, Any]]:
    """The real EvaluationResults of every placebo GetComplianceDetailsByConfigRule file under ``root``."""
    results = []
    for path in sorted(root.glob("*GetComplianceDetailsByConfigRule*.json")):
        data = decode_placebo(json.loads(path.read_text()))["data"]
        results += data["EvaluationResults"]
    return results


def aggregate_results(results: list[dict[str, Any]], account: str, region: str) -> list[dict[str, Any]]:
    """Per-account EvaluationResults as AggregateEvaluationResults of ``account`` in ``region``."""
    return [{**copy.deepcopy(r), "AccountId": account, "AwsRegion": region} for r in results]


def rule_of(result: dict[str, Any]) -> str:
    return result["EvaluationResultIdentifier"]["EvaluationResultQualifier"]["ConfigRuleName"]


def details_by_target(
    results: list[dict[str, Any]], accounts: list[str] = ACCOUNTS, regions: list[str] = REGIONS
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """(rule, account, region) -> its AggregateEvaluationResults: every real result in every account x region."""
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for account in accounts:
        for region in regions:
            for r in aggregate_results(results, account, region):
                out.setdefault((rule_of(r), account, region), []).append(r)
    return out


def describe_aggregate_compliance_by_config_rules(
    details: dict[tuple[str, str, str], list[dict[str, Any]]],
    compliant: tuple[str, ...] = ("s3-bucket-versioning",),
) -> list[dict[str, Any]]:
    """Two DescribeAggregateComplianceByConfigRules pages: a NON_COMPLIANT row per target of ``details``
    (its resource count) and a COMPLIANT row per ``compliant`` rule, account and region."""
    counts = Counter({k: len(v) for k, v in details.items()})
    rows = [
        {
            "ConfigRuleName": rule,
            "Compliance": {
                "ComplianceType": "NON_COMPLIANT",
                "ComplianceContributorCount": {"CappedCount": n, "CapExceeded": False},
            },
            "AccountId": account,
            "AwsRegion": region,
        }
        for (rule, account, region), n in sorted(counts.items())
    ]
    rows += [
        {
            "ConfigRuleName": rule,
            "Compliance": {"ComplianceType": "COMPLIANT"},
            "AccountId": a,
            "AwsRegion": r,
        }
        for rule in compliant
        for a in sorted({k[1] for k in details})
        for r in sorted({k[2] for k in details})
    ]
    half = len(rows) // 2
    return [
        {"AggregateComplianceByConfigRules": rows[:half], "NextToken": "rules-2"},
        {"AggregateComplianceByConfigRules": rows[half:]},
    ]


DESCRIBE_AGGREGATE_COMPLIANCE_BY_CONFORMANCE_PACKS = {
    "AggregateComplianceByConformancePacks": [
        {
            "ConformancePackName": "Operational-Best-Practices-for-CIS",
            "Compliance": {
                "ComplianceType": "NON_COMPLIANT",
                "CompliantRuleCount": 38,
                "NonCompliantRuleCount": 4,
                "TotalRuleCount": 42,
            },
            "AccountId": account,
            "AwsRegion": region,
        }
        for account in ACCOUNTS
        for region in REGIONS
    ]
}

RESOURCE_COUNTS_BY_TYPE = {
    "222222222222": {"AWS::EC2::Volume": 12, "AWS::IAM::Role": 40, "AWS::CloudTrail::Trail": 3},
    "333333333333": {"AWS::ApiGateway::Stage": 2, "AWS::IAM::Role": 25},
}


def get_aggregate_discovered_resource_counts_by_account() -> list[dict[str, Any]]:
    """Two pages grouped by ACCOUNT_ID (the API has no boto3 paginator: NextToken by hand)."""
    groups = [{"GroupName": a, "ResourceCount": sum(c.values())} for a, c in RESOURCE_COUNTS_BY_TYPE.items()]
    total = sum(g["ResourceCount"] for g in groups)
    return [
        {
            "TotalDiscoveredResources": total,
            "GroupByKey": "ACCOUNT_ID",
            "GroupedResourceCounts": groups[:1],
            "NextToken": "counts-2",
        },
        {"TotalDiscoveredResources": total, "GroupByKey": "ACCOUNT_ID", "GroupedResourceCounts": groups[1:]},
    ]


def get_aggregate_discovered_resource_counts_by_type(account: str) -> dict[str, Any]:
    counts = RESOURCE_COUNTS_BY_TYPE[account]
    return {
        "TotalDiscoveredResources": sum(counts.values()),
        "GroupByKey": "RESOURCE_TYPE",
        "GroupedResourceCounts": [{"GroupName": t, "ResourceCount": n} for t, n in counts.items()],
    }


SELECT_AGGREGATE_RESOURCE_CONFIG = [
    {
        "Results": [
            json.dumps(
                {
                    "resourceId": "vol-0c6efd2a9f5677a03",
                    "accountId": "222222222222",
                    "configuration": {"encrypted": False, "volumeType": "gp2"},
                }
            ),
            json.dumps(
                {
                    "resourceId": "vol-0d1e2f3a4b5c6d7e8",
                    "accountId": "333333333333",
                    "configuration": {"encrypted": True, "volumeType": "gp3"},
                }
            ),
        ],
        "QueryInfo": {
            "SelectFields": [
                {"Name": "resourceId"},
                {"Name": "accountId"},
                {"Name": "configuration.encrypted"},
                {"Name": "configuration.volumeType"},
            ]
        },
        "NextToken": "select-2",
    },
    {
        "Results": [
            json.dumps(
                {
                    "resourceId": "vol-0a9b8c7d6e5f4a3b2",
                    "accountId": "333333333333",
                    "configuration": {"encrypted": False},
                }
            )
        ],
        "QueryInfo": {
            "SelectFields": [
                {"Name": "resourceId"},
                {"Name": "accountId"},
                {"Name": "configuration.encrypted"},
                {"Name": "configuration.volumeType"},
            ]
        },
    },
]
