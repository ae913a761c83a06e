"""Amazon Inspector (inspector2) from the delegated administrator: findings, scan coverage, counts.

Per region (Inspector is regional; its delegated administrator sees every member account's
findings and coverage in each region where it is enabled, Inspector User Guide, "Managing
multiple accounts", 2024):

- ``batch_get_account_status`` for the administrator itself: a region where its status is not
  ENABLED (or ENABLING) is recorded as ``Status.NOT_ENABLED`` (code ``InspectorNotEnabled``) and
  nothing else is called there;
- ``list_members`` (associated or not) and ``batch_get_account_status`` for the members, 100 ids a
  call (the API maximum): which accounts, and which scan types (EC2, ECR, Lambda, Lambda code);
- ``list_findings`` (100 a page, the API maximum): package, code and network findings with CVE,
  CVSS, EPSS, fix and exploit availability, the vulnerable package and the resource;
- ``list_coverage`` (200 a page): every resource Inspector knows of, scanned or not, and why not;
- ``list_finding_aggregations`` with ``aggregationType=ACCOUNT``: counts per account and severity.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, RegionalService
from orginsight.collectors.recording import ApiRecording, Call, dig, entries
from orginsight.collectors.service import Coverage, Covered, RunOptions, Service
from orginsight.sources.findings import to_utc

SERVICE = "inspector2"
FINDINGS_PAGE = 100
"""ListFindings maxResults is capped at 100 (botocore model, 2026)."""
COVERAGE_PAGE = 200
"""ListCoverage maxResults is capped at 200 (botocore model, 2026)."""
AGGREGATIONS_PAGE = 100
"""ListFindingAggregations maxResults is capped at 100 (botocore model, 2026)."""
STATUS_BATCH = 100
"""BatchGetAccountStatus takes at most 100 account ids (botocore model ``AccountIdSet``, 2026)."""

ACTIVE_STATES = frozenset({"ENABLED", "ENABLING"})
"""Account states in which Inspector scans (``State.status``); DISABLED, SUSPENDED ... do not."""

FINDING_COLUMNS = [
    "finding_arn",
    "account_id",
    "region",
    "type",
    "title",
    "severity",
    "inspector_score",
    "status",
    "vulnerability_id",
    "cvss_score",
    "cvss_version",
    "cvss_source",
    "epss_score",
    "fix_available",
    "exploit_available",
    "last_known_exploit_at",
    "package_name",
    "package_version",
    "package_fixed_in",
    "package_manager",
    "package_count",
    "code_detector_name",
    "code_file_path",
    "resource_type",
    "resource_id",
    "resource_region",
    "resource_count",
    "instance_profile_arn",
    "first_observed_at",
    "last_observed_at",
    "updated_at",
]
COVERAGE_COLUMNS = [
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "scan_type",
    "scan_mode",
    "scan_status_code",
    "scan_status_reason",
    "last_scanned_at",
]
AGGREGATION_COLUMNS = [
    "account_id",
    "region",
    "all",
    "critical",
    "high",
    "medium",
    "low",
    "informational",
    "untriaged",
    "exploit_available",
    "fix_available",
]
MEMBER_COLUMNS = ["account_id", "region", "relationship_status", "delegated_admin_account_id", "updated_at"]
SCAN_TYPES = {"ec2": "ec2", "ecr": "ecr", "lambda": "lambda", "lambda_code": "lambdaCode"}
"""Account status column -> its scan type's key in ``resourceState`` (BatchGetAccountStatus)."""
ACCOUNT_STATUS_COLUMNS = ["account_id", "region", "status", *SCAN_TYPES]


def finding_filter(since: datetime | None = None, include_closed: bool = False) -> dict[str, Any]:
    """A ListFindings ``filterCriteria``: updated since ``since``; ACTIVE findings unless ``include_closed``
    (then SUPPRESSED and CLOSED too, which time-to-fix trends need)."""
    criteria: dict[str, Any] = {}
    if not include_closed:
        criteria["findingStatus"] = [{"comparison": "EQUALS", "value": "ACTIVE"}]
    if since is not None:
        criteria["updatedAt"] = [{"startInclusive": since}]
    return criteria


# ----------------------------------------------------------------------------- get (API pages)


def get_region(api: RecordedCalls, criteria: dict[str, Any]) -> int:
    """Record one region's Inspector state from the delegated admin; returns the number of findings."""
    own = api.one("batch_get_account_status")
    if own is None:
        return 0
    states = [a["state"]["status"] for a in own.get("accounts", [])]
    if not any(s in ACTIVE_STATES for s in states):
        message = f"Inspector is not enabled in {api.region} (status {states or None})"
        return api.not_there("batch_get_account_status", "InspectorNotEnabled", message)
    members = api.pages("list_members", onlyAssociated=False, maxResults=50) or []
    ids = [m["accountId"] for page in members for m in page.get("members", [])]
    for start in range(0, len(ids), STATUS_BATCH):
        api.one("batch_get_account_status", accountIds=ids[start : start + STATUS_BATCH])
    api.pages("list_findings", filterCriteria=criteria, maxResults=FINDINGS_PAGE)
    # Counted from the recording: a walk that failed half-way keeps (and counts) the pages it got.
    fetched = sum(
        len(r.get("findings", [])) for r in api.recording.responses(SERVICE, api.region, "list_findings")
    )
    api.pages("list_coverage", maxResults=COVERAGE_PAGE)
    api.pages("list_finding_aggregations", aggregationType="ACCOUNT", maxResults=AGGREGATIONS_PAGE)
    api.log.ok(api.account, api.region, "inspector2", items=fetched)
    return fetched


# ----------------------------------------------------------------------------- transform (pure)


def _image_ref(repository: str | None, digest: str | None, registry: str | None = None) -> str | None:
    if not repository:
        return None
    name = f"{registry}/{repository}" if registry else repository
    return f"{name}@{digest}" if digest else name


def _ecr_image(d: dict[str, Any]) -> str | None:
    i = d.get("awsEcrContainerImage") or {}
    return _image_ref(i.get("repositoryName"), i.get("imageHash"), i.get("registry"))


def _cloud_image(d: dict[str, Any]) -> str | None:
    i = d.get("image") or {}
    return _image_ref(i.get("repositoryName"), i.get("imageDigest"), i.get("registry"))


RESOURCE_ID_FROM_DETAILS: dict[str, Callable[[dict[str, Any]], str | None]] = {
    "AWS_EC2_INSTANCE": lambda d: None,  # AwsEc2InstanceDetails has no instance id: ``id`` is the only one
    "AWS_ECR_CONTAINER_IMAGE": _ecr_image,
    "AWS_ECR_REPOSITORY": lambda d: (d.get("awsEcrContainerImage") or {}).get("repositoryName"),
    "AWS_LAMBDA_FUNCTION": lambda d: (d.get("awsLambdaFunction") or {}).get("functionName"),
    "CODE_REPOSITORY": lambda d: (
        (d.get("codeRepository") or {}).get("projectName")
        or (d.get("codeRepository") or {}).get("integrationArn")
    ),
    "MACHINE_IMAGE": lambda d: (d.get("machineImage") or {}).get("machineImageId"),
    "Microsoft.Compute/virtualMachines": lambda d: (d.get("vm") or {}).get("vmName"),
    "compute.googleapis.com/Instance": lambda d: (d.get("vm") or {}).get("vmName"),
    "Microsoft.ContainerRegistry/registry/containerImage": _cloud_image,
    "artifactregistry.googleapis.com/DockerImage": _cloud_image,
    "Microsoft.Web/sites": lambda d: (d.get("serverlessFunction") or {}).get("serverlessFunctionName"),
    "cloudfunctions.googleapis.com/Function": lambda d: (d.get("serverlessFunction") or {}).get(
        "serverlessFunctionName"
    ),
}
"""Where each ``ResourceType`` (botocore model, 2026) names its resource besides ``Resource.id``.

``id`` is required and non-empty in the model, so this is the fallback for a record that lost it
(hand-trimmed samples, EventBridge copies); a test checks that every type of the model is here.
"""


def resource_id(resource: dict[str, Any]) -> str | None:
    """The resource's id: ``id``, else what its type's details name (see ``RESOURCE_ID_FROM_DETAILS``)."""
    if resource.get("id"):
        return resource["id"]
    fallback = RESOURCE_ID_FROM_DETAILS.get(resource.get("type") or "")
    return fallback(resource.get("details") or {}) if fallback else None


def _cvss(details: dict[str, Any]) -> dict[str, Any]:
    """The CVSS v3 base score of a package vulnerability: the entry from the vulnerability's own source
    (the vendor whose advisory Inspector matched) when it has one, else the first v3 entry (often NVD)."""
    v3 = [c for c in details.get("cvss") or [] if str(c.get("version", "")).startswith("3")]
    own = [c for c in v3 if c.get("source") == details.get("source")]
    return (own or v3 or [{}])[0]


def _region_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[3] or None if len(parts) > 3 else None


def transform_finding(finding: dict[str, Any], region: str | None = None) -> dict[str, Any]:
    """One row of the findings table from one ListFindings ``Finding`` (boto3 shape)."""
    package = finding.get("packageVulnerabilityDetails") or {}
    packages = package.get("vulnerablePackages") or []
    first = packages[0] if packages else {}
    cvss = _cvss(package)
    code = finding.get("codeVulnerabilityDetails") or {}
    resources = finding["resources"]
    resource = resources[0] if resources else {}
    return {
        "finding_arn": finding["findingArn"],
        "account_id": finding["awsAccountId"],
        "region": _region_of(finding["findingArn"]) or resource.get("region") or region,
        "type": finding["type"],
        "title": finding.get("title"),
        "severity": finding["severity"],
        "inspector_score": finding.get("inspectorScore"),
        "status": finding["status"],
        "vulnerability_id": package.get("vulnerabilityId"),
        "cvss_score": cvss.get("baseScore"),
        "cvss_version": cvss.get("version"),
        "cvss_source": cvss.get("source"),
        "epss_score": (finding.get("epss") or {}).get("score"),
        "fix_available": finding.get("fixAvailable"),
        "exploit_available": finding.get("exploitAvailable"),
        "last_known_exploit_at": to_utc(
            (finding.get("exploitabilityDetails") or {}).get("lastKnownExploitAt")
        ),
        "package_name": first.get("name"),
        "package_version": first.get("version"),
        "package_fixed_in": first.get("fixedInVersion"),
        "package_manager": first.get("packageManager"),
        "package_count": len(packages),
        "code_detector_name": code.get("detectorName"),
        "code_file_path": (code.get("filePath") or {}).get("filePath"),
        "resource_type": resource.get("type"),
        "resource_id": resource_id(resource) if resource else None,
        "resource_region": resource.get("region"),
        "resource_count": len(resources),
        # the instance's role, through its profile: what the exposure paths follow (analytics/posture/exposure.py)
        "instance_profile_arn": ((resource.get("details") or {}).get("awsEc2Instance") or {}).get(
            "iamInstanceProfileArn"
        ),
        "first_observed_at": to_utc(finding["firstObservedAt"]),
        "last_observed_at": to_utc(finding["lastObservedAt"]),
        "updated_at": to_utc(finding.get("updatedAt")),
    }


def transform_findings(region: str | None, calls: list[Call]) -> list[dict[str, Any]]:
    """Finding rows from ListFindings pages (one row per finding; its first resource and package)."""
    return [transform_finding(f, region) for _, f in entries(calls, "findings")]


def transform_coverage(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Coverage rows from ListCoverage pages: each resource, its scan type, and why it is (not) scanned."""
    return [
        {
            "account_id": r["accountId"],
            "region": region,
            "resource_type": r["resourceType"],
            "resource_id": r["resourceId"],
            "scan_type": r["scanType"],
            "scan_mode": r.get("scanMode"),
            "scan_status_code": dig(r, "scanStatus", "statusCode"),
            "scan_status_reason": dig(r, "scanStatus", "reason"),
            "last_scanned_at": to_utc(r.get("lastScannedAt")),
        }
        for _, r in entries(calls, "coveredResources")
    ]


def transform_aggregations(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Counts per account and severity from ListFindingAggregations(ACCOUNT) pages."""
    rows = []
    for _, response in entries(calls, "responses"):
        agg = response.get("accountAggregation")
        if agg is None:
            continue
        counts = agg.get("severityCounts") or {}
        rows.append(
            {
                "account_id": agg.get("accountId"),
                "region": region,
                **{k: counts.get(k) for k in AGGREGATION_COLUMNS[2:9]},
                "exploit_available": agg.get("exploitAvailableCount"),
                "fix_available": agg.get("fixAvailableCount"),
            }
        )
    return rows


def transform_members(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Member rows from ListMembers pages."""
    return [
        {
            "account_id": m["accountId"],
            "region": region,
            "relationship_status": m.get("relationshipStatus"),
            "delegated_admin_account_id": m.get("delegatedAdminAccountId"),
            "updated_at": to_utc(m.get("updatedAt")),
        }
        for _, m in entries(calls, "members")
    ]


def transform_account_status(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Each account's Inspector status and per-scan-type status from BatchGetAccountStatus calls."""
    return [
        {
            "account_id": a["accountId"],
            "region": region,
            "status": a["state"]["status"],
            **{column: dig(a, "resourceState", key, "status") for column, key in SCAN_TYPES.items()},
        }
        for _, a in entries(calls, "accounts")
    ]


def inspector_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Inspector table from recorded pages: findings, coverage, aggregations, members, account_status.

    ``org`` is accepted for the ``Service.frames`` signature; account names are joined later.
    """
    tables: dict[str, list[dict[str, Any]]] = {n: [] for n in TABLE_COLUMNS}
    for region in recording.regions(SERVICE):
        tables["findings"] += transform_findings(region, recording.calls(SERVICE, region, "list_findings"))
        tables["coverage"] += transform_coverage(region, recording.calls(SERVICE, region, "list_coverage"))
        tables["aggregations"] += transform_aggregations(
            region, recording.calls(SERVICE, region, "list_finding_aggregations")
        )
        tables["members"] += transform_members(region, recording.calls(SERVICE, region, "list_members"))
        tables["account_status"] += transform_account_status(
            region, recording.calls(SERVICE, region, "batch_get_account_status")
        )
    frames = {n: pd.DataFrame(rows, columns=TABLE_COLUMNS[n]) for n, rows in tables.items()}
    frames["findings"] = frames["findings"].drop_duplicates("finding_arn", keep="last").reset_index(drop=True)
    frames["account_status"] = (
        frames["account_status"].drop_duplicates(["account_id", "region"], keep="last").reset_index(drop=True)
    )
    return frames


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Inspector per (account, region), and per scan type, for posture's coverage matrix.

    An account's own BatchGetAccountStatus state wins (covered in ``ACTIVE_STATES``); else an ENABLED
    member of the delegated administrator is covered, and the administrator itself. Features are the
    scan types of that state (``EC2``, ``ECR``, ``LAMBDA``, ``LAMBDA_CODE``: ``resourceState``).
    """
    status: Covered = {}
    features: dict[str, Covered] = {}
    for region in recording.regions(SERVICE):
        members = transform_members(region, recording.calls(SERVICE, region, "list_members"))
        for m in members:
            status[(m["account_id"], region)] = str(m["relationship_status"]).upper() == "ENABLED"
        for admin in sorted({m["delegated_admin_account_id"] for m in members} - {None}):
            status.setdefault((admin, region), True)
        for row in transform_account_status(
            region, recording.calls(SERVICE, region, "batch_get_account_status")
        ):
            key = (row["account_id"], region)
            status[key] = row["status"] in ACTIVE_STATES
            for kind in ACCOUNT_STATUS_COLUMNS[3:]:
                if row[kind] is not None:
                    features.setdefault(kind.upper(), {})[key] = row[kind] in ACTIVE_STATES
    return status, features


TABLE_COLUMNS = {
    "findings": FINDING_COLUMNS,
    "coverage": COVERAGE_COLUMNS,
    "aggregations": AGGREGATION_COLUMNS,
    "members": MEMBER_COLUMNS,
    "account_status": ACCOUNT_STATUS_COLUMNS,
}


def run_criteria(options: RunOptions) -> dict[str, Any]:
    """``orginsight collect inspector``'s findings: updated since, closed and suppressed ones too if asked."""
    return finding_filter(since=options.since, include_closed=options.include_archived)


REGIONS = RegionalService(SERVICE, get_region, finding_filter, inspector_frames, run_criteria)
collect_inspector = REGIONS.collect
"""Live Inspector tables over ``regions`` (``connection, regions, criteria``, ``LiveRun`` options)."""


# ----------------------------------------------------------------------------- registration


CALLS = (
    "batch_get_account_status",
    "list_coverage",
    "list_finding_aggregations",
    "list_findings",
    "list_members",
)
"""The Inspector operations ``get_region`` calls."""

INSPECTOR = Service(
    api=SERVICE,
    name="inspector",
    calls=CALLS,  # demo/vulnerabilities.py records every call, weekly snapshots too
    tables=(
        transform_findings,
        transform_coverage,
        transform_aggregations,
        transform_members,
        transform_account_status,
    ),
    frames=inspector_frames,
    get=REGIONS.get_for_run,
    coverage=(Coverage("Inspector", transform=coverage_status),),
    finding_pages=("list_findings",),
)
"""Inspector in the registry (``orginsight.collectors.registry.SERVICES["inspector"]``)."""
