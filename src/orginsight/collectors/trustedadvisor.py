"""AWS Trusted Advisor for the organization: org recommendations, Support API checks, the org-view report.

Three ways in, from the management account or Trusted Advisor's delegated administrator:

- The Trusted Advisor API (``trustedadvisor``, endpoint us-east-1 only, 2024): ``list_organization_
  recommendations`` (one call per status, filtered on the pillar), then per recommendation
  ``list_organization_recommendation_accounts`` and ``list_organization_recommendation_resources``.
  Every recommendation costs two more paginated calls, so by default only the ``security`` pillar
  in ``error`` or ``warning`` is read (:data:`DEFAULT_PILLAR`, :data:`DEFAULT_STATUSES`).
- The Support API (``support``, us-east-1 only for Trusted Advisor, API Reference 2024), per account:
  ``describe_trusted_advisor_checks(language="en")`` and ``describe_trusted_advisor_check_result``
  for each check in the ``security`` category. Used where the Trusted Advisor API is not available:
  when listing organization recommendations is denied or needs a subscription (recorded as an
  outcome), and for the accounts named in ``support_accounts``. An account without Business,
  Enterprise On-Ramp or Enterprise Support answers ``SubscriptionRequiredException``: an outcome
  (``Status.NOT_ENABLED``), never an exception that stops the run.
- The organizational view report that Trusted Advisor exports (JSON or CSV) is a file format, read
  by ``orginsight.sources.trustedadvisor_report``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from botocore.exceptions import BotoCoreError, ClientError

from orginsight.collectors.fanout import DEFAULT_WORKERS, NotEnabled, OutcomeLog, Status, Target, fan_out
from orginsight.collectors.recording import GLOBAL, ApiRecording, Call, entries, named_after, paginate
from orginsight.collectors.service import EVERY_ACCOUNT, Coverage, Covered, RunOptions, Service
from orginsight.sources.findings import to_utc

SERVICE = "trustedadvisor"
SUPPORT = "support"
HOME = "us-east-1"
"""Both APIs answer Trusted Advisor calls only in us-east-1 (Support API Reference, TrustedAdvisor
API Reference, 2024): every call is made and recorded there."""

DEFAULT_PILLAR: str | None = "security"
"""ListOrganizationRecommendations ``pillar`` filter (None: every pillar)."""
DEFAULT_STATUSES: tuple[str, ...] = ("error", "warning")
"""ListOrganizationRecommendations ``status`` values read (the API takes one status a call)."""
SUPPORT_CATEGORY = "security"
"""DescribeTrustedAdvisorChecks ``category`` whose results the Support API path fetches."""
LANGUAGE = "en"

FALLBACK_CODES = frozenset({"SubscriptionRequiredException"})
"""Error codes that mean "not available here" rather than "broken" (besides access denied)."""

RECOMMENDATION_COLUMNS = [
    "recommendation_id",
    "arn",
    "name",
    "check_id",
    "pillars",
    "status",
    "lifecycle_stage",
    "type",
    "source",
    "aws_services",
    "error_count",
    "warning_count",
    "ok_count",
    "created_at",
    "last_updated_at",
]
RECOMMENDATION_ACCOUNT_COLUMNS = [
    "recommendation_id",
    "recommendation_arn",
    "account_id",
    "account_recommendation_arn",
    "lifecycle_stage",
    "update_reason",
    "update_reason_code",
    "last_updated_at",
]
RESOURCE_COLUMNS = [
    "recommendation_id",
    "recommendation_arn",
    "account_id",
    "region",
    "aws_resource_id",
    "resource_arn",
    "arn",
    "status",
    "exclusion_status",
    "metadata",
    "last_updated_at",
]
CHECK_COLUMNS = [
    "account_id",
    "check_id",
    "name",
    "category",
    "status",
    "timestamp",
    "resources_processed",
    "resources_flagged",
    "resources_ignored",
    "resources_suppressed",
]
CHECK_RESOURCE_COLUMNS = [
    "account_id",
    "check_id",
    "region",
    "resource_id",
    "status",
    "is_suppressed",
    "metadata",
]


def _id_of(arn: str | None) -> str | None:
    """The last path element of a Trusted Advisor ARN (a recommendation's id, a check's id)."""
    return arn.rsplit("/", 1)[-1] if arn else None


def _arn_in(values: Iterable[Any]) -> str | None:
    """The first AWS ARN among a flagged resource's metadata values (e.g. the RDS instance's ARN)."""
    return next((v for v in values if isinstance(v, str) and v.startswith("arn:")), None)


# ----------------------------------------------------------------------------- get (API pages)


def get_organization_recommendations(
    connection: Any,
    recording: ApiRecording,
    log: OutcomeLog,
    pillar: str | None = DEFAULT_PILLAR,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> bool:
    """Record the organization's recommendations, and the accounts and resources of each.

    Returns False when the Trusted Advisor API is not available to this caller (access denied or
    subscription required, recorded as the outcome), so the caller reads the Support API instead.
    """
    client = connection.client(SERVICE, HOME)
    recommendations: list[str] = []
    for status in statuses:
        params: dict[str, Any] = {"status": status}
        if pillar is not None:
            params["pillar"] = pillar
        try:
            pages = paginate(client, "list_organization_recommendations", recording, SERVICE, HOME, **params)
        except (ClientError, BotoCoreError) as e:
            outcome = log.failed(None, HOME, "list_organization_recommendations", e)
            if outcome.status is Status.ACCESS_DENIED or outcome.error_code in FALLBACK_CODES:
                return False  # not the management account or delegated admin, or no subscription
            continue  # e.g. still throttled: the other statuses may still be read
        recommendations += [
            r["arn"] for page in pages for r in page.get("organizationRecommendationSummaries", [])
        ]

    def one(target: Target) -> int:
        arn = target.detail or ""
        got = 0
        for operation, key in (
            ("list_organization_recommendation_accounts", "accountRecommendationLifecycleSummaries"),
            ("list_organization_recommendation_resources", "organizationRecommendationResourceSummaries"),
        ):
            pages = log.call(
                None,
                HOME,
                operation,
                lambda operation=operation: paginate(
                    client, operation, recording, SERVICE, HOME, organizationRecommendationIdentifier=arn
                ),
            )
            got += sum(len(p.get(key, [])) for p in pages or [])
        return got

    targets = [Target(None, HOME, arn) for arn in dict.fromkeys(recommendations)]
    done = fan_out(one, targets, log, "trustedadvisor recommendations", workers=workers, progress=progress)
    log.ok(None, HOME, "trustedadvisor", items=sum(n for _t, n in done))
    return True


def get_account_checks(
    connection: Any,
    target: Target,
    recording: ApiRecording,
    log: OutcomeLog,
    category: str = SUPPORT_CATEGORY,
) -> int:
    """One account's Trusted Advisor checks in ``category`` through the Support API; flagged resources."""
    account = target.account
    client = connection.client("support", HOME, account)

    def one(operation: str, **params: Any) -> dict[str, Any] | None:
        try:
            response = getattr(client, operation)(**params)
        except (ClientError, BotoCoreError) as e:
            code = e.response.get("Error", {}).get("Code") if isinstance(e, ClientError) else None
            if code in FALLBACK_CODES:  # Basic or Developer support: the Support API is not there
                e = NotEnabled(code, f"the Support API needs Business or Enterprise Support: {e}")
            log.failed(account, HOME, operation, e)
            return None
        return recording.add(SUPPORT, HOME, operation, params, response, account)

    listed = one("describe_trusted_advisor_checks", language=LANGUAGE)
    if listed is None:
        return 0
    flagged = 0
    for check in listed.get("checks", []):
        if check.get("category") != category:
            continue
        result = one("describe_trusted_advisor_check_result", checkId=check["id"], language=LANGUAGE)
        flagged += len((result or {}).get("result", {}).get("flaggedResources", []))
    log.ok(account, HOME, "support", items=flagged)
    return flagged


def get_trustedadvisor(
    connection: Any,
    recording: ApiRecording,
    log: OutcomeLog,
    support_accounts: Sequence[str | None] = (None,),
    pillar: str | None = DEFAULT_PILLAR,
    statuses: Sequence[str] = DEFAULT_STATUSES,
    force_support: bool = False,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Organization recommendations; the Support API's security checks in ``support_accounts`` when
    the Trusted Advisor API is unavailable (or ``force_support``). ``None`` is the caller's account."""
    available = get_organization_recommendations(
        connection, recording, log, pillar, statuses, workers, progress
    )
    if force_support or not available:
        fan_out(
            lambda t: get_account_checks(connection, t, recording, log),
            [Target(a, HOME) for a in support_accounts],
            log,
            "support accounts",
            workers=workers,
            progress=progress,
        )
    return recording


# ----------------------------------------------------------------------------- transform (pure)


def transform_recommendations(responses: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per organization recommendation from ListOrganizationRecommendations pages."""
    rows = []
    for page in responses:
        for r in page.get("organizationRecommendationSummaries", []):
            counts = r["resourcesAggregates"]
            rows.append(
                {
                    "recommendation_id": r["id"],
                    "arn": r["arn"],
                    "name": r["name"],
                    "check_id": _id_of(r.get("checkArn")),
                    "pillars": ",".join(r["pillars"]),
                    "status": r["status"],
                    "lifecycle_stage": r.get("lifecycleStage"),
                    "type": r["type"],
                    "source": r["source"],
                    "aws_services": ",".join(r["awsServices"]) if r.get("awsServices") else None,
                    "error_count": int(counts["errorCount"]),
                    "warning_count": int(counts["warningCount"]),
                    "ok_count": int(counts["okCount"]),
                    "created_at": to_utc(r.get("createdAt")),
                    "last_updated_at": to_utc(r.get("lastUpdatedAt")),
                }
            )
    return rows


def transform_recommendation_accounts(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """Each account's lifecycle of each recommendation, from ListOrganizationRecommendationAccounts calls."""
    return [
        {
            "recommendation_id": _id_of(call["params"]["organizationRecommendationIdentifier"]),
            "recommendation_arn": call["params"]["organizationRecommendationIdentifier"],
            **named_after(
                a,
                "accountId",
                "accountRecommendationArn",
                "lifecycleStage",
                "updateReason",
                "updateReasonCode",
            ),
            **named_after(a, "lastUpdatedAt", convert=to_utc),
        }
        for call, a in entries(calls, "accountRecommendationLifecycleSummaries")
    ]


def transform_resources(calls: Iterable[Call]) -> list[dict[str, Any]]:
    """Affected resources of each recommendation, from ListOrganizationRecommendationResources calls.

    ``metadata`` is the check's columns as JSON (``{"0": ..., "1": ...}``, AWS's numbering);
    ``resource_arn`` is the first AWS ARN among them, when the check reports one.
    """
    rows = []
    for call in calls:
        arn = call["params"]["organizationRecommendationIdentifier"]
        for r in call["response"].get("organizationRecommendationResourceSummaries", []):
            metadata = r["metadata"]
            rows.append(
                {
                    "recommendation_id": _id_of(arn),
                    "recommendation_arn": arn,
                    "account_id": r.get("accountId"),
                    "region": r["regionCode"],
                    "aws_resource_id": r["awsResourceId"],
                    "resource_arn": _arn_in(metadata.values()),
                    "arn": r["arn"],
                    "status": r["status"],
                    "exclusion_status": r.get("exclusionStatus"),
                    "metadata": json.dumps(metadata, sort_keys=True),
                    "last_updated_at": to_utc(r["lastUpdatedAt"]),
                }
            )
    return rows


def transform_checks(check_calls: Iterable[Call], result_calls: Iterable[Call]) -> list[dict[str, Any]]:
    """One row per (account, check result), named from that account's DescribeTrustedAdvisorChecks."""
    names: dict[tuple[str | None, str], dict[str, Any]] = {}
    for call in check_calls:
        for c in call["response"].get("checks", []):
            names[(call.get("account"), c["id"])] = c
    rows = []
    for call in result_calls:
        result = call["response"]["result"]
        account = call.get("account")
        check = names.get((account, result["checkId"]), {})
        summary = result.get("resourcesSummary") or {}
        rows.append(
            {
                "account_id": account,
                "check_id": result["checkId"],
                "name": check.get("name"),
                "category": check.get("category"),
                "status": result["status"],
                "timestamp": to_utc(result.get("timestamp")),
                "resources_processed": summary.get("resourcesProcessed"),
                "resources_flagged": summary.get("resourcesFlagged"),
                "resources_ignored": summary.get("resourcesIgnored"),
                "resources_suppressed": summary.get("resourcesSuppressed"),
            }
        )
    return rows


def transform_check_resources(
    check_calls: Iterable[Call], result_calls: Iterable[Call]
) -> list[dict[str, Any]]:
    """Flagged resources of each check result; ``metadata`` as JSON keyed by the check's column names."""
    columns: dict[tuple[str | None, str], list[str]] = {}
    for call in check_calls:
        for c in call["response"].get("checks", []):
            columns[(call.get("account"), c["id"])] = list(c.get("metadata") or [])
    rows = []
    for call in result_calls:
        result = call["response"]["result"]
        account = call.get("account")
        names = columns.get((account, result["checkId"]), [])
        for f in result.get("flaggedResources", []):
            values = f.get("metadata") or []
            keys = [names[i] if i < len(names) else str(i) for i in range(len(values))]
            rows.append(
                {
                    "account_id": account,
                    "check_id": result["checkId"],
                    "region": f.get("region"),
                    "resource_id": f["resourceId"],
                    "status": f["status"],
                    "is_suppressed": f.get("isSuppressed"),
                    "metadata": json.dumps(dict(zip(keys, values, strict=True))),
                }
            )
    return rows


def trustedadvisor_frames(
    recording: ApiRecording, org: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """Every Trusted Advisor table from recorded pages (``org`` is unused: rows carry account ids)."""
    check_calls = recording.calls(SUPPORT, HOME, "describe_trusted_advisor_checks")
    result_calls = recording.calls(SUPPORT, HOME, "describe_trusted_advisor_check_result")
    recommendations = pd.DataFrame(
        transform_recommendations(recording.responses(SERVICE, HOME, "list_organization_recommendations")),
        columns=RECOMMENDATION_COLUMNS,
    )
    return {
        # A recommendation listed under two statuses' calls (it changed in between) is kept once.
        "recommendations": recommendations.drop_duplicates("arn", keep="last").reset_index(drop=True),
        "recommendation_accounts": pd.DataFrame(
            transform_recommendation_accounts(
                recording.calls(SERVICE, HOME, "list_organization_recommendation_accounts")
            ),
            columns=RECOMMENDATION_ACCOUNT_COLUMNS,
        ),
        "resources": pd.DataFrame(
            transform_resources(recording.calls(SERVICE, HOME, "list_organization_recommendation_resources")),
            columns=RESOURCE_COLUMNS,
        ),
        "checks": pd.DataFrame(transform_checks(check_calls, result_calls), columns=CHECK_COLUMNS),
        "check_resources": pd.DataFrame(
            transform_check_resources(check_calls, result_calls), columns=CHECK_RESOURCE_COLUMNS
        ),
    }


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Trusted Advisor per account (region ``global``: its APIs answer in us-east-1 for every region).

    Recorded organization recommendations (the Trusted Advisor API answered the management account or
    delegated administrator) cover every account of the organization, and name the accounts they
    concern. On the Support API path an account is covered when its own DescribeTrustedAdvisorChecks
    answered (Business, Enterprise On-Ramp or Enterprise Support: the others get
    SubscriptionRequiredException and record nothing), and the accounts it was not read in are not.
    """
    status: Covered = {}
    if recording.calls(SERVICE, HOME, "list_organization_recommendations"):
        status[(EVERY_ACCOUNT, GLOBAL)] = True
        accounts = recording.calls(SERVICE, HOME, "list_organization_recommendation_accounts")
        for row in transform_recommendation_accounts(accounts):
            if row["account_id"]:
                status[(row["account_id"], GLOBAL)] = True
    answered = {c.get("account") for c in recording.calls(SUPPORT, HOME, "describe_trusted_advisor_checks")}
    for account in sorted(answered - {None}):
        status[(account, GLOBAL)] = True
    if answered - {None}:
        status.setdefault((EVERY_ACCOUNT, GLOBAL), False)
    return status, {}


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect trustedadvisor``: security recommendations in error or warning, from us-east-1.

    With a member role and an accounts snapshot, the Support API fallback reads every ACTIVE
    account; otherwise only the caller's own account.
    """
    accounts: list[str | None] = [None]
    if options.member_role and options.org is not None and len(options.org):
        org = options.org
        active = org[org["status"].astype(str).str.upper() == "ACTIVE"] if "status" in org else org
        accounts = [str(a) for a in active["account_id"]]
    get_trustedadvisor(
        connection, recording, log, accounts, workers=options.workers, progress=options.progress
    )
    return [HOME]


CALLS = (
    "list_organization_recommendations",
    "list_organization_recommendation_accounts",
    "list_organization_recommendation_resources",
)
"""The Trusted Advisor API's operations the module calls (the org-view readers read files, not APIs)."""
SUPPORT_CALLS = ("describe_trusted_advisor_checks", "describe_trusted_advisor_check_result")
"""The Support API's, where the Trusted Advisor API is not available."""

TRUSTEDADVISOR = Service(
    api=SERVICE,
    calls=CALLS,  # demo/advisor.py records them (and the Support API's)
    other_calls=frozenset((SUPPORT, op) for op in SUPPORT_CALLS),
    tables=(
        transform_recommendations,
        transform_recommendation_accounts,
        transform_resources,
        transform_checks,
        transform_check_resources,
    ),
    frames=trustedadvisor_frames,
    get=get_for_run,
    coverage=(Coverage("Trusted Advisor", transform=coverage_status),),
)
"""Trusted Advisor in the registry (``orginsight.collectors.registry.SERVICES["trustedadvisor"]``)."""
