"""Trusted Advisor in the demo organization: security checks moving between ok, warning and error.

Each account's security checks (Trusted Advisor check ids and names as the Support API's
DescribeTrustedAdvisorChecks lists them, 2024) flag resources of the estate: security groups per
region, the account's buckets, its root user, its trail. Every flagged resource's status walks
between ok, warning and error from one weekly snapshot to the next (a small Markov chain drawn from
the seed), so the organization's recommendations appear, worsen and resolve over the 90 days.

Recorded as ``collectors.trustedadvisor.get_trustedadvisor(force_support=True)`` would record it from
the management account (the demo organization has Enterprise Support in every account): the
Trusted Advisor API's organization recommendations in ``error`` and ``warning`` (security pillar),
with their accounts and resources, and the Support API's security checks in each account.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import Calls, Exposure, estate, present, recorded, snapshot_times, uid
from orginsight.demo.org import HOME_REGION, Account, Organization, iso

SERVICE = "trustedadvisor"
SUPPORT = "support"
STATUSES = ("error", "warning")
"""The statuses the collector lists (one ListOrganizationRecommendations call each, security pillar)."""
RANK = {"ok": 0, "warning": 1, "error": 2}
STEP = {
    "ok": (("ok", 0.9), ("warning", 0.07), ("error", 0.03)),
    "warning": (("ok", 0.35), ("warning", 0.55), ("error", 0.1)),
    "error": (("ok", 0.4), ("warning", 0.1), ("error", 0.5)),
}
"""Weekly transition probabilities of one flagged resource's status."""

# (check id, name, AWS services, Support API metadata columns, what it flags, how often it starts bad)
CHECKS = (
    (
        "HCP4007jGY",
        "Security Groups - Specific Ports Unrestricted",
        ["ec2"],
        ["Region", "Security Group Name", "Security Group ID", "Protocol", "Status", "Ports"],
        "group",
        0.3,
    ),
    (
        "1iG5NDGVre",
        "Security Groups - Unrestricted Access",
        ["ec2"],
        [
            "Region",
            "Security Group Name",
            "Security Group ID",
            "Protocol",
            "From Port",
            "To Port",
            "IP Range",
        ],
        "group",
        0.15,
    ),
    ("zXCkfM1nI3", "IAM Use", ["iam"], [], "account", 0.0),
    ("7DAFEmoDos", "MFA on Root Account", ["iam"], [], "account", 0.15),
    (
        "Pfx0RwqBli",
        "Amazon S3 Bucket Permissions",
        ["s3"],
        ["Region Name", "Region API Parameter", "Bucket Name", "ACL Allows List", "ACL Allows Upload/Delete"]
        + ["Status", "Policy Allows Access", "Ignored Bucket Name"],
        "bucket",
        0.1,
    ),
    (
        "12Fnkpl8Y5",
        "Exposed Access Keys",
        ["iam"],
        ["Access Key ID", "User Name (IAM or Root)", "Fraud Type", "Case ID", "Time Updated", "Location"]
        + ["Deadline", "Usage (USD per Day)"],
        "none",
        0.0,
    ),
    (
        "vjafUGJ9H0",
        "AWS CloudTrail Logging",
        ["cloudtrail"],
        ["Region", "Trail Name", "Logging Status", "Bucket Name", "Last Delivery Error", "Status"],
        "trail",
        0.05,
    ),
)
COLOUR = "{colour}"
"""Placeholder of a check's Status column, filled with the resource's status colour at each snapshot."""
COLOURS = {"ok": "Green", "warning": "Yellow", "error": "Red"}
OTHER_CHECK = ("Qch7DwouX1", "Low Utilization Amazon EC2 Instances", "cost_optimizing")
"""A check outside the security category: listed by DescribeTrustedAdvisorChecks, its result not read."""


@dataclass(frozen=True)
class Flagged:
    """One resource a check looks at in one account, with its status at each weekly snapshot."""

    check: tuple
    account: Account
    region: str
    resource_id: str
    metadata: tuple[str, ...]
    statuses: tuple[str, ...]

    @property
    def digest(self) -> str:
        return hashlib.sha256(f"{self.check[0]}/{self.account.id}/{self.resource_id}".encode()).hexdigest()


@dataclass(frozen=True)
class AdvisorState:
    org: Organization
    flagged: tuple[Flagged, ...]
    ids: dict[str, str]
    times: tuple[datetime, ...]

    def status(self, f: Flagged, t: datetime) -> str:
        """The resource's status at ``t``: that of the newest snapshot not after ``t``."""
        k = max([i for i, s in enumerate(self.times) if s <= t] or [0])
        return f.statuses[k]

    def responses(self, t: datetime) -> Calls:
        here = [f for f in self.flagged if present(f.account, t)]
        accounts = [a for a in self.org.accounts if present(a, t)]
        ta: dict[str, list[dict]] = {op: [] for op in _TA_OPS}
        for status in STATUSES:
            listed = [
                _recommendation(self.ids[c[0]], c, [f for f in here if f.check is c], t, self) for c in CHECKS
            ]
            listed = [r for r in listed if r["status"] == status]
            ta["list_organization_recommendations"].append(
                recorded(
                    {"status": status, "pillar": "security"}, {"organizationRecommendationSummaries": listed}
                )
            )
            for r in listed:
                check = next(c for c in CHECKS if self.ids[c[0]] == r["id"])
                mine = [f for f in here if f.check is check]
                params = {"organizationRecommendationIdentifier": r["arn"]}
                ta["list_organization_recommendation_accounts"].append(
                    recorded(params, {"accountRecommendationLifecycleSummaries": _accounts(r, mine, t, self)})
                )
                ta["list_organization_recommendation_resources"].append(
                    recorded(
                        params,
                        {
                            "organizationRecommendationResourceSummaries": [
                                _resource(r, f, t, self) for f in mine
                            ]
                        },
                    )
                )
        support: dict[str, list[dict]] = {
            "describe_trusted_advisor_checks": [],
            "describe_trusted_advisor_check_result": [],
        }
        for a in accounts:
            support["describe_trusted_advisor_checks"].append(recorded({"language": "en"}, _checks(), a.id))
            for c in CHECKS:
                mine = [f for f in here if f.check is c and f.account is a]
                support["describe_trusted_advisor_check_result"].append(
                    recorded({"checkId": c[0], "language": "en"}, _result(c, mine, t, self), a.id)
                )
        return {(SERVICE, HOME_REGION): ta, (SUPPORT, HOME_REGION): support}


_TA_OPS = (
    "list_organization_recommendations",
    "list_organization_recommendation_accounts",
    "list_organization_recommendation_resources",
)


def build_advisor(org: Organization, seed: int, story: Exposure) -> AdvisorState:
    """Every check's resources per account and their statuses over the 13 snapshots, from the seed."""
    times = tuple(snapshot_times(org))
    rng = random.Random(f"advisor/{seed}")
    ids = {c[0]: _uuid(rng) for c in CHECKS}
    flagged = []
    for a in org.accounts:
        rng = random.Random(f"advisor/{seed}/{a.id}")
        est = estate(org, a, seed)
        for check in CHECKS:
            for region, rid, meta in _targets(check, a, est, rng):
                flagged.append(Flagged(check, a, region, rid, meta, _walk(rng, check[5], len(times))))
    return AdvisorState(org, tuple(flagged), ids, times)


def _targets(check: tuple, a: Account, est, rng: random.Random) -> list[tuple[str, str, tuple[str, ...]]]:  # noqa: ANN001 - an Estate
    """(region, resource id, Support API metadata values) of what ``check`` looks at in ``a``."""
    kind = check[4]
    if kind == "group":
        out = []
        for region in a.regions:
            sg = f"sg-0{uid(rng, 16)}"
            ports = "22" if check[0] == "HCP4007jGY" else "0"
            meta = (region, f"{a.name}-bastion", sg, "tcp", COLOUR, ports)
            if check[0] != "HCP4007jGY":
                meta = (region, f"{a.name}-bastion", sg, "tcp", ports, "65535", "0.0.0.0/0")
            out.append((region, sg, meta))
        return out
    if kind == "bucket":
        return [
            (HOME_REGION, b, ("US East (N. Virginia)", HOME_REGION, b, "No", "No", COLOUR, "No", "No"))
            for b in est.buckets
        ]
    if kind == "trail":
        trail = f"aws-controltower-BaselineCloudTrail-{a.id}"
        return [(HOME_REGION, trail, (HOME_REGION, trail, "On", "aws-controltower-logs", "", COLOUR))]
    if kind == "account":
        return [(HOME_REGION, a.id, ())]
    return []


def _walk(rng: random.Random, bad: float, n: int) -> tuple[str, ...]:
    """``n`` weekly statuses: the first bad with probability ``bad``, then the Markov chain ``STEP``
    (a check that never starts bad stays ok: IAM Use and Exposed Access Keys)."""
    if bad == 0.0:
        return ("ok",) * n
    out = [rng.choice(("warning", "error")) if rng.random() < bad else "ok"]
    while len(out) < n:
        r, acc = rng.random(), 0.0
        for status, p in STEP[out[-1]]:
            acc += p
            if r < acc:
                out.append(status)
                break
        else:
            out.append(out[-1])
    return tuple(out)


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=RANK.__getitem__, default="ok")


def _recommendation(rid: str, check: tuple, mine: list[Flagged], t: datetime, s: AdvisorState) -> dict:
    statuses = [s.status(f, t) for f in mine]
    worst = _worst(statuses)
    return {
        "id": rid,
        "type": "standard",
        "checkArn": f"arn:aws:trustedadvisor:::check/{check[0]}",
        "status": worst,
        "lifecycleStage": "in_progress" if worst != "ok" else "resolved",
        "pillars": ["security"],
        "source": "ta_check",
        "awsServices": check[2],
        "name": check[1],
        "resourcesAggregates": {
            "okCount": statuses.count("ok"),
            "warningCount": statuses.count("warning"),
            "errorCount": statuses.count("error"),
        },
        "createdAt": iso(s.org.created + timedelta(days=30)),
        "lastUpdatedAt": iso(_updated(t)),
        "arn": f"arn:aws:trustedadvisor:::organization-recommendation/{rid}",
    }


def _updated(t: datetime) -> datetime:
    """Trusted Advisor refreshes security checks daily: the last refresh before ``t``."""
    return (t - timedelta(hours=4)).replace(minute=12, second=9, microsecond=0)


def _accounts(r: dict, mine: list[Flagged], t: datetime, s: AdvisorState) -> list[dict]:
    per: dict[str, list[str]] = {}
    for f in mine:
        per.setdefault(f.account.id, []).append(s.status(f, t))
    return [
        {
            "accountId": account,
            "accountRecommendationArn": f"arn:aws:trustedadvisor::{account}:recommendation/{r['id']}",
            "lifecycleStage": "in_progress" if _worst(statuses) != "ok" else "resolved",
            "lastUpdatedAt": iso(_updated(t)),
        }
        for account, statuses in sorted(per.items())
    ]


def _resource(r: dict, f: Flagged, t: datetime, s: AdvisorState) -> dict:
    status = s.status(f, t)
    meta = {str(i): v for i, v in enumerate(_metadata(f, status))} or {"0": status}
    arn = f"arn:aws:trustedadvisor::{f.account.id}:recommendation/{r['id']}"
    return {
        "id": f.digest,
        "arn": f"arn:aws:trustedadvisor::{f.account.id}:recommendation-resource/{r['id']}/{f.digest}",
        "awsResourceId": f.resource_id,
        "regionCode": f.region,
        "status": status,
        "metadata": meta,
        "lastUpdatedAt": iso(_updated(t)),
        "exclusionStatus": "included",
        "accountId": f.account.id,
        "recommendationArn": arn,
    }


def _metadata(f: Flagged, status: str) -> list[str]:
    return [v.replace(COLOUR, COLOURS[status]) for v in f.metadata]


def _checks() -> dict:
    checks = [
        {
            "id": c[0],
            "name": c[1],
            "description": f"Checks {c[1].lower()}.",
            "category": "security",
            "metadata": c[3],
        }
        for c in CHECKS
    ]
    other = {"id": OTHER_CHECK[0], "name": OTHER_CHECK[1], "description": "Checks EC2 utilization."}
    return {"checks": [*checks, {**other, "category": OTHER_CHECK[2], "metadata": ["Region", "Instance ID"]}]}


def _result(check: tuple, mine: list[Flagged], t: datetime, s: AdvisorState) -> dict:
    statuses = [s.status(f, t) for f in mine]
    flagged = [f for f, st in zip(mine, statuses, strict=True) if st != "ok"]
    return {
        "result": {
            "checkId": check[0],
            "timestamp": _updated(t).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "status": _worst(statuses),
            "resourcesSummary": {
                "resourcesProcessed": len(mine),
                "resourcesFlagged": len(flagged),
                "resourcesIgnored": 0,
                "resourcesSuppressed": 0,
            },
            "categorySpecificSummary": {},
            "flaggedResources": [
                {
                    "status": s.status(f, t),
                    "region": f.region,
                    "resourceId": f.digest,
                    "isSuppressed": False,
                    "metadata": _metadata(f, s.status(f, t)),
                }
                for f in flagged
            ],
        }
    }


def _uuid(rng: random.Random) -> str:
    h = uid(rng, 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
