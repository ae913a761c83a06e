"""Baseline stack sets: which accounts and regions miss one, or hold it outdated or drifted.

A pure function of the ``stacksets`` collector's ``stack_instances`` and the ``org`` collector's
``accounts``, for the centralization audit and the demo.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

MISSING = "missing"
NOT_CURRENT = "not current"
DRIFTED = "drifted"
"""Problems: no instance of the baseline in that account and region; an instance whose status is not
CURRENT (OUTDATED: the last operation did not reach it; INOPERABLE: a failed delete left it); an instance
whose stack drifted from the template (CloudFormation API Reference, StackInstanceSummary, 2024)."""

BASELINE_COLUMNS = [
    "stack_set_name",
    "account_id",
    "account_name",
    "ou_path",
    "region",
    "problem",
    "status",
    "detailed_status",
    "status_reason",
    "drift_status",
]

ACTIVE = "ACTIVE"


def _active(accounts: pd.DataFrame) -> pd.DataFrame:
    """Accounts that can hold stacks: ACTIVE (``status`` absent: all of them)."""
    return accounts[accounts["status"] == ACTIVE] if "status" in accounts else accounts


def missing_baseline(
    stack_instances: pd.DataFrame,
    accounts: pd.DataFrame,
    baseline_names: Iterable[str],
    regions: Iterable[str],
) -> pd.DataFrame:
    """One row per (baseline stack set, active account, region) with a problem: ``missing``, ``not current``
    or ``drifted`` (an instance both not current and drifted is reported as not current, the more urgent).
    Accounts and regions in good order have no row, so an empty frame means every baseline is in place."""
    by_key = {
        (i["stack_set_name"], i["account_id"], i["region"]): i for i in stack_instances.to_dict("records")
    }
    rows = []
    for name in baseline_names:
        for a in _active(accounts).to_dict("records"):
            for region in regions:
                found = by_key.get((name, a["account_id"], region))
                problem = (
                    MISSING
                    if found is None
                    else NOT_CURRENT
                    if found.get("status") != "CURRENT"
                    else DRIFTED
                    if found.get("drift_status") == "DRIFTED"
                    else None
                )
                if problem is None:
                    continue
                rows.append(
                    {
                        "stack_set_name": name,
                        "account_id": a["account_id"],
                        "account_name": a.get("name"),
                        "ou_path": a.get("ou_path"),
                        "region": region,
                        "problem": problem,
                        **{
                            k: (found or {}).get(k)
                            for k in ("status", "detailed_status", "status_reason", "drift_status")
                        },
                    }
                )
    return pd.DataFrame(rows, columns=BASELINE_COLUMNS, dtype=object)  # missing stays None (pandas 3)
