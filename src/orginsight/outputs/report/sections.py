"""The review's sections over the organization's own sources: accounts, findings, Security Hub controls,
S3 data protection (Storage Lens), CloudTrail delivery and service coverage.

Each builder reads one source and fills the review (frames, figures, numbers, what changed); a missing
source is a note or an ``OrgInsightError``, and the other sections are still built.
"""

from __future__ import annotations

import pandas as pd

from orginsight.analytics import posture
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.run import lake_findings
from orginsight.collectors.snapshots import read_snapshots, snapshot_folders
from orginsight.errors import LakeError
from orginsight.lake import Lake
from orginsight.outputs.charts import posture as posture_charts
from orginsight.outputs.charts import storagelens as lens_charts
from orginsight.outputs.report.model import PostureReview, Section, declared
from orginsight.sources import storagelens
from orginsight.sources.accounts import account_names


def _organization(review: PostureReview) -> None:

    try:
        recording = ApiRecording.load(review.lake)
    except LakeError as e:
        review.notes.append(f"organization: {e}")
        return
    review.recording = recording
    accounts = posture.load_accounts(recording)
    review.frames["accounts"] = accounts
    review.numbers["accounts"] = len(accounts)
    if "joined" in accounts:
        joined = pd.to_datetime(accounts["joined"], utc=True)
        new = accounts[joined >= review.start]
        review.frames["joined"] = new
        for _, a in new.iterrows():
            review.changes.append(
                f"Account {a['name']} ({a['account_id']}) joined the organization on "
                f"{pd.Timestamp(a['joined']):%Y-%m-%d}."
            )


def gather_findings(review: PostureReview) -> pd.DataFrame:
    """The normalized findings of every source in the lake, latest version of each finding
    (``collectors.run.lake_findings``); the first few that could not be read become notes."""
    findings = lake_findings(review.lake, review.recording)
    for err in findings.attrs.get("errors", [])[:5]:
        review.notes.append(f"findings: {err.get('origin')} record {err.get('record')}: {err.get('error')}")
    return findings


def _findings(review: PostureReview) -> None:

    findings = gather_findings(review)
    if findings.empty:
        review.notes.append(
            "findings: none in the lake (no GuardDuty export under AWSLogs/<account>/GuardDuty/, "
            "no recorded get_findings, no findings snapshots)"
        )
        return
    in_period = findings[pd.to_datetime(findings["last_seen"], utc=True) >= review.start]
    review.frames["findings"] = in_period
    trend = posture.finding_trend(in_period, start=review.start, end=review.end, as_of=review.end)
    review.frames["finding_trend"] = trend
    daily = trend.groupby("day", as_index=False)[["opened", "active"]].sum()
    notable = posture.notable_changes(daily, "day", "opened")
    review.frames["finding_notable"] = notable
    by_account = posture.finding_trend(
        in_period, start=review.start, end=review.end, by=("ou_path", "account_name"), as_of=review.end
    )
    review.frames["finding_trend_by_account"] = by_account
    review.frames["findings_by_ou"] = (
        by_account.groupby(["ou_path", "account_name"], dropna=False)
        .agg(opened=("opened", "sum"), active_at_end=("active", "last"))
        .reset_index()
        .sort_values(["ou_path", "active_at_end"], ascending=[True, False])
    )
    mta = posture.mean_time_active(in_period, by=("ou_path", "account_name"), as_of=review.end)
    review.frames["mean_time_active"] = mta
    top_accounts = posture.top_counts(
        in_period.assign(account=in_period["account_name"].fillna(in_period["account_id"])),
        "account",
        since=review.start,
    )
    top_types = posture.top_counts(in_period, "type", since=review.start)
    review.frames["top_accounts"], review.frames["top_types"] = top_accounts, top_types
    first, last = daily.iloc[0], daily.iloc[-1]
    review.numbers |= {
        "findings_opened": int(daily["opened"].sum()),
        "findings_active_start": int(first["active"]),
        "findings_active_end": int(last["active"]),
        "findings_critical_high_active": int(
            trend[(trend["day"] == trend["day"].max()) & trend["severity_label"].isin(["Critical", "High"])][
                "active"
            ].sum()
        ),
        "mean_days_active": float(
            posture.finding_activity(in_period, as_of=review.end)["days_active"].mean()
        ),
    }
    delta = int(last["active"]) - int(first["active"])
    review.changes.append(
        f"Active findings went from {int(first['active'])} to {int(last['active'])} ({delta:+d}) over the period; "
        f"{review.numbers['findings_opened']} findings were opened."
    )
    for _, n in notable.iterrows():
        review.changes.append(
            f"{pd.Timestamp(n['day']):%Y-%m-%d}: {int(n['opened'])} findings opened "
            f"({n['delta']:+.0f} against the 7-day median)."
        )
    review.figures.finding_trend = posture_charts.finding_trend(trend, notable=notable)
    review.figures.severity_area = posture_charts.severity_area(trend)
    review.figures.top_accounts = posture_charts.top_bar(
        top_accounts, "account", title="Accounts with the most findings"
    )
    review.figures.top_types = posture_charts.top_bar(top_types, "type", title="Most frequent finding types")
    _controls(review, findings)


def _controls(review: PostureReview, findings: pd.DataFrame) -> None:
    """Security Hub control pass rate, from recorded get_findings of Security Hub when present."""
    recording = review.recording
    asff = []
    if recording is not None:
        for region in recording.regions("securityhub"):
            for page in recording.responses("securityhub", region, "get_findings"):
                asff.extend(page.get("Findings", []))
    controls = posture.control_results(asff)
    if controls.empty:
        return
    rates = posture.control_pass_rate(controls)
    review.frames["control_pass_rate"] = rates

    review.figures.control_pass_rate = posture_charts.control_pass_rate(rates)


def _storage(review: PostureReview) -> None:

    buckets = storagelens.read_bucket_protection(review.lake, since=f"{review.start:%Y-%m-%d}")
    for p in buckets.attrs.get("problems", [])[:10]:
        review.notes.append(str(p))
    if buckets.empty:
        review.notes.append(
            "storage lens: no Storage Lens export in the lake (StorageLens/<account>/<config>/V_1/)"
        )
        return
    buckets = buckets[buckets["dt"] <= review.end]
    accounts = review.accounts
    if accounts is not None:
        buckets = buckets.assign(account_name=buckets["account"].map(account_names(accounts)))
    review.frames["buckets"] = buckets
    drift = posture.storage_drift(buckets)
    review.frames["storage_drift"] = drift
    coverage = posture.s3_protection_coverage(buckets, accounts)
    review.frames["s3_coverage"] = coverage
    if accounts is not None:
        by_ou = posture.s3_protection_coverage(last_day_of(buckets), accounts, by=("ou_path",))
        review.frames["s3_by_ou"] = pd.DataFrame(
            {
                "ou_path": by_ou["ou_path"],
                "buckets": by_ou["DistinctNumberOfBuckets"],
                "storage_gib": by_ou["StorageBytes"] / 2**30,
                "encrypted_bytes": by_ou["EncryptedStorageBytesRatio"],
                "versioned_buckets": by_ou["VersioningEnabledBucketRatio"],
            }
        )
    last = buckets[buckets["dt"] == buckets["dt"].max()]
    review.numbers |= {
        "buckets": int(last["bucket"].nunique()),
        "encrypted_bytes_ratio": float(last["EncryptedStorageBytes"].sum() / last["StorageBytes"].sum()),
        "versioned_buckets_ratio": float(last["versioning_enabled"].mean()),
        "unencrypted_buckets": int((last["UnencryptedStorageBytes"] > 0).sum()),
    }
    for _, d in drift.iterrows():
        review.changes.append(
            f"{pd.Timestamp(d['dt']):%Y-%m-%d}: bucket {d['bucket']} ({d['account']}, "
            f"{d['region']}): {d['detail']}."
        )
    review.figures.s3_protection = lens_charts.protection_coverage(coverage)
    review.figures.bucket_encryption = lens_charts.encryption_trend(buckets, drift)
    review.figures.bucket_versioning = lens_charts.versioning_timeline(buckets)


def last_day_of(frame: pd.DataFrame, column: str = "dt") -> pd.DataFrame:
    """The rows of the latest day of ``frame``."""
    return frame[frame[column] == frame[column].max()]


def _cloudtrail(review: PostureReview) -> None:

    if not (review.lake / "AWSLogs").is_dir():
        review.notes.append("cloudtrail: no AWSLogs/ folder in the lake")
        return
    hourly = posture.cloudtrail_hourly(Lake.local(review.lake), review.start, review.end)
    if hourly.empty:
        review.notes.append("cloudtrail: no CloudTrail events in the period")
        return
    daily = posture.cloudtrail_daily_coverage(hourly)
    gaps = posture.delivery_gaps(hourly)
    review.frames |= {"cloudtrail_hourly": hourly, "cloudtrail_daily": daily, "cloudtrail_gaps": gaps}
    flagged = gaps[gaps["flagged"]]
    review.frames["cloudtrail_gaps_flagged"] = flagged
    streams = daily[["account", "region"]].drop_duplicates()
    review.numbers |= {
        "cloudtrail_streams": len(streams),
        "cloudtrail_days_delivered_ratio": float(daily["delivered"].mean()),
        "cloudtrail_flagged_gaps": len(flagged),
    }
    accounts = review.accounts
    names = account_names(accounts)
    for _, g in flagged.iterrows():
        who = f"{names.get(g['account'], g['account'])} ({g['account']})"
        review.changes.append(
            f"CloudTrail delivery gap: {who} {g['region']} had no events for {g['hours']} h, "
            f"{g['gap_start']:%Y-%m-%d %H:%M} to {g['gap_end']:%Y-%m-%d %H:%M} UTC."
        )
    if accounts is not None:
        silent = accounts[~accounts["account_id"].isin(set(daily["account"]))]
        if "status" in silent:
            silent = silent[silent["status"].fillna("ACTIVE") == "ACTIVE"]
        review.frames["cloudtrail_silent_accounts"] = silent
        for _, a in silent.iterrows():
            review.changes.append(
                f"CloudTrail: no events at all from {a['name']} ({a['account_id']}) in the organization trail "
                "during the period."
            )
    review.figures.cloudtrail_coverage = posture_charts.cloudtrail_coverage_heatmap(daily, gaps, names=names)


def _coverage(review: PostureReview) -> None:
    """The matrix of every registered service (features not counted in "fully covered"); one line per account
    missing a baseline service (threat detection, the dashboard, the trail), one line per other service."""

    recording = review.recording
    accounts = review.accounts
    if recording is None or accounts is None:
        return
    matrix = posture.service_coverage(recording, accounts)
    review.frames["service_coverage"] = matrix
    gaps = posture.coverage_gaps(matrix)
    review.frames["coverage_gaps"] = gaps
    core = [c for c in posture.SERVICES if c in matrix]
    review.numbers["fully_covered_accounts"] = int((matrix[core].fillna(1) >= 1).all(axis=1).sum())
    baseline = ("GuardDuty", "Security Hub", posture.TRAIL)
    for _, g in gaps[gaps["service"].isin(baseline)].iterrows():
        review.changes.append(
            f"{g['service']} does not cover {g['account_name']} ({g['account_id']}): "
            f"{g['coverage']:.0%} of regions."
        )
    for service in [c for c in core if c not in baseline]:
        missing = gaps[gaps["service"] == service]
        if len(missing):
            names = ", ".join(str(n) for n in missing["account_name"].fillna(missing["account_id"]))
            review.changes.append(
                f"{service} does not fully cover {len(missing)} of {len(matrix)} accounts: {names}."
            )
    review.figures.service_coverage = posture_charts.coverage_heatmap(matrix)


def _membership_history(review: PostureReview) -> None:
    """GuardDuty membership across collector snapshots, when the lake holds more than one."""

    if len(snapshot_folders(review.lake, "guardduty")) < 2:
        return
    try:
        members = read_snapshots(review.lake, "guardduty", "members")
    except LakeError:
        return
    history = posture.membership_history(members)
    review.frames["guardduty_membership_history"] = (
        history.groupby("collected_at")
        .agg(accounts=("account_id", "nunique"), fully_covered=("covered", lambda c: int((c >= 1).sum())))
        .reset_index()
    )
    for _, c in posture.membership_changes(history).iterrows():
        review.changes.append(f"GuardDuty across snapshots: account {c['account_id']}: {c['change']}.")


ORGANIZATION = declared("organization", _organization)
FINDINGS = declared("findings", _findings)
STORAGE = declared("storage lens", _storage)
CLOUDTRAIL = declared("cloudtrail", _cloudtrail)
COVERAGE = declared("service coverage", _coverage)
COVERAGE_HISTORY = Section("coverage history", _membership_history)
