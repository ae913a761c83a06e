"""CloudTrail: the trails themselves (not their events): settings, status, selectors and the bucket they write to.

Runs in the management account or the CloudTrail delegated administrator. ``DescribeTrails`` with
``includeShadowTrails=True`` lists, in each picked region, the trails of that region and the copies
("shadow trails") of multi-region and organization trails from elsewhere, so the organization trail shows in
every region whatever its home (CloudTrail API Reference, DescribeTrails, 2024). Each trail found is then read
once, in its home region and by ARN (GetTrailStatus names a shadow trail only by ARN): ``GetTrailStatus``
(logging, the latest S3, digest and CloudWatch Logs deliveries and their errors), ``GetEventSelectors``
(basic or advanced selectors) and ``GetInsightSelectors``.

The trail's bucket is read with S3's read-only bucket calls: ``GetBucketPolicy``, ``GetObjectLockConfiguration``,
``GetBucketVersioning`` and ``GetBucketLogging``. S3 answers ``GetBucketPolicy`` only to the bucket owner's
account (405 MethodNotAllowed otherwise, S3 API Reference, 2024): an organization trail's bucket usually lives
in the log archive account, so run with that account's credentials (or ``bucket_account`` and a member role)
to read it; a refusal is an outcome, and the posture checks say "unknown".

Some answers that mean "none" come as errors: ``InsightNotEnabledException`` (Insights off: a ``NOT_ENABLED``
outcome), ``NoSuchBucketPolicy`` and ``ObjectLockConfigurationNotFoundError``. They are recorded as the
response without its optional member (``{"TrailARN": ...}``, ``{}``), so a recording tells "none" (a call
recorded) from "not read" (no call recorded), and the transforms read one shape.

Which settings are sound is the pure ``orginsight.analytics.posture.trail.trail_checks``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Unpack

import pandas as pd
from botocore.exceptions import ClientError

from orginsight.collectors.calls import RecordedCalls, record_targets
from orginsight.collectors.fanout import DEFAULT_WORKERS, NotEnabled, OutcomeLog, Target, fan_out
from orginsight.collectors.recording import ApiRecording, Call
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import LiveRun, RunOptions, Service, collect_live

SERVICE = "cloudtrail"
BUCKET_API = "s3"

NO_INSIGHTS = "InsightNotEnabledException"
NO_POLICY = "NoSuchBucketPolicy"
NO_OBJECT_LOCK = "ObjectLockConfigurationNotFoundError"

TRAIL_COLUMNS = [
    "name",
    "arn",
    "home_region",
    "multi_region",
    "organization_trail",
    "kms_key_id",
    "log_file_validation",
    "s3_bucket",
    "s3_prefix",
    "sns_topic_arn",
    "cloudwatch_log_group_arn",
    "cloudwatch_role_arn",
    "include_global_service_events",
    "has_custom_event_selectors",
    "has_insight_selectors",
    "is_logging",
    "start_logging_time",
    "stop_logging_time",
    "latest_delivery_time",
    "latest_delivery_error",
    "latest_digest_delivery_time",
    "latest_digest_delivery_error",
    "latest_cloudwatch_delivery_time",
    "latest_cloudwatch_delivery_error",
    "latest_notification_error",
    "listed_in",
    "status_read",
    "event_selectors_read",
    "insight_selectors_read",
]
TRAIL_TIMES = [
    "start_logging_time",
    "stop_logging_time",
    "latest_delivery_time",
    "latest_digest_delivery_time",
    "latest_cloudwatch_delivery_time",
]
SELECTOR_COLUMNS = [
    "trail_arn",
    "kind",
    "name",
    "management_events",
    "read_write",
    "data_resource_types",
    "data_resources",
    "excluded_sources",
    "field_selectors",
]
INSIGHT_COLUMNS = ["trail_arn", "insight_type"]
BUCKET_COLUMNS = [
    "bucket",
    "policy",
    "object_lock_enabled",
    "object_lock_mode",
    "object_lock_days",
    "object_lock_years",
    "versioning",
    "mfa_delete",
    "logging_target_bucket",
    "logging_target_prefix",
    "policy_read",
    "object_lock_read",
    "versioning_read",
    "logging_read",
]


# ----------------------------------------------------------------------------- get (API pages)


def _none_as_empty(api: RecordedCalls, operation: str, codes: dict[str, Any], **params: Any) -> Any:
    """One call, recorded; an error whose code is a key of ``codes`` is the "none" answer given as its value."""

    def call() -> Any:
        try:
            return getattr(api.client, operation)(**params)
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code")
            if code in codes:
                return codes[code]
            raise

    response = api.run(operation, call)
    if response is None:
        return None
    return api.recording.add(api.service, api.region, operation, params, response, api.account)


def get_region_trails(api: RecordedCalls) -> int:
    """One region's trails and shadow trails, recorded; the trails listed."""
    response = api.one("describe_trails", includeShadowTrails=True)
    return len((response or {}).get("trailList", []))


def get_trail(api: RecordedCalls, arn: str) -> int:
    """One trail's status, event selectors and Insights selectors, from its home region; the Insights types on."""
    api.one("get_trail_status", Name=arn)
    api.one("get_event_selectors", TrailName=arn)
    insights = _none_as_empty(api, "get_insight_selectors", {NO_INSIGHTS: {"TrailARN": arn}}, TrailName=arn)
    if insights is not None and not insights.get("InsightSelectors"):
        api.log.failed(api.account, api.region, "get_insight_selectors", NotEnabled(NO_INSIGHTS, arn))
    return len((insights or {}).get("InsightSelectors", []))


def get_bucket(api: RecordedCalls, bucket: str) -> int:
    """The trail bucket's policy, Object Lock, versioning and logging (read-only); 1 when the policy was read."""
    policy = _none_as_empty(api, "get_bucket_policy", {NO_POLICY: {}}, Bucket=bucket)
    _none_as_empty(api, "get_object_lock_configuration", {NO_OBJECT_LOCK: {}}, Bucket=bucket)
    api.one("get_bucket_versioning", Bucket=bucket)
    api.one("get_bucket_logging", Bucket=bucket)
    return int(policy is not None)


def listed_trails(recording: ApiRecording) -> dict[str, dict[str, Any]]:
    """Every trail the recorded DescribeTrails calls list, once, by ARN (its own region's entry first)."""
    found: dict[str, dict[str, Any]] = {}
    for region, c in _calls(recording, "describe_trails"):
        for t in c["response"].get("trailList", []):
            if t.get("TrailARN") and (t["TrailARN"] not in found or t.get("HomeRegion") == region):
                found[t["TrailARN"]] = t
    return found


def get_cloudtrail(
    connection: Any,
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    bucket_account: str | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record the trails listed in ``regions``, each one's status and selectors, and their buckets' settings
    (read in ``bucket_account`` through the member role when given, else with the caller's credentials)."""
    record_targets(
        connection, SERVICE, get_region_trails, regions, recording, log, workers=workers, progress=progress,
        label="trail regions",
    )  # fmt: skip
    trails = listed_trails(recording)
    own = {arn: t.get("HomeRegion") or regions[0] for arn, t in trails.items()}

    def trail(target: Target) -> int:
        client = connection.client(SERVICE, target.region)
        return get_trail(RecordedCalls(client, recording, log, SERVICE, target.region), target.detail or "")

    fan_out(trail, [Target(None, r, arn) for arn, r in own.items()], log, "trails", workers, progress)
    buckets: dict[str, str] = {}  # bucket -> home region of its first trail, organization trails first
    for arn, t in sorted(trails.items(), key=lambda item: not item[1].get("IsOrganizationTrail")):
        if t.get("S3BucketName"):
            buckets.setdefault(t["S3BucketName"], own[arn])

    def bucket(target: Target) -> int:
        client = connection.client("s3", target.region, bucket_account)
        api = RecordedCalls(client, recording, log, BUCKET_API, target.region, bucket_account)
        return get_bucket(api, target.detail or "")

    fan_out(
        bucket,
        [Target(bucket_account, r, b) for b, r in buckets.items()],
        log,
        "trail buckets",
        workers,
        progress,
    )
    return recording


# ----------------------------------------------------------------------------- transform (pure)


def _calls(recording: ApiRecording, operation: str, api: str = SERVICE) -> list[tuple[str, Call]]:
    return [(r, c) for r in recording.regions(api) for c in recording.calls(api, r, operation)]


def _json(value: Any) -> str | None:
    return json.dumps(value, sort_keys=True) if value else None


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def _by_trail(calls: list[Call], key: str, trails: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Responses by the ARN of the trail their params name (by ARN or by name)."""
    arn_of = {t.get("Name"): arn for arn, t in trails.items()} | {arn: arn for arn in trails}
    return {arn_of.get(c["params"].get(key), c["params"].get(key)): c["response"] for c in calls}


def transform_trails(
    describe_calls: list[tuple[str, Call]],
    status_calls: list[Call],
    selector_calls: list[Call],
    insight_calls: list[Call],
) -> pd.DataFrame:
    """One row per trail (by ARN) from DescribeTrails in every region, with its GetTrailStatus; ``listed_in``
    names the regions that list it; ``*_read`` say which of its own calls answered."""
    trails: dict[str, dict[str, Any]] = {}
    listed: dict[str, set[str]] = {}
    for region, c in describe_calls:
        for t in c["response"].get("trailList", []):
            arn = t["TrailARN"]
            listed.setdefault(arn, set()).add(region)
            if arn not in trails or t.get("HomeRegion") == region:
                trails[arn] = t
    status = _by_trail(status_calls, "Name", trails)
    selectors = _by_trail(selector_calls, "TrailName", trails)
    insights = _by_trail(insight_calls, "TrailName", trails)
    rows = []
    for arn, t in trails.items():
        s = status.get(arn, {})
        rows.append(
            {
                "name": t.get("Name"),
                "arn": arn,
                "home_region": t.get("HomeRegion"),
                "multi_region": t.get("IsMultiRegionTrail"),
                "organization_trail": t.get("IsOrganizationTrail"),
                "kms_key_id": t.get("KmsKeyId"),
                "log_file_validation": t.get("LogFileValidationEnabled"),
                "s3_bucket": t.get("S3BucketName"),
                "s3_prefix": t.get("S3KeyPrefix"),
                "sns_topic_arn": t.get("SnsTopicARN"),
                "cloudwatch_log_group_arn": t.get("CloudWatchLogsLogGroupArn"),
                "cloudwatch_role_arn": t.get("CloudWatchLogsRoleArn"),
                "include_global_service_events": t.get("IncludeGlobalServiceEvents"),
                "has_custom_event_selectors": t.get("HasCustomEventSelectors"),
                "has_insight_selectors": t.get("HasInsightSelectors"),
                "is_logging": s.get("IsLogging"),
                "start_logging_time": s.get("StartLoggingTime"),
                "stop_logging_time": s.get("StopLoggingTime"),
                "latest_delivery_time": s.get("LatestDeliveryTime"),
                "latest_delivery_error": s.get("LatestDeliveryError") or None,
                "latest_digest_delivery_time": s.get("LatestDigestDeliveryTime"),
                "latest_digest_delivery_error": s.get("LatestDigestDeliveryError") or None,
                "latest_cloudwatch_delivery_time": s.get("LatestCloudWatchLogsDeliveryTime"),
                "latest_cloudwatch_delivery_error": s.get("LatestCloudWatchLogsDeliveryError") or None,
                "latest_notification_error": s.get("LatestNotificationError") or None,
                "listed_in": ",".join(sorted(listed[arn])),
                "status_read": arn in status,
                "event_selectors_read": arn in selectors,
                "insight_selectors_read": arn in insights,
            }
        )
    df = pd.DataFrame(rows, columns=TRAIL_COLUMNS)
    for column in TRAIL_TIMES:
        df[column] = _utc(df[column])
    return df.sort_values("arn").reset_index(drop=True)


def _field_values(fields: list[dict[str, Any]], name: str, op: str) -> list[str]:
    return sorted(v for f in fields if f.get("Field") == name for v in f.get(op, []))


def _advanced_row(arn: str, s: dict[str, Any]) -> dict[str, Any]:
    """An advanced selector in the basic selector's terms: its category, read/write filter, resource types,
    resource ARNs (Equals or StartsWith) and excluded event sources (NotEquals on ``eventSource``)."""
    fields = s.get("FieldSelectors", [])
    read_only = _field_values(fields, "readOnly", "Equals")
    arns = _field_values(fields, "resources.ARN", "Equals") + _field_values(
        fields, "resources.ARN", "StartsWith"
    )
    return {
        "trail_arn": arn,
        "kind": "advanced",
        "name": s.get("Name"),
        "management_events": "Management" in _field_values(fields, "eventCategory", "Equals"),
        "read_write": {"true": "ReadOnly", "false": "WriteOnly"}.get(read_only[0], "All")
        if read_only
        else "All",
        "data_resource_types": _json(_field_values(fields, "resources.type", "Equals")),
        "data_resources": _json(arns),
        "excluded_sources": _json(_field_values(fields, "eventSource", "NotEquals")),
        "field_selectors": _json(fields),
    }


def transform_event_selectors(calls: list[Call]) -> pd.DataFrame:
    """One row per event selector of each trail, basic or advanced (a trail has one kind or the other)."""
    rows = []
    for c in calls:
        arn = c["response"].get("TrailARN") or c["params"]["TrailName"]
        for s in c["response"].get("EventSelectors") or []:
            resources = s.get("DataResources") or []
            rows.append(
                {
                    "trail_arn": arn,
                    "kind": "basic",
                    "name": None,
                    "management_events": s.get("IncludeManagementEvents", True),
                    "read_write": s.get("ReadWriteType", "All"),
                    "data_resource_types": _json(sorted({r["Type"] for r in resources if r.get("Type")})),
                    "data_resources": _json(sorted(v for r in resources for v in r.get("Values", []))),
                    "excluded_sources": _json(sorted(s.get("ExcludeManagementEventSources") or [])),
                    "field_selectors": None,
                }
            )
        rows += [_advanced_row(arn, s) for s in c["response"].get("AdvancedEventSelectors") or []]
    return pd.DataFrame(rows, columns=SELECTOR_COLUMNS).reset_index(drop=True)


def transform_insight_selectors(calls: list[Call]) -> pd.DataFrame:
    """One row per Insights type on per trail (ApiCallRateInsight, ApiErrorRateInsight); none when off."""
    rows = [
        {
            "trail_arn": c["response"].get("TrailARN") or c["params"]["TrailName"],
            "insight_type": s["InsightType"],
        }
        for c in calls
        for s in c["response"].get("InsightSelectors") or []
    ]
    df = pd.DataFrame(rows, columns=INSIGHT_COLUMNS).drop_duplicates()
    return df.sort_values(["trail_arn", "insight_type"]).reset_index(drop=True)


def transform_buckets(
    buckets: list[str],
    policy_calls: list[Call],
    lock_calls: list[Call],
    versioning_calls: list[Call],
    logging_calls: list[Call],
) -> pd.DataFrame:
    """One row per trail bucket: its policy JSON, Object Lock default retention, versioning, MFA delete and
    server access logging; ``*_read`` say which calls answered (False: not known, the log says why)."""

    def by_bucket(calls: list[Call]) -> dict[str, dict[str, Any]]:
        return {c["params"]["Bucket"]: c["response"] for c in calls}

    policy, lock = by_bucket(policy_calls), by_bucket(lock_calls)
    versioning, logging = by_bucket(versioning_calls), by_bucket(logging_calls)
    rows = []
    for b in sorted(set(buckets) | set(policy) | set(lock) | set(versioning) | set(logging)):
        config = lock.get(b, {}).get("ObjectLockConfiguration") or {}
        retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
        target = logging.get(b, {}).get("LoggingEnabled") or {}
        rows.append(
            {
                "bucket": b,
                "policy": policy.get(b, {}).get("Policy"),
                "object_lock_enabled": config.get("ObjectLockEnabled") == "Enabled" if b in lock else None,
                "object_lock_mode": retention.get("Mode"),
                "object_lock_days": retention.get("Days"),
                "object_lock_years": retention.get("Years"),
                "versioning": versioning.get(b, {}).get("Status"),
                "mfa_delete": versioning.get(b, {}).get("MFADelete"),
                "logging_target_bucket": target.get("TargetBucket"),
                "logging_target_prefix": target.get("TargetPrefix"),
                "policy_read": b in policy,
                "object_lock_read": b in lock,
                "versioning_read": b in versioning,
                "logging_read": b in logging,
            }
        )
    return pd.DataFrame(rows, columns=BUCKET_COLUMNS)


def cloudtrail_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """trails, event_selectors, insight_selectors and buckets from recorded pages (``org`` is ignored)."""

    def calls(operation: str, api: str = SERVICE) -> list[Call]:
        return [c for _region, c in _calls(recording, operation, api)]

    trails = transform_trails(
        _calls(recording, "describe_trails"),
        calls("get_trail_status"),
        calls("get_event_selectors"),
        calls("get_insight_selectors"),
    )
    return {
        "trails": trails,
        "event_selectors": transform_event_selectors(calls("get_event_selectors")),
        "insight_selectors": transform_insight_selectors(calls("get_insight_selectors")),
        "buckets": transform_buckets(
            list(trails["s3_bucket"].dropna()),
            calls("get_bucket_policy", BUCKET_API),
            calls("get_object_lock_configuration", BUCKET_API),
            calls("get_bucket_versioning", BUCKET_API),
            calls("get_bucket_logging", BUCKET_API),
        ),
    }


def collect_cloudtrail(
    connection: Any, regions: Sequence[str], bucket_account: str | None = None, **run: Unpack[LiveRun]
) -> dict[str, pd.DataFrame]:
    """Live trail tables over ``regions``; each frame's ``attrs["failures"]`` lists what failed where."""
    return collect_live(
        cloudtrail_frames,
        lambda recording, log, workers, progress: get_cloudtrail(
            connection, regions, recording, log, bucket_account, workers, progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect cloudtrail``: the trails listed in every picked region (and the home region)."""
    regions = resolve_regions(options.regions, connection, SERVICE)
    home = options.region or connection.home_region
    regions = [*regions, *([home] if home and home not in regions else [])]
    get_cloudtrail(connection, regions, recording, log, workers=options.workers, progress=options.progress)
    return regions


CALLS = ("describe_trails", "get_event_selectors", "get_insight_selectors", "get_trail_status")
"""The CloudTrail operations ``get_cloudtrail`` calls."""

BUCKET_CALLS = frozenset(
    (BUCKET_API, op)
    for op in (
        "get_bucket_logging",
        "get_bucket_policy",
        "get_bucket_versioning",
        "get_object_lock_configuration",
    )
)
"""The S3 bucket operations ``get_bucket`` calls on the trail's bucket (read-only)."""

CLOUDTRAIL = Service(
    api=SERVICE,
    calls=CALLS,
    other_calls=BUCKET_CALLS,
    tables=(transform_trails, transform_event_selectors, transform_insight_selectors, transform_buckets),
    frames=cloudtrail_frames,
    get=get_for_run,
)
"""The trails in the registry (``orginsight.collectors.registry.SERVICES["cloudtrail"]``); the demo records
every call (``demo/trail.py``)."""
