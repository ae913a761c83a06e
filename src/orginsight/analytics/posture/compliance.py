"""Compliance over collector snapshots: Config rules, Systems Manager patching, Trusted Advisor checks.

Each function takes the history of one collector table (``read_snapshots``: every row has
``collected_at``) and, where it groups by account name or OU, the Organizations accounts frame.
``times`` (every snapshot taken, from the manifests) keeps a snapshot whose table came back empty in
the trend, as zeros.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from orginsight.analytics.posture.snapshot_history import (
    SNAPSHOT,
    SnapshotTrend,
    as_history,
    count_per_snapshot,
    snapshot_at,
    snapshot_times,
)

NON_COMPLIANT = "NON_COMPLIANT"
PROBLEM_STATUSES = ("error", "warning")
"""Trusted Advisor statuses that ask for action (both APIs spell them in lower case, 2024)."""


# ----------------------------------------------------------------------------- Config


def _noncompliant_rules(rules: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    return rules[rules["compliance"] == NON_COMPLIANT].assign(
        non_compliant_resources=lambda d: (
            pd.to_numeric(d["non_compliant_resources"]).fillna(0).astype("int64")
        ),
        capped=lambda d: d["count_capped"].astype("boolean").fillna(False).astype("int64"),
    )


config_noncompliant_trend = SnapshotTrend(
    _noncompliant_rules,
    "non_compliant_resources",
    by=("rule",),
    value="non_compliant_resources",
    flags=("capped",),
)
"""Per snapshot and ``by`` (``rule``, ``account_id``, ``account_name``, ``ou_path``, ``region``):
non-compliant resources, from the aggregator's rule x account x region counts of ``rule_compliance``.

The count is ``CappedCount``: AWS stops counting at 100 per rule, account and region, so a
``capped`` True means "at least". Columns: collected_at, *by, non_compliant_resources, capped.
"""


# ----------------------------------------------------------------------------- Systems Manager


def patch_compliance_trend(
    compliance: pd.DataFrame,
    patch_states: pd.DataFrame,
    accounts: pd.DataFrame | None = None,
    by: Sequence[str] = (),
    times: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Per snapshot and ``by``: managed nodes with a patch state, nodes not patch-compliant, and days since
    each node's last patch install (median and max).

    Days are counted from ``last_install_time`` to the snapshot's ``collected_at``, not taken from
    ``days_since_last_patch``, which the transform counted to the clock when the pages were read.
    A node whose patch compliance is ``NON_COMPLIANT`` (``list_resource_compliance_summaries``, type
    Patch) counts as non-compliant. Columns: collected_at, *by, nodes, non_compliant,
    median_days_since_patch, max_days_since_patch, never_patched.
    """
    by = list(by)
    times = snapshot_times(pd.concat([compliance[[SNAPSHOT]], patch_states[[SNAPSHOT]]]), times)
    patch = as_history(compliance[compliance["compliance_type"] == "Patch"], accounts)
    states = as_history(patch_states, accounts)
    install = pd.to_datetime(states["last_install_time"], utc=True)
    states = states.assign(days=(states[SNAPSHOT] - install).dt.total_seconds() / 86400)
    key = [SNAPSHOT, "account_id", "region", "instance_id"]
    columns = list(dict.fromkeys([*key, *by]))
    nodes = pd.concat(
        [
            states[columns],
            patch.rename(columns={"resource_id": "instance_id"})[columns],
        ]
    ).drop_duplicates(key)
    out = count_per_snapshot(nodes, times, by, name="nodes")
    bad = patch[patch["status"] == NON_COMPLIANT].drop_duplicates(
        [SNAPSHOT, "account_id", "region", "resource_id"]
    )
    non_compliant = count_per_snapshot(bad, times, by, name="non_compliant")
    out = out.merge(non_compliant, on=[SNAPSHOT, *by], how="left")
    out["non_compliant"] = out["non_compliant"].fillna(0).astype("int64")
    keys = [SNAPSHOT, *by]
    filled = states.assign(**{c: states[c].fillna("(none)") for c in by})
    days = filled.groupby(keys, dropna=False)["days"].agg(
        median_days_since_patch="median",
        max_days_since_patch="max",
        never_patched=lambda d: int(d.isna().sum()),
    )
    days = days.reset_index()
    days[SNAPSHOT] = snapshot_at(days[SNAPSHOT]).set_axis(days.index)  # an empty group-by loses the dtype
    out = out.merge(days, on=keys, how="left")
    out["never_patched"] = out["never_patched"].fillna(0).astype("int64")
    return out


unmanaged_trend = SnapshotTrend(lambda unmanaged, by: unmanaged, "unmanaged_instances", by=("account_id",))
"""Per snapshot and ``by``: running EC2 instances that Systems Manager does not manage.

Columns: collected_at, *by, unmanaged_instances.
"""


# ----------------------------------------------------------------------------- Trusted Advisor


def security_check_states(
    checks: pd.DataFrame | None = None,
    resources: pd.DataFrame | None = None,
    recommendations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per snapshot, account and security check: its status, from whichever Trusted Advisor path was read.

    - The Support API's ``checks`` (one result per account and check; ``security`` category only);
    - the Trusted Advisor API's organization ``resources``: an account's status for a recommendation is
      the worst status among its resources there (error over warning over ok). With ``recommendations``
      only those of the security pillar are kept (the collector reads only those by default).
    Columns: collected_at, account_id, check, status, source.
    """
    parts = []
    if checks is not None and len(checks):
        c = checks[checks["category"].fillna("security") == "security"]
        parts.append(
            pd.DataFrame(
                {
                    SNAPSHOT: c[SNAPSHOT],
                    "account_id": c["account_id"],
                    "check": c["name"].fillna(c["check_id"]),
                    "status": c["status"].str.lower(),
                    "source": "support",
                }
            )
        )
    if resources is not None and len(resources):
        r = resources
        names = {}
        if recommendations is not None and len(recommendations):
            security = recommendations[recommendations["pillars"].fillna("").str.contains("security")]
            r = r[r["recommendation_id"].isin(set(security["recommendation_id"]))]
            names = dict(zip(recommendations["recommendation_id"], recommendations["name"], strict=True))
        rank = {"error": 2, "warning": 1}
        r = r.assign(status=r["status"].str.lower(), _rank=r["status"].str.lower().map(rank).fillna(0))
        worst = r.sort_values("_rank").drop_duplicates(
            [SNAPSHOT, "account_id", "recommendation_id"], keep="last"
        )
        parts.append(
            pd.DataFrame(
                {
                    SNAPSHOT: worst[SNAPSHOT],
                    "account_id": worst["account_id"],
                    "check": worst["recommendation_id"].map(names).fillna(worst["recommendation_id"]),
                    "status": worst["status"],
                    "source": "trustedadvisor",
                }
            )
        )
    if not parts:
        return pd.DataFrame(columns=[SNAPSHOT, "account_id", "check", "status", "source"])
    return as_history(pd.concat(parts, ignore_index=True)).drop(columns=["account_name", "ou_path"])


def _flagged_checks(states: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    flagged = states[states["status"].isin(PROBLEM_STATUSES)]
    return flagged.drop_duplicates([SNAPSHOT, "account_id", "check"])


security_checks_trend = SnapshotTrend(_flagged_checks, "checks", by=("account_id",), per=("status",))
"""Per snapshot, ``by`` and status (error, warning): security checks in that status.

``states`` is :func:`security_check_states`. Columns: collected_at, *by, status, checks.
"""
