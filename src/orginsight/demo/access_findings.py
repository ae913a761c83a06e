"""IAM Access Analyzer in the demo organization: external, internal and unused access findings.

An ORGANIZATION analyzer in every region of the delegated admin reports access from outside the
organization (its zone of trust): the story's bucket once it is shared, a vendor's cross-account role
(archived by a rule, so not listed as ACTIVE), a contractor's role and the sandbox's public share
bucket. An ORGANIZATION_INTERNAL_ACCESS analyzer reports access from other member accounts, and an
ORGANIZATION_UNUSED_ACCESS analyzer (home region) unused roles, keys and permissions, some resolved
during the 90 days.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import Calls, Exposure, estate, present, recorded, snapshot_times, uid
from orginsight.demo.org import HOME_REGION, Account, Organization, iso, random_digits
from orginsight.demo.storagelens import HISTORY_DAYS, org_buckets

SERVICE = "accessanalyzer"
ACTIVE_ONLY = {"status": {"eq": ["ACTIVE"]}}
DATADOG = "464622532012"
"""Datadog's AWS account for its integration role (Datadog docs, "AWS integration", 2024)."""


@dataclass(frozen=True)
class Grant:
    """One finding's life: what is reachable, by whom, from when until when."""

    id: str
    analyzer: str
    region: str
    kind: str
    resource_type: str
    resource: str
    owner: str
    principal: dict
    actions: tuple[str, ...]
    created: datetime
    resolved: datetime | None = None
    public: bool = False
    condition: dict | None = None
    details: dict | None = None


@dataclass(frozen=True)
class AccessState:
    org: Organization
    grants: tuple[Grant, ...]

    def responses(self, t: datetime) -> Calls:
        sec = self.org.by_role("security")
        out: Calls = {}
        created = iso(sec.joined + timedelta(days=6))
        for region in sorted({r for a in self.org.accounts for r in a.regions}):
            analyzers = [("org-analyzer", "ORGANIZATION")]
            if region == HOME_REGION:
                analyzers += [
                    ("org-internal-access", "ORGANIZATION_INTERNAL_ACCESS"),
                    ("org-unused-access", "ORGANIZATION_UNUSED_ACCESS"),
                ]
            summaries = []
            ops: dict[str, list[dict]] = {
                "list_archive_rules": [],
                "list_findings": [],
                "list_findings_v2": [],
                "get_finding_v2": [],
            }
            for name, kind in analyzers:
                arn = _arn(region, sec.id, name)
                summary = {
                    "arn": arn,
                    "name": name,
                    "type": kind,
                    "createdAt": created,
                    "status": "ACTIVE",
                    "tags": {},
                }
                if kind == "ORGANIZATION_UNUSED_ACCESS":
                    summary["configuration"] = {"unusedAccess": {"unusedAccessAge": 90}}
                summaries.append(summary)
                ops["list_archive_rules"].append(
                    recorded({"analyzerName": name}, {"archiveRules": _rules(name, created)})
                )
                live = [
                    g
                    for g in self.grants
                    if g.analyzer == name and g.region == region and _active(g, t, self.org)
                ]
                if kind == "ORGANIZATION":
                    ops["list_findings"].append(
                        recorded(
                            {"analyzerArn": arn, "filter": ACTIVE_ONLY},
                            {"findings": [_v1(g, t) for g in live]},
                        )
                    )
                    continue
                ops["list_findings_v2"].append(
                    recorded(
                        {"analyzerArn": arn, "filter": ACTIVE_ONLY}, {"findings": [_v2(g, t) for g in live]}
                    )
                )
                ops["get_finding_v2"] += [
                    recorded({"analyzerArn": arn, "id": g.id}, {**_v2(g, t), "findingDetails": [g.details]})
                    for g in live
                ]
            ops["list_analyzers"] = [recorded({}, {"analyzers": summaries})]
            out[(SERVICE, region)] = {k: v for k, v in ops.items() if v}
        return out


def _active(g: Grant, t: datetime, org: Organization) -> bool:
    owner = next(a for a in org.accounts if a.id == g.owner)
    return present(owner, t) and g.created <= t and (g.resolved is None or t < g.resolved)


def _arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:access-analyzer:{region}:{account}:analyzer/{name}"


def _rules(name: str, created: str) -> list[dict]:
    if name != "org-analyzer":
        return []
    return [
        {
            "ruleName": "datadog-integration",
            "filter": {"principal.AWS": {"eq": [DATADOG]}, "resourceType": {"eq": ["AWS::IAM::Role"]}},
            "createdAt": created,
            "updatedAt": created,
        }
    ]


def _v1(g: Grant, t: datetime) -> dict:
    return {
        "id": g.id,
        "principal": g.principal,
        "action": list(g.actions),
        "resource": g.resource,
        "isPublic": g.public,
        "resourceType": g.resource_type,
        "condition": g.condition or {},
        "createdAt": iso(g.created),
        "analyzedAt": iso(t - timedelta(hours=2)),
        "updatedAt": iso(g.created),
        "status": "ACTIVE",
        "resourceOwnerAccount": g.owner,
        "sources": [{"type": "POLICY"}],
    }


def _v2(g: Grant, t: datetime) -> dict:
    return {
        "analyzedAt": iso(t - timedelta(hours=2)),
        "createdAt": iso(g.created),
        "id": g.id,
        "resource": g.resource,
        "resourceType": g.resource_type,
        "resourceOwnerAccount": g.owner,
        "status": "ACTIVE",
        "updatedAt": iso(g.created),
        "findingType": g.kind,
    }


def build_access(org: Organization, seed: int, story: Exposure) -> AccessState:
    """Every finding's life over the 90 days, from the seed; the story's bucket grant among them."""
    rng = random.Random(f"accessanalyzer/{seed}")
    times = snapshot_times(org)
    t0 = times[0]
    prod, shared = story.account, org.by_role("shared-services")
    contractor = random_digits(rng, 12)
    grants = [
        Grant(
            uid(rng, 36),
            "org-analyzer",
            story.region,
            "ExternalAccess",
            "AWS::S3::Bucket",
            f"arn:aws:s3:::{story.bucket}",
            prod.id,
            {"AWS": f"arn:aws:iam::{story.outside_account}:root"},
            ("s3:GetObject", "s3:ListBucket"),
            story.shared,
        ),
        Grant(
            uid(rng, 36),
            "org-analyzer",
            HOME_REGION,
            "ExternalAccess",
            "AWS::IAM::Role",
            f"arn:aws:iam::{shared.id}:role/contractor-readonly",
            shared.id,
            {"AWS": contractor},
            ("sts:AssumeRole",),
            t0 - timedelta(days=300),
        ),
    ]
    buckets, _ = org_buckets(org, random.Random(f"storagelens/{seed}"))
    first_day = org.end - timedelta(days=HISTORY_DAYS)
    for b in buckets:
        if "tmp-share" in b.name:
            grants.append(
                Grant(
                    uid(rng, 36),
                    "org-analyzer",
                    b.region,
                    "ExternalAccess",
                    "AWS::S3::Bucket",
                    f"arn:aws:s3:::{b.name}",
                    b.account.id,
                    {"AWS": "*"},
                    ("s3:GetObject",),
                    first_day + timedelta(days=b.created_day, hours=3),
                    public=True,
                )
            )
    log = org.by_role("log-archive")
    sec = org.by_role("security")
    trail_bucket = next(b.name for b in buckets if b.account is log)
    grants.append(
        Grant(
            uid(rng, 36),
            "org-internal-access",
            HOME_REGION,
            "InternalAccess",
            "AWS::S3::Bucket",
            f"arn:aws:s3:::{trail_bucket}",
            log.id,
            {"AWS": f"arn:aws:iam::{sec.id}:role/security-analytics"},
            ("s3:GetObject", "s3:ListBucket"),
            t0 - timedelta(days=200),
            details={
                "internalAccessDetails": {
                    "action": ["s3:GetObject", "s3:ListBucket"],
                    "condition": {},
                    "principal": {"AWS": f"arn:aws:iam::{sec.id}:role/security-analytics"},
                    "principalOwnerAccount": sec.id,
                    "accessType": "INTRA_ORG",
                    "principalType": "IAM_ROLE",
                    "sources": [{"type": "POLICY"}],
                }
            },
        )
    )
    for a in org.accounts:
        est = estate(org, a, seed)
        r = random.Random(f"unused/{seed}/{a.id}")
        created = max(a.joined, t0 - timedelta(days=30)) + timedelta(days=r.randrange(0, 60))
        role = est.instance_roles[-1][0]
        resolved = created + timedelta(days=r.randrange(10, 40)) if r.random() < 0.4 else None
        grants.append(
            _unused(
                uid(r, 36),
                "UnusedIAMRole",
                a,
                f"role/{role}",
                created,
                {"unusedIamRoleDetails": {"lastAccessed": iso(created - timedelta(days=95))}},
                resolved,
            )
        )
        grants.append(
            _unused(
                uid(r, 36),
                "UnusedPermission",
                a,
                f"role/{est.cicd_role[0]}",
                created + timedelta(days=3),
                {
                    "unusedPermissionDetails": {
                        "serviceNamespace": "iam",
                        "actions": [{"action": "iam:CreateUser"}, {"action": "iam:AttachUserPolicy"}],
                        "lastAccessed": iso(created - timedelta(days=140)),
                    }
                },
            )
        )
        if est.ci_user:
            grants.append(
                _unused(
                    uid(r, 36),
                    "UnusedIAMUserAccessKey",
                    a,
                    f"user/{est.ci_user[0]}",
                    t0 + timedelta(days=12),
                    {
                        "unusedIamUserAccessKeyDetails": {
                            "accessKeyId": f"AKIA{uid(r, 16).upper()}",
                            "lastAccessed": iso(t0 - timedelta(days=80)),
                        }
                    },
                )
            )
    return AccessState(org, tuple(grants))


def _unused(
    fid: str,
    kind: str,
    account: Account,
    entity: str,
    created: datetime,
    details: dict,
    resolved: datetime | None = None,
) -> Grant:
    """An unused-access finding on ``entity`` (``role/<name>`` or ``user/<name>``) of ``account``: the
    ORGANIZATION_UNUSED_ACCESS analyzer runs in the home region, and names no principal and no action.
    The caller draws ``fid`` before ``details``, which may draw from the same generator (a seed's lake
    stays the same)."""
    return Grant(
        fid,
        "org-unused-access",
        HOME_REGION,
        kind,
        f"AWS::IAM::{entity.split('/')[0].title()}",
        f"arn:aws:iam::{account.id}:{entity}",
        account.id,
        {},
        (),
        created,
        resolved,
        details=details,
    )
