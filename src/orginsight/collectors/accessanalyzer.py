"""IAM Access Analyzer from the delegated administrator: analyzers, findings, archive rules.

Per region (analyzers are regional; an ORGANIZATION analyzer in the delegated admin sees every
member's resources in its region):

- ``list_analyzers`` (every type: ACCOUNT, ORGANIZATION, their ``_UNUSED_ACCESS`` and
  ``_INTERNAL_ACCESS`` variants);
- ``list_archive_rules`` per analyzer (by name);
- external-access analyzers (ACCOUNT, ORGANIZATION): ``list_findings`` pages. The v1 listing already
  carries each finding's principal, actions, conditions, ``isPublic`` and sources, where
  ``list_findings_v2`` returns only a summary and would need one ``get_finding_v2`` call per finding
  for the same fields (API Reference, 2025). Both need the same IAM action,
  ``access-analyzer:ListFindings``.
- every other analyzer (unused and internal access; ListFindings v1 refuses them):
  ``list_findings_v2`` pages, then ``get_finding_v2`` for the ACTIVE findings only (the details:
  unused actions, last access, access key id, internal principal), at most ``DETAILS_LIMIT`` per
  analyzer and region. Beyond that the summary rows are kept and the cut is an outcome
  (``DetailsLimitReached``), not a silent loss.

A region without an analyzer is recorded as ``Status.NOT_ENABLED`` (code ``NoAnalyzer``).
The transforms read both finding shapes (v1 ``principal``/``action``/``condition`` and v2
``findingDetails``), so recorded pages of either API become the same ``findings`` table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any, Unpack

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, record_targets
from orginsight.collectors.fanout import DEFAULT_WORKERS, Outcome, OutcomeLog, Status
from orginsight.collectors.recording import ApiRecording, Call, entries, named_after
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import (
    EVERY_ACCOUNT,
    Coverage,
    Covered,
    LiveRun,
    RunOptions,
    Service,
    collect_live,
)
from orginsight.sources.findings import to_utc

SERVICE = "accessanalyzer"

EXTERNAL_ACCESS_TYPES = frozenset({"ACCOUNT", "ORGANIZATION"})
"""Analyzer types whose findings ListFindings (v1) returns with their details (API Reference, 2025)."""

DETAILS_LIMIT = 1000
"""Most ``get_finding_v2`` calls per analyzer and region: one call per finding, so bounded."""

ACTIVE_ONLY = {"status": {"eq": ["ACTIVE"]}}
"""ListFindings filter of the findings still open (archived and resolved ones are left out)."""

ANALYZER_COLUMNS = [
    "region",
    "account",
    "analyzer_arn",
    "name",
    "type",
    "status",
    "status_reason",
    "created_at",
    "last_resource_analyzed",
    "last_resource_analyzed_at",
    "unused_access_age",
]
FINDING_COLUMNS = [
    "region",
    "account",
    "analyzer_arn",
    "analyzer_type",
    "finding_id",
    "finding_type",
    "resource_type",
    "resource",
    "resource_owner_account",
    "status",
    "principal_type",
    "principal",
    "principal_account",
    "actions",
    "conditions",
    "is_public",
    "outside_organization",
    "sources",
    "access_key_id",
    "last_accessed",
    "error",
    "created_at",
    "analyzed_at",
    "updated_at",
]
ARCHIVE_RULE_COLUMNS = [
    "region",
    "account",
    "analyzer_name",
    "rule_name",
    "filter",
    "created_at",
    "updated_at",
]

_ACCOUNT_IN_PRINCIPAL = re.compile(r"^(\d{12})$|^arn:aws[\w-]*:(?:iam|sts)::(\d{12}):")


# ----------------------------------------------------------------------------- get (API pages)


def get_region(api: RecordedCalls, active_only: bool = True, details_limit: int = DETAILS_LIMIT) -> int:
    """Record one account and region's analyzers, archive rules and findings; returns the findings listed."""
    message = f"no IAM Access Analyzer analyzer in {api.region}: Access Analyzer is not on there"
    analyzers = api.listed("list_analyzers", "analyzers", "NoAnalyzer", message)
    if not analyzers:
        return 0
    found = 0
    filters = {"filter": ACTIVE_ONLY} if active_only else {}
    for analyzer in analyzers:
        if analyzer["status"] != "ACTIVE":  # CREATING, DISABLED or FAILED: no findings to list
            continue
        arn = analyzer["arn"]
        api.pages("list_archive_rules", analyzerName=analyzer["name"])
        if analyzer["type"] in EXTERNAL_ACCESS_TYPES:
            found += sum(
                len(p.get("findings", []))
                for p in api.pages("list_findings", analyzerArn=arn, **filters) or []
            )
            continue
        summaries = [
            f
            for p in api.pages("list_findings_v2", analyzerArn=arn, **filters) or []
            for f in p.get("findings", [])
        ]
        found += len(summaries)
        active = [f["id"] for f in summaries if f["status"] == "ACTIVE"]
        for finding_id in active[:details_limit]:
            api.pages("get_finding_v2", analyzerArn=arn, id=finding_id)
        if len(active) > details_limit:
            api.log.add(
                Outcome(
                    api.account,
                    api.region,
                    "get_finding_v2",
                    Status.ERROR,
                    "DetailsLimitReached",
                    f"{arn}: details of {details_limit} of {len(active)} active findings read; "
                    "the rest have summary rows only",
                )
            )
    api.log.ok(api.account, api.region, SERVICE, items=found)
    return found


def get_accessanalyzer(
    connection: Any,
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    accounts: Sequence[str | None] = (None,),
    active_only: bool = True,
    details_limit: int = DETAILS_LIMIT,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record Access Analyzer state in every account (None: the base credentials) x region, on a thread pool."""
    step = partial(get_region, active_only=active_only, details_limit=details_limit)
    return record_targets(connection, SERVICE, step, regions, recording, log, accounts, workers, progress)


# ----------------------------------------------------------------------------- transform (pure)


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, sort_keys=True)


def transform_analyzers(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Analyzer rows of one region from ListAnalyzers pages (``unused_access_age``: days, unused analyzers)."""
    return [
        {
            "region": region,
            "account": call.get("account"),
            "analyzer_arn": a["arn"],
            "name": a["name"],
            "type": a["type"],
            "status": a["status"],
            "status_reason": (a.get("statusReason") or {}).get("code"),
            "created_at": to_utc(a.get("createdAt")),
            "last_resource_analyzed": a.get("lastResourceAnalyzed"),
            "last_resource_analyzed_at": to_utc(a.get("lastResourceAnalyzedAt")),
            "unused_access_age": ((a.get("configuration") or {}).get("unusedAccess") or {}).get(
                "unusedAccessAge"
            ),
        }
        for call in calls
        for a in call["response"].get("analyzers", [])
    ]


def transform_archive_rules(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Archive rules per analyzer: findings matching ``filter`` (JSON text) are archived as they appear."""
    return [
        {
            "region": region,
            "account": call.get("account"),
            "analyzer_name": call["params"]["analyzerName"],
            "rule_name": r["ruleName"],
            "filter": _json(r["filter"]),
            "created_at": to_utc(r["createdAt"]),
            "updated_at": to_utc(r["updatedAt"]),
        }
        for call in calls
        for r in call["response"].get("archiveRules", [])
    ]


def principal_account(principal: dict[str, str] | None) -> str | None:
    """The AWS account a finding's principal belongs to (a bare id or an iam/sts ARN), else None
    (``*``, a federated identity provider, a service, a canonical user)."""
    for value in (principal or {}).values():
        m = _ACCOUNT_IN_PRINCIPAL.match(str(value))
        if m:
            return m.group(1) or m.group(2)
    return None


def outside_organization(
    is_public: bool | None,
    account: str | None,
    owner: str | None,
    analyzer_type: str | None,
    org_accounts: frozenset[str] | None,
) -> bool | None:
    """Whether a finding grants access to someone outside the organization; None when unknown.

    Public access is; a principal account is outside exactly when the organization's accounts
    frame (when given) lacks it, and never when it owns the resource. Otherwise an ORGANIZATION
    analyzer's finding is, because its zone of trust is the organization: it reports only access
    from outside it (IAM Access Analyzer User Guide, "Zone of trust", 2025).
    """
    if is_public:
        return True
    if account is not None and org_accounts is not None:
        return account not in org_accounts
    if account is not None and account == owner:
        return False
    if analyzer_type == "ORGANIZATION":
        return True
    return None


def _outside(finding_type: str, *args: Any) -> bool | None:
    """``outside_organization`` by finding type: internal access is inside by definition, unused access
    grants nobody anything."""
    if finding_type == "ExternalAccess":
        return outside_organization(*args)
    return False if finding_type == "InternalAccess" else None


def _details(details: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """principal, actions, conditions, ... of one finding from its v2 ``findingDetails`` (every page)."""
    out: dict[str, Any] = {}
    unused_actions: list[str] = []
    last: list[pd.Timestamp] = []
    for d in details:
        access = d.get("externalAccessDetails") or d.get("internalAccessDetails")
        if access is not None:
            out.setdefault("principal", access.get("principal"))
            out.setdefault("action", access.get("action"))
            out.setdefault("condition", access.get("condition"))
            out.setdefault("isPublic", access.get("isPublic"))
            out.setdefault("sources", access.get("sources"))
            if access.get("principalOwnerAccount"):
                out.setdefault("principalOwnerAccount", access["principalOwnerAccount"])
        if "unusedPermissionDetails" in d:
            p = d["unusedPermissionDetails"]
            namespace = p["serviceNamespace"]
            actions = [a["action"] for a in p.get("actions") or []]
            unused_actions += actions or [f"{namespace}:*"]
            last += [to_utc(p.get("lastAccessed"))] + [
                to_utc(a.get("lastAccessed")) for a in p.get("actions") or []
            ]
        if "unusedIamUserAccessKeyDetails" in d:
            out["access_key_id"] = d["unusedIamUserAccessKeyDetails"]["accessKeyId"]
            last.append(to_utc(d["unusedIamUserAccessKeyDetails"].get("lastAccessed")))
        for key in ("unusedIamRoleDetails", "unusedIamUserPasswordDetails"):
            if key in d:
                last.append(to_utc(d[key].get("lastAccessed")))
    if unused_actions:
        out["action"] = unused_actions
    known = [t for t in last if t is not None]
    out["last_accessed"] = max(known) if known else None
    return out


def transform_findings(
    region: str,
    finding_calls: list[Call],
    detail_calls: Sequence[Call] = (),
    analyzer_types: dict[str, str] | None = None,
    org: pd.DataFrame | None = None,
) -> list[dict[str, Any]]:
    """Finding rows of one region from ListFindings / ListFindingsV2 pages and GetFindingV2 details.

    A v1 finding (no ``findingType``) is ``ExternalAccess`` and carries its principal itself; a v2
    summary takes them from its GetFindingV2 pages when recorded. ``actions``, ``conditions`` and
    ``sources`` are JSON text; for ``UnusedPermission`` ``actions`` lists the unused actions
    (``service:*`` when a whole service is unused).
    """
    analyzer_types = analyzer_types or {}
    org_accounts = (
        frozenset(org["account_id"].astype(str)) if org is not None and "account_id" in org else None
    )
    details: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for call in detail_calls:
        key = (call["params"]["analyzerArn"], call["params"]["id"])
        details.setdefault(key, []).extend(call["response"].get("findingDetails") or [])
    rows = []
    for call, f in entries(finding_calls, "findings"):
        arn = call["params"]["analyzerArn"]
        extra = _details(details.get((arn, f["id"]), ()))
        principal = f.get("principal", extra.get("principal"))
        is_public = f.get("isPublic", extra.get("isPublic"))
        owner = f.get("resourceOwnerAccount")
        account = extra.get("principalOwnerAccount") or principal_account(principal)
        analyzer_type = analyzer_types.get(arn)
        actions = f.get("action", extra.get("action"))
        finding_type = f.get("findingType") or "ExternalAccess"
        rows.append(
            {
                "region": region,
                "account": call.get("account"),
                "analyzer_arn": arn,
                "analyzer_type": analyzer_type,
                "finding_id": f["id"],
                "finding_type": finding_type,
                "resource_type": f["resourceType"],
                "resource": f.get("resource"),
                "resource_owner_account": owner,
                "status": f["status"],
                "principal_type": ",".join(principal) if principal else None,
                "principal": ",".join(principal.values()) if principal else None,
                "principal_account": account,
                "actions": _json(actions),
                "conditions": _json(f.get("condition", extra.get("condition"))),
                "is_public": is_public,
                "outside_organization": _outside(
                    finding_type, is_public, account, owner, analyzer_type, org_accounts
                ),
                "sources": _json(f.get("sources", extra.get("sources"))),
                "access_key_id": extra.get("access_key_id"),
                "last_accessed": extra.get("last_accessed"),
                "error": f.get("error"),
                **named_after(f, "createdAt", "analyzedAt", "updatedAt", convert=to_utc),
            }
        )
    return rows


def accessanalyzer_frames(
    recording: ApiRecording, org: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Every Access Analyzer table from recorded pages: analyzers, findings, archive_rules."""
    analyzers, findings, rules = [], [], []
    for region in recording.regions(SERVICE):
        rows = transform_analyzers(region, recording.calls(SERVICE, region, "list_analyzers"))
        analyzers += rows
        types = {r["analyzer_arn"]: r["type"] for r in rows}
        findings += transform_findings(
            region,
            recording.calls(SERVICE, region, "list_findings")
            + recording.calls(SERVICE, region, "list_findings_v2"),
            recording.calls(SERVICE, region, "get_finding_v2"),
            types,
            org,
        )
        rules += transform_archive_rules(region, recording.calls(SERVICE, region, "list_archive_rules"))
    found = pd.DataFrame(findings, columns=FINDING_COLUMNS)
    for column in ("is_public", "outside_organization"):
        found[column] = found[column].astype("boolean")
    return {
        "analyzers": pd.DataFrame(analyzers, columns=ANALYZER_COLUMNS),
        "findings": found.drop_duplicates(["analyzer_arn", "finding_id"], keep="last").reset_index(drop=True),
        "archive_rules": pd.DataFrame(rules, columns=ARCHIVE_RULE_COLUMNS),
    }


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Access Analyzer per (account, region): external access, with unused and internal access as features.

    An analyzer's type says its zone of trust and what it analyzes (``ORGANIZATION_UNUSED_ACCESS``: every
    account of the organization, unused access). An ACTIVE organization analyzer covers every account in
    its region (``EVERY_ACCOUNT``), an ACTIVE account analyzer its own account; a recorded region without
    one is not covered. Features are the kinds of analyzer found in a region (``UNUSED_ACCESS``,
    ``INTERNAL_ACCESS``), so a single region's unused-access analyzer (IAM is global) is not a gap elsewhere.
    """
    status: Covered = {}
    features: dict[str, Covered] = {}
    for region in recording.regions(SERVICE):
        org: dict[str, bool] = {"": False}  # analyzed kind ("" = external access) -> active
        own: dict[str, dict[str, bool]] = {}
        for a in transform_analyzers(region, recording.calls(SERVICE, region, "list_analyzers")):
            scope, _, kind = a["type"].partition("_")
            found = org if scope == "ORGANIZATION" else own.setdefault(a["analyzer_arn"].split(":")[4], {})
            found[kind] = found.get(kind, False) or a["status"] == "ACTIVE"
        kinds = set(org).union(*own.values())
        for account in (EVERY_ACCOUNT, *own):
            for kind in kinds:
                on = org.get(kind, False) or own.get(account, {}).get(kind, False)
                (features.setdefault(kind, {}) if kind else status)[(account, region)] = on
    return status, features


def collect_accessanalyzer(
    connection: Any,
    regions: Sequence[str],
    accounts: Sequence[str | None] = (None,),
    active_only: bool = True,
    details_limit: int = DETAILS_LIMIT,
    **run: Unpack[LiveRun],
) -> dict[str, pd.DataFrame]:
    """Live Access Analyzer tables; each frame's ``attrs["failures"]`` lists what failed where."""
    return collect_live(
        accessanalyzer_frames,
        lambda recording, log, workers, progress: get_accessanalyzer(
            connection, regions, recording, log, accounts, active_only, details_limit, workers, progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect accessanalyzer``: the delegated admin's analyzers in every picked region, and
    with ``member_role`` each member account's own (ACCOUNT) analyzers too."""
    regions = resolve_regions(options.regions, connection, SERVICE)
    accounts: list[str | None] = [None]
    if options.member_role and options.org is not None and "account_id" in options.org:
        accounts += sorted(set(options.org["account_id"].astype(str)))
    get_accessanalyzer(
        connection,
        regions,
        recording,
        log,
        accounts,
        active_only=not options.include_archived,
        workers=options.workers,
        progress=options.progress,
    )
    return regions


CALLS = ("get_finding_v2", "list_analyzers", "list_archive_rules", "list_findings", "list_findings_v2")
"""The Access Analyzer operations ``get_accessanalyzer`` calls (IAM: ListAnalyzers, ListArchiveRules,
ListFindings for both listings, GetFinding for GetFindingV2)."""

ACCESSANALYZER = Service(
    api=SERVICE,
    calls=CALLS,  # demo/access_findings.py records every call, weekly snapshots too
    tables=(transform_analyzers, transform_findings, transform_archive_rules),
    frames=accessanalyzer_frames,
    get=get_for_run,
    coverage=(Coverage("Access Analyzer", transform=coverage_status),),
    finding_pages=("list_findings", "get_finding_v2"),
)
"""IAM Access Analyzer in the registry (``orginsight.collectors.registry.SERVICES["accessanalyzer"]``)."""
