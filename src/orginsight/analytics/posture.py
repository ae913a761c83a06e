"""Security posture over time, per account and OU: findings, controls, data protection, logging, coverage.

Each measure is a pure function of DataFrames (the normalized findings frame of
``orginsight.analytics.findings``, Storage Lens ``bucket_protection``, the hourly CloudTrail
aggregate, recorded API state), so notebooks, the report and tests share one code
path. The single exception, ``cloudtrail_hourly``, runs ONE aggregate query in the
lake's engine: raw events never come into Python (DESIGN.md, "Aggregate in the
engine").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

SEVERITY_ORDER = ("Critical", "High", "Medium", "Low", "Informational")

CLOSED_WORKFLOW_STATES = frozenset({"ARCHIVED", "RESOLVED", "SUPPRESSED"})
"""Workflow states in which a finding no longer needs work (GuardDuty archive, ASFF Workflow.Status)."""


# ---------------------------------------------------------------------------------------------
# Helpers


def _utc(value: Any) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _days(start: Any, end: Any) -> pd.DatetimeIndex:
    return pd.date_range(_utc(start).normalize(), _utc(end).normalize(), freq="D")


def with_org(
    df: pd.DataFrame, accounts: pd.DataFrame | None, account_col: str = "account_id"
) -> pd.DataFrame:
    """``df`` with ``account_name`` and ``ou_path`` from the Organizations accounts frame (when given)."""
    out = df.copy()
    if accounts is None or accounts.empty or account_col not in out.columns:
        for c in ("account_name", "ou_path"):
            if c not in out.columns:
                out[c] = None
        return out
    names = dict(zip(accounts["account_id"], accounts["name"], strict=False))
    ous = dict(zip(accounts["account_id"], accounts.get("ou_path", pd.Series(dtype=object)), strict=False))
    out["account_name"] = out[account_col].map(names)
    out["ou_path"] = out[account_col].map(ous).fillna("(root)")
    return out


# ---------------------------------------------------------------------------------------------
# Findings over time


def latest_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """One row per finding id: its latest version (by last seen, then by order read).

    GuardDuty's S3 export writes a finding again each time it is updated (count,
    eventLastSeen, archived), so the raw frame holds several versions of one finding.
    """
    if findings.empty:
        return findings
    order = findings.assign(_pos=range(len(findings))).sort_values(["last_seen", "_pos"], na_position="first")
    return order.drop_duplicates("finding_id", keep="last").drop(columns="_pos").sort_index()


def is_closed(findings: pd.DataFrame) -> pd.Series:
    """Whether each finding is archived, resolved or suppressed (no longer active)."""
    archived = findings["archived"].astype("boolean").fillna(False) if "archived" in findings else False
    workflow = findings["workflow_state"].astype("string").str.upper().isin(CLOSED_WORKFLOW_STATES)
    return (workflow | archived).astype(bool)


def finding_activity(findings: pd.DataFrame, as_of: Any = None) -> pd.DataFrame:
    """Each finding's active interval: from first seen to last seen if closed, else to ``as_of``.

    A closed finding's archive time is not in the record; its last sighting is the best
    lower bound AWS gives, so it counts as active until then.
    """
    as_of = (
        _utc(as_of) if as_of is not None else _utc(findings["last_seen"].max() if len(findings) else "now")
    )
    out = findings.copy()
    out["closed"] = is_closed(findings)
    first = pd.to_datetime(out["first_seen"], utc=True)
    last = pd.to_datetime(out["last_seen"], utc=True).fillna(first)
    out["active_from"] = first
    out["active_until"] = last.where(out["closed"], as_of)
    out["days_active"] = (out["active_until"] - out["active_from"]).dt.total_seconds() / 86400
    return out


def finding_trend(
    findings: pd.DataFrame,
    *,
    start: Any = None,
    end: Any = None,
    by: Sequence[str] = ("severity_label",),
    as_of: Any = None,
) -> pd.DataFrame:
    """Per day and ``by`` group: findings opened that day and findings active at some time that day.

    Columns: day, *by, opened, active. Days with nothing still appear (zeros), so trends
    are continuous. Group by ``("severity_label",)``, ``("account_id", "severity_label")``,
    ``("ou_path",)`` ...
    """
    by = list(by)
    act = finding_activity(findings, as_of=as_of)
    if act.empty:
        return pd.DataFrame(columns=["day", *by, "opened", "active"])
    start = _utc(start) if start is not None else act["active_from"].min()
    end = _utc(end) if end is not None else act["active_until"].max()
    days = _days(start, end)
    for c in by:
        act[c] = act[c].fillna("(none)")
    opened_day = act["active_from"].dt.normalize()
    closed_day = act["active_until"].dt.normalize() + pd.Timedelta(
        days=1
    )  # no longer active from this day on
    keys = [*by] if by else []

    def daily(day: pd.Series, mask: pd.Series | None = None) -> pd.DataFrame:
        frame = act.loc[mask if mask is not None else slice(None), keys].assign(day=day)
        counts = frame.groupby(["day", *keys], dropna=False).size().rename("n").reset_index()
        if keys:
            return counts.pivot_table(index="day", columns=keys, values="n", aggfunc="sum", fill_value=0)
        return counts.set_index("day")[["n"]]

    starts = daily(opened_day.clip(lower=days[0]))
    ends = daily(closed_day)
    opened = daily(opened_day, (opened_day >= days[0]) & (opened_day <= days[-1]))
    cols = starts.columns.union(ends.columns).union(opened.columns)
    grid = pd.DatetimeIndex(sorted(set(days) | set(starts.index) | set(ends.index)))
    active = (
        starts.reindex(index=grid, columns=cols, fill_value=0).cumsum()
        - ends.reindex(index=grid, columns=cols, fill_value=0).cumsum()
    ).reindex(days)
    opened = opened.reindex(index=days, columns=cols, fill_value=0)
    if keys:
        out = pd.DataFrame(
            {
                "opened": opened.stack(list(range(len(keys))), future_stack=True),
                "active": active.stack(list(range(len(keys))), future_stack=True),
            }
        )
        out.index = out.index.set_names(["day", *keys])
        out = out.reset_index()
    else:
        out = pd.DataFrame({"day": days, "opened": opened["n"].to_numpy(), "active": active["n"].to_numpy()})
    out[["opened", "active"]] = out[["opened", "active"]].fillna(0).astype("int64")
    if "severity_label" in keys:
        order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
        out = out.sort_values(["day", *[k for k in keys if k != "severity_label"]], kind="stable")
        out = out.iloc[
            np.lexsort((out["severity_label"].map(order).fillna(99).to_numpy(), out["day"].to_numpy()))
        ]
    return out.reset_index(drop=True)


def mean_time_active(
    findings: pd.DataFrame, by: Sequence[str] = ("account_id",), as_of: Any = None
) -> pd.DataFrame:
    """Per group: findings, how many are closed, mean days active of closed ones and of those still open.

    Open findings are censored (still running), so they are averaged apart rather than
    mixed with closed ones, which would understate how long findings stay open.
    """
    act = finding_activity(findings, as_of=as_of)
    by = list(by)
    for c in by:
        act[c] = act[c].fillna("(none)")
    g = act.groupby(by, dropna=False)
    out = pd.DataFrame(
        {
            "findings": g.size(),
            "closed": g["closed"].sum().astype("int64"),
            "mean_days_active_closed": g.apply(
                lambda d: d.loc[d["closed"], "days_active"].mean(), include_groups=False
            ),
            "mean_days_open_still_active": g.apply(
                lambda d: d.loc[~d["closed"], "days_active"].mean(), include_groups=False
            ),
            "mean_days_active": g["days_active"].mean(),
        }
    ).reset_index()
    return out.sort_values("findings", ascending=False).reset_index(drop=True)


def top_counts(findings: pd.DataFrame, column: str, n: int = 10, *, since: Any = None) -> pd.DataFrame:
    """The ``n`` most frequent values of ``column`` (account, type ...) with counts by severity."""
    df = findings
    if since is not None:
        df = df[pd.to_datetime(df["first_seen"], utc=True) >= _utc(since)]
    df = df.assign(
        **{column: df[column].fillna("(none)"), "severity_label": df["severity_label"].fillna("(none)")}
    )
    counts = df.groupby([column, "severity_label"]).size().unstack(fill_value=0)
    counts = counts.reindex(
        columns=[s for s in SEVERITY_ORDER if s in counts.columns]
        + [c for c in counts.columns if c not in SEVERITY_ORDER]
    )
    counts["total"] = counts.sum(axis=1)
    return counts.sort_values("total", ascending=False).head(n).reset_index()


def notable_changes(
    series: pd.DataFrame,
    x: str,
    y: str,
    *,
    window: int = 7,
    k: float = 3.0,
    min_delta: float = 3,
    limit: int = 5,
) -> pd.DataFrame:
    """Days where ``y`` moves well away from its trailing ``window``-day median (for chart annotations).

    A change is notable when it is at least ``min_delta`` and ``k`` robust standard deviations
    (1.4826 x the median absolute deviation of the whole series) away from the median, so
    ordinary day-to-day noise and small counts do not flood the chart. The median, unlike
    the mean, is not dragged up by a spike, so the days after one do not read as drops.
    Days before the series first moves off zero are ignored. Returns the ``limit`` largest.
    """
    s = series[[x, y]].sort_values(x).reset_index(drop=True)
    started = s[y].ne(0).cumsum() > 0
    s = s[started].reset_index(drop=True)
    base = s[y].rolling(window, min_periods=window).median().shift(1)
    mad = float((s[y] - s[y].median()).abs().median()) * 1.4826
    delta = s[y] - base
    notable = s.assign(baseline=base, delta=delta)[delta.abs() >= max(min_delta, k * mad)]
    return (
        notable.reindex(notable["delta"].abs().sort_values(ascending=False).index).head(limit).sort_values(x)
    )


# ---------------------------------------------------------------------------------------------
# Security Hub controls


def _standard_of(f: Mapping[str, Any]) -> str | None:
    comp = f.get("Compliance") or {}
    assoc = comp.get("AssociatedStandards") or []
    if assoc:
        return assoc[0].get("StandardsId")
    pf = f.get("ProductFields") or {}
    arn = pf.get("StandardsArn") or pf.get("StandardsGuideArn")
    if arn:
        return arn.split(":", 5)[-1] if arn.startswith("arn:") else arn
    return None


def control_results(asff: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Security Hub control checks (ASFF with ``Compliance.Status``) as rows.

    Columns: standard, control_id, account_id, resource_id, status, updated_at, archived.
    ``standard`` is the standards id (e.g. ``standards/aws-foundational-security-best-practices/v/1.0.0``).
    """
    rows = []
    for f in asff:
        comp = f.get("Compliance") or {}
        status = comp.get("Status")
        if not status:
            continue
        pf = f.get("ProductFields") or {}
        rows.append(
            {
                "standard": _standard_of(f),
                "control_id": comp.get("SecurityControlId") or pf.get("ControlId") or pf.get("RuleId"),
                "account_id": f.get("AwsAccountId"),
                "resource_id": ((f.get("Resources") or [{}])[0]).get("Id"),
                "status": status,
                "updated_at": f.get("UpdatedAt"),
                "archived": f.get("RecordState") == "ARCHIVED",
            }
        )
    df = pd.DataFrame(
        rows,
        columns=["standard", "control_id", "account_id", "resource_id", "status", "updated_at", "archived"],
    )
    df["updated_at"] = pd.to_datetime(df["updated_at"], utc=True, format="ISO8601")
    return df


def control_pass_rate(
    controls: pd.DataFrame, by: Sequence[str] = ("standard",), days: Iterable[Any] | None = None
) -> pd.DataFrame:
    """Share of control checks PASSED among PASSED + FAILED, per ``by`` group (and per day).

    Each (standard, control, account, resource) counts once, with its latest status; with
    ``days``, as of the end of each day, which gives the trend. WARNING and NOT_AVAILABLE
    are not pass nor fail (ASFF Compliance.Status), and archived checks are dropped.
    """
    key = ["standard", "control_id", "account_id", "resource_id"]
    live = controls[~controls["archived"].astype(bool)].sort_values("updated_at")
    by = list(by)

    def rate(snapshot: pd.DataFrame) -> pd.DataFrame:
        latest = snapshot.drop_duplicates(key, keep="last")
        decided = latest[latest["status"].isin(["PASSED", "FAILED"])]
        g = decided.groupby(by, dropna=False)["status"]
        return pd.DataFrame(
            {"passed": g.apply(lambda s: int((s == "PASSED").sum())), "checks": g.size()}
        ).reset_index()

    if days is None:
        out = rate(live)
    else:
        frames = []
        for d in days:
            cut = _utc(d).normalize() + pd.Timedelta(days=1)
            frames.append(rate(live[live["updated_at"] < cut]).assign(day=_utc(d).normalize()))
        out = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=[*by, "passed", "checks", "day"])
        )
    out["pass_rate"] = out["passed"] / out["checks"].where(out["checks"] > 0)
    return out


# ---------------------------------------------------------------------------------------------
# S3 data protection (Storage Lens)


def s3_protection_coverage(
    buckets: pd.DataFrame, accounts: pd.DataFrame | None = None, by: Sequence[str] = ("account",)
) -> pd.DataFrame:
    """Per day and ``by`` (account, ou_path, or () for the organization): encryption, versioning ... ratios."""
    from orginsight.sources.storagelens import account_protection

    b = buckets
    if accounts is not None and "ou_path" in by:
        b = with_org(buckets, accounts, account_col="account")
    return account_protection(b, group_by=tuple(by))


def storage_drift(
    buckets: pd.DataFrame, *, since: Any = None, min_drop: float = 0.05, tolerance: float = 0.001
) -> pd.DataFrame:
    """What changed in S3 data protection over the window: the review's "what changed" for buckets.

    - ``encryption_drop``: a bucket's encrypted-bytes ratio fell by at least ``min_drop``
      between its first and last day in the window (also ``encryption_rise``), dated the day
      after the ratio was last within ``tolerance`` of its first value;
    - ``versioning_disabled`` / ``versioning_enabled``: the day versioning flipped;
    - ``new_unencrypted_bucket``: a bucket first seen after the window's first day, with
      unencrypted bytes on its last day.
    Columns: dt, account, region, bucket, change, before, after, detail.
    """
    b = buckets.sort_values(["account", "bucket", "dt"])
    if since is not None:
        b = b[b["dt"] >= pd.Timestamp(since).tz_localize(None)]
    rows: list[dict[str, Any]] = []
    if b.empty:
        return pd.DataFrame(
            columns=["dt", "account", "region", "bucket", "change", "before", "after", "detail"]
        )
    first_day = b["dt"].min()
    for (account, bucket), g in b.groupby(["account", "bucket"], sort=True):
        region = g["region"].iloc[-1]
        ratio = g["EncryptedStorageBytesRatio"]
        valid = ratio.dropna()
        if len(valid) >= 2:
            before, after = float(valid.iloc[0]), float(valid.iloc[-1])
            if before - after >= min_drop or after - before >= min_drop:
                # the change starts the day after the ratio was last at its earlier level
                dropped = after < before
                at_level = (ratio >= before - tolerance) if dropped else (ratio <= before + tolerance)
                last_at_level = np.flatnonzero(at_level.to_numpy())
                i = int(last_at_level[-1]) + 1 if len(last_at_level) else 0
                rows.append(
                    {
                        "dt": g["dt"].iloc[min(i, len(g) - 1)],
                        "account": account,
                        "region": region,
                        "bucket": bucket,
                        "change": "encryption_drop" if after < before else "encryption_rise",
                        "before": before,
                        "after": after,
                        "detail": f"encrypted bytes {before:.0%} -> {after:.0%}",
                    }
                )
        v = g["versioning_enabled"].astype(bool).to_numpy()
        for i in np.flatnonzero(v[1:] != v[:-1]) + 1:
            rows.append(
                {
                    "dt": g["dt"].iloc[i],
                    "account": account,
                    "region": region,
                    "bucket": bucket,
                    "change": "versioning_enabled" if v[i] else "versioning_disabled",
                    "before": float(v[i - 1]),
                    "after": float(v[i]),
                    "detail": f"versioning turned {'on' if v[i] else 'off'}",
                }
            )
        if g["dt"].iloc[0] > first_day:
            unenc = float(g["UnencryptedStorageBytes"].iloc[-1] or 0)
            if unenc > 0:
                rows.append(
                    {
                        "dt": g["dt"].iloc[0],
                        "account": account,
                        "region": region,
                        "bucket": bucket,
                        "change": "new_unencrypted_bucket",
                        "before": None,
                        "after": float(ratio.iloc[-1]) if pd.notna(ratio.iloc[-1]) else None,
                        "detail": f"new bucket with {unenc / 2**30:.2f} GiB unencrypted",
                    }
                )
    out = pd.DataFrame(
        rows, columns=["dt", "account", "region", "bucket", "change", "before", "after", "detail"]
    )
    return out.sort_values(["dt", "account", "bucket"]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# CloudTrail delivery coverage


CLOUDTRAIL_HOURLY_SQL = """
SELECT account,
       region,
       date_trunc('hour', from_iso8601_timestamp(eventtime)) AS hour,
       count(*) AS events
FROM cloudtrail
WHERE "timestamp" >= :first_day AND "timestamp" <= :last_day
GROUP BY account, region, date_trunc('hour', from_iso8601_timestamp(eventtime))
"""
"""Events per account, region and hour: the one query CloudTrail coverage needs (partition-pruned by day)."""


def cloudtrail_hourly(
    lake: Any, since: date | datetime, until: date | datetime | None = None
) -> pd.DataFrame:
    """Events per (account, region, hour) between ``since`` and ``until`` (days, inclusive), in ONE query.

    ``timestamp`` is the partition (delivery day), so Athena and the local engine read only
    those days. Columns: account, region, hour (UTC), events.
    """
    until = until or datetime.now(tz=_utc("now").tzinfo)
    df = lake.sql(
        CLOUDTRAIL_HOURLY_SQL,
        first_day=f"{pd.Timestamp(since):%Y/%m/%d}",
        last_day=f"{pd.Timestamp(until):%Y/%m/%d}",
    )
    df["hour"] = pd.to_datetime(df["hour"], utc=True)
    df["events"] = df["events"].astype("int64")
    return df


def cloudtrail_daily_coverage(hourly: pd.DataFrame) -> pd.DataFrame:
    """Per day, account and region: events and hours with events (0 on days a stream was silent).

    The expected streams are the (account, region) pairs seen at any time in the window,
    each from its first day on (an account that joins mid-period is not "missing" before).
    """
    if hourly.empty:
        return pd.DataFrame(columns=["day", "account", "region", "events", "hours_with_events", "delivered"])
    h = hourly.assign(day=hourly["hour"].dt.normalize())
    daily = (
        h.groupby(["account", "region", "day"])
        .agg(events=("events", "sum"), hours_with_events=("hour", "nunique"))
        .reset_index()
    )
    days = _days(h["day"].min(), h["day"].max())
    firsts = daily.groupby(["account", "region"])["day"].min()
    grid = pd.DataFrame(
        [(a, r, d) for (a, r), f in firsts.items() for d in days if d >= f],
        columns=["account", "region", "day"],
    )
    out = grid.merge(daily, on=["account", "region", "day"], how="left").fillna(
        {"events": 0, "hours_with_events": 0}
    )
    out[["events", "hours_with_events"]] = out[["events", "hours_with_events"]].astype("int64")
    out["delivered"] = out["events"] > 0
    return (
        out[["day", "account", "region", "events", "hours_with_events", "delivered"]]
        .sort_values(["day", "account", "region"])
        .reset_index(drop=True)
    )


def delivery_gaps(hourly: pd.DataFrame, *, min_hours: int = 3, min_expected: float = 10.0) -> pd.DataFrame:
    """Runs of hours with no events inside each (account, region) stream, with unusual ones flagged.

    Whether silence is unusual depends on the stream's own rhythm: a sandbox region quiet
    every night is not an outage, a busy region silent all afternoon is. Each stream's
    mean events per hour of day (weekdays and weekends apart) gives the events expected
    during a gap; a gap is flagged when it lasts at least ``min_hours`` and at least
    ``min_expected`` events were expected (for Poisson arrivals the chance of that much
    silence is below e^-10, about 5e-5). Columns: account, region, gap_start, gap_end
    (first hour with events again), hours, expected_events, flagged.
    """
    rows = []
    for (account, region), g in hourly.groupby(["account", "region"], sort=True):
        counts = g.groupby("hour")["events"].sum().sort_index()
        if len(counts) < 2:
            continue
        full = counts.reindex(pd.date_range(counts.index[0], counts.index[-1], freq="h"), fill_value=0)
        slot = pd.Index((full.index.day_of_week >= 5).astype(int) * 24 + full.index.hour)
        profile = full.groupby(slot).mean()
        expected = slot.map(profile).to_numpy(dtype="float64")
        silent = (full.to_numpy() == 0).astype(int)
        edges = np.diff(np.concatenate([[0], silent, [0]]))
        for a, b in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            exp_events = float(expected[a:b].sum())
            rows.append(
                {
                    "account": account,
                    "region": region,
                    "gap_start": full.index[a],
                    "gap_end": full.index[b],
                    "hours": int(b - a),
                    "expected_events": round(exp_events, 1),
                    "flagged": bool(b - a >= min_hours and exp_events >= min_expected),
                }
            )
    cols = ["account", "region", "gap_start", "gap_end", "hours", "expected_events", "flagged"]
    out = pd.DataFrame(rows, columns=cols)
    for c in ("gap_start", "gap_end"):
        out[c] = pd.to_datetime(out[c], utc=True)
    return out.sort_values(["flagged", "expected_events"], ascending=[False, False]).reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Service coverage matrix (from recorded API state: live collection or the demo lake)


SERVICES = (
    "GuardDuty",
    "Security Hub",
    "Config",
    "Inspector",
    "Macie",
    "Access Analyzer",
    "Organization trail",
)
"""Columns of the coverage matrix, in display order (GuardDuty features are added after GuardDuty)."""


def _calls(recording: Any, service: str, operation: str) -> list[tuple[str, dict[str, Any]]]:
    """(region, call) pairs of one operation over every recorded region."""
    return [
        (region, call)
        for region in recording.regions(service)
        for call in recording.calls(service, region, operation)
    ]


def _admin_of(members: Iterable[Mapping[str, Any]]) -> set[str]:
    admins = set()
    for m in members:
        for k in (
            "AdministratorId",
            "MasterId",
            "administratorAccountId",
            "delegatedAdminAccountId",
            "masterAccountId",
        ):
            if m.get(k):
                admins.add(m[k])
    return admins


def _cells(status: dict[tuple[str, str], bool], accounts: Sequence[str]) -> dict[str, float]:
    """Share of recorded regions where each account is covered."""
    regions = sorted({r for _, r in status})
    out = {}
    for a in accounts:
        vals = [status[(a, r)] for r in regions if (a, r) in status]
        out[a] = float(np.mean(vals)) if vals else np.nan
    return out


def _members_status(
    recording: Any,
    service: str,
    operation: str,
    list_key: str,
    id_key: str,
    status_key: str,
    enabled: set[str],
) -> dict[tuple[str, str], bool]:
    status: dict[tuple[str, str], bool] = {}
    for region, call in _calls(recording, service, operation):
        members = call["response"].get(list_key, [])
        for m in members:
            status[(m[id_key], region)] = str(m.get(status_key, "")).upper() in enabled
        for admin in _admin_of(members):
            status.setdefault((admin, region), True)  # the delegated admin runs the service itself
    return status


def guardduty_coverage(
    recording: Any,
) -> tuple[dict[tuple[str, str], bool], dict[str, dict[tuple[str, str], bool]]]:
    """GuardDuty member status per (account, region), and per feature.

    Features come from each member's ``get_member_detectors`` when recorded, else from the
    organization configuration's auto-enable setting (NEW or ALL) applied to enabled members.
    """
    status = _members_status(
        recording, "guardduty", "list_members", "Members", "AccountId", "RelationshipStatus", {"ENABLED"}
    )
    for region, call in _calls(recording, "guardduty", "list_detectors"):
        if call["response"].get("DetectorIds") and call.get("account"):
            status[(call["account"], region)] = True
    features: dict[str, dict[tuple[str, str], bool]] = {}
    member_features: dict[tuple[str, str], dict[str, bool]] = {}
    for region, call in _calls(recording, "guardduty", "get_member_detectors"):
        for md in call["response"].get("MemberDataSourceConfigurations", []):
            for feat in md.get("Features", []):
                member_features.setdefault((md["AccountId"], region), {})[feat["Name"]] = (
                    feat.get("Status") == "ENABLED"
                )
    org_auto: dict[str, dict[str, bool]] = {}
    for region, call in _calls(recording, "guardduty", "describe_organization_configuration"):
        for feat in call["response"].get("Features", []):
            org_auto.setdefault(region, {})[feat["Name"]] = feat.get("AutoEnable") in ("NEW", "ALL")
    names = sorted(
        {n for v in org_auto.values() for n in v} | {n for v in member_features.values() for n in v}
    )
    for name in names:
        per = {}
        for (account, region), on in status.items():
            if (account, region) in member_features:
                per[(account, region)] = on and member_features[(account, region)].get(name, False)
            else:
                per[(account, region)] = on and org_auto.get(region, {}).get(name, False)
        features[name] = per
    return status, features


def service_coverage(recording: Any, accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts x services: the share of recorded regions where each service covers each account.

    1.0 = covered everywhere it is recorded, 0.0 = nowhere, NaN = no recorded state for that
    service. Rows carry account_id, account_name, ou_path; columns follow ``SERVICES`` with
    GuardDuty features as ``GuardDuty <FEATURE>`` right after GuardDuty. Sources:
    GuardDuty/Security Hub/Macie/Inspector member lists of the delegated admin, Inspector
    ``batch_get_account_status``, Config recorder status (member calls) or the organization
    aggregator, organization analyzers of Access Analyzer, and an organization trail.
    """
    ids = list(accounts["account_id"])
    cols: dict[str, dict[str, float]] = {}
    gd, gd_features = guardduty_coverage(recording)
    cols["GuardDuty"] = _cells(gd, ids)
    for name, per in gd_features.items():
        cols[f"GuardDuty {name}"] = _cells(per, ids)
    cols["Security Hub"] = _cells(
        _members_status(
            recording,
            "securityhub",
            "list_members",
            "Members",
            "AccountId",
            "MemberStatus",
            {"ENABLED", "ASSOCIATED"},
        ),
        ids,
    )
    cols["Config"] = _cells(_config_status(recording, ids), ids)
    cols["Inspector"] = _cells(_inspector_status(recording), ids)
    cols["Macie"] = _cells(
        _members_status(
            recording, "macie2", "list_members", "members", "accountId", "relationshipStatus", {"ENABLED"}
        ),
        ids,
    )
    cols["Access Analyzer"] = _cells(_analyzer_status(recording, ids), ids)
    cols["Organization trail"] = _cells(_trail_status(recording, ids), ids)
    matrix = pd.DataFrame(cols, index=ids)
    matrix.index.name = "account_id"
    matrix = matrix.reset_index()
    meta = accounts[["account_id", "name", *(["ou_path"] if "ou_path" in accounts else [])]].rename(
        columns={"name": "account_name"}
    )
    out = meta.merge(matrix, on="account_id", how="left")
    if "ou_path" in out:
        out["ou_path"] = out["ou_path"].fillna("(root)")
    return out


def _config_status(recording: Any, ids: Sequence[str]) -> dict[tuple[str, str], bool]:
    status: dict[tuple[str, str], bool] = {}
    for region, call in _calls(recording, "config", "describe_configuration_recorder_status"):
        account = call.get("account")
        if account:
            recs = call["response"].get("ConfigurationRecordersStatus", [])
            status[(account, region)] = any(r.get("recording") for r in recs)
    for region, call in _calls(recording, "config", "describe_configuration_aggregator_sources_status"):
        for src in call["response"].get("AggregatedSourceStatusList", []):
            ok = src.get("LastUpdateStatus") == "SUCCEEDED"
            if src.get("SourceType") == "ORGANIZATION":
                for a in ids:
                    status.setdefault((a, src.get("AwsRegion") or region), ok)
            elif src.get("SourceType") == "ACCOUNT":
                status.setdefault((src["SourceId"], src.get("AwsRegion") or region), ok)
    return status


def _inspector_status(recording: Any) -> dict[tuple[str, str], bool]:
    status = _members_status(
        recording, "inspector2", "list_members", "members", "accountId", "relationshipStatus", {"ENABLED"}
    )
    for region, call in _calls(recording, "inspector2", "batch_get_account_status"):
        for acc in call["response"].get("accounts", []):
            status[(acc["accountId"], region)] = (acc.get("state") or {}).get("status") == "ENABLED"
    return status


def _analyzer_status(recording: Any, ids: Sequence[str]) -> dict[tuple[str, str], bool]:
    status: dict[tuple[str, str], bool] = {}
    for region, call in _calls(recording, "accessanalyzer", "list_analyzers"):
        for an in call["response"].get("analyzers", []):
            active = an.get("status") == "ACTIVE"
            if an.get("type", "").startswith("ORGANIZATION"):
                for a in ids:
                    status[(a, region)] = status.get((a, region), False) or active
            else:
                owner = an["arn"].split(":")[4]
                status[(owner, region)] = status.get((owner, region), False) or active
    for a in ids:
        for region in recording.regions("accessanalyzer"):
            status.setdefault((a, region), False)
    return status


def _trail_status(recording: Any, ids: Sequence[str]) -> dict[tuple[str, str], bool]:
    status: dict[tuple[str, str], bool] = {}
    logging: dict[str, bool] = {}
    for _region, call in _calls(recording, "cloudtrail", "get_trail_status"):
        name = call["params"].get("Name")
        if name:
            logging[name] = bool(call["response"].get("IsLogging"))
    for _region, call in _calls(recording, "cloudtrail", "describe_trails"):
        for t in call["response"].get("trailList", []):
            if not t.get("IsOrganizationTrail"):
                continue
            on = logging.get(t.get("TrailARN"), logging.get(t.get("Name"), True))
            for a in ids:
                status[(a, "all")] = status.get((a, "all"), False) or on
    if recording.regions("cloudtrail"):
        for a in ids:
            status.setdefault((a, "all"), False)
    return status


def membership_history(
    members: pd.DataFrame, *, status: str = "relationship_status", enabled: Iterable[str] = ("ENABLED",)
) -> pd.DataFrame:
    """Per snapshot and account: the share of regions where the account is an enabled member.

    ``members`` is the history of a collector's member table (``snapshots.read_snapshots``
    of e.g. GuardDuty ``members``, every row with ``collected_at``, ``region``, ``account_id``),
    so coverage can be drawn over weeks of collections. Columns: collected_at, account_id,
    regions, covered.
    """
    on = members[status].astype("string").str.upper().isin({e.upper() for e in enabled})
    g = members.assign(on=on).groupby(["collected_at", "account_id"])
    out = pd.DataFrame({"regions": g["region"].nunique(), "covered": g["on"].mean()}).reset_index()
    return out.sort_values(["collected_at", "account_id"]).reset_index(drop=True)


def membership_changes(history: pd.DataFrame) -> pd.DataFrame:
    """Accounts whose coverage differs between the first and the last snapshot (joined, left, disabled)."""
    if history.empty:
        return pd.DataFrame(columns=["account_id", "first", "last", "change"])
    first_at, last_at = history["collected_at"].min(), history["collected_at"].max()
    first = history[history["collected_at"] == first_at].set_index("account_id")["covered"]
    last = history[history["collected_at"] == last_at].set_index("account_id")["covered"]
    both = pd.DataFrame({"first": first, "last": last})
    both = both[both["first"].fillna(-1) != both["last"].fillna(-1)]
    both["change"] = [
        "new member"
        if pd.isna(f)
        else "no longer a member"
        if pd.isna(la)
        else "more coverage"
        if la > f
        else "less coverage"
        for f, la in zip(both["first"], both["last"], strict=True)
    ]
    return both.rename_axis("account_id").reset_index()


def coverage_gaps(matrix: pd.DataFrame) -> pd.DataFrame:
    """The cells of the coverage matrix below full coverage, one row each (for the report's table)."""
    value_cols = [c for c in matrix.columns if c not in ("account_id", "account_name", "ou_path")]
    long = matrix.melt(
        id_vars=[c for c in ("account_id", "account_name", "ou_path") if c in matrix],
        value_vars=value_cols,
        var_name="service",
        value_name="coverage",
    )
    return long[long["coverage"] < 1].sort_values(["service", "account_id"]).reset_index(drop=True)


def load_accounts(recording: Any) -> pd.DataFrame:
    """The Organizations accounts frame (id, name, ou_path, joined ...) from recorded API state."""
    from orginsight.collectors.organizations import organization_frames

    return organization_frames(recording)["accounts"]


def period(since: str | timedelta | None, end: datetime | None = None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """(start, end) UTC timestamps for ``--since 90d`` style periods ending at ``end`` (default now)."""
    end_ts = _utc(end) if end is not None else _utc(pd.Timestamp.now(tz="UTC"))
    if since is None:
        return end_ts - pd.Timedelta(days=90), end_ts
    if isinstance(since, timedelta):
        return end_ts - pd.Timedelta(since), end_ts
    from orginsight.timerange import parse_time

    start = parse_time(since, now=end_ts.tz_localize(None).to_pydatetime())
    return _utc(start), end_ts
