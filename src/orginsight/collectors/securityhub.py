"""AWS Security Hub from the aggregation region: ASFF findings, enabled standards, control status.

With cross-region aggregation, the delegated administrator's aggregation region holds
every linked region's findings for every member account (Security Hub User Guide,
"Cross-Region aggregation", 2024), so findings take one paginated ``get_findings`` walk
there (100 findings a page, the API maximum). Enabled standards and their controls are
per account and region; they are read in the admin account and, when a member role is
configured, in each member account as well.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, record_targets
from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog, Target, fan_out
from orginsight.collectors.organizations import list_account_ids
from orginsight.collectors.recording import ApiRecording, Call, dig, entries, named_after
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import Coverage, LiveRun, RunOptions, Service, collect_live
from orginsight.sources.findings import normalize_findings, to_utc

SERVICE = "securityhub"
FINDINGS_PAGE = 100
"""GetFindings MaxResults is capped at 100 (API Reference, 2024)."""

STANDARD_COLUMNS = ["account_id", "region", "subscription_arn", "standards_arn", "status", "status_reason"]
CONTROL_COLUMNS = [
    "account_id",
    "region",
    "subscription_arn",
    "control_id",
    "title",
    "status",
    "severity_rating",
    "disabled_reason",
    "status_updated_at",
]


def asff_filters(
    since: datetime | None = None,
    until: datetime | None = None,
    severity_labels: Sequence[str] | None = None,
    record_state: str | None = "ACTIVE",
    workflow_status: Sequence[str] | None = None,
) -> dict[str, Any]:
    """GetFindings ``Filters``: UpdatedAt range, severity labels, record state, workflow status."""
    filters: dict[str, Any] = {}
    if since is not None or until is not None:
        window: dict[str, str] = {}
        if since is not None:
            window["Start"] = since.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if until is not None:
            window["End"] = until.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        filters["UpdatedAt"] = [window]
    if severity_labels:
        filters["SeverityLabel"] = [{"Value": s.upper(), "Comparison": "EQUALS"} for s in severity_labels]
    if record_state:
        filters["RecordState"] = [{"Value": record_state, "Comparison": "EQUALS"}]
    if workflow_status:
        filters["WorkflowStatus"] = [{"Value": s.upper(), "Comparison": "EQUALS"} for s in workflow_status]
    return filters


# ----------------------------------------------------------------------------- get (API pages)


def aggregation_region(connection: Any, log: OutcomeLog, region: str | None = None) -> str | None:
    """The finding aggregation region (from the aggregator's ARN), or None when none is configured."""
    region = region or connection.home_region
    client = connection.client(SERVICE, region)
    pages = log.call(
        None,
        region,
        "list_finding_aggregators",
        lambda: list(client.get_paginator("list_finding_aggregators").paginate()),
    )
    for page in pages or []:
        for agg in page.get("FindingAggregators", []):
            return agg["FindingAggregatorArn"].split(":")[3]
    return None


def get_findings(
    connection: Any,
    region: str,
    recording: ApiRecording,
    log: OutcomeLog,
    filters: dict[str, Any] | None = None,
) -> int:
    """Record every GetFindings page matching ``filters`` in ``region``; returns the findings count."""
    client = connection.client(SERVICE, region)
    params = {"Filters": filters or {}, "PaginationConfig": {"PageSize": FINDINGS_PAGE}}
    count = 0
    try:
        for page in client.get_paginator("get_findings").paginate(**params):
            recording.add(SERVICE, region, "get_findings", {"Filters": params["Filters"]}, page)
            count += len(page.get("Findings", []))
    except Exception as e:  # noqa: BLE001 - keep the pages already read, record why the rest is missing
        log.failed(None, region, "get_findings", e)
        return count
    log.ok(None, region, "get_findings", items=count)
    return count


def get_standards(api: RecordedCalls) -> int:
    """Record enabled standards and each one's controls in one account and region."""
    subscriptions = [
        s["StandardsSubscriptionArn"]
        for page in api.pages("get_enabled_standards") or []
        for s in page.get("StandardsSubscriptions", [])
    ]
    for arn in subscriptions:
        api.pages("describe_standards_controls", StandardsSubscriptionArn=arn)
    api.log.ok(api.account, api.region, "standards", items=len(subscriptions))
    return len(subscriptions)


def get_securityhub(
    connection: Any,
    finding_regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    filters: dict[str, Any] | None = None,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record findings from ``finding_regions`` (the aggregation region, or every region without one)
    and enabled standards and controls per account x region (``regions``, default ``finding_regions``)."""
    fan_out(
        lambda t: get_findings(connection, t.region, recording, log, filters),
        [Target(None, r) for r in finding_regions],
        log,
        "securityhub findings",
        workers=workers,
        progress=progress,
    )
    every = accounts or [None]
    standards = regions or finding_regions
    label = "securityhub standards"
    return record_targets(
        connection, SERVICE, get_standards, standards, recording, log, every, workers, progress, label=label
    )


# ----------------------------------------------------------------------------- transform (pure)


def transform_standards(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Enabled standards rows from GetEnabledStandards pages."""
    return [
        {
            "account_id": call.get("account") or _account_of(s["StandardsSubscriptionArn"]),
            "region": region,
            "subscription_arn": s["StandardsSubscriptionArn"],
            "standards_arn": s.get("StandardsArn"),
            "status": s.get("StandardsStatus"),
            "status_reason": dig(s, "StandardsStatusReason", "StatusReasonCode"),
        }
        for call, s in entries(calls, "StandardsSubscriptions")
    ]


def transform_controls(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Control rows (enabled or disabled, with why) from DescribeStandardsControls pages."""
    return [
        {
            "account_id": call.get("account") or _account_of(call["params"]["StandardsSubscriptionArn"]),
            "region": region,
            "subscription_arn": call["params"]["StandardsSubscriptionArn"],
            **named_after(c, "ControlId", "Title", "SeverityRating", "DisabledReason"),
            "status": c.get("ControlStatus"),
            "status_updated_at": to_utc(c.get("ControlStatusUpdatedAt")),
        }
        for call, c in entries(calls, "Controls")
    ]


def _account_of(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) > 4 and parts[4] else None


def transform_findings(responses: list[dict[str, Any]], org: pd.DataFrame | None = None) -> pd.DataFrame:
    """The normalized findings frame of GetFindings pages (ASFF)."""
    return normalize_findings(responses, org=org, origin="securityhub get_findings")


def securityhub_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Security Hub table from recorded pages: findings, standards, controls."""
    standards, controls, found = [], [], []
    for region in recording.regions(SERVICE):
        standards += transform_standards(region, recording.calls(SERVICE, region, "get_enabled_standards"))
        controls += transform_controls(
            region, recording.calls(SERVICE, region, "describe_standards_controls")
        )
        found += recording.responses(SERVICE, region, "get_findings")
    findings = transform_findings(found, org)
    if len(findings):
        findings = findings.drop_duplicates("finding_id", keep="last").reset_index(drop=True)
    return {
        "findings": findings,
        "standards": pd.DataFrame(standards, columns=STANDARD_COLUMNS),
        "controls": pd.DataFrame(controls, columns=CONTROL_COLUMNS),
    }


def collect_securityhub(
    connection: Any,
    region: str | None = None,
    filters: dict[str, Any] | None = None,
    accounts: Sequence[str] | None = None,
    regions: Sequence[str] | None = None,
    **run: Unpack[LiveRun],
) -> dict[str, pd.DataFrame]:
    """Live Security Hub tables.

    Findings come from ``region`` (default: the finding aggregation region); without an
    aggregator, from each of ``regions``. Standards and controls come from every region of ``regions``.
    """

    def get(recording: ApiRecording, log: OutcomeLog, workers: int, progress: bool) -> None:
        home = region or aggregation_region(connection, log)
        finding_regions = [home] if home else list(regions or [connection.home_region])
        get_securityhub(
            connection, finding_regions, recording, log, filters, accounts, regions, workers, progress
        )

    return collect_live(securityhub_frames, get, **run)


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect securityhub``: findings from the aggregation region (else every picked region),
    standards and controls per picked region, in every member account when a member role is given."""
    regions = resolve_regions(options.regions, connection, SERVICE)
    aggregator = aggregation_region(connection, log, options.region)
    filters = asff_filters(since=options.since, record_state=None if options.include_archived else "ACTIVE")
    accounts = None
    if options.member_role:  # standards live in each member account: read them through the member role
        org = options.org
        accounts = list(org["account_id"]) if org is not None else list_account_ids(connection, log)
    get_securityhub(
        connection,
        [aggregator] if aggregator else regions,
        recording,
        log,
        filters,
        accounts=accounts,
        regions=regions,
        workers=options.workers,
        progress=options.progress,
    )
    return regions


CALLS = ("describe_standards_controls", "get_enabled_standards", "get_findings", "list_finding_aggregators")
"""The Security Hub operations ``get_securityhub`` and ``aggregation_region`` call."""

SECURITYHUB = Service(
    api=SERVICE,
    calls=CALLS,
    # with --member-role, the member accounts come from Organizations ListAccounts (list_account_ids)
    other_calls=frozenset({("organizations", "list_accounts")}),
    tables=(transform_findings, transform_standards, transform_controls),
    frames=securityhub_frames,
    get=get_for_run,
    # The coverage matrix reads list_members, which the collector does not call (yet): demo lakes only.
    finding_pages=("get_findings",),
    demo_records=frozenset({"get_enabled_standards", "list_finding_aggregators", "list_members"}),
    coverage=(
        Coverage("Security Hub", status_key="MemberStatus", enabled=frozenset({"ENABLED", "ASSOCIATED"})),
    ),
)
"""Security Hub in the registry (``orginsight.collectors.registry.SERVICES["securityhub"]``)."""
