"""Security Hub controls: each control check's latest status, and pass rates (per day for the trend)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from orginsight.analytics.posture.days import _utc


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
