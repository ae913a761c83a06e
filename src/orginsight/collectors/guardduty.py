"""Amazon GuardDuty from the delegated administrator: detectors, members, org configuration, findings.

Per region (GuardDuty is regional; the delegated admin sees every member's findings in
each region where it has a detector):

- ``list_detectors`` -> ``get_detector`` (status, features);
- ``list_members`` (all members, associated or not) and ``describe_organization_configuration``
  (auto-enable and features: S3, EKS, runtime monitoring, malware protection ...);
- ``get_findings_statistics`` for cheap counts by severity;
- ``list_findings`` (50 ids a page, the API maximum) -> ``get_findings`` with each page's 50 ids
  (GetFindings takes at most 50, GuardDuty API Reference 2024): ceil(n/50) calls of each, the minimum.

A region without a detector is recorded as ``Status.NOT_ENABLED`` (code ``NoDetector``).
GuardDuty's S3 export (``AWSLogs/<account>/GuardDuty/<region>/yyyy/mm/dd/<uuid>.jsonl.gz``, one
camelCase finding a line) is read into the same findings frame: from a local lake by
``orginsight.sources.guardduty_export.read_guardduty_export``, from its bucket by
``orginsight.collectors.guardduty_export.read_guardduty_export_s3`` (a fan-out over S3 objects,
with failures as data).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, RegionalService
from orginsight.collectors.fanout import OutcomeLog
from orginsight.collectors.recording import ApiRecording, Call, entries
from orginsight.collectors.service import Coverage, RunOptions, Service, Table
from orginsight.sources.findings import normalize_findings, to_utc
from orginsight.sources.guardduty_export import read_guardduty_export

SERVICE = "guardduty"
FINDINGS_PAGE = 50
"""ListFindings MaxResults and GetFindings FindingIds are both capped at 50 (API Reference, 2024)."""

MEMBERS_BATCH = 50
"""GetMemberDetectors takes at most 50 account ids (API Reference, 2024)."""

DETECTOR_COLUMNS = [
    "region",
    "detector_id",
    "status",
    "created_at",
    "updated_at",
    "finding_publishing_frequency",
    "features",
]
MEMBER_COLUMNS = [
    "region",
    "detector_id",
    "account_id",
    "email",
    "relationship_status",
    "administrator_id",
    "member_detector_id",
    "invited_at",
    "updated_at",
]
ORG_CONFIG_COLUMNS = ["region", "detector_id", "auto_enable_organization_members", "feature", "auto_enable"]
MEMBER_FEATURE_COLUMNS = ["region", "account_id", "feature", "status"]
STATISTICS_COLUMNS = ["region", "detector_id", "severity", "count"]


def finding_criteria(
    since: datetime | None = None,
    until: datetime | None = None,
    min_severity: float | None = None,
    archived: bool | None = False,
) -> dict[str, Any]:
    """A ListFindings ``FindingCriteria``: updatedAt range (epoch ms), minimum severity, archived or not."""
    criterion: dict[str, dict[str, Any]] = {}
    if since is not None or until is not None:
        criterion["updatedAt"] = {}
        if since is not None:
            criterion["updatedAt"]["GreaterThanOrEqual"] = int(since.timestamp() * 1000)
        if until is not None:
            criterion["updatedAt"]["LessThan"] = int(until.timestamp() * 1000)
    if min_severity is not None:
        criterion["severity"] = {"GreaterThanOrEqual": int(min_severity)}
    if archived is not None:
        criterion["service.archived"] = {"Equals": ["true" if archived else "false"]}
    return {"Criterion": criterion}


# ----------------------------------------------------------------------------- get (API pages)


def get_region(api: RecordedCalls, criteria: dict[str, Any]) -> int:
    """Record one region's GuardDuty state; returns the number of findings fetched."""
    message = f"no GuardDuty detector in {api.region}: GuardDuty is not enabled there"
    detectors = api.listed("list_detectors", "DetectorIds", "NoDetector", message)
    if not detectors:
        return 0
    fetched = 0
    for detector in detectors:
        api.one("get_detector", DetectorId=detector)
        members = api.pages("list_members", DetectorId=detector, OnlyAssociated="false") or []
        ids = [m["AccountId"] for page in members for m in page.get("Members", [])]
        for start in range(0, len(ids), MEMBERS_BATCH):  # each member's own feature status
            api.one(
                "get_member_detectors", DetectorId=detector, AccountIds=ids[start : start + MEMBERS_BATCH]
            )
        api.one("describe_organization_configuration", DetectorId=detector)
        api.one("get_findings_statistics", DetectorId=detector, GroupBy="SEVERITY", FindingCriteria=criteria)
        fetched += get_findings(
            api.client, detector, api.region, api.account, api.recording, api.log, criteria
        )
    api.log.ok(api.account, api.region, "guardduty", items=fetched)
    return fetched


def get_findings(
    client: Any,
    detector: str,
    region: str,
    account: str | None,
    recording: ApiRecording,
    log: OutcomeLog,
    criteria: dict[str, Any],
) -> int:
    """Every finding matching ``criteria``: each 50-id page of ListFindings fetched by one GetFindings call."""
    fetched = 0
    paginator = client.get_paginator("list_findings")
    params = {
        "DetectorId": detector,
        "FindingCriteria": criteria,
        "PaginationConfig": {"PageSize": FINDINGS_PAGE},
    }
    try:
        for page in paginator.paginate(**params):
            recording.add(
                SERVICE,
                region,
                "list_findings",
                {k: v for k, v in params.items() if k != "PaginationConfig"},
                page,
                account,
            )
            ids = page.get("FindingIds", [])
            for start in range(0, len(ids), FINDINGS_PAGE):
                batch = ids[start : start + FINDINGS_PAGE]
                response = client.get_findings(DetectorId=detector, FindingIds=batch)
                recording.add(
                    SERVICE,
                    region,
                    "get_findings",
                    {"DetectorId": detector, "FindingIds": batch},
                    response,
                    account,
                )
                fetched += len(response.get("Findings", []))
    except Exception as e:  # noqa: BLE001 - keep the findings already fetched, record why the rest is missing
        log.failed(account, region, "list_findings/get_findings", e)
    return fetched


# ----------------------------------------------------------------------------- transform (pure)


def transform_detectors(
    region: str, detector_calls: list[Call], list_calls: Sequence[Call] = ()
) -> list[dict[str, Any]]:
    """Detector rows of one region from GetDetector calls (features as ``{"name": "STATUS"}`` JSON).

    A detector that ListDetectors names but no GetDetector call describes still gets a row
    (status unknown), so coverage counts do not drop a region.
    """
    rows = []
    for call in detector_calls:
        r = call["response"]
        features = {f["Name"]: f.get("Status") for f in r.get("Features", [])}
        rows.append(
            {
                "region": region,
                "detector_id": call["params"]["DetectorId"],
                "status": r.get("Status"),
                "created_at": to_utc(r.get("CreatedAt")),
                "updated_at": to_utc(r.get("UpdatedAt")),
                "finding_publishing_frequency": r.get("FindingPublishingFrequency"),
                "features": json.dumps(features, sort_keys=True),
            }
        )
    described = {r["detector_id"] for r in rows}
    for call in list_calls:
        for detector in call["response"].get("DetectorIds", []):
            if detector not in described:
                described.add(detector)
                rows.append(
                    {
                        "region": region,
                        "detector_id": detector,
                        "status": None,
                        "created_at": None,
                        "updated_at": None,
                        "finding_publishing_frequency": None,
                        "features": None,
                    }
                )
    return rows


def transform_members(region: str, member_calls: list[Call]) -> list[dict[str, Any]]:
    """Member rows of one region from ListMembers pages."""
    return [
        {
            "region": region,
            "detector_id": call["params"].get("DetectorId"),
            "account_id": m["AccountId"],
            "email": m.get("Email"),
            "relationship_status": m.get("RelationshipStatus"),
            "administrator_id": m.get("AdministratorId") or m.get("MasterId"),
            "member_detector_id": m.get("DetectorId"),
            "invited_at": to_utc(m.get("InvitedAt")),
            "updated_at": to_utc(m.get("UpdatedAt")),
        }
        for call, m in entries(member_calls, "Members")
    ]


def transform_member_features(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Each member's feature status (and additional configuration) from GetMemberDetectors calls."""
    return [
        {"region": region, "account_id": md["AccountId"], "feature": feature, "status": status}
        for _, md in entries(calls, "MemberDataSourceConfigurations")
        for f in md.get("Features", [])
        for feature, status in (
            (f["Name"], f.get("Status")),
            *((f"{f['Name']}/{a['Name']}", a.get("Status")) for a in f.get("AdditionalConfiguration", [])),
        )
    ]


def transform_org_configuration(region: str, config_calls: list[Call]) -> list[dict[str, Any]]:
    """One row per auto-enabled feature (and additional configuration, e.g. EKS_ADDON_MANAGEMENT)."""
    rows = []
    for call in config_calls:
        r = call["response"]
        base = {
            "region": region,
            "detector_id": call["params"].get("DetectorId"),
            "auto_enable_organization_members": r.get("AutoEnableOrganizationMembers")
            or ("NEW" if r.get("AutoEnable") else None),
        }
        for f in r.get("Features", []):
            rows.append({**base, "feature": f["Name"], "auto_enable": f.get("AutoEnable")})
            rows.extend(
                {**base, "feature": f"{f['Name']}/{a['Name']}", "auto_enable": a.get("AutoEnable")}
                for a in f.get("AdditionalConfiguration", [])
            )
        if not r.get("Features"):
            rows.append({**base, "feature": None, "auto_enable": None})
    return rows


def transform_statistics(region: str, statistic_calls: list[Call]) -> list[dict[str, Any]]:
    """Finding counts by severity (``GroupedBySeverity``, or the older ``CountBySeverity`` map)."""
    rows = []
    for call in statistic_calls:
        stats = call["response"].get("FindingStatistics", {})
        detector = call["params"].get("DetectorId")
        for g in stats.get("GroupedBySeverity", []):
            rows.append(
                {
                    "region": region,
                    "detector_id": detector,
                    "severity": float(g["Severity"]),
                    "count": int(g.get("TotalFindings", g.get("Count", 0))),
                }
            )
        for severity, count in (stats.get("CountBySeverity") or {}).items():
            rows.append(
                {"region": region, "detector_id": detector, "severity": float(severity), "count": int(count)}
            )
    return rows


def transform_coverage(
    recording: ApiRecording,
) -> tuple[dict[tuple[str, str], bool], dict[str, dict[tuple[str, str], bool]]]:
    """GuardDuty status per (account, region), and per feature, for posture's coverage matrix.

    An account is covered where it is an ENABLED member, where its own ListDetectors call found a
    detector, and the delegated admin wherever it administers members (it runs GuardDuty itself).
    Features come from each member's GetMemberDetectors when recorded, else from the organization
    configuration's auto-enable setting (NEW or ALL) applied to enabled members. Built on the rows of
    the transforms above, so GuardDuty's member responses are read in one place; additional
    configurations (rows named ``FEATURE/CONFIG``) are not columns of the matrix.
    """
    status: dict[tuple[str, str], bool] = {}
    member_features: dict[tuple[str, str], dict[str, bool]] = {}
    org_auto: dict[str, dict[str, bool]] = {}
    for region in recording.regions(SERVICE):
        members = transform_members(region, recording.calls(SERVICE, region, "list_members"))
        for m in members:
            status[(m["account_id"], region)] = str(m["relationship_status"]).upper() == "ENABLED"
        for admin in sorted({m["administrator_id"] for m in members if m["administrator_id"]}):
            status.setdefault((admin, region), True)
        for call in recording.calls(SERVICE, region, "list_detectors"):
            if call["response"].get("DetectorIds") and call.get("account"):
                status[(call["account"], region)] = True
        for row in transform_member_features(
            region, recording.calls(SERVICE, region, "get_member_detectors")
        ):
            if "/" not in row["feature"]:
                member_features.setdefault((row["account_id"], region), {})[row["feature"]] = (
                    row["status"] == "ENABLED"
                )
        calls = recording.calls(SERVICE, region, "describe_organization_configuration")
        for row in transform_org_configuration(region, calls):
            if row["feature"] is not None and "/" not in row["feature"]:
                org_auto.setdefault(region, {})[row["feature"]] = row["auto_enable"] in ("NEW", "ALL")
    names = sorted(
        {n for v in org_auto.values() for n in v} | {n for v in member_features.values() for n in v}
    )
    features: dict[str, dict[tuple[str, str], bool]] = {}
    for name in names:
        per = {}
        for (account, region), on in status.items():
            if (account, region) in member_features:
                per[(account, region)] = on and member_features[(account, region)].get(name, False)
            else:
                per[(account, region)] = on and org_auto.get(region, {}).get(name, False)
        features[name] = per
    return status, features


def transform_findings(responses: list[dict[str, Any]], org: pd.DataFrame | None = None) -> pd.DataFrame:
    """The normalized findings frame of GetFindings responses (PascalCase boto3 shape)."""
    return normalize_findings(responses, org=org, origin="guardduty get_findings")


def guardduty_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every GuardDuty table from recorded pages: detectors, members, member_features,
    organization_configuration, statistics, findings."""
    detectors, members, member_features, config, stats, found = [], [], [], [], [], []
    for region in recording.regions(SERVICE):
        detectors += transform_detectors(
            region,
            recording.calls(SERVICE, region, "get_detector"),
            recording.calls(SERVICE, region, "list_detectors"),
        )
        members += transform_members(region, recording.calls(SERVICE, region, "list_members"))
        member_features += transform_member_features(
            region, recording.calls(SERVICE, region, "get_member_detectors")
        )
        config += transform_org_configuration(
            region, recording.calls(SERVICE, region, "describe_organization_configuration")
        )
        stats += transform_statistics(region, recording.calls(SERVICE, region, "get_findings_statistics"))
        found += recording.responses(SERVICE, region, "get_findings")
    findings = transform_findings(found, org)
    return {
        "detectors": pd.DataFrame(detectors, columns=DETECTOR_COLUMNS),
        "members": pd.DataFrame(members, columns=MEMBER_COLUMNS),
        "member_features": pd.DataFrame(member_features, columns=MEMBER_FEATURE_COLUMNS),
        "organization_configuration": pd.DataFrame(config, columns=ORG_CONFIG_COLUMNS),
        "statistics": pd.DataFrame(stats, columns=STATISTICS_COLUMNS),
        "findings": findings.drop_duplicates("finding_id", keep="last").reset_index(drop=True)
        if len(findings)
        else findings,
    }


def run_criteria(options: RunOptions) -> dict[str, Any]:
    """``orginsight collect guardduty``'s findings: updated since, of at least the severity, archived too."""
    archived = None if options.include_archived else False
    return finding_criteria(since=options.since, min_severity=options.min_severity, archived=archived)


REGIONS = RegionalService(SERVICE, get_region, finding_criteria, guardduty_frames, run_criteria)
get_guardduty = REGIONS.get
"""Record GuardDuty state in every region (``connection, regions, recording, log, criteria``)."""
collect_guardduty = REGIONS.collect
"""Live GuardDuty tables over ``regions`` (``connection, regions, criteria``, ``LiveRun`` options)."""


# ----------------------------------------------------------------------------- registration


CALLS = (
    "describe_organization_configuration",
    "get_detector",
    "get_findings",
    "get_findings_statistics",
    "get_member_detectors",
    "list_detectors",
    "list_findings",
    "list_members",
)
"""The GuardDuty operations ``get_guardduty`` calls (``read_guardduty_export_s3`` reads S3 besides)."""

GUARDDUTY = Service(
    api=SERVICE,
    calls=CALLS,
    other_calls=frozenset({("s3", "list_objects_v2"), ("s3", "get_object")}),  # read_guardduty_export_s3
    tables=(
        transform_detectors,
        transform_members,
        transform_member_features,
        Table(transform_org_configuration, "organization_configuration"),
        transform_statistics,
        transform_findings,
    ),
    frames=guardduty_frames,
    get=REGIONS.get_for_run,
    finding_pages=("get_findings",),
    demo_records=frozenset({"list_detectors", "list_members", "describe_organization_configuration"}),
    coverage=(Coverage("GuardDuty", transform=transform_coverage),),
    export_findings=read_guardduty_export,  # the demo lake's findings are its S3 export
)
"""GuardDuty in the registry (``orginsight.collectors.registry.SERVICES["guardduty"]``)."""
