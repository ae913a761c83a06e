"""The review's first page: the centralization audit (``analytics.audit``) over the lake, with the default
expectations.

Reads the lake's recorded API state and newest collector snapshots (``audit_input_from_lake``); the newest
audit snapshot in the lake (``orginsight audit --out LAKE`` writes them) is the previous audit, so a check
that regressed since shows in what changed. Building the report writes no snapshot.
"""

from __future__ import annotations

import pandas as pd

from orginsight.analytics import audit
from orginsight.outputs.charts.audit import audit_heatmap
from orginsight.outputs.report.model import PostureReview, declared

FIX_COLUMNS = ["risk", "check", "service", "account_name", "region", "expected", "found"]
CHANGE_LINES = 15
"""Lines of failures and of changes ``review.changes`` takes, riskiest first; the tables hold them all."""


def _failure_lines(failures: pd.DataFrame) -> list[str]:
    """One line per failing check: where it fails and one example of the evidence."""
    lines = []
    for check, group in failures.groupby("check", sort=False):
        first = group.iloc[0]
        where = (
            first["account_name"] if first["account_name"] == audit.ORGANIZATION else f"{len(group)} place(s)"
        )
        lines.append(f"Audit: {check} fails ({where}): {first['found']} (expected {first['expected']}).")
    return lines[:CHANGE_LINES]


def _change_lines(changes: pd.DataFrame) -> list[str]:
    return [
        f"Audit {c['change']}: {c['check']} in {c['account_name'] or c['account_id']} {c['region']} "
        f"({c['before'] if pd.notna(c['before']) else 'not checked'} -> {c['after']}): {c['found']}"
        for c in changes.head(CHANGE_LINES).to_dict("records")
    ]


def _audit(review: PostureReview) -> None:
    results = audit.run_audit(audit.audit_input_from_lake(review.lake), audit.load_expectations())
    failures = audit.audit_failures(results)
    review.frames["audit"] = results
    review.frames["audit_summary"] = audit.audit_summary(results)
    review.frames["audit_fixes"] = failures[FIX_COLUMNS]
    counts = results["status"].value_counts()
    review.numbers |= {
        "audit_checks_failing": int(failures["check"].nunique()),
        "audit_fail": int(counts.get(audit.FAIL, 0)),
        "audit_unknown": int(counts.get(audit.UNKNOWN, 0)),
        "audit_pass": int(counts.get(audit.PASS, 0)),
    }
    review.figures.audit_heatmap = audit_heatmap(results)
    review.changes.extend(_failure_lines(failures))
    previous = audit.previous_audit(review.lake)
    if previous is not None:
        changes = audit.audit_changes(previous, results)
        review.frames["audit_changes"] = changes
        review.changes.extend(_change_lines(changes))


AUDIT = declared("audit", _audit)
