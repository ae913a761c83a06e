"""The centralization audit: is every security service centralized as the organization intends?

One check per expectation (``checks.CHECKS``: name, service, what it expects, risk weight, function), each a
pure function of an ``AuditInput`` (the organization, the recorded API state, the Identity Center, SCP and
StackSet tables) and the ``Expectations`` (``expectations.toml``, a file a team edits). Every result is
``pass``, ``fail`` or ``unknown`` per account (or ``organization``) and region (or ``all``), with the
evidence seen; unknown says which collector to run. Results are kept as snapshots so a regression shows as
a change (``audit_changes``).

    inputs = audit_input_from_lake("demo-lake")
    results = run_audit(inputs, load_expectations())
    audit_summary(results)
"""

from __future__ import annotations

from orginsight.analytics.audit.base import ALL_REGIONS, FAIL, ORGANIZATION, PASS, STATUSES, UNKNOWN
from orginsight.analytics.audit.checks import BY_NAME, CHECKS, Check
from orginsight.analytics.audit.expectations import Expectations, ExpectationsError, load_expectations
from orginsight.analytics.audit.inputs import AuditInput, audit_input_from_lake
from orginsight.analytics.audit.run import (
    RESULT_COLUMNS,
    audit_changes,
    audit_failures,
    audit_summary,
    previous_audit,
    run_audit,
    write_audit_snapshot,
)

__all__ = [
    "ALL_REGIONS",
    "BY_NAME",
    "CHECKS",
    "FAIL",
    "ORGANIZATION",
    "PASS",
    "RESULT_COLUMNS",
    "STATUSES",
    "UNKNOWN",
    "AuditInput",
    "Check",
    "Expectations",
    "ExpectationsError",
    "audit_changes",
    "audit_failures",
    "audit_input_from_lake",
    "audit_summary",
    "load_expectations",
    "previous_audit",
    "run_audit",
    "write_audit_snapshot",
]
