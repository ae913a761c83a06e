"""Account ids as names: the one place a frame keyed by account id meets the Organizations accounts frame.

The accounts frame is ``organization_frames(...)["accounts"]`` of ``orginsight.collectors.organizations``
(``account_id``, ``name``, ``ou_path`` ...), live or from a lake's recorded state. Findings, posture
measures, the review report and triage all name accounts through :func:`account_names` and
:func:`with_org`, so an account missing from the organization reads the same everywhere: its name and
OU path are unknown (None), never a guess such as the root.
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def account_names(accounts: pd.DataFrame | None) -> dict[str, str]:
    """Account id -> account name, from the Organizations accounts frame (``{}`` when there is none).

    Ids are text, as in every log record; an account without a name is left out, so callers fall back
    to the id rather than print ``None``.
    """
    return by_account(accounts, "name")


def by_account(accounts: pd.DataFrame | None, column: str) -> dict[str, Any]:
    """Account id (as text) -> ``column`` of the accounts frame, for the accounts where it is known."""
    if accounts is None or not {"account_id", column} <= set(accounts.columns):
        return {}
    return {
        str(account): value
        for account, value in zip(accounts["account_id"], accounts[column], strict=True)
        if pd.notna(value)
    }


def with_org(
    df: pd.DataFrame, accounts: pd.DataFrame | None, account_col: str = "account_id"
) -> pd.DataFrame:
    """``df`` with ``account_name`` and ``ou_path`` from the Organizations accounts frame.

    Without an accounts frame (or without ``account_col``) the two columns are only added when
    missing, as None; an account the frame does not know gets None in both.
    """
    out = df.copy()
    if accounts is None or accounts.empty or account_col not in out.columns:
        for c in ("account_name", "ou_path"):
            if c not in out.columns:
                out[c] = None
        return out
    names, paths = account_names(accounts), by_account(accounts, "ou_path")
    out["account_name"] = [names.get(str(a)) for a in out[account_col]]
    out["ou_path"] = [paths.get(str(a)) for a in out[account_col]]
    return out
