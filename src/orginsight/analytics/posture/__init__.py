"""Security posture over time, per account and OU: findings, controls, data protection, logging, coverage.

Each measure is a pure function of DataFrames (the normalized findings frame of
``orginsight.sources.findings``, Storage Lens ``bucket_protection``, the hourly CloudTrail
aggregate, recorded API state), so notebooks, the report and tests share one code
path. The single exception, ``cloudtrail_hourly``, runs ONE aggregate query in the
lake's engine: raw events never come into Python (DESIGN.md, "Aggregate in the
engine").

Where each measure lives: ``trends`` (findings over time), ``controls`` (Security Hub controls),
``storage`` (S3 data protection), ``cloudtrail`` (delivery coverage and gaps), ``coverage``
(services x accounts from recorded API state), ``days`` (UTC days and periods). Account names and
OU paths come from ``analytics.org``.
"""

from orginsight.analytics.posture.cloudtrail import (
    CLOUDTRAIL_HOURLY_SQL,
    cloudtrail_daily_coverage,
    cloudtrail_hourly,
    delivery_gaps,
)
from orginsight.analytics.posture.controls import control_pass_rate, control_results
from orginsight.analytics.posture.coverage import (
    SERVICES,
    coverage_gaps,
    load_accounts,
    membership_changes,
    membership_history,
    service_coverage,
)
from orginsight.analytics.posture.days import _utc as _utc  # outputs/report.py reads posture._utc
from orginsight.analytics.posture.days import period
from orginsight.analytics.posture.storage import s3_protection_coverage, storage_drift
from orginsight.analytics.posture.trends import (
    CLOSED_WORKFLOW_STATES,
    SEVERITY_ORDER,
    finding_activity,
    finding_trend,
    is_closed,
    latest_findings,
    mean_time_active,
    notable_changes,
    top_counts,
)
from orginsight.sources.accounts import with_org

__all__ = [
    "CLOSED_WORKFLOW_STATES",
    "CLOUDTRAIL_HOURLY_SQL",
    "SERVICES",
    "SEVERITY_ORDER",
    "cloudtrail_daily_coverage",
    "cloudtrail_hourly",
    "control_pass_rate",
    "control_results",
    "coverage_gaps",
    "delivery_gaps",
    "finding_activity",
    "finding_trend",
    "is_closed",
    "latest_findings",
    "load_accounts",
    "mean_time_active",
    "membership_changes",
    "membership_history",
    "notable_changes",
    "period",
    "s3_protection_coverage",
    "service_coverage",
    "storage_drift",
    "top_counts",
    "with_org",
]
