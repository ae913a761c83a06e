"""Run every check into one frame, count it per check, keep it as a snapshot, and tell what changed.

The results are snapshots like any collector's (``snapshots/audit/<stamp>/results.parquet``), so the audit
is tracked over time: ``audit_changes`` between two of them lists the regressions (pass -> fail), the fixes
(fail -> pass) and the new unknowns, so a regression shows as a change in the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from orginsight.analytics.audit.base import FAIL, ORGANIZATION, PASS, STATUSES, UNKNOWN
from orginsight.analytics.audit.checks import CHECKS, Check
from orginsight.analytics.audit.expectations import Expectations
from orginsight.analytics.audit.inputs import AuditInput
from orginsight.collectors.snapshots import read_snapshots, write_snapshot
from orginsight.errors import LakeError

COLLECTOR = "audit"
TABLE = "results"

RESULT_COLUMNS = [
    "check",
    "service",
    "account_id",
    "account_name",
    "ou_path",
    "region",
    "status",
    "expected",
    "found",
    "risk",
]
KEY = ["check", "account_id", "region"]
CHANGE_COLUMNS = [*KEY, "service", "account_name", "change", "before", "after", "found", "risk"]

REGRESSION, FIX, NEW_UNKNOWN, NEW_FAILURE = "regression", "fix", "new unknown", "new failure"


def run_audit(
    inputs: AuditInput, expectations: Expectations, checks: Sequence[Check] = CHECKS
) -> pd.DataFrame:
    """Every enabled check's results, one row per (check, account or ``organization``, region or ``all``),
    with the account's name and OU path and the check's risk weight."""
    rows = [
        {"check": c.name, "service": c.service, "expected": c.expects, "risk": c.risk, **r}
        for c in checks
        if c.enabled(expectations)
        for r in c.run(inputs, expectations)
    ]
    df = pd.DataFrame(rows, columns=[c for c in RESULT_COLUMNS if c not in ("account_name", "ou_path")])
    meta = inputs.accounts[["account_id", "name", "ou_path"]].rename(columns={"name": "account_name"})
    df = df.merge(meta.drop_duplicates("account_id"), on="account_id", how="left")
    df.loc[df["account_id"] == ORGANIZATION, "account_name"] = ORGANIZATION
    df["risk"] = df["risk"].astype("int64")
    return df[RESULT_COLUMNS].astype({c: object for c in ("account_name", "ou_path")})


def audit_summary(df: pd.DataFrame) -> pd.DataFrame:
    """Per check: how many results pass, fail and are unknown, in the order of the checks."""
    counts = pd.crosstab([df["check"], df["service"], df["risk"]], df["status"])
    counts = counts.reindex(columns=list(STATUSES), fill_value=0).reset_index()
    order = {c.name: i for i, c in enumerate(CHECKS)}
    counts = counts.sort_values("check", key=lambda s: s.map(order).fillna(len(order)))
    counts.columns.name = None
    return counts.reset_index(drop=True)


def audit_failures(df: pd.DataFrame) -> pd.DataFrame:
    """The failures, the riskiest first (then by check, account and region): the list of fixes."""
    fails = df[df["status"] == FAIL]
    return fails.sort_values(
        ["risk", "check", "account_id", "region"], ascending=[False, True, True, True]
    ).reset_index(drop=True)


def write_audit_snapshot(root: str | Path, df: pd.DataFrame, at: datetime | None = None) -> Path:
    """Keep one audit's results as ``<root>/snapshots/audit/<stamp>/results.parquet``; returns the folder."""
    return write_snapshot(root, COLLECTOR, {TABLE: df}, failures=[], collected_at=at)


def previous_audit(root: str | Path) -> pd.DataFrame | None:
    """The newest audit snapshot below ``root``, or None when there is none."""
    try:
        return read_snapshots(root, COLLECTOR, TABLE, latest=True)
    except LakeError:
        return None


def _change(before: object, after: object) -> str | None:
    if before == PASS and after == FAIL:
        return REGRESSION
    if before == FAIL and after == PASS:
        return FIX
    if after == UNKNOWN and before != UNKNOWN:
        return NEW_UNKNOWN
    if after == FAIL and pd.isna(before):
        return NEW_FAILURE
    return None


def audit_changes(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """What changed from one audit to the next, one row per (check, account, region) that did: a
    ``regression`` (pass -> fail), a ``fix`` (fail -> pass), a ``new unknown`` (the evidence went missing)
    or a ``new failure`` (a result the previous audit did not have, e.g. a new account, that fails)."""
    before = previous[[*KEY, "status"]].rename(columns={"status": "before"}).drop_duplicates(KEY)
    both = current.merge(before, on=KEY, how="left").rename(columns={"status": "after"})
    both["change"] = [_change(b, a) for b, a in zip(both["before"], both["after"], strict=True)]
    out = both[both["change"].notna()][CHANGE_COLUMNS]
    return out.sort_values(["risk", *KEY], ascending=[False, True, True, True]).reset_index(drop=True)
