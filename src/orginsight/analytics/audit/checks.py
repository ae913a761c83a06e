"""The table of checks: what each one expects, of which service, how much a failure weighs, and the function.

A check runs when its expectation is set (``enabled``), so a team turns one off in its expectations file.
``risk`` orders the fixes: 10 is what lets an intruder act unseen across the organization (no trail, no
guardrail against switching it off), 1 is hygiene.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from orginsight.analytics.audit import org_checks as org
from orginsight.analytics.audit import service_checks as svc
from orginsight.analytics.audit.base import Row
from orginsight.analytics.audit.expectations import Expectations
from orginsight.analytics.audit.inputs import AuditInput


@dataclass(frozen=True)
class Check:
    """One check of the audit."""

    name: str
    service: str
    expects: str
    """What it expects, in a sentence (the ``expected`` column)."""
    risk: int
    """1 (hygiene) to 10 (blind across the organization): orders the report's fixes."""
    run: Callable[[AuditInput, Expectations], list[Row]]
    enabled: Callable[[Expectations], bool] = lambda exp: True


def _trail(key: str) -> Callable[[Expectations], bool]:
    return lambda exp: exp.trail.get(key, False)


CHECKS: tuple[Check, ...] = (
    Check(
        "trail_organization",
        "CloudTrail",
        "an organization trail",
        10,
        org.trail_property("IsOrganizationTrail", "organization trail"),
        _trail("organization_trail"),
    ),
    Check(
        "trail_logging",
        "CloudTrail",
        "the organization trail is logging",
        10,
        org.trail_logging,
        _trail("logging"),
    ),
    Check(
        "trail_multi_region",
        "CloudTrail",
        "the organization trail records every region",
        8,
        org.trail_property("IsMultiRegionTrail", "multi-region"),
        _trail("multi_region"),
    ),
    Check(
        "trail_kms",
        "CloudTrail",
        "log files encrypted with a KMS key",
        5,
        org.trail_property("KmsKeyId", "KMS encryption"),
        _trail("kms"),
    ),
    Check(
        "trail_log_file_validation",
        "CloudTrail",
        "log file validation on",
        5,
        org.trail_property("LogFileValidationEnabled", "log file validation"),
        _trail("log_file_validation"),
    ),
    Check(
        "trail_insights",
        "CloudTrail",
        "CloudTrail Insights on",
        2,
        org.trail_property("HasInsightSelectors", "Insights"),
        _trail("insights"),
    ),
    Check(
        "guardrail_scps",
        "Organizations",
        "guardrail SCPs deny switching off the security services",
        9,
        org.guardrail_scps,
        lambda exp: bool(exp.guardrails_required),
    ),
    Check(
        "guardduty_delegated_admin",
        "GuardDuty",
        "the security account is delegated admin",
        7,
        svc.guardduty_delegated_admin,
        lambda exp: exp.guardduty_delegated_admin,
    ),
    Check(
        "guardduty_auto_enable",
        "GuardDuty",
        "organization auto-enable",
        7,
        svc.guardduty_auto_enable,
        lambda exp: bool(exp.guardduty_auto_enable),
    ),
    Check(
        "guardduty_members",
        "GuardDuty",
        "every account an enabled member in every region",
        8,
        svc.guardduty_members,
        lambda exp: exp.guardduty_members_enabled,
    ),
    Check(
        "guardduty_protection_plans",
        "GuardDuty",
        "required protection plans auto-enabled",
        5,
        svc.guardduty_protection_plans,
        lambda exp: bool(exp.guardduty_features),
    ),
    Check(
        "securityhub_delegated_admin",
        "Security Hub",
        "the security account is delegated admin",
        6,
        svc.securityhub_delegated_admin,
        lambda exp: exp.securityhub_delegated_admin,
    ),
    Check(
        "securityhub_aggregation",
        "Security Hub",
        "cross-region finding aggregation",
        5,
        svc.securityhub_aggregation,
        lambda exp: exp.securityhub_cross_region_aggregation,
    ),
    Check(
        "securityhub_central_configuration",
        "Security Hub",
        "central configuration",
        4,
        svc.securityhub_central_configuration,
        lambda exp: exp.securityhub_central_configuration,
    ),
    Check(
        "securityhub_members",
        "Security Hub",
        "every account an enabled member in every region",
        6,
        svc.securityhub_members,
        lambda exp: exp.securityhub_members_enabled,
    ),
    Check(
        "config_aggregator",
        "Config",
        "an organization aggregator of every region",
        5,
        svc.config_aggregator,
        lambda exp: exp.config_organization_aggregator,
    ),
    Check(
        "config_recording",
        "Config",
        "every account recording in every region",
        6,
        svc.config_recording,
        lambda exp: exp.config_recording_everywhere,
    ),
    Check(
        "inspector_delegated_admin",
        "Inspector",
        "the security account is delegated admin",
        5,
        svc.inspector_delegated_admin,
        lambda exp: exp.inspector_delegated_admin,
    ),
    Check(
        "inspector_auto_enable",
        "Inspector",
        "auto-enable of the required scan types",
        4,
        svc.inspector_auto_enable,
        lambda exp: bool(exp.inspector_auto_enable),
    ),
    Check(
        "inspector_scan_types",
        "Inspector",
        "the required scan types on in every account and region",
        5,
        svc.inspector_scan_types,
        lambda exp: bool(exp.inspector_auto_enable),
    ),
    Check(
        "accessanalyzer_organization",
        "Access Analyzer",
        "an organization analyzer in every region",
        5,
        svc.accessanalyzer_organization,
        lambda exp: exp.accessanalyzer_organization_analyzer,
    ),
    Check(
        "detective_delegated_admin",
        "Detective",
        "the security account is delegated admin",
        3,
        svc.detective_delegated_admin,
        lambda exp: exp.detective_delegated_admin,
    ),
    Check(
        "macie_delegated_admin",
        "Macie",
        "the security account is delegated admin",
        4,
        svc.macie_delegated_admin,
        lambda exp: exp.macie_delegated_admin,
    ),
    Check(
        "macie_members",
        "Macie",
        "every account an enabled member in every region",
        4,
        svc.macie_members,
        lambda exp: exp.macie_members_enabled,
    ),
    Check(
        "storagelens_dashboard",
        "Storage Lens",
        "an organization dashboard with export",
        2,
        org.storagelens_dashboard,
        lambda exp: exp.storagelens_organization_dashboard,
    ),
    Check(
        "identitycenter_session_duration",
        "Identity Center",
        "sessions no longer than the OU allows",
        6,
        org.identitycenter_session_duration,
        lambda exp: True,
    ),
    Check(
        "baseline_stacksets",
        "CloudFormation",
        "baseline stack sets in every account, current, no drift",
        6,
        org.baseline_stacksets,
        lambda exp: bool(exp.baseline_stacksets),
    ),
)
"""Every check, in the report's order (organization-wide visibility first)."""

BY_NAME = {c.name: c for c in CHECKS}
