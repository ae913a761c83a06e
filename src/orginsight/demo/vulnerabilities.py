"""Amazon Inspector in the demo organization: package findings opened and fixed over 90 days, and coverage.

Every EC2 instance, Lambda function and (in production accounts, where ECR scanning is on) container
image of the estate gets a few real CVEs, each opened on a day drawn from the seed and fixed after a
delay that depends on its severity and on the account (production fixes fastest, sandboxes slowest);
some are never fixed. At a snapshot time a finding is ACTIVE until fixed, then CLOSED for 30 days
(Inspector deletes closed findings 30 days after closing them, User Guide "Understanding findings",
2024), which is what time-to-fix trends read. Instances without the SSM agent are not scanned.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import (
    STORY_CVE,
    Calls,
    Exposure,
    ec2_instances,
    estate,
    present,
    recorded,
    snapshot_times,
    uid,
)
from orginsight.demo.org import HOME_REGION, Organization, inspector_account_status, iso

SERVICE = "inspector2"
PAGE = 100
CLOSED_KEPT = timedelta(days=30)

# (CVE, CVSS v3 base score, EPSS, exploit available, package, vulnerable version, fixed in, package manager)
CVES = (
    ("CVE-2024-6387", 8.1, 0.4325, "YES", "openssh-server", "8.7p1-38.amzn2023", "8.7p1-42.amzn2023", "OS"),
    ("CVE-2023-4911", 7.8, 0.0431, "YES", "glibc", "2.34-52.amzn2023", "2.34-52.amzn2023.0.3", "OS"),
    ("CVE-2024-2961", 8.8, 0.0917, "YES", "glibc", "2.34-52.amzn2023", "2.34-100.amzn2023", "OS"),
    ("CVE-2023-38545", 9.8, 0.2285, "NO", "curl", "8.2.1-1.amzn2023", "8.3.0-1.amzn2023", "OS"),
    ("CVE-2023-45853", 9.8, 0.0142, "NO", "zlib", "1.2.11-33.amzn2023", "1.2.11-33.amzn2023.0.5", "OS"),
    ("CVE-2024-45490", 9.8, 0.0071, "NO", "expat", "2.5.0-1.amzn2023", "2.6.3-1.amzn2023", "OS"),
    ("CVE-2023-5363", 7.5, 0.0039, "NO", "openssl-libs", "3.0.8-1.amzn2023", "3.0.8-1.amzn2023.0.9", "OS"),
    ("CVE-2023-44487", 7.5, 0.9446, "YES", "nghttp2", "1.55.1-1.amzn2023", "1.57.0-1.amzn2023", "OS"),
    ("CVE-2021-3156", 7.8, 0.9237, "YES", "sudo", "1.9.5p2-1.amzn2", "1.9.5p2-1.amzn2.0.1", "OS"),
    (
        "CVE-2023-29491",
        7.8,
        0.0009,
        "NO",
        "ncurses-libs",
        "6.2-4.20200222.amzn2",
        "6.2-4.20200222.amzn2.0.1",
        "OS",
    ),
    ("CVE-2024-28182", 5.3, 0.0021, "NO", "nghttp2", "1.57.0-1.amzn2023", "1.59.0-3.amzn2023", "OS"),
    (
        "CVE-2023-48795",
        5.9,
        0.6592,
        "YES",
        "openssh-clients",
        "8.7p1-8.amzn2023",
        "8.7p1-8.amzn2023.0.10",
        "OS",
    ),
    ("CVE-2024-0727", 5.5, 0.0038, "NO", "openssl-libs", "3.0.8-1.amzn2023", "3.0.8-1.amzn2023.0.11", "OS"),
    ("CVE-2023-7104", 7.3, 0.0027, "NO", "sqlite-libs", "3.40.0-1.amzn2023", "3.40.0-1.amzn2023.0.4", "OS"),
    ("CVE-2022-48303", 3.3, 0.0005, "NO", "tar", "1.34-1.amzn2023", "1.34-1.amzn2023.0.2", "OS"),
    ("CVE-2022-42889", 9.8, 0.9710, "YES", "org.apache.commons:commons-text", "1.9", "1.10.0", "JAR"),
    ("CVE-2022-1471", 9.8, 0.0268, "YES", "org.yaml:snakeyaml", "1.33", "2.0", "JAR"),
    ("CVE-2023-37920", 9.8, 0.0011, "NO", "certifi", "2022.12.7", "2023.7.22", "PIP"),
    ("CVE-2023-43804", 8.1, 0.0021, "NO", "urllib3", "1.26.15", "1.26.17", "PIP"),
    ("CVE-2024-35195", 5.6, 0.0004, "NO", "requests", "2.31.0", "2.32.0", "PIP"),
    ("CVE-2023-32681", 6.1, 0.0568, "NO", "requests", "2.28.2", "2.31.0", "PIP"),
    ("CVE-2022-40897", 5.9, 0.0032, "NO", "setuptools", "65.5.0", "65.5.1", "PIP"),
    ("CVE-2022-25883", 7.5, 0.0034, "NO", "semver", "7.3.8", "7.5.2", "NPM"),
    ("CVE-2023-26136", 6.5, 0.0021, "NO", "tough-cookie", "4.1.2", "4.1.3", "NPM"),
    ("CVE-2024-24790", 9.8, 0.0024, "NO", "stdlib", "go1.21.9", "1.21.11", "GOBINARY"),
    ("CVE-2023-39325", 7.5, 0.0122, "YES", "golang.org/x/net", "v0.14.0", "0.17.0", "GOBINARY"),
    ("CVE-2024-21626", 8.6, 0.0427, "YES", "github.com/opencontainers/runc", "v1.1.9", "1.1.12", "GOBINARY"),
)
"""The CVEs Inspector finds in the estate's packages; the package manager says where: OS packages on
the EC2 instances (``OS_CVES``), language packages in Lambda functions and container images (``APP_CVES``)."""
OS_CVES = tuple(c for c in CVES if c[7] == "OS")
APP_CVES = tuple(c for c in CVES if c[7] != "OS")
STORY = (
    "CVE-2021-44228",
    10.0,
    0.9447,
    "YES",
    "org.apache.logging.log4j:log4j-core",
    "2.14.1",
    "2.17.1",
    "JAR",
)
assert STORY[0] == STORY_CVE

FIX_DAYS = {"CRITICAL": 9.0, "HIGH": 18.0, "MEDIUM": 40.0, "LOW": 60.0}
"""Mean days to fix by severity (the demo's service levels)."""
FIXED_SHARE = {"CRITICAL": 0.9, "HIGH": 0.75, "MEDIUM": 0.45, "LOW": 0.2}
PACE = {"prod": 0.7, "sandbox": 1.8}
"""Days-to-fix factor by account role (others 1.0)."""
RUNTIMES = ("PYTHON_3_9", "NODEJS_18_X", "JAVA_11")


def severity(cvss: float) -> str:
    """Inspector's severity from the CVSS v3 base score (NVD's bands)."""
    return "CRITICAL" if cvss >= 9 else "HIGH" if cvss >= 7 else "MEDIUM" if cvss >= 4 else "LOW"


@dataclass(frozen=True)
class Resource:
    account: str
    region: str
    type: str
    id: str
    details: dict
    scanned: bool
    reason: str
    tags: dict


@dataclass(frozen=True)
class Vulnerability:
    arn: str
    resource: Resource
    cve: tuple
    opened: datetime
    fixed: datetime | None


@dataclass(frozen=True)
class InspectorState:
    org: Organization
    resources: tuple[Resource, ...]
    vulnerabilities: tuple[Vulnerability, ...]
    fixed_between: Vulnerability
    """A critical finding in production, open at snapshot 2 and closed by snapshot 6 (the drift test)."""

    def responses(self, t: datetime) -> Calls:
        out: Calls = {}
        sec = self.org.by_role("security")
        members = [a for a in self.org.accounts if a.id != sec.id and present(a, t)]
        for region in sorted({r.region for r in self.resources} | {HOME_REGION}):
            found = [
                _finding(v, t)
                for v in self.vulnerabilities
                if v.resource.region == region and _exists(v.resource, self.org, t)
            ]
            found = [f for f in found if f is not None]
            covered = [
                _coverage(r, t) for r in self.resources if r.region == region and _exists(r, self.org, t)
            ]
            out[(SERVICE, region)] = {
                "batch_get_account_status": [
                    recorded({}, inspector_account_status([sec])),
                    recorded({"accountIds": [a.id for a in members]}, inspector_account_status(members)),
                ],
                "list_members": [
                    recorded({"onlyAssociated": False, "maxResults": 50}, _members(members, sec.id))
                ],
                "list_findings": _pages({"filterCriteria": {}, "maxResults": PAGE}, "findings", found),
                "list_coverage": _pages({"maxResults": 200}, "coveredResources", covered, 200),
                "list_finding_aggregations": [
                    recorded(
                        {"aggregationType": "ACCOUNT", "maxResults": 100},
                        {"aggregationType": "ACCOUNT", "responses": _aggregations(found)},
                    )
                ],
            }
        return out


def _exists(r: Resource, org: Organization, t: datetime) -> bool:
    return next(a for a in org.accounts if a.id == r.account).joined <= t


def build_inspector(org: Organization, seed: int, story: Exposure) -> InspectorState:
    """Resources, their vulnerabilities and fix dates over the snapshots' 90 days, from the seed."""
    times = snapshot_times(org)
    first = times[0] - timedelta(days=20)
    resources: list[Resource] = []
    vulns: list[Vulnerability] = []
    fleet = ec2_instances(org, seed, story)
    for a in org.accounts:
        rng = random.Random(f"inspector/{seed}/{a.id}")
        est = estate(org, a, seed)
        mine: list[Resource] = []
        for inst in fleet[a.id]:
            mine.append(
                Resource(
                    a.id,
                    inst.region,
                    "AWS_EC2_INSTANCE",
                    inst.id,
                    {
                        "awsEc2Instance": {
                            "type": rng.choice(("t3.medium", "m6i.large", "c6g.xlarge")),
                            "imageId": f"ami-0{uid(rng, 16)}",
                            "ipV4Addresses": [
                                f"10.{rng.randrange(4)}.{rng.randrange(1, 20)}.{rng.randrange(4, 250)}"
                            ],
                            "ipV6Addresses": [],
                            "iamInstanceProfileArn": inst.profile_arn,
                            "vpcId": est.vpcs[inst.region],
                            "subnetId": f"subnet-0{uid(rng, 16)}",
                            "launchedAt": iso(datetime(2026, 1, 5) + timedelta(hours=rng.randrange(6000))),
                            "platform": "AMAZON_LINUX_2023",
                        }
                    },
                    inst.managed,
                    "SUCCESSFUL" if inst.managed else "UNMANAGED_EC2_INSTANCE",
                    {"Name": f"{a.name}-{inst.role.split('-')[0]}"},
                )
            )
        for fn, role, _ in est.functions:
            mine.append(
                Resource(
                    a.id,
                    HOME_REGION,
                    "AWS_LAMBDA_FUNCTION",
                    f"arn:aws:lambda:{HOME_REGION}:{a.id}:function:{fn}",
                    {
                        "awsLambdaFunction": {
                            "functionName": fn,
                            "runtime": rng.choice(RUNTIMES),
                            "codeSha256": uid(rng, 43),
                            "version": "$LATEST",
                            "executionRoleArn": f"arn:aws:iam::{a.id}:role/{role}",
                            "packageType": "ZIP",
                            "architectures": ["X86_64"],
                            "lastModifiedAt": iso(
                                datetime(2026, 3, 1) + timedelta(hours=rng.randrange(4000))
                            ),
                        }
                    },
                    True,
                    "SUCCESSFUL",
                    {},
                )
            )
        if a.role == "prod":
            for n, repo in enumerate(("api", "worker", "web")):
                digest = f"sha256:{uid(rng, 64)}"
                old = n == 2
                mine.append(
                    Resource(
                        a.id,
                        HOME_REGION,
                        "AWS_ECR_CONTAINER_IMAGE",
                        f"arn:aws:ecr:{HOME_REGION}:{a.id}:repository/{a.name}/{repo}/{digest}",
                        {
                            "awsEcrContainerImage": {
                                "repositoryName": f"{a.name}/{repo}",
                                "imageTags": ["v1.4.2" if old else "latest"],
                                "pushedAt": iso(
                                    datetime(2026, 2 if old else 9, 3) + timedelta(hours=rng.randrange(500))
                                ),
                                "architecture": "amd64",
                                "imageHash": digest,
                                "registry": a.id,
                                "platform": "AMAZON_LINUX_2023",
                            }
                        },
                        not old,
                        "SCAN_ELIGIBILITY_EXPIRED" if old else "SUCCESSFUL",
                        {},
                    )
                )
        resources += mine
        for r in mine:
            if not r.scanned:
                continue
            pool = OS_CVES if r.type == "AWS_EC2_INSTANCE" else APP_CVES
            for cve in rng.sample(pool, rng.randint(1, 4)):
                vulns.append(
                    _vulnerability(rng, r, cve, first + timedelta(hours=rng.randrange(110 * 24)), a.role)
                )
    story_resource = next(r for r in resources if r.id == story.instance_id)
    rng = random.Random(f"inspector-story/{seed}")
    vulns.append(Vulnerability(_arn(rng, story_resource), story_resource, STORY, story.cve_opened, None))
    prod_instance = next(
        r for r in resources if r.account == story.account.id and r.type == "AWS_EC2_INSTANCE" and r.scanned
    )
    fixed = Vulnerability(
        _arn(rng, prod_instance),
        prod_instance,
        OS_CVES[0],
        times[2] - timedelta(days=4, hours=5),
        times[5] + timedelta(days=2, hours=3),
    )
    vulns.append(fixed)
    return InspectorState(org, tuple(resources), tuple(v for v in vulns if v.opened <= times[-1]), fixed)


def _vulnerability(rng: random.Random, r: Resource, cve: tuple, opened: datetime, role: str) -> Vulnerability:
    sev = severity(cve[1])
    fixed = None
    if rng.random() < FIXED_SHARE[sev]:
        fixed = opened + timedelta(days=rng.expovariate(1 / (FIX_DAYS[sev] * PACE.get(role, 1.0))) + 0.5)
    return Vulnerability(_arn(rng, r), r, cve, opened, fixed)


def _arn(rng: random.Random, r: Resource) -> str:
    return f"arn:aws:inspector2:{r.region}:{r.account}:finding/{uid(rng)}"


def _finding(v: Vulnerability, t: datetime) -> dict | None:
    if v.opened > t:
        return None
    closed = v.fixed is not None and v.fixed <= t
    if closed and t - v.fixed > CLOSED_KEPT:
        return None
    cve, cvss, epss, exploit, package, version, fixed_in, manager = v.cve
    sev = severity(cvss)
    r = v.resource
    seen = v.fixed if closed else t - timedelta(hours=3)
    vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    source = "NVD" if manager != "OS" else "AMAZON_CVE"
    finding = {
        "findingArn": v.arn,
        "awsAccountId": r.account,
        "type": "PACKAGE_VULNERABILITY",
        "description": f"{cve} in {package} {version}.",
        "title": f"{cve} - {package}",
        "remediation": {"recommendation": {"text": f"Upgrade {package} to {fixed_in} or later."}},
        "severity": sev,
        "firstObservedAt": iso(v.opened),
        "lastObservedAt": iso(seen),
        "updatedAt": iso(v.fixed if closed else t - timedelta(hours=3)),
        "status": "CLOSED" if closed else "ACTIVE",
        "resources": [
            {
                "type": r.type,
                "id": r.id,
                "partition": "aws",
                "region": r.region,
                "tags": r.tags,
                "details": r.details,
            }
        ],
        "inspectorScore": cvss,
        "inspectorScoreDetails": {
            "adjustedCvss": {"scoreSource": source, "version": "3.1", "score": cvss, "scoringVector": vector}
        },
        "packageVulnerabilityDetails": {
            "vulnerabilityId": cve,
            "vulnerablePackages": [
                {
                    "name": package,
                    "version": version,
                    "fixedInVersion": fixed_in,
                    "packageManager": manager,
                    **(
                        {"filePath": f"/opt/app/lib/{package.rsplit(':', 1)[-1]}-{version}.jar"}
                        if manager == "JAR"
                        else {}
                    ),
                }
            ],
            "source": source,
            "cvss": [{"baseScore": cvss, "scoringVector": vector, "version": "3.1", "source": source}],
            "sourceUrl": f"https://nvd.nist.gov/vuln/detail/{cve}",
            "vendorSeverity": sev.title(),
            "referenceUrls": [f"https://nvd.nist.gov/vuln/detail/{cve}"],
        },
        "fixAvailable": "YES",
        "exploitAvailable": exploit,
        "epss": {"score": epss},
    }
    if exploit == "YES":
        finding["exploitabilityDetails"] = {"lastKnownExploitAt": iso(t - timedelta(days=11))}
    return finding


def _coverage(r: Resource, t: datetime) -> dict:
    kind = {"AWS_EC2_INSTANCE": "ec2", "AWS_LAMBDA_FUNCTION": "lambdaFunction"}.get(r.type, "ecrImage")
    meta: dict = {
        "ec2": {
            "tags": r.tags,
            "amiId": (r.details.get("awsEc2Instance") or {}).get("imageId", ""),
            "platform": "LINUX",
        },
        "lambdaFunction": {
            "functionName": r.id.rsplit(":", 1)[-1],
            "runtime": (r.details.get("awsLambdaFunction") or {}).get("runtime", "UNSUPPORTED"),
        },
        "ecrImage": {"tags": (r.details.get("awsEcrContainerImage") or {}).get("imageTags", [])},
    }[kind]
    item = {
        "resourceType": r.type,
        "resourceId": r.id,
        "accountId": r.account,
        "scanType": "PACKAGE",
        "scanStatus": {"statusCode": "ACTIVE" if r.scanned else "INACTIVE", "reason": r.reason},
        "resourceMetadata": {kind: meta},
        "scanMode": "EC2_SSM_AGENT_BASED" if kind == "ec2" else None,
    }
    if r.scanned:
        item["lastScannedAt"] = iso(t - timedelta(hours=5))
    return {k: v for k, v in item.items() if v is not None}


def _aggregations(found: list[dict]) -> list[dict]:
    per: dict[str, dict] = {}
    for f in found:
        if f["status"] != "ACTIVE":
            continue
        a = per.setdefault(
            f["awsAccountId"], {"all": 0, "critical": 0, "high": 0, "medium": 0, "low": 0, "x": 0}
        )
        a["all"] += 1
        a[f["severity"].lower()] += 1
        a["x"] += f["exploitAvailable"] == "YES"
    return [
        {
            "accountAggregation": {
                "accountId": account,
                "severityCounts": {k: c[k] for k in ("all", "critical", "high", "medium", "low")},
                "exploitAvailableCount": c["x"],
                "fixAvailableCount": c["all"],
            }
        }
        for account, c in sorted(per.items())
    ]


def _members(members: list, admin: str) -> dict:
    return {
        "members": [
            {
                "accountId": a.id,
                "relationshipStatus": "ENABLED",
                "delegatedAdminAccountId": admin,
                "updatedAt": iso(a.joined + timedelta(days=5)),
            }
            for a in members
        ]
    }


def _pages(params: dict, key: str, items: list[dict], size: int = PAGE) -> list[dict]:
    """Items as recorded pages of ``size``: every page but the last carries a nextToken."""
    chunks = [items[i : i + size] for i in range(0, len(items), size)] or [[]]
    return [
        recorded(params, {key: chunk, **({"nextToken": f"page-{n + 2}"} if n + 1 < len(chunks) else {})})
        for n, chunk in enumerate(chunks)
    ]
