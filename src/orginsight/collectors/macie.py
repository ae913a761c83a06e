"""Amazon Macie (macie2) from the delegated administrator: bucket statistics, findings, classification jobs.

Per region (Macie is regional; the delegated administrator sees every member's buckets, findings
and the jobs it runs for them in each region where Macie is enabled):

- ``get_macie_session`` first, to tell "Macie is not enabled in this region" apart from other
  errors. A region without Macie answers 403 ``AccessDeniedException`` "Macie is not enabled"
  (cloud-custodian's recorded GetMacieSession response, 2020); that is ``Status.NOT_ENABLED``
  (code ``MacieNotEnabled``), not a denied permission. A PAUSED (suspended) session is recorded the same way.
- ``list_members`` (paginated, ``onlyAssociated="false"``: every account the administrator has, whatever its
  relationship, so a Paused or Removed member shows as not covered rather than missing): posture's Macie
  coverage per member account and region;
- ``describe_buckets`` (paginated): per bucket, effective public access, default encryption and
  object counts by encryption type, shared access (EXTERNAL/INTERNAL/NOT_SHARED/UNKNOWN),
  sensitivity score, classifiable size and the last classification job;
- ``list_findings`` (50 ids a page) -> ``get_findings`` with each page's ids (GetFindings takes at
  most 50 ids, Macie API Reference 2024): sensitive-data (``SensitiveData:S3Object/*``) and policy
  (``Policy:IAMUser/*``) findings;
- ``list_classification_jobs`` (paginated).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from orginsight.collectors.calls import RecordedCalls, RegionalService
from orginsight.collectors.fanout import NotEnabled
from orginsight.collectors.recording import ApiRecording, Call
from orginsight.collectors.service import Coverage, Covered, RunOptions, Service
from orginsight.sources.findings import to_utc

SERVICE = "macie2"
NAME = "macie"

FINDINGS_PAGE = 50
"""ListFindings MaxResults and GetFindings findingIds are both capped at 50 (Macie API Reference, 2024)."""

ALL_MEMBERS = {"onlyAssociated": "false"}
"""ListMembers' filter for every member whatever its relationship status (the default lists only the current
ones, Macie API Reference 2024): a Paused or Removed member is then known to be not covered."""

NOT_ENABLED_CODE = "MacieNotEnabled"
"""Outcome error code of a region where Macie is not enabled (or suspended)."""

BUCKET_COLUMNS = [
    "account_id",
    "region",
    "bucket_name",
    "bucket_arn",
    "public_access",
    "allows_unencrypted_object_uploads",
    "default_encryption",
    "object_count",
    "objects_unencrypted",
    "objects_s3_managed",
    "objects_kms_managed",
    "objects_customer_managed",
    "objects_encryption_unknown",
    "shared_access",
    "replicated_externally",
    "sensitivity_score",
    "classifiable_object_count",
    "classifiable_size_bytes",
    "size_bytes",
    "automated_discovery_status",
    "last_automated_discovery",
    "is_monitored_by_job",
    "last_job_id",
    "last_job_run_time",
    "error_code",
    "last_updated",
    "tags",
]
FINDING_COLUMNS = [
    "finding_id",
    "account_id",
    "region",
    "type",
    "category",
    "title",
    "severity",
    "severity_score",
    "bucket_name",
    "bucket_arn",
    "object_key",
    "sensitive_data",
    "sensitive_data_count",
    "job_id",
    "principal",
    "action",
    "count",
    "created_at",
    "updated_at",
    "archived",
    "sample",
]
JOB_COLUMNS = [
    "region",
    "job_id",
    "name",
    "job_type",
    "job_status",
    "created_at",
    "last_run_error",
    "bucket_accounts",
    "buckets",
    "paused_until",
]
SESSION_COLUMNS = ["region", "status", "created_at", "updated_at", "finding_publishing_frequency"]


def finding_criteria(
    since: datetime | None = None, archived: bool | None = False, min_severity: int | None = None
) -> dict[str, Any]:
    """A ListFindings ``findingCriteria``: updatedAt since (epoch ms), archived or not, minimum severity score."""
    criterion: dict[str, dict[str, Any]] = {}
    if since is not None:
        criterion["updatedAt"] = {"gte": int(since.timestamp() * 1000)}
    if archived is not None:
        criterion["archived"] = {"eq": ["true" if archived else "false"]}
    if min_severity is not None:
        criterion["severity.score"] = {"gte": int(min_severity)}
    return {"criterion": criterion}


def not_enabled(error: ClientError, region: str | None) -> NotEnabled | None:
    """A region without Macie (403 ``AccessDeniedException`` "Macie is not enabled") as ``NotEnabled``, not a
    denied permission; None for any other error."""
    err = error.response.get("Error", {})
    if err.get("Code") == "AccessDeniedException" and "not enabled" in str(err.get("Message", "")).lower():
        return NotEnabled(NOT_ENABLED_CODE, f"Macie is not enabled in {region}: {err.get('Message')}")
    return None


# ----------------------------------------------------------------------------- get (API pages)


def get_region(api: RecordedCalls, criteria: dict[str, Any]) -> int:
    """Record one region's Macie state; returns the number of findings fetched."""
    session = api.one("get_macie_session")
    if session is None:
        return 0
    if session.get("status") != "ENABLED":
        message = f"Macie is {session.get('status')} in {api.region}"
        return api.not_there("get_macie_session", NOT_ENABLED_CODE, message)
    members = api.pages("list_members", **ALL_MEMBERS)
    buckets = api.pages("describe_buckets")
    jobs = api.pages("list_classification_jobs")
    fetched = api.run(
        "list_findings/get_findings",
        lambda: get_findings(api.client, api.region, api.account, api.recording, criteria),
    )
    if all(got is not None for got in (members, buckets, jobs, fetched)):
        api.log.ok(api.account, api.region, NAME, items=fetched)
    return fetched or 0


def get_findings(
    client: Any, region: str | None, account: str | None, recording: ApiRecording, criteria: dict[str, Any]
) -> int:
    """Every finding matching ``criteria``: each ListFindings page's ids fetched by GetFindings, 50 at a time.

    A failure part way raises after the pages already fetched are recorded, so they are kept.
    """
    fetched = 0
    params = {"findingCriteria": criteria}
    paginator = client.get_paginator("list_findings")
    for page in paginator.paginate(**params, PaginationConfig={"PageSize": FINDINGS_PAGE}):
        recording.add(SERVICE, region, "list_findings", params, page, account)
        ids = page.get("findingIds", [])
        for start in range(0, len(ids), FINDINGS_PAGE):
            batch = ids[start : start + FINDINGS_PAGE]
            response = client.get_findings(findingIds=batch)
            recording.add(SERVICE, region, "get_findings", {"findingIds": batch}, response, account)
            fetched += len(response.get("findings", []))
    return fetched


# ----------------------------------------------------------------------------- transform (pure)


def transform_sessions(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """The administrator's Macie status in one region, from GetMacieSession."""
    return [
        {
            "region": region,
            "status": c["response"].get("status"),
            "created_at": to_utc(c["response"].get("createdAt")),
            "updated_at": to_utc(c["response"].get("updatedAt")),
            "finding_publishing_frequency": c["response"].get("findingPublishingFrequency"),
        }
        for c in calls
    ]


def transform_buckets(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per bucket of DescribeBuckets pages (Macie's own statistics, refreshed daily)."""
    rows = []
    for response in responses:
        for b in response.get("buckets", []):
            counts = b.get("objectCountByEncryptionType") or {}
            job = b.get("jobDetails") or {}
            tags = {t["key"]: t.get("value") for t in b.get("tags") or []}
            rows.append(
                {
                    "account_id": b["accountId"],
                    "region": b.get("region"),
                    "bucket_name": b["bucketName"],
                    "bucket_arn": b.get("bucketArn"),
                    "public_access": (b.get("publicAccess") or {}).get("effectivePermission"),
                    "allows_unencrypted_object_uploads": b.get("allowsUnencryptedObjectUploads"),
                    "default_encryption": (b.get("serverSideEncryption") or {}).get("type"),
                    "object_count": b.get("objectCount"),
                    "objects_unencrypted": counts.get("unencrypted"),
                    "objects_s3_managed": counts.get("s3Managed"),
                    "objects_kms_managed": counts.get("kmsManaged"),
                    "objects_customer_managed": counts.get("customerManaged"),
                    "objects_encryption_unknown": counts.get("unknown"),
                    "shared_access": b.get("sharedAccess"),
                    "replicated_externally": (b.get("replicationDetails") or {}).get("replicatedExternally"),
                    "sensitivity_score": b.get("sensitivityScore"),
                    "classifiable_object_count": b.get("classifiableObjectCount"),
                    "classifiable_size_bytes": b.get("classifiableSizeInBytes"),
                    "size_bytes": b.get("sizeInBytes"),
                    "automated_discovery_status": b.get("automatedDiscoveryMonitoringStatus"),
                    "last_automated_discovery": to_utc(b.get("lastAutomatedDiscoveryTime")),
                    "is_monitored_by_job": job.get("isMonitoredByJob"),
                    "last_job_id": job.get("lastJobId"),
                    "last_job_run_time": to_utc(job.get("lastJobRunTime")),
                    "error_code": b.get("errorCode"),
                    "last_updated": to_utc(b.get("lastUpdated")),
                    "tags": json.dumps(tags, sort_keys=True) if tags else None,
                }
            )
    return rows


def _sensitive_data(finding: dict[str, Any]) -> tuple[str | None, int | None]:
    """``{"CATEGORY": count, "CATEGORY/TYPE": count, ...}`` JSON and the total, of a sensitive-data finding."""
    result = (finding.get("classificationDetails") or {}).get("result") or {}
    found: dict[str, int] = {}
    for item in result.get("sensitiveData") or []:
        category = item.get("category") or "UNKNOWN"
        found[category] = found.get(category, 0) + int(item.get("totalCount") or 0)
        for d in item.get("detections") or []:
            found[f"{category}/{d.get('type')}"] = int(d.get("count") or 0)
    custom = result.get("customDataIdentifiers") or {}
    if custom.get("totalCount"):
        found["CUSTOM_IDENTIFIER"] = found.get("CUSTOM_IDENTIFIER", 0) + int(custom["totalCount"])
        for d in custom.get("detections") or []:
            found[f"CUSTOM_IDENTIFIER/{d.get('name')}"] = int(d.get("count") or 0)
    if not found:
        return None, None
    total = sum(v for k, v in found.items() if "/" not in k)
    return json.dumps(found, sort_keys=True), total


def _principal(finding: dict[str, Any]) -> str | None:
    """Who performed a policy finding's action: an IAM user or role ARN, an account, or a service."""
    identity = ((finding.get("policyDetails") or {}).get("actor") or {}).get("userIdentity") or {}
    for key in ("iamUser", "assumedRole", "federatedUser", "root"):
        who = identity.get(key) or {}
        if who.get("arn"):
            return who["arn"]
    if (identity.get("awsAccount") or {}).get("accountId"):
        return identity["awsAccount"]["accountId"]
    return (identity.get("awsService") or {}).get("invokedBy")


def transform_findings(responses: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per finding of GetFindings responses: sensitive data (CLASSIFICATION) and policy (POLICY)."""
    rows = []
    for response in responses:
        for f in response.get("findings", []):
            affected = f.get("resourcesAffected") or {}
            bucket, obj = affected.get("s3Bucket") or {}, affected.get("s3Object") or {}
            severity = f.get("severity") or {}
            sensitive, total = _sensitive_data(f)
            api = ((f.get("policyDetails") or {}).get("action") or {}).get("apiCallDetails") or {}
            rows.append(
                {
                    "finding_id": f["id"],
                    "account_id": f.get("accountId"),
                    "region": f.get("region"),
                    "type": f.get("type"),
                    "category": f.get("category"),
                    "title": f.get("title"),
                    "severity": severity.get("description"),
                    "severity_score": severity.get("score"),
                    "bucket_name": bucket.get("name"),
                    "bucket_arn": bucket.get("arn") or obj.get("bucketArn"),
                    "object_key": obj.get("key"),
                    "sensitive_data": sensitive,
                    "sensitive_data_count": total,
                    "job_id": (f.get("classificationDetails") or {}).get("jobId"),
                    "principal": _principal(f),
                    "action": api.get("api"),
                    "count": f.get("count"),
                    "created_at": to_utc(f.get("createdAt")),
                    "updated_at": to_utc(f.get("updatedAt")),
                    "archived": f.get("archived"),
                    "sample": f.get("sample"),
                }
            )
    return rows


def transform_jobs(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """One row per classification job of ListClassificationJobs pages (the buckets it names, when it names them)."""
    rows = []
    for call in calls:
        for j in call["response"].get("items", []):
            definitions = j.get("bucketDefinitions") or []
            error = (j.get("lastRunErrorStatus") or {}).get("code")
            rows.append(
                {
                    "region": region,
                    "job_id": j["jobId"],
                    "name": j.get("name"),
                    "job_type": j.get("jobType"),
                    "job_status": j.get("jobStatus"),
                    "created_at": to_utc(j.get("createdAt")),
                    "last_run_error": error,
                    "bucket_accounts": json.dumps(sorted(d["accountId"] for d in definitions))
                    if definitions
                    else None,
                    "buckets": json.dumps(sorted(b for d in definitions for b in d.get("buckets", [])))
                    if definitions
                    else None,
                    "paused_until": to_utc((j.get("userPausedDetails") or {}).get("jobExpiresAt")),
                }
            )
    return rows


def _frame(rows: list[dict[str, Any]], columns: list[str], key: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    return df.drop_duplicates(key, keep="last").reset_index(drop=True) if len(df) else df


def macie_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Macie table from recorded pages: sessions, buckets, findings, jobs (``org`` is not needed)."""
    sessions, buckets, findings, jobs = [], [], [], []
    for region in recording.regions(SERVICE):
        sessions += transform_sessions(region, recording.calls(SERVICE, region, "get_macie_session"))
        buckets += transform_buckets(recording.responses(SERVICE, region, "describe_buckets"))
        findings += transform_findings(recording.responses(SERVICE, region, "get_findings"))
        jobs += transform_jobs(region, recording.calls(SERVICE, region, "list_classification_jobs"))
    return {
        "sessions": pd.DataFrame(sessions, columns=SESSION_COLUMNS),
        "buckets": _frame(buckets, BUCKET_COLUMNS, ["account_id", "region", "bucket_name"]),
        "findings": _frame(findings, FINDING_COLUMNS, ["finding_id"]),
        "jobs": _frame(jobs, JOB_COLUMNS, ["region", "job_id"]),
    }


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Macie per (account, region) for posture's coverage matrix (no features).

    The administrator's member list first: an ENABLED member is covered (a PAUSED one is not), and so is
    the administrator. An account it does not list is covered where its own GetMacieSession says ENABLED,
    or where the administrator's DescribeBuckets lists its buckets (Macie inventories only the buckets of
    the accounts it covers), so a region whose ListMembers was denied still fills the column.
    """
    status: Covered = {}
    for region in recording.regions(SERVICE):
        members = [
            m for r in recording.responses(SERVICE, region, "list_members") for m in r.get("members", [])
        ]
        for m in members:
            status[(m["accountId"], region)] = str(m.get("relationshipStatus")).upper() == "ENABLED"
        for admin in {m.get("administratorAccountId") or m.get("masterAccountId") for m in members} - {None}:
            status.setdefault((admin, region), True)
        for call in recording.calls(SERVICE, region, "get_macie_session"):
            if call.get("account"):
                status.setdefault((call["account"], region), call["response"].get("status") == "ENABLED")
        for b in transform_buckets(recording.responses(SERVICE, region, "describe_buckets")):
            status.setdefault((b["account_id"], b["region"] or region), True)
    return status, {}


def run_criteria(options: RunOptions) -> dict[str, Any]:
    """``orginsight collect macie``'s findings: updated since, archived too if asked.

    --min-severity is on GuardDuty's 1-8.9 scale; Macie's score is 1-3 (Low, Medium, High): not applied.
    """
    return finding_criteria(since=options.since, archived=None if options.include_archived else False)


REGIONS = RegionalService(
    SERVICE, get_region, finding_criteria, macie_frames, run_criteria, "macie regions", not_enabled
)
collect_macie = REGIONS.collect
"""Live Macie tables over ``regions`` (``connection, regions, criteria``, ``LiveRun`` options)."""


# ----------------------------------------------------------------------------- registration


CALLS = (
    "describe_buckets",
    "get_findings",
    "get_macie_session",
    "list_classification_jobs",
    "list_findings",
    "list_members",
)
"""The Macie operations ``get_region`` calls."""

MACIE = Service(
    api=SERVICE,
    name=NAME,
    calls=CALLS,
    tables=(transform_sessions, transform_buckets, transform_findings, transform_jobs),
    frames=macie_frames,
    get=REGIONS.get_for_run,
    coverage=(Coverage("Macie", transform=coverage_status),),
    finding_pages=("get_findings",),
    # demo_records: CALLS; demo/sensitive_data.py records the rest (weekly snapshots too), org.py list_members.
)
"""Macie in the registry (``orginsight.collectors.registry.SERVICES["macie"]``, wired by the lead)."""
