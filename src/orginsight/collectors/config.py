"""AWS Config from the organization aggregator: rule and conformance-pack compliance, resource counts.

An organization aggregator (in one region of the delegated administrator or management account)
holds every source account's and region's Config results, so nothing here assumes a role in a
member account. Per aggregator:

- ``describe_configuration_aggregator_sources_status``: which accounts (an ACCOUNT source) or the whole
  organization (an ORGANIZATION source) the aggregator collects from, in which regions, and whether each
  source's last update SUCCEEDED: posture's Config coverage where no rule evaluates an account;
- ``describe_aggregate_compliance_by_config_rules``: one row per rule x account x region, with the
  count of non-compliant resources (capped at 100 by AWS, hence ``count_capped``);
- ``get_aggregate_compliance_details_by_config_rule`` for each NON_COMPLIANT rule x account x region
  (the API takes exactly one of each, API Reference 2024): the non-compliant resources themselves.
  This is the fan-out over accounts x regions; each failure is an outcome for that account and region;
- ``describe_aggregate_compliance_by_conformance_packs``;
- ``get_aggregate_discovered_resource_counts``: grouped by account, then by resource type within each
  account (the API groups by one key at a time, so "type x account" is one call per account).

``select_resources`` runs an ad-hoc AWS Config SQL query on the aggregator from Python.

The aggregator is found with ``describe_configuration_aggregators`` in the home region (``--home-region``),
else in each picked region; organization aggregators are preferred over account-list ones. A region
with no aggregator is ``Status.NOT_ENABLED`` (code ``NoAggregator``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pandas as pd
from botocore.exceptions import ClientError

from orginsight.collectors.fanout import DEFAULT_WORKERS, NotEnabled, OutcomeLog, Target, fan_out
from orginsight.collectors.recording import ApiRecording, Call, dig, entries, named_after, paginate
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import EVERY_ACCOUNT, Coverage, Covered, RunOptions, Service
from orginsight.errors import CollectionError
from orginsight.timerange import parse_time

SERVICE = "config"

NOT_ENABLED_CODES = frozenset(
    {
        "NoSuchConfigurationAggregatorException",  # the aggregator named is not in this region
        "NoAvailableConfigurationRecorderException",
        "NoAvailableOrganizationException",
    }
)
"""Config's answers meaning "not set up here" (API Reference, 2024); the shared classifier does not know them."""

RULE_COLUMNS = [
    "aggregator",
    "rule",
    "account_id",
    "region",
    "compliance",
    "non_compliant_resources",
    "count_capped",
]
RESOURCE_COLUMNS = [
    "aggregator",
    "rule",
    "account_id",
    "region",
    "resource_type",
    "resource_id",
    "compliance",
    "annotation",
    "evaluated_at",
    "recorded_at",
    "invoked_at",
]
PACK_COLUMNS = [
    "aggregator",
    "conformance_pack",
    "account_id",
    "region",
    "compliance",
    "compliant_rules",
    "non_compliant_rules",
    "total_rules",
]
COUNT_COLUMNS = ["aggregator", "account_id", "resource_type", "count"]


def _utc(value: Any) -> pd.Timestamp | None:
    """A recorded time (ISO text, epoch seconds or datetime) as aware UTC; missing is None."""
    return None if value is None else pd.Timestamp(parse_time(value))


def _config_call(fn: Callable[[], Any]) -> Callable[[], Any]:
    """``fn`` with Config's "not set up" errors raised as ``NotEnabled``, so the log files them so."""

    def call() -> Any:
        try:
            return fn()
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code in NOT_ENABLED_CODES:
                raise NotEnabled(code, str(e.response["Error"].get("Message") or e)) from e
            raise

    return call


# ----------------------------------------------------------------------------- get (API pages)


def get_aggregators(connection: Any, region: str, recording: ApiRecording, log: OutcomeLog) -> list[str]:
    """Names of the aggregators to read in ``region``: the organization ones, else every one."""
    client = connection.client(SERVICE, region)
    pages = log.call(
        None,
        region,
        "describe_configuration_aggregators",
        _config_call(
            lambda: paginate(client, "describe_configuration_aggregators", recording, SERVICE, region)
        ),
    )
    if pages is None:
        return []
    found = [a for page in pages for a in page.get("ConfigurationAggregators", [])]
    if not found:
        log.failed(
            None,
            region,
            "describe_configuration_aggregators",
            NotEnabled("NoAggregator", f"no AWS Config aggregator in {region}"),
        )
        return []
    org = [a for a in found if a.get("OrganizationAggregationSource")]
    return [a["ConfigurationAggregatorName"] for a in (org or found)]


def _pages(client: Any, operation: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of ``operation``, following NextToken by hand where boto3 has no paginator
    (GetAggregateDiscoveredResourceCounts, botocore 2024)."""
    if client.can_paginate(operation):
        return list(client.get_paginator(operation).paginate(**params))
    pages, token = [], None
    while True:
        page = getattr(client, operation)(**params, **({"NextToken": token} if token else {}))
        pages.append(page)
        token = page.get("NextToken")
        if not token:
            return pages


def get_aggregator(
    connection: Any,
    region: str,
    aggregator: str,
    recording: ApiRecording,
    log: OutcomeLog,
    details: bool = True,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> int:
    """Record one aggregator's sources' status, compliance, conformance packs and resource counts; returns
    the number of non-compliant resources fetched.

    The sources' status comes first and on its own: a denied or failed call there loses only that
    coverage evidence, and the compliance that follows is read either way."""
    client = connection.client(SERVICE, region)

    def pages(operation: str, account: str | None = None, where: str | None = None, **params: Any) -> Any:
        def fetch() -> list[dict[str, Any]]:
            got = _pages(client, operation, ConfigurationAggregatorName=aggregator, **params)
            params_recorded = {"ConfigurationAggregatorName": aggregator, **params}
            return [recording.add(SERVICE, region, operation, params_recorded, p) for p in got]

        return log.call(account, where or region, operation, _config_call(fetch))

    pages("describe_configuration_aggregator_sources_status")
    rules = pages("describe_aggregate_compliance_by_config_rules")
    if rules is None:
        return 0
    failing = sorted(
        {
            (r["ConfigRuleName"], r["AccountId"], r["AwsRegion"])
            for page in rules
            for r in page.get("AggregateComplianceByConfigRules", [])
            if r.get("Compliance", {}).get("ComplianceType") == "NON_COMPLIANT"
        }
    )

    def detail(t: Target) -> int:
        got = pages(
            "get_aggregate_compliance_details_by_config_rule",
            account=t.account,
            where=t.region,
            ConfigRuleName=t.detail,
            AccountId=t.account,
            AwsRegion=t.region,
            ComplianceType="NON_COMPLIANT",
        )
        return sum(len(p.get("AggregateEvaluationResults", [])) for p in got or [])

    fetched = 0
    if details:
        done = fan_out(
            detail,
            [Target(account, where, rule) for rule, account, where in failing],
            log,
            "config compliance details",
            workers=workers,
            progress=progress,
        )
        fetched = sum(n for _t, n in done)
    pages("describe_aggregate_compliance_by_conformance_packs")
    by_account = pages("get_aggregate_discovered_resource_counts", GroupByKey="ACCOUNT_ID") or []
    accounts = sorted({g["GroupName"] for p in by_account for g in p.get("GroupedResourceCounts", [])})
    fan_out(
        lambda t: pages(
            "get_aggregate_discovered_resource_counts",
            account=t.account,
            GroupByKey="RESOURCE_TYPE",
            Filters={"AccountId": t.account},
        ),
        [Target(a, region) for a in accounts],
        log,
        "config resource counts",
        workers=workers,
        progress=progress,
    )
    log.ok(None, region, "config aggregator", items=fetched)
    return fetched


def get_config(
    connection: Any,
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    details: bool = True,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record every aggregator found in the first of ``regions`` that has one (home region first)."""
    for region in regions:
        names = get_aggregators(connection, region, recording, log)
        for name in names:
            get_aggregator(connection, region, name, recording, log, details, workers, progress)
        if names:
            break
    return recording


# ----------------------------------------------------------------------------- transform (pure)


def _compliance(
    calls: list[Call], key: str, named: tuple[str, str], counts: dict[str, tuple[str, ...]]
) -> list[dict[str, Any]]:
    """One row per item x account x region of an aggregate compliance listing (``key``): the aggregator, the
    item's name (``named``: column, response key), where, its compliance type, and ``counts`` (column ->
    path of keys inside the item's ``Compliance``)."""
    return [
        {
            "aggregator": call["params"]["ConfigurationAggregatorName"],
            named[0]: item[named[1]],
            "account_id": item.get("AccountId"),
            "region": item.get("AwsRegion"),
            "compliance": dig(item, "Compliance", "ComplianceType"),
            **{column: dig(item, "Compliance", *path) for column, path in counts.items()},
        }
        for call, item in entries(calls, key)
    ]


def transform_rule_compliance(calls: list[Call]) -> list[dict[str, Any]]:
    """Rule x account x region rows from DescribeAggregateComplianceByConfigRules pages."""
    return _compliance(
        calls,
        "AggregateComplianceByConfigRules",
        ("rule", "ConfigRuleName"),
        {
            "non_compliant_resources": ("ComplianceContributorCount", "CappedCount"),
            "count_capped": ("ComplianceContributorCount", "CapExceeded"),
        },
    )


def transform_resource_compliance(calls: list[Call]) -> list[dict[str, Any]]:
    """One row per evaluated resource from GetAggregateComplianceDetailsByConfigRule pages."""
    return [
        _evaluation(call["params"], e, e["EvaluationResultIdentifier"])
        for call, e in entries(calls, "AggregateEvaluationResults")
    ]


def _evaluation(params: dict[str, Any], e: dict[str, Any], ident: dict[str, Any]) -> dict[str, Any]:
    """One evaluated resource's row; where the result leaves out its rule, account or region, the request's."""
    qualifier = ident["EvaluationResultQualifier"]
    return {
        "aggregator": params["ConfigurationAggregatorName"],
        "rule": qualifier.get("ConfigRuleName") or params.get("ConfigRuleName"),
        "account_id": e.get("AccountId") or params.get("AccountId"),
        "region": e.get("AwsRegion") or params.get("AwsRegion"),
        **named_after(qualifier, "ResourceType", "ResourceId"),
        "compliance": e.get("ComplianceType"),
        "annotation": e.get("Annotation"),
        "evaluated_at": _utc(ident.get("OrderingTimestamp")),
        "recorded_at": _utc(e.get("ResultRecordedTime")),
        "invoked_at": _utc(e.get("ConfigRuleInvokedTime")),
    }


def transform_conformance_packs(calls: list[Call]) -> list[dict[str, Any]]:
    """Conformance pack x account x region rows from DescribeAggregateComplianceByConformancePacks pages."""
    return _compliance(
        calls,
        "AggregateComplianceByConformancePacks",
        ("conformance_pack", "ConformancePackName"),
        {
            "compliant_rules": ("CompliantRuleCount",),
            "non_compliant_rules": ("NonCompliantRuleCount",),
            "total_rules": ("TotalRuleCount",),
        },
    )


def transform_resource_counts(calls: list[Call]) -> list[dict[str, Any]]:
    """Resource type x account counts: the per-account GetAggregateDiscoveredResourceCounts calls grouped by
    RESOURCE_TYPE (the organization-wide call grouped by ACCOUNT_ID only lists the accounts)."""
    rows = []
    for call in calls:
        params = call["params"]
        account = (params.get("Filters") or {}).get("AccountId")
        if params.get("GroupByKey") != "RESOURCE_TYPE" or account is None:
            continue
        rows.extend(
            {
                "aggregator": params["ConfigurationAggregatorName"],
                "account_id": account,
                "resource_type": g["GroupName"],
                "count": int(g["ResourceCount"]),
            }
            for g in call["response"].get("GroupedResourceCounts", [])
        )
    return rows


def transform_select(responses: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """SelectAggregateResourceConfig pages as a frame: each result is a JSON string, flattened with dotted
    column names (``configuration.instanceType``), the selected fields first in query order."""
    records = [json.loads(r) for page in responses for r in page.get("Results", [])]
    df = pd.json_normalize(records) if records else pd.DataFrame()
    fields = [
        f["Name"] for page in responses[:1] for f in (page.get("QueryInfo") or {}).get("SelectFields", [])
    ]
    first = [c for c in fields if c in df.columns]
    return df[first + [c for c in df.columns if c not in first]] if len(df.columns) else df


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def config_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Config table from recorded pages: rule_compliance, resource_compliance, conformance_packs,
    resource_counts (``org`` is unused: rows carry account ids, which posture joins to the org)."""
    rules, resources, packs, counts = [], [], [], []
    for region in recording.regions(SERVICE):
        rules += transform_rule_compliance(
            recording.calls(SERVICE, region, "describe_aggregate_compliance_by_config_rules")
        )
        resources += transform_resource_compliance(
            recording.calls(SERVICE, region, "get_aggregate_compliance_details_by_config_rule")
        )
        packs += transform_conformance_packs(
            recording.calls(SERVICE, region, "describe_aggregate_compliance_by_conformance_packs")
        )
        counts += transform_resource_counts(
            recording.calls(SERVICE, region, "get_aggregate_discovered_resource_counts")
        )
    return {
        "rule_compliance": _frame(rules, RULE_COLUMNS),
        "resource_compliance": _frame(resources, RESOURCE_COLUMNS),
        "conformance_packs": _frame(packs, PACK_COLUMNS),
        "resource_counts": _frame(counts, COUNT_COLUMNS),
    }


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Config per (account, region) for posture's coverage matrix (no features).

    Everything comes from the organization aggregator, as the collector reads no member account: a
    member's recorder status is not read directly, but shows in the aggregator's evaluations and its
    sources' status. The more direct evidence wins: an account and region with rule evaluations in
    DescribeAggregateComplianceByConfigRules has a recorder on; elsewhere the aggregator's source status
    (DescribeConfigurationAggregatorSourcesStatus) decides: an ACCOUNT source covers its account, an
    ORGANIZATION source every account of the organization, in its region, while its last update SUCCEEDED.
    """
    status: Covered = {}
    for region in recording.regions(SERVICE):
        rules = recording.calls(SERVICE, region, "describe_aggregate_compliance_by_config_rules")
        for row in transform_rule_compliance(rules):
            if row["account_id"] and row["region"]:
                status.setdefault((row["account_id"], row["region"]), True)
        for call in recording.calls(SERVICE, region, "describe_configuration_aggregator_sources_status"):
            for source in call["response"].get("AggregatedSourceStatusList", []):
                account = (
                    EVERY_ACCOUNT if source.get("SourceType") == "ORGANIZATION" else source.get("SourceId")
                )
                if account:
                    ok = source.get("LastUpdateStatus") == "SUCCEEDED"
                    status.setdefault((account, source.get("AwsRegion") or region), ok)
    return status, {}


# ----------------------------------------------------------------------------- ad-hoc queries


def select_resources(
    connection: Any,
    aggregator: str,
    expression: str,
    region: str | None = None,
    recording: ApiRecording | None = None,
) -> pd.DataFrame:
    """Every row of an AWS Config SQL query over the aggregator's inventory, e.g.
    ``SELECT resourceId, accountId WHERE resourceType = 'AWS::S3::Bucket'``.

    The expression goes to AWS as the API's ``Expression`` parameter, unchanged: AWS Config parses it
    (read-only: its SQL has only SELECT). Raises ``CollectionError`` when the query cannot run.
    """
    region = region or connection.home_region
    client = connection.client(SERVICE, region)
    params = {"ConfigurationAggregatorName": aggregator, "Expression": expression}
    try:
        pages = list(client.get_paginator("select_aggregate_resource_config").paginate(**params))
    except ClientError as e:
        err = e.response.get("Error", {})
        raise CollectionError(
            f"AWS Config query on aggregator {aggregator} in {region} failed: "
            f"{err.get('Code')}: {err.get('Message')}"
        ) from e
    if recording is not None:
        pages = [recording.add(SERVICE, region, "select_aggregate_resource_config", params, p) for p in pages]
    return transform_select(pages)


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect config``: the aggregator in the home region, else the first picked region
    that has one."""
    home = options.region or connection.home_region
    regions = resolve_regions(options.regions, connection, SERVICE)
    get_config(
        connection,
        [home, *(r for r in regions if r != home)],
        recording,
        log,
        workers=options.workers,
        progress=options.progress,
    )
    return regions


CALLS = (
    "describe_aggregate_compliance_by_config_rules",
    "describe_aggregate_compliance_by_conformance_packs",
    "describe_configuration_aggregator_sources_status",
    "describe_configuration_aggregators",
    "get_aggregate_compliance_details_by_config_rule",
    "get_aggregate_discovered_resource_counts",
    "select_aggregate_resource_config",
)
"""The Config operations ``get_config`` and ``select_resources`` call."""

CONFIG = Service(
    api=SERVICE,
    calls=CALLS,
    tables=(
        transform_rule_compliance,
        transform_resource_compliance,
        transform_conformance_packs,
        transform_resource_counts,
    ),
    frames=config_frames,
    get=get_for_run,
    coverage=(Coverage("Config", transform=coverage_status),),
    # demo/compliance.py records get_config's calls but the sources' status, which org.py records; the demo
    # runs no ad-hoc select.
    demo_records=frozenset(CALLS) - {"select_aggregate_resource_config"},
)
"""AWS Config in the registry (to be wired as ``orginsight.collectors.registry.SERVICES["config"]``)."""
