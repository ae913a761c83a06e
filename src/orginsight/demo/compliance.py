"""AWS Config in the demo organization: the organization aggregator's rule compliance over 90 days.

The security account is Config's delegated administrator and holds an organization aggregator in the
home region. Organization rules (AWS managed rules, identifiers as the Config Developer Guide lists
them, 2024) evaluate the estate's buckets, instances, volumes and security groups in each region, and
the account itself (root keys, MFA, CloudTrail) in the home region. Each resource is non-compliant over
windows drawn from the seed; on top of that two planted stories drift across the weekly snapshots:

- a *surge*: in one non-production account instances open SSH to the world and drop IMDSv2 one after
  another from snapshot 3, until a remediation campaign fixes them all between snapshots 8 and 9;
- the exposure story's bucket fails ``s3-bucket-policy-grantee-check`` (the bucket policy grants an
  account outside the allowed list, the organization's) from the day it is shared.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import Calls, Exposure, estate, iso_z, present, recorded, snapshot_times, uid
from orginsight.demo.org import HOME_REGION, Account, Organization, iso

SERVICE = "config"
AGGREGATOR = "org-aggregator"
"""The name ``org.service_responses`` gives the aggregator whose source status it records."""
PAGE = 1000
"""DescribeAggregateComplianceByConfigRules returns at most 1000 results a page (API Reference, 2024)."""
DETAILS_PAGE = 100
CAP = 100
"""Config caps ComplianceContributorCount at 100 (CapExceeded), API Reference 2024."""
STORY_RULE = "s3-bucket-policy-grantee-check"
SURGE_RULES = ("restricted-ssh", "ec2-imdsv2-check")

# (rule, resource type, what it evaluates, share of resources ever non-compliant, annotation)
RULES = (
    (
        "s3-bucket-server-side-encryption-enabled",
        "AWS::S3::Bucket",
        "bucket",
        0.25,
        "Default encryption off.",
    ),
    ("s3-bucket-public-read-prohibited", "AWS::S3::Bucket", "bucket", 0.06, "Bucket allows public read."),
    (STORY_RULE, "AWS::S3::Bucket", "bucket", 0.0, "Policy grants a principal outside awsPrincipals."),
    ("restricted-ssh", "AWS::EC2::SecurityGroup", "group", 0.12, "Port 22 open to 0.0.0.0/0."),
    ("ec2-imdsv2-check", "AWS::EC2::Instance", "instance", 0.2, "HttpTokens is optional."),
    ("encrypted-volumes", "AWS::EC2::Volume", "volume", 0.15, "Volume is not encrypted."),
    ("rds-storage-encrypted", "AWS::RDS::DBInstance", "database", 0.3, "StorageEncrypted is false."),
    ("iam-root-access-key-check", "AWS::::Account", "account", 0.08, "The root user has an access key."),
    ("mfa-enabled-for-iam-console-access", "AWS::IAM::User", "user", 0.3, "Console user without MFA."),
    ("cloudtrail-enabled", "AWS::::Account", "account", 0.0, None),
)
GLOBAL_KINDS = ("account", "user")
"""Evaluated once per account, in the home region (global resources: IAM users, the account)."""
PACKS = {
    "OrgConformsPack-cis-level1": (
        "iam-root-access-key-check",
        "mfa-enabled-for-iam-console-access",
        "cloudtrail-enabled",
        "restricted-ssh",
        "encrypted-volumes",
    ),
    "OrgConformsPack-s3-best-practices": (
        "s3-bucket-server-side-encryption-enabled",
        "s3-bucket-public-read-prohibited",
        STORY_RULE,
    ),
}
"""Organization conformance packs (AWS prefixes their names ``OrgConformsPack-``) and their rules."""
OTHER_TYPES = {
    "AWS::IAM::Role": (18, 40),
    "AWS::IAM::Policy": (6, 20),
    "AWS::EC2::VPC": (1, 3),
    "AWS::EC2::Subnet": (4, 12),
    "AWS::EC2::NetworkInterface": (6, 30),
    "AWS::KMS::Key": (2, 6),
    "AWS::Lambda::Function": (3, 9),
    "AWS::CloudFormation::Stack": (4, 14),
}
"""Resource types counted but not evaluated by the rules above (per account, range drawn once)."""


@dataclass(frozen=True)
class Evaluated:
    """One resource one rule evaluates, and when it is non-compliant: ``[start, end)`` windows."""

    rule: str
    resource_type: str
    resource_id: str
    account: Account
    region: str
    windows: tuple[tuple[datetime, datetime | None], ...]
    annotation: str | None

    def failing(self, t: datetime) -> bool:
        return any(start <= t and (end is None or t < end) for start, end in self.windows)


@dataclass(frozen=True)
class ConfigState:
    org: Organization
    evaluated: tuple[Evaluated, ...]
    counts: dict[str, dict[str, int]]
    surge_account: Account
    story_bucket: str
    story_shared: datetime

    @property
    def drift(self) -> dict:
        """Ground truth of the planted drift, for ``truth.json``."""
        times = snapshot_times(self.org)
        return {
            "surge_account": self.surge_account.id,
            "surge_rules": list(SURGE_RULES),
            "surge_starts_snapshot": 3,
            "surge_remediated_snapshot": 9,
            "story_rule": STORY_RULE,
            "story_bucket": self.story_bucket,
            "story_non_compliant_since": iso_z(self.story_shared),
            "snapshots": len(times),
        }

    def responses(self, t: datetime) -> Calls:
        accounts = [a for a in self.org.accounts if present(a, t)]
        here = [e for e in self.evaluated if present(e.account, t)]
        sec = self.org.by_role("security")
        base = {"ConfigurationAggregatorName": AGGREGATOR}
        rows = _rule_rows(here, t)
        failing = [r for r in rows if r["Compliance"]["ComplianceType"] == "NON_COMPLIANT"]
        details = []
        for r in failing:
            params = {
                **base,
                "ConfigRuleName": r["ConfigRuleName"],
                "AccountId": r["AccountId"],
                "AwsRegion": r["AwsRegion"],
                "ComplianceType": "NON_COMPLIANT",
            }
            bad = [
                _evaluation(e, t)
                for e in here
                if (e.rule, e.account.id, e.region) == (r["ConfigRuleName"], r["AccountId"], r["AwsRegion"])
                and e.failing(t)
            ]
            details += _pages(params, "AggregateEvaluationResults", bad, DETAILS_PAGE)
        totals = {a.id: sum(self.counts[a.id].values()) for a in accounts}
        by_type = [
            recorded(
                {**base, "GroupByKey": "RESOURCE_TYPE", "Filters": {"AccountId": a.id}},
                {
                    "TotalDiscoveredResources": totals[a.id],
                    "GroupByKey": "RESOURCE_TYPE",
                    "GroupedResourceCounts": [
                        {"GroupName": k, "ResourceCount": n} for k, n in sorted(self.counts[a.id].items())
                    ],
                },
            )
            for a in accounts
        ]
        by_account = recorded(
            {**base, "GroupByKey": "ACCOUNT_ID"},
            {
                "TotalDiscoveredResources": sum(totals.values()),
                "GroupByKey": "ACCOUNT_ID",
                "GroupedResourceCounts": [
                    {"GroupName": a, "ResourceCount": n} for a, n in sorted(totals.items())
                ],
            },
        )
        return {
            (SERVICE, HOME_REGION): {
                "describe_configuration_aggregators": [recorded({}, _aggregators(self.org, sec))],
                "describe_aggregate_compliance_by_config_rules": _pages(
                    base, "AggregateComplianceByConfigRules", rows, PAGE
                ),
                "get_aggregate_compliance_details_by_config_rule": details,
                "describe_aggregate_compliance_by_conformance_packs": _pages(
                    base, "AggregateComplianceByConformancePacks", _pack_rows(rows), PAGE
                ),
                "get_aggregate_discovered_resource_counts": [by_account, *by_type],
            }
        }


def build_config(org: Organization, seed: int, story: Exposure) -> ConfigState:
    """Every rule's evaluated resources and their non-compliant windows, from the seed."""
    times = snapshot_times(org)
    first, last = times[0] - timedelta(days=30), times[-1]
    candidates = [a for a in org.accounts if a.role in ("nonprod", "sandbox")]
    surge_account = candidates[0] if candidates else org.by_role("prod")
    evaluated: list[Evaluated] = []
    counts: dict[str, dict[str, int]] = {}
    for a in org.accounts:
        rng = random.Random(f"config/{seed}/{a.id}")
        resources = _resources(org, a, seed, rng)
        mine = counts.setdefault(a.id, {})
        for (kind, region), ids in sorted(resources.items()):
            for rule, rtype, evaluates, share, note in RULES:
                if evaluates != kind:
                    continue
                for rid in ids:
                    windows = _windows(rng, share, first, last)
                    if rule == STORY_RULE and rid == story.bucket:
                        windows = ((story.shared, None),)
                    if a is surge_account and rule in SURGE_RULES and kind in ("group", "instance"):
                        windows = _surge(rng, times, windows)
                    evaluated.append(Evaluated(rule, rtype, rid, a, region, windows, note))
        for (kind, _region), ids in resources.items():
            rtype = next(r[1] for r in RULES if r[2] == kind)
            if kind != "account":
                mine[rtype] = mine.get(rtype, 0) + len(ids)
        for rtype, (lo, hi) in OTHER_TYPES.items():
            mine[rtype] = rng.randint(lo, hi) * len(a.regions if rtype.startswith("AWS::EC2") else (1,))
    return ConfigState(org, tuple(evaluated), counts, surge_account, story.bucket, story.shared)


def _resources(
    org: Organization, a: Account, seed: int, rng: random.Random
) -> dict[tuple[str, str], list[str]]:
    """(what a rule evaluates, region) -> resource ids in ``a``: the estate's, plus its groups and volumes."""
    est = estate(org, a, seed)
    out: dict[tuple[str, str], list[str]] = {
        ("bucket", HOME_REGION): list(est.buckets),
        ("account", HOME_REGION): [a.id],
        ("user", HOME_REGION): ["break-glass-admin", *([est.ci_user[0]] if est.ci_user else [])],
    }
    for region in a.regions:
        out[("instance", region)] = list(est.instances[region])
        out[("volume", region)] = [f"vol-0{uid(rng, 16)}" for _ in est.instances[region]]
        out[("group", region)] = [f"sg-0{uid(rng, 16)}" for _ in range(rng.randint(2, 4))]
    if a.role == "prod":
        out[("database", HOME_REGION)] = [f"{a.name}-db-{n}" for n in range(rng.randint(1, 2))]
    return out


def _windows(
    rng: random.Random, share: float, first: datetime, last: datetime
) -> tuple[tuple[datetime, datetime | None], ...]:
    """Non-compliant windows: none for most resources; one opened on a seeded day, often fixed later."""
    if rng.random() >= share:
        return ()
    start = first + timedelta(hours=rng.randrange(int((last - first).total_seconds() // 3600)))
    end = start + timedelta(days=rng.expovariate(1 / 25) + 1) if rng.random() < 0.75 else None
    return ((start, end),)


def _surge(
    rng: random.Random, times: list[datetime], windows: tuple[tuple[datetime, datetime | None], ...]
) -> tuple[tuple[datetime, datetime | None], ...]:
    """The surge account: failing from a day between snapshots 3 and 7, all remediated by snapshot 9."""
    k = rng.randrange(3, 8)
    start = times[k - 1] + timedelta(days=1 + rng.randrange(5), hours=rng.randrange(20))
    fixed = times[8] + timedelta(days=2, hours=rng.randrange(20))
    kept = tuple((s, e) for s, e in windows if e is not None and e < start)
    return (*kept, (start, fixed))


def _rule_rows(evaluated: list[Evaluated], t: datetime) -> list[dict]:
    """One DescribeAggregateComplianceByConfigRules entry per rule x account x region."""
    groups: dict[tuple[str, str, str], int] = {}
    for e in evaluated:
        key = (e.rule, e.account.id, e.region)
        groups[key] = groups.get(key, 0) + e.failing(t)
    rows = []
    for (rule, account, region), bad in sorted(groups.items()):
        compliance: dict = {"ComplianceType": "NON_COMPLIANT" if bad else "COMPLIANT"}
        if bad:
            compliance["ComplianceContributorCount"] = {
                "CappedCount": min(bad, CAP),
                "CapExceeded": bad > CAP,
            }
        rows.append(
            {"ConfigRuleName": rule, "Compliance": compliance, "AccountId": account, "AwsRegion": region}
        )
    return rows


def _pack_rows(rule_rows: list[dict]) -> list[dict]:
    """Each conformance pack's compliance per account and region: its rules' compliance there."""
    per: dict[tuple[str, str, str], list[str]] = {}
    for r in rule_rows:
        for pack, rules in PACKS.items():
            if r["ConfigRuleName"] in rules:
                per.setdefault((pack, r["AccountId"], r["AwsRegion"]), []).append(
                    r["Compliance"]["ComplianceType"]
                )
    rows = []
    for (pack, account, region), states in sorted(per.items()):
        bad = states.count("NON_COMPLIANT")
        rows.append(
            {
                "ConformancePackName": pack,
                "Compliance": {
                    "ComplianceType": "NON_COMPLIANT" if bad else "COMPLIANT",
                    "CompliantRuleCount": states.count("COMPLIANT"),
                    "NonCompliantRuleCount": bad,
                    "TotalRuleCount": len(states),
                },
                "AccountId": account,
                "AwsRegion": region,
            }
        )
    return rows


def _evaluation(e: Evaluated, t: datetime) -> dict:
    since = max(s for s, end in e.windows if s <= t and (end is None or t < end))
    invoked = t - timedelta(hours=2, minutes=len(e.resource_id) % 50)
    item = {
        "EvaluationResultIdentifier": {
            "EvaluationResultQualifier": {
                "ConfigRuleName": e.rule,
                "ResourceType": e.resource_type,
                "ResourceId": e.resource_id,
                "EvaluationMode": "DETECTIVE",
            },
            "OrderingTimestamp": iso(since),
        },
        "ComplianceType": "NON_COMPLIANT",
        "ResultRecordedTime": iso(invoked + timedelta(minutes=1)),
        "ConfigRuleInvokedTime": iso(invoked),
        "AccountId": e.account.id,
        "AwsRegion": e.region,
    }
    if e.annotation:
        item["Annotation"] = e.annotation
    return item


def _aggregators(org: Organization, sec: Account) -> dict:
    return {
        "ConfigurationAggregators": [
            {
                "ConfigurationAggregatorName": AGGREGATOR,
                "ConfigurationAggregatorArn": (
                    f"arn:aws:config:{HOME_REGION}:{sec.id}:config-aggregator/config-aggregator-{org.id[2:10]}"
                ),
                "OrganizationAggregationSource": {
                    "RoleArn": f"arn:aws:iam::{sec.id}:role/service-role/AWSConfigRoleForOrganizations",
                    "AllAwsRegions": True,
                },
                "CreationTime": iso(org.created + timedelta(days=9)),
                "LastUpdatedTime": iso(org.created + timedelta(days=9)),
            }
        ]
    }


def _pages(params: dict, key: str, items: list[dict], size: int) -> list[dict]:
    """Items as recorded pages of ``size``: every page but the last carries a NextToken."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    return [
        recorded(params, {key: chunk, **({"NextToken": f"page-{n + 2}"} if n + 1 < len(chunks) else {})})
        for n, chunk in enumerate(chunks)
    ]
