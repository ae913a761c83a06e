"""Trusted Advisor's organizational view report: the files AWS exports for a whole organization.

The management account asks Trusted Advisor for a report (console or ``CreateReport`` of the
organizational view, which orginsight never calls: it writes); AWS delivers a .zip of JSON or CSV
files. These readers turn its ``summary.json`` and its per-check files into DataFrames, for teams
that export the report instead of granting the API (collectors/trustedadvisor.py reads the API).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

ORG_VIEW_SUMMARY_COLUMNS = ["account_id", "category", "status", "count"]
ORG_VIEW_CHECK_COLUMNS = ["check_name", "account_id", "region", "status", "resource_id", "metadata"]


def read_organizational_view_summary(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Check counts per account, category and status from an org-view report's ``summary.json``.

    Format (AWS Support User Guide, "Organizational view for AWS Trusted Advisor", downloading a
    report; read 2024-2025): the report is a .zip holding ``summary.json``, ``schema.json`` and one
    file per check (JSON or CSV, as chosen). ``summary.json`` has ``numAccounts``,
    ``filtersApplied`` and, per account, ``accountStatusMap: {account: {category: {"statusMap":
    {STATUS: {"name": colour, "count": n}}, "name": label}}}`` (``categoryStatusMap`` is the same
    without the account level). No real export is public (2025): the tests use one built from
    this documented shape, so this reader tolerates missing keys rather than trusting them.
    """
    rows = []
    for account, categories in (summary.get("accountStatusMap") or {}).items():
        for category, entry in (categories or {}).items():
            for status, counted in ((entry or {}).get("statusMap") or {}).items():
                rows.append(
                    {
                        "account_id": str(account),
                        "category": category,
                        "status": str(status).lower(),
                        "count": int((counted or {}).get("count") or 0),
                    }
                )
    return pd.DataFrame(rows, columns=ORG_VIEW_SUMMARY_COLUMNS)


_ORG_VIEW_KEYS = {
    "account_id": ("accountId", "Account ID", "AccountId"),
    "region": ("region", "Region"),
    "status": ("status", "Status"),
    "resource_id": ("resourceId", "Resource ID", "ResourceId"),
}


def read_organizational_view_check(check_name: str, records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Affected resources of one check file of an org-view report: JSON records, or ``csv.DictReader`` rows.

    Each record is one resource of one account, with the account id, region, status and the
    check's own columns (those of DescribeTrustedAdvisorChecks' ``metadata``). The known fields
    are read under their JSON (camelCase) or CSV (title) names; every other column is kept in
    ``metadata`` as JSON. Built from the documented shape, as no real export is public (2025).
    """
    rows = []
    for record in records:
        row: dict[str, Any] = {"check_name": check_name}
        used: set[str] = set()
        for column, keys in _ORG_VIEW_KEYS.items():
            key = next((k for k in keys if record.get(k) not in (None, "")), None)
            row[column] = None if key is None else str(record[key])
            used.add(key or "")
        if row["status"] is not None:
            row["status"] = row["status"].lower()
        extra = {k: v for k, v in record.items() if k not in used}
        row["metadata"] = json.dumps(extra, sort_keys=True, default=str)
        rows.append(row)
    return pd.DataFrame(rows, columns=ORG_VIEW_CHECK_COLUMNS)
