"""Can the organization trail be trusted: its settings, delivery and bucket, as a table of checks with reasons.

Reads the ``cloudtrail`` collector's tables (``trails``, ``event_selectors``, ``insight_selectors``,
``buckets``: a live collection, a snapshot or the demo's recording) and says, for each organization trail,
``pass``, ``fail`` or ``unknown`` per check, with the evidence. ``unknown`` is what was not read (a denied
call, a bucket in another account), never a guess. The centralization audit and the posture report both
call ``trail_checks``; the audit's ``[trail]`` expectations (``organization_trail``, ``logging``,
``multi_region``, ``kms``, ``log_file_validation``, ``insights``) are check names here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

import pandas as pd

PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
CHECK_COLUMNS = ["check", "trail", "status", "reason"]

INSIGHT_TYPES = ("ApiCallRateInsight", "ApiErrorRateInsight")
"""The two Insights types CloudTrail offers on management events (2024)."""
DATA_EVENT_TYPES = ("AWS::S3::Object", "AWS::Lambda::Function")
"""The data events an intruder's reads and invocations show in: S3 objects, Lambda invocations."""
CLOUDTRAIL_PRINCIPAL = "cloudtrail.amazonaws.com"
DELETE_ACTIONS = ("s3:deleteobject", "s3:deleteobjectversion")
WRITE_ACTIONS = ("s3:putobject", "s3:deleteobject", "s3:deleteobjectversion", "s3:putlifecycleconfiguration")
"""Actions on a log bucket that can add, replace or (through expiry) remove log files."""
PRINCIPAL_KEYS = (
    "aws:principalarn",
    "aws:principalaccount",
    "aws:principalorgid",
    "aws:userid",
    "aws:username",
)
"""Condition keys that only exempt named principals from a Deny: the Deny still holds for everyone else."""

DEFAULT_EXPECTATIONS: Mapping[str, Any] = {
    "organization_trail": True,
    "logging": True,
    "multi_region": True,
    "kms": True,
    "log_file_validation": True,
    "insights": True,
    "management_events": True,
    "data_events": True,
    "cloudwatch_logs": True,
    "delivery": True,
    "bucket_policy": True,
    "object_lock": True,
    "versioning": True,
    "mfa_delete": False,
    "max_delivery_age_hours": 6.0,
}
"""Check name -> whether it is expected (False: left out of the table), and how stale the latest delivery may
be. MFA delete is off by default: only the root user can turn it on, and Object Lock protects better."""

Result = tuple[str, str]
Trail = Mapping[str, Any]


# ----------------------------------------------------------------------------- one trail's checks


def _flag(value: Any) -> bool | None:
    return None if value is None or pd.isna(value) else bool(value)


def _setting(column: str, what: str) -> Callable[[Trail, Mapping[str, pd.DataFrame]], Result]:
    """A check that the trail's ``column`` (from DescribeTrails) is set."""

    def check(trail: Trail, _frames: Mapping[str, pd.DataFrame]) -> Result:
        value = trail.get(column)
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return FAIL, f"{what}: not set"
        if value is False:
            return FAIL, f"{what}: off"
        return PASS, f"{what}: {value if isinstance(value, str) else 'on'}"

    return check


def _logging(trail: Trail, _frames: Mapping[str, pd.DataFrame]) -> Result:
    if not trail.get("status_read"):
        return UNKNOWN, "GetTrailStatus was not read"
    if _flag(trail.get("is_logging")):
        return PASS, f"logging since {_when(trail.get('start_logging_time'))}"
    return FAIL, f"not logging: stopped {_when(trail.get('stop_logging_time'))}"


def _insights(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    on = set(_rows(frames, "insight_selectors", trail)["insight_type"])
    missing = [t for t in INSIGHT_TYPES if t not in on]
    if not missing:
        return PASS, "Insights on: " + ", ".join(INSIGHT_TYPES)
    if on:
        return FAIL, f"Insights on for {', '.join(sorted(on))} only, not {', '.join(missing)}"
    if trail.get("insight_selectors_read") or _flag(trail.get("has_insight_selectors")) is False:
        return FAIL, "Insights not enabled"
    return UNKNOWN, "GetInsightSelectors was not read"


def _json_list(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) and value else []


def _management_events(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    selectors = _rows(frames, "event_selectors", trail)
    if selectors.empty:
        return UNKNOWN, "GetEventSelectors was not read"
    mgmt = selectors[selectors["management_events"].fillna(False).astype(bool)]
    kinds = set(mgmt["read_write"])
    excluded = sorted({s for v in mgmt["excluded_sources"] for s in _json_list(v)})
    but = f" (excluding {', '.join(excluded)})" if excluded else ""
    if "All" in kinds or {"ReadOnly", "WriteOnly"} <= kinds:
        return PASS, f"read and write management events{but}"
    if not kinds:
        return FAIL, "no management events recorded"
    return FAIL, f"only {'/'.join(sorted(kinds))} management events{but}"


def _data_events(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    selectors = _rows(frames, "event_selectors", trail)
    if selectors.empty:
        return UNKNOWN, "GetEventSelectors was not read"
    types = sorted({t for v in selectors["data_resource_types"] for t in _json_list(v)})
    wanted = [t for t in DATA_EVENT_TYPES if t in types]
    if wanted:
        return PASS, "data events: " + ", ".join(types)
    return FAIL, "no S3 or Lambda data events" + (f" (only {', '.join(types)})" if types else "")


def _cloudwatch_logs(trail: Trail, _frames: Mapping[str, pd.DataFrame]) -> Result:
    group = trail.get("cloudwatch_log_group_arn")
    if isinstance(group, str) and group:
        return PASS, f"CloudWatch Logs: {group}"
    return FAIL, "no CloudWatch Logs destination: no alarm can fire on the trail's events"


def _delivery(
    max_age_hours: float, at: pd.Timestamp | None
) -> Callable[[Trail, Mapping[str, pd.DataFrame]], Result]:
    def check(trail: Trail, _frames: Mapping[str, pd.DataFrame]) -> Result:
        if not trail.get("status_read"):
            return UNKNOWN, "GetTrailStatus was not read"
        errors = [
            f"{what} error {trail[column]}"
            for column, what in (
                ("latest_delivery_error", "S3 delivery"),
                ("latest_digest_delivery_error", "digest delivery"),
                ("latest_cloudwatch_delivery_error", "CloudWatch Logs delivery"),
            )
            if isinstance(trail.get(column), str) and trail[column]
        ]
        last = trail.get("latest_delivery_time")
        if last is None or pd.isna(last):
            errors.append("no log file delivered yet")
        elif at is not None and (at - pd.Timestamp(last)) > pd.Timedelta(hours=max_age_hours):
            errors.append(f"latest delivery {_when(last)}, over {max_age_hours:g} h before {_when(at)}")
        if errors:
            return FAIL, "; ".join(errors)
        age = "" if at is not None else " (age not checked: no collection time)"
        return PASS, f"no delivery errors, latest delivery {_when(last)}{age}"

    return check


# ----------------------------------------------------------------------------- the trail's bucket


def _bucket(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Mapping[str, Any] | None:
    buckets = frames.get("buckets")
    if buckets is None or buckets.empty or not trail.get("s3_bucket"):
        return None
    found = buckets[buckets["bucket"] == trail["s3_bucket"]]
    return found.iloc[0].to_dict() if len(found) else None


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _matches(actions: Any, wanted: tuple[str, ...]) -> list[str]:
    patterns = [str(a).lower() for a in _listed(actions)]
    return [w for w in wanted if any(fnmatchcase(w, p) for p in patterns)]


def _principals(statement: Mapping[str, Any]) -> list[str]:
    p = statement.get("Principal")
    if p == "*":
        return ["*"]
    return [str(v) for values in (p or {}).values() for v in _listed(values)] if isinstance(p, dict) else []


def _denies_deletes(statement: Mapping[str, Any]) -> bool:
    """An unconditional Deny of log deletion to every principal (a condition only on who is exempt counts)."""
    conditions = statement.get("Condition") or {}
    keys = {k.lower() for c in conditions.values() for k in c}
    return (
        statement.get("Effect") == "Deny"
        and "*" in _principals(statement)
        and bool(_matches(statement.get("Action"), DELETE_ACTIONS))
        and keys <= set(PRINCIPAL_KEYS)
    )


def policy_verdict(policy: str | None) -> Result:
    """Whether a log bucket's policy keeps its log files: it denies their deletion to every principal, or it
    lets only CloudTrail write and no one delete (then only the bucket owner's IAM principals can)."""
    if not policy:
        return FAIL, "no bucket policy"
    statements = _listed(json.loads(policy).get("Statement", []))
    denies = [s.get("Sid") or "(no Sid)" for s in statements if _denies_deletes(s)]
    if denies:
        return PASS, f"denies deleting log files to every principal ({', '.join(denies)})"
    grants = sorted(
        {
            f"{p} {a}"
            for s in statements
            if s.get("Effect") == "Allow"
            for p in _principals(s)
            if p != CLOUDTRAIL_PRINCIPAL
            for a in _matches(s.get("Action"), WRITE_ACTIONS)
        }
    )
    if grants:
        return FAIL, "grants writes or deletes beyond CloudTrail: " + "; ".join(grants)
    return PASS, (
        f"only {CLOUDTRAIL_PRINCIPAL} may write, no one is granted deletes (no Deny: the bucket owner's IAM "
        "principals still can)"
    )


def _bucket_policy(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    bucket = _bucket(trail, frames)
    if bucket is None or not bucket.get("policy_read"):
        return (
            UNKNOWN,
            f"the policy of {trail.get('s3_bucket')} was not read (GetBucketPolicy: bucket owner only)",
        )
    return policy_verdict(bucket.get("policy"))


def _object_lock(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    bucket = _bucket(trail, frames)
    if bucket is None or not bucket.get("object_lock_read"):
        return UNKNOWN, f"the Object Lock configuration of {trail.get('s3_bucket')} was not read"
    if not _flag(bucket.get("object_lock_enabled")):
        return FAIL, f"no Object Lock on {bucket['bucket']}"
    mode = bucket.get("object_lock_mode")
    if not isinstance(mode, str) or not mode:
        return FAIL, "Object Lock on without a default retention: CloudTrail's log files are not locked"
    days, years = bucket.get("object_lock_days"), bucket.get("object_lock_years")
    span = f"{int(days)} days" if days is not None and not pd.isna(days) else f"{int(years or 0)} years"
    bypass = " (GOVERNANCE: s3:BypassGovernanceRetention can lift it)" if mode == "GOVERNANCE" else ""
    return PASS, f"Object Lock {mode}, {span}{bypass}"


def _versioning(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    bucket = _bucket(trail, frames)
    if bucket is None or not bucket.get("versioning_read"):
        return UNKNOWN, f"the versioning of {trail.get('s3_bucket')} was not read"
    status, mfa = bucket.get("versioning"), bucket.get("mfa_delete") or "Disabled"
    if status == "Enabled":
        return PASS, f"versioning Enabled, MFA delete {mfa}"
    return FAIL, f"versioning {status or 'never enabled'}: an overwritten or deleted log file is gone"


def _mfa_delete(trail: Trail, frames: Mapping[str, pd.DataFrame]) -> Result:
    bucket = _bucket(trail, frames)
    if bucket is None or not bucket.get("versioning_read"):
        return UNKNOWN, f"the versioning of {trail.get('s3_bucket')} was not read"
    if bucket.get("mfa_delete") == "Enabled":
        return PASS, "MFA delete Enabled"
    return FAIL, "MFA delete not enabled"


# ----------------------------------------------------------------------------- the table


def _when(value: Any) -> str:
    return "never" if value is None or pd.isna(value) else f"{pd.Timestamp(value):%Y-%m-%d %H:%M} UTC"


def _rows(frames: Mapping[str, pd.DataFrame], table: str, trail: Trail) -> pd.DataFrame:
    df = frames.get(table)
    if df is None:
        return pd.DataFrame(columns=["trail_arn"])
    return df[df["trail_arn"] == trail["arn"]]


def _collected_at(trails: pd.DataFrame) -> pd.Timestamp | None:
    if "collected_at" in trails and trails["collected_at"].notna().any():
        return pd.Timestamp(trails["collected_at"].max())
    return None


def trail_checks(
    frames: Mapping[str, pd.DataFrame],
    expectations: Mapping[str, Any] | None = None,
    at: datetime | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """One row per (check, organization trail): check, trail, status (pass/fail/unknown) and reason.

    ``frames`` are the ``cloudtrail`` collector's tables; ``expectations`` override ``DEFAULT_EXPECTATIONS``
    key by key (a check expected False is left out); ``at`` is when the state was read, for the delivery
    age (default: the snapshot's ``collected_at``, else the age is not checked). Pure: no AWS call, no clock.
    """
    exp = {**DEFAULT_EXPECTATIONS, **(expectations or {})}
    trails = frames.get("trails")
    when = pd.Timestamp(at) if at is not None else (None if trails is None else _collected_at(trails))
    checks: dict[str, Callable[[Trail, Mapping[str, pd.DataFrame]], Result]] = {
        "logging": _logging,
        "multi_region": _setting("multi_region", "multi-region"),
        "kms": _setting("kms_key_id", "KMS key"),
        "log_file_validation": _setting("log_file_validation", "log file validation"),
        "insights": _insights,
        "management_events": _management_events,
        "data_events": _data_events,
        "cloudwatch_logs": _cloudwatch_logs,
        "delivery": _delivery(float(exp["max_delivery_age_hours"]), when),
        "bucket_policy": _bucket_policy,
        "object_lock": _object_lock,
        "versioning": _versioning,
        "mfa_delete": _mfa_delete,
    }
    rows: list[dict[str, Any]] = []
    org_trails = [] if trails is None else trails[trails["organization_trail"].fillna(False).astype(bool)]
    if trails is None:
        rows.append(
            _row(
                "organization_trail",
                None,
                UNKNOWN,
                "no CloudTrail state: run 'orginsight collect cloudtrail'",
            )
        )
        rows += [_row(n, None, UNKNOWN, "no CloudTrail state") for n in checks]
    elif len(org_trails) == 0:
        others = ", ".join(trails["name"].astype(str)) or "none"
        rows.append(
            _row("organization_trail", None, FAIL, f"no organization trail (trails listed: {others})")
        )
        rows += [_row(n, None, UNKNOWN, "no organization trail to check") for n in checks]
    else:
        for trail in org_trails.to_dict("records"):
            rows.append(
                _row("organization_trail", trail["name"], PASS, f"{trail['arn']} logs for the organization")
            )
            rows += [
                _row(n, trail["name"], *check(trail, frames)) for n, check in checks.items() if exp.get(n)
            ]
    rows = [r for r in rows if exp.get(r["check"])]
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)


def _row(check: str, trail: str | None, status: str, reason: str) -> dict[str, Any]:
    return {"check": check, "trail": trail, "status": status, "reason": reason}
