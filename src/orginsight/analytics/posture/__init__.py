"""Security posture over time, per account and OU: findings, controls, data protection, logging, coverage,
and what the other security services report.

Each measure is a pure function of DataFrames (the normalized findings frame of
``orginsight.sources.findings``, Storage Lens ``bucket_protection``, the hourly CloudTrail
aggregate, recorded API state, the history of collector snapshots), so notebooks, the report and
tests share one code path. Two exceptions run ONE query in the lake's engine, so raw events never
come into Python (DESIGN.md, "Aggregate in the engine"): ``cloudtrail_hourly`` and
``role_bucket_reads`` (a hunt).

Where each measure lives: ``trends`` (findings over time), ``controls`` (Security Hub controls),
``storage`` (S3 data protection), ``cloudtrail`` (delivery coverage and gaps), ``coverage``
(services x accounts from recorded API state, one column set per registered service),
``vulnerabilities`` (Inspector), ``external_access`` (Access Analyzer, and Macie's sensitive buckets
joined with it), ``compliance`` (Config rules, Systems Manager patching, Trusted Advisor checks),
``snapshot_history`` (counting over snapshots), ``exposure`` (exploitable instance -> role -> sensitive
bucket shared outside the organization), ``days`` (UTC days and periods). Account names and OU paths
come from ``sources.accounts``.
"""

from orginsight.analytics.posture.cloudtrail import (
    CLOUDTRAIL_HOURLY_SQL,
    cloudtrail_daily_coverage,
    cloudtrail_hourly,
    delivery_gaps,
)
from orginsight.analytics.posture.compliance import (
    config_noncompliant_trend,
    patch_compliance_trend,
    security_check_states,
    security_checks_trend,
    unmanaged_trend,
)
from orginsight.analytics.posture.controls import control_pass_rate, control_results
from orginsight.analytics.posture.coverage import (
    SERVICES,
    TRAIL,
    coverage_gaps,
    load_accounts,
    membership_changes,
    membership_history,
    service_coverage,
)
from orginsight.analytics.posture.days import _utc as _utc  # outputs/report.py reads posture._utc
from orginsight.analytics.posture.days import period
from orginsight.analytics.posture.exposure import candidate_roles, exposure_paths, role_bucket_reads
from orginsight.analytics.posture.external_access import (
    exposure_trend,
    external_access_changes,
    external_access_trend,
    sensitive_bucket_exposure,
    shared_outside,
)
from orginsight.analytics.posture.snapshot_history import (
    appeared_and_vanished,
    first_and_last,
    in_period,
    snapshot_times,
)
from orginsight.analytics.posture.storage import s3_protection_coverage, storage_drift
from orginsight.analytics.posture.trends import (
    CLOSED_WORKFLOW_STATES,
    SEVERITY_ORDER,
    finding_activity,
    finding_trend,
    is_closed,
    mean_time_active,
    notable_changes,
    top_counts,
)
from orginsight.analytics.posture.vulnerabilities import (
    open_findings_trend,
    opened_exploitable,
    time_to_fix,
    time_to_fix_summary,
    unscanned_trend,
)
from orginsight.sources.accounts import with_org
from orginsight.sources.findings import latest_findings

__all__ = [
    "CLOSED_WORKFLOW_STATES",
    "CLOUDTRAIL_HOURLY_SQL",
    "SERVICES",
    "SEVERITY_ORDER",
    "TRAIL",
    "appeared_and_vanished",
    "cloudtrail_daily_coverage",
    "cloudtrail_hourly",
    "config_noncompliant_trend",
    "control_pass_rate",
    "control_results",
    "coverage_gaps",
    "delivery_gaps",
    "candidate_roles",
    "exposure_paths",
    "role_bucket_reads",
    "exposure_trend",
    "external_access_changes",
    "external_access_trend",
    "finding_activity",
    "finding_trend",
    "first_and_last",
    "in_period",
    "is_closed",
    "latest_findings",
    "load_accounts",
    "mean_time_active",
    "membership_changes",
    "membership_history",
    "notable_changes",
    "open_findings_trend",
    "opened_exploitable",
    "patch_compliance_trend",
    "period",
    "s3_protection_coverage",
    "security_check_states",
    "security_checks_trend",
    "sensitive_bucket_exposure",
    "service_coverage",
    "shared_outside",
    "snapshot_times",
    "storage_drift",
    "time_to_fix",
    "time_to_fix_summary",
    "top_counts",
    "unmanaged_trend",
    "unscanned_trend",
    "with_org",
]
