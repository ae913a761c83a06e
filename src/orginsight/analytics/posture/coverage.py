"""Service coverage: which security service covers which account in which region, from recorded API state.

The state is what a live collection recorded, or the demo lake's recordings; GuardDuty's is read by
its collector (``collectors.guardduty.transform_coverage``), the other services' member lists here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence, Set
from typing import Any

import numpy as np
import pandas as pd

from orginsight.collectors.organizations import organization_frames
from orginsight.collectors.registry import coverage_rows

SERVICES = (
    "GuardDuty",
    "Security Hub",
    "Config",
    "Inspector",
    "Macie",
    "Access Analyzer",
    "Organization trail",
)
"""Columns of the coverage matrix, in display order (GuardDuty features are added after GuardDuty): the
services of the registry that declare their coverage first, then those read here until they have a module."""


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
    enabled: Set[str],
) -> dict[tuple[str, str], bool]:
    status: dict[tuple[str, str], bool] = {}
    for region, call in _calls(recording, service, operation):
        members = call["response"].get(list_key, [])
        for m in members:
            status[(m[id_key], region)] = str(m.get(status_key, "")).upper() in enabled
        for admin in _admin_of(members):
            status.setdefault((admin, region), True)  # the delegated admin runs the service itself
    return status


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
    for row in coverage_rows():  # the services that declare their coverage (collectors/registry.py)
        if row.transform is not None:
            status, features = row.transform(recording)
        else:
            status, features = (
                _members_status(
                    recording,
                    row.api,
                    row.operation,
                    row.members_key,
                    row.account_key,
                    row.status_key,
                    row.enabled,
                ),
                {},
            )
        cols[row.label] = _cells(status, ids)
        for name, per in features.items():
            cols[f"{row.label} {name}"] = _cells(per, ids)
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
    return organization_frames(recording)["accounts"]
