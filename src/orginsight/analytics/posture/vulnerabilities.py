"""Vulnerabilities over Inspector snapshots: open critical and high findings, time to fix, unscanned
resources.

Inputs are histories of the Inspector collector's ``findings`` and ``coverage`` tables
(``read_snapshots``: every row has ``collected_at``). ``times`` (every snapshot taken, from the
manifests) keeps a snapshot whose table came back empty in the trend, as zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from orginsight.analytics.posture.days import _utc
from orginsight.analytics.posture.snapshot_history import (
    SNAPSHOT,
    SnapshotTrend,
    as_history,
    snapshot_times,
)

URGENT = ("CRITICAL", "HIGH")
"""Inspector severities the open-findings trend follows (Inspector's own labels, upper case)."""
SCANNED = "ACTIVE"
"""``scanStatus.statusCode`` of a resource Inspector scans; INACTIVE ones say why not in ``reason``."""


def _exploitable(findings: pd.DataFrame) -> pd.Series:
    return findings["exploit_available"].astype("string").str.upper().eq("YES").fillna(False).astype(bool)


def open_findings_trend(
    findings: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    by: Sequence[str] = ("ou_path",),
    severities: Sequence[str] = URGENT,
    times: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Per snapshot, ``by`` group and severity: ACTIVE findings of ``severities`` and how many of them
    have a known exploit. Columns: collected_at, *by, severity, open, exploitable."""

    def active(f: pd.DataFrame, by: list[str]) -> pd.DataFrame:
        f = f[(f["status"] == "ACTIVE") & f["severity"].isin(severities)]
        return f.assign(exploitable=_exploitable(f).astype("int64"))

    trend = SnapshotTrend(active, "open", per=("severity",), sums=("exploitable",))
    return trend(findings, accounts, by, times)


def time_to_fix(
    findings: pd.DataFrame, accounts: pd.DataFrame | None = None, times: Sequence[Any] | None = None
) -> pd.DataFrame:
    """Each finding fixed during the snapshots, with the days from first observed to fixed.

    A finding counts as fixed in one of two ways, named in ``fixed_by``:

    - ``closed``: a snapshot holds it with status CLOSED (Inspector closes a finding when a rescan
      no longer sees the vulnerability). It was fixed at its ``updated_at`` (the close), else at that
      snapshot's time. Snapshots hold closed findings only when collected with ``--include-archived``.
    - ``disappeared``: it was ACTIVE in a snapshot and is absent from every later one. Inspector drops
      a finding from listings once closed for a while, and a terminated resource's findings go too, so
      this is "no longer open", dated at the first snapshot without it: an upper bound, at most one
      snapshot interval late.

    A SUPPRESSED finding is neither (someone hid it; nothing was fixed). Columns: finding_arn,
    account_id, account_name, ou_path, severity, vulnerability_id, resource_id, first_observed_at,
    fixed_at, fixed_by, days_to_fix.
    """
    columns = [
        "finding_arn",
        "account_id",
        "account_name",
        "ou_path",
        "severity",
        "vulnerability_id",
        "resource_id",
        "first_observed_at",
        "fixed_at",
        "fixed_by",
        "days_to_fix",
    ]
    f = as_history(findings, accounts).sort_values(SNAPSHOT, kind="stable")
    if f.empty:
        return pd.DataFrame(columns=columns)
    times = snapshot_times(f, times)
    latest = f.drop_duplicates("finding_arn", keep="last").set_index("finding_arn")
    closed = f[f["status"] == "CLOSED"].drop_duplicates("finding_arn", keep="first").set_index("finding_arn")
    closed_at = pd.to_datetime(closed["updated_at"], utc=True).fillna(closed[SNAPSHOT])
    gone = latest[(latest["status"] == "ACTIVE") & (latest[SNAPSHOT] < times[-1])]
    gone = gone[~gone.index.isin(closed_at.index)]
    after = times.searchsorted(gone[SNAPSHOT], side="right")
    gone_at = pd.Series(times[after], index=gone.index)
    fixed = pd.concat(
        [
            latest.loc[closed_at.index].assign(fixed_at=closed_at, fixed_by="closed"),
            latest.loc[gone_at.index].assign(fixed_at=gone_at, fixed_by="disappeared"),
        ]
    ).reset_index()
    first = pd.to_datetime(fixed["first_observed_at"], utc=True)
    fixed["first_observed_at"] = first
    fixed["days_to_fix"] = (pd.to_datetime(fixed["fixed_at"], utc=True) - first).dt.total_seconds() / 86400
    return fixed[columns].sort_values("fixed_at", kind="stable").reset_index(drop=True)


def time_to_fix_summary(fixed: pd.DataFrame, by: Sequence[str] = ("severity",)) -> pd.DataFrame:
    """Per ``by`` group of :func:`time_to_fix`: findings fixed, median and mean days to fix."""
    by = list(by)
    if fixed.empty:
        return pd.DataFrame(columns=[*by, "fixed", "median_days_to_fix", "mean_days_to_fix"])
    g = fixed.assign(**{c: fixed[c].fillna("(none)") for c in by}).groupby(by)["days_to_fix"]
    return (
        pd.DataFrame({"fixed": g.size(), "median_days_to_fix": g.median(), "mean_days_to_fix": g.mean()})
        .reset_index()
        .sort_values("fixed", ascending=False, kind="stable")
        .reset_index(drop=True)
    )


def _unscanned(coverage: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    c = coverage[coverage["scan_status_code"].astype("string").fillna("") != SCANNED]
    return c.drop_duplicates([SNAPSHOT, "account_id", "resource_id"])


unscanned_trend = SnapshotTrend(_unscanned, "resources", by=("scan_status_reason",))
"""Per snapshot and ``by`` (reason, resource type, account ...): resources Inspector does not scan.

A resource is unscanned when its scan status is not ACTIVE; ``scan_status_reason`` says why
(``UNMANAGED_EC2_INSTANCE``, ``NO_RESOURCES_FOUND`` ...). Columns: collected_at, *by, resources.
"""


def opened_exploitable(
    findings: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    since: Any = None,
    severities: Sequence[str] = ("CRITICAL",),
) -> pd.DataFrame:
    """Per account: distinct CVEs of ``severities`` with a known exploit first observed since ``since``
    and still ACTIVE in the latest snapshot holding them (the review's "3 exploitable critical CVEs
    opened in payments-prod"). Columns: account_id, account_name, ou_path, cves, findings, first_at."""
    columns = ["account_id", "account_name", "ou_path", "cves", "findings", "first_at"]
    f = as_history(findings, accounts).sort_values(SNAPSHOT, kind="stable")
    f = f.drop_duplicates("finding_arn", keep="last")
    f = f[(f["status"] == "ACTIVE") & f["severity"].isin(severities) & _exploitable(f)]
    first = pd.to_datetime(f["first_observed_at"], utc=True)
    if since is not None:
        f, first = f[first >= _utc(since)], first[first >= _utc(since)]
    if f.empty:
        return pd.DataFrame(columns=columns)
    f = f.assign(first_at=first, cve=f["vulnerability_id"].fillna(f["finding_arn"]))
    g = f.groupby("account_id", dropna=False)
    out = pd.DataFrame(
        {
            "account_name": g["account_name"].first(),
            "ou_path": g["ou_path"].first(),
            "cves": g["cve"].nunique(),
            "findings": g.size(),
            "first_at": g["first_at"].min(),
        }
    ).reset_index()
    return out[columns].sort_values("cves", ascending=False, kind="stable").reset_index(drop=True)
