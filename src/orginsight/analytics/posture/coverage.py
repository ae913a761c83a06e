"""Service coverage: which security service covers which account in which region, from recorded API state.

The state is what a live collection recorded, or the demo lake's recordings. Each service's module declares
how its column is read (``Service(coverage=...)``, collected by ``collectors.registry.coverage_rows``): its
delegated admin's member list, or its own ``coverage_status`` transform. Only the organization trail is
read here, as CloudTrail has no collector module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

import numpy as np
import pandas as pd

from orginsight.collectors.organizations import organization_frames
from orginsight.collectors.registry import coverage_rows
from orginsight.collectors.service import EVERY_ACCOUNT, Coverage, Covered

TRAIL = "Organization trail"
"""The column of the organization trail (CloudTrail's ``describe_trails`` and ``get_trail_status``)."""

SERVICES = (*(row.label for row in coverage_rows()), TRAIL)
"""Columns of the coverage matrix, in display order: the registry's services (each followed by its
features, e.g. ``GuardDuty S3_DATA_EVENTS``), then the organization trail."""


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


def _cells(status: Covered, accounts: Sequence[str]) -> dict[str, float]:
    """Share of recorded regions where each account is covered: its own entry in a region, else the
    organization-wide one (``EVERY_ACCOUNT``); regions with neither are not counted."""
    regions = sorted({r for _, r in status})
    out = {}
    for a in accounts:
        vals = [status.get((a, r), status.get((EVERY_ACCOUNT, r))) for r in regions]
        known = [v for v in vals if v is not None]
        out[a] = float(np.mean(known)) if known else np.nan
    return out


def _members_status(
    recording: Any,
    service: str,
    operation: str,
    list_key: str,
    id_key: str,
    status_key: str,
    enabled: Set[str],
) -> Covered:
    status: Covered = {}
    for region, call in _calls(recording, service, operation):
        members = call["response"].get(list_key, [])
        for m in members:
            status[(m[id_key], region)] = str(m.get(status_key, "")).upper() in enabled
        for admin in _admin_of(members):
            status.setdefault((admin, region), True)  # the delegated admin runs the service itself
    return status


def coverage_status(row: Coverage, recording: Any) -> tuple[Covered, dict[str, Covered]]:
    """One registry column's (coverage, coverage per feature): its own transform, else its member list."""
    if row.transform is not None:
        return row.transform(recording)
    members = _members_status(
        recording, row.api, row.operation, row.members_key, row.account_key, row.status_key, row.enabled
    )
    return members, {}


def service_coverage(recording: Any, accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts x services: the share of recorded regions where each service covers each account.

    1.0 = covered everywhere it is recorded, 0.0 = nowhere, NaN = no recorded state for that
    service. Rows carry account_id, account_name, ou_path; columns follow ``SERVICES``, each service
    followed by its features (``GuardDuty <FEATURE>``, ``Inspector EC2`` ...). What each column reads is
    its service module's ``Coverage`` declaration; the organization trail's is ``trail_status``.
    """
    ids = list(accounts["account_id"])
    cols: dict[str, dict[str, float]] = {}
    for row in coverage_rows():
        status, features = coverage_status(row, recording)
        cols[row.label] = _cells(status, ids)
        for name, per in features.items():
            cols[f"{row.label} {name}"] = _cells(per, ids)
    cols[TRAIL] = _cells(trail_status(recording), ids)
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


def trail_status(recording: Any) -> Covered:
    """Every account is covered (region ``all``) when an organization trail logs; not when none does.

    A trail whose ``get_trail_status`` was not recorded counts as logging (``describe_trails`` alone
    lists it); nothing recorded for CloudTrail leaves the column unknown.
    """
    logging: dict[str, bool] = {}
    for _region, call in _calls(recording, "cloudtrail", "get_trail_status"):
        name = call["params"].get("Name")
        if name:
            logging[name] = bool(call["response"].get("IsLogging"))
    on = False
    for _region, call in _calls(recording, "cloudtrail", "describe_trails"):
        for t in call["response"].get("trailList", []):
            if t.get("IsOrganizationTrail"):
                on = on or logging.get(t.get("TrailARN"), logging.get(t.get("Name"), True))
    return {(EVERY_ACCOUNT, "all"): on} if recording.regions("cloudtrail") else {}


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
    return organization_frames(recording)["accounts"]
