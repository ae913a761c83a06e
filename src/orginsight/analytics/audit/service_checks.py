"""Checks of the regional security services: GuardDuty, Security Hub, Config, Inspector, Access Analyzer,
Detective and Macie. Each is a pure function (``AuditInput``, ``Expectations``) -> result rows.

Membership per account and region is the coverage matrix's reading (``base.per_account_region`` over the
registry's ``Coverage``); organization settings are read from the recorded pages through the collectors'
transforms where one exists, else from the recorded response itself.
"""

from __future__ import annotations

from typing import Any

from orginsight.analytics.audit.base import (
    FAIL,
    PASS,
    UNKNOWN,
    Row,
    delegated_admin,
    per_account_region,
    per_region,
    regions,
    row,
)
from orginsight.analytics.audit.expectations import Expectations
from orginsight.analytics.audit.inputs import AuditInput
from orginsight.collectors.guardduty import guardduty_frames


def _auto_enabled(value: Any, wanted: str) -> bool:
    """Whether a GuardDuty auto-enable value (ALL, NEW, NONE) is at least ``wanted`` (ALL > NEW)."""
    return value == "ALL" or (wanted == "NEW" and value == "NEW")


def _guardduty_regions(inp: AuditInput, exp: Expectations, judge: Any) -> list[Row]:
    """Per expected region: ``judge`` (that region's organization configuration rows) -> (status, found)."""
    config = guardduty_frames(inp.recording)["organization_configuration"]

    def judged(region: str) -> tuple[str, str]:
        here = config[config["region"] == region]
        return (
            (FAIL, "no organization configuration (no administrator detector here)")
            if here.empty
            else judge(here)
        )

    missing = "no GuardDuty state in {region}: run 'orginsight collect guardduty'"
    return per_region(inp, exp, inp.recording.regions("guardduty"), missing, judged)


def guardduty_delegated_admin(inp: AuditInput, exp: Expectations) -> list[Row]:
    return delegated_admin(inp, exp, "guardduty.amazonaws.com")


def guardduty_auto_enable(inp: AuditInput, exp: Expectations) -> list[Row]:
    def judge(here: Any) -> tuple[str, str]:
        value = here["auto_enable_organization_members"].iloc[-1]
        ok = _auto_enabled(value, exp.guardduty_auto_enable)
        return (
            (PASS, f"auto-enable {value}")
            if ok
            else (FAIL, f"auto-enable {value}, not {exp.guardduty_auto_enable}")
        )

    return _guardduty_regions(inp, exp, judge)


def guardduty_protection_plans(inp: AuditInput, exp: Expectations) -> list[Row]:
    def judge(here: Any) -> tuple[str, str]:
        found = dict(zip(here["feature"], here["auto_enable"], strict=False))
        short = [
            f"{f} {found.get(f) or 'absent'}"
            for f in exp.guardduty_features
            if not _auto_enabled(found.get(f), exp.guardduty_auto_enable or "NEW")
        ]
        return (FAIL, "; ".join(short)) if short else (PASS, "every required plan auto-enabled")

    return _guardduty_regions(inp, exp, judge)


def guardduty_members(inp: AuditInput, exp: Expectations) -> list[Row]:
    return per_account_region(inp, exp, "GuardDuty", "guardduty", "guardduty")


def securityhub_delegated_admin(inp: AuditInput, exp: Expectations) -> list[Row]:
    return delegated_admin(inp, exp, "securityhub.amazonaws.com")


def _recorded(inp: AuditInput, api: str, operation: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (region, response)
        for region in inp.recording.regions(api)
        for response in inp.recording.responses(api, region, operation)
    ]


def securityhub_aggregation(inp: AuditInput, exp: Expectations) -> list[Row]:
    found = _recorded(inp, "securityhub", "list_finding_aggregators")
    if not found:
        return [row(UNKNOWN, "ListFindingAggregators not recorded: run 'orginsight collect securityhub'")]
    arns = [a["FindingAggregatorArn"] for _r, resp in found for a in resp.get("FindingAggregators", [])]
    if not arns:
        return [row(FAIL, "no finding aggregator: each region's findings stay in that region")]
    return [row(PASS, f"finding aggregator {arns[0]}")]


def securityhub_central_configuration(inp: AuditInput, exp: Expectations) -> list[Row]:
    found = _recorded(inp, "securityhub", "describe_organization_configuration")
    if not found:
        return [
            row(
                UNKNOWN,
                "Security Hub's DescribeOrganizationConfiguration is not recorded (not collected yet)",
            )
        ]
    r = found[-1][1]
    kind = (r.get("OrganizationConfiguration") or {}).get("ConfigurationType") or "LOCAL"
    if kind == "CENTRAL":
        return [row(PASS, "central configuration")]
    auto = "auto-enable on" if r.get("AutoEnable") else "auto-enable off"
    return [row(FAIL, f"{kind} configuration, {auto}")]


def securityhub_members(inp: AuditInput, exp: Expectations) -> list[Row]:
    return per_account_region(inp, exp, "Security Hub", "securityhub", "securityhub")


def config_aggregator(inp: AuditInput, exp: Expectations) -> list[Row]:
    found = _recorded(inp, "config", "describe_configuration_aggregators")
    if not found:
        return [row(UNKNOWN, "no Config aggregator recorded: run 'orginsight collect config'")]
    wanted = set(regions(inp, exp))
    seen = []
    for _region, resp in found:
        for a in resp.get("ConfigurationAggregators", []):
            source = a.get("OrganizationAggregationSource")
            if not source:
                seen.append(f"{a['ConfigurationAggregatorName']} (account list)")
                continue
            missing = set() if source.get("AllAwsRegions") else wanted - set(source.get("AwsRegions", []))
            if not missing:
                return [row(PASS, f"organization aggregator {a['ConfigurationAggregatorName']}")]
            seen.append(
                f"{a['ConfigurationAggregatorName']} (organization, misses {', '.join(sorted(missing))})"
            )
    return [
        row(FAIL, "no organization aggregator of every region" + (f": {'; '.join(seen)}" if seen else ""))
    ]


def config_recording(inp: AuditInput, exp: Expectations) -> list[Row]:
    return per_account_region(inp, exp, "Config", "config", "config")


def inspector_delegated_admin(inp: AuditInput, exp: Expectations) -> list[Row]:
    return delegated_admin(inp, exp, "inspector2.amazonaws.com")


INSPECTOR_KEYS = {"EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda", "LAMBDA_CODE": "lambdaCode"}
"""Scan type -> key of Inspector's ``autoEnable`` (DescribeOrganizationConfiguration, inspector2 2024)."""


def inspector_auto_enable(inp: AuditInput, exp: Expectations) -> list[Row]:
    found = dict(_recorded(inp, "inspector2", "describe_organization_configuration"))

    def judge(region: str) -> tuple[str, str]:
        auto = found[region].get("autoEnable") or {}
        off = [t for t in exp.inspector_auto_enable if not auto.get(INSPECTOR_KEYS[t])]
        return (
            (FAIL, f"auto-enable off for {', '.join(off)}")
            if off
            else (PASS, f"auto-enable {', '.join(exp.inspector_auto_enable)}")
        )

    missing = "Inspector's DescribeOrganizationConfiguration is not recorded here"
    return per_region(inp, exp, found, missing, judge)


def inspector_scan_types(inp: AuditInput, exp: Expectations) -> list[Row]:
    return per_account_region(inp, exp, "Inspector", "inspector2", "inspector", exp.inspector_auto_enable)


def accessanalyzer_organization(inp: AuditInput, exp: Expectations) -> list[Row]:
    """An ACTIVE organization analyzer per region: the coverage matrix's organization-wide entry."""

    def judge(region: str) -> tuple[str, str]:
        analyzers = [
            a
            for r in inp.recording.responses("accessanalyzer", region, "list_analyzers")
            for a in r.get("analyzers", [])
        ]
        org = [
            a["name"] for a in analyzers if a.get("type") == "ORGANIZATION" and a.get("status") == "ACTIVE"
        ]
        return (
            (PASS, f"organization analyzer {org[0]}")
            if org
            else (FAIL, f"no active organization analyzer ({len(analyzers)} other analyzer(s))")
        )

    missing = "no analyzers recorded here: run 'orginsight collect accessanalyzer'"
    return per_region(inp, exp, inp.recording.regions("accessanalyzer"), missing, judge)


def detective_delegated_admin(inp: AuditInput, exp: Expectations) -> list[Row]:
    """Detective is not collected: Organizations' list of delegated administrators is the only evidence."""
    return delegated_admin(inp, exp, "detective.amazonaws.com", unlisted=UNKNOWN)


def macie_delegated_admin(inp: AuditInput, exp: Expectations) -> list[Row]:
    return delegated_admin(inp, exp, "macie.amazonaws.com")


def macie_members(inp: AuditInput, exp: Expectations) -> list[Row]:
    return per_account_region(inp, exp, "Macie", "macie2", "macie")
