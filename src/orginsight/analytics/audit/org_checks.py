"""Checks of what the organization sets once for all: the organization trail, Storage Lens, Identity Center
session durations by OU, guardrail SCPs and baseline StackSets. Each is a pure function (``AuditInput``,
``Expectations``) -> result rows; the last three read the wave-1 collectors' tables through their pure
analytics (``analytics.guardrails``, ``analytics.stacksets``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from orginsight.analytics.audit.base import FAIL, PASS, UNKNOWN, Row, row
from orginsight.analytics.audit.expectations import AUTO_DEPLOYED, Expectations
from orginsight.analytics.audit.inputs import AuditInput
from orginsight.analytics.guardrails import (
    CONDITIONAL,
    DENIED,
    EXEMPT,
    GUARDRAILS,
    effective_scps,
    guardrail_coverage,
)
from orginsight.analytics.posture.coverage import trail_status
from orginsight.analytics.stacksets import missing_baseline
from orginsight.collectors.service import EVERY_ACCOUNT

# ----------------------------------------------------------------------------- organization trail


def _organization_trails(inp: AuditInput) -> list[dict[str, Any]] | None:
    """Organization trails in the recorded DescribeTrails; None when CloudTrail was not recorded at all."""
    regions = inp.recording.regions("cloudtrail")
    if not regions:
        return None
    return [
        t
        for region in regions
        for r in inp.recording.responses("cloudtrail", region, "describe_trails")
        for t in r.get("trailList", [])
        if t.get("IsOrganizationTrail")
    ]


NO_TRAIL_STATE = "no recorded CloudTrail DescribeTrails in the lake's api/cloudtrail/"


def trail_property(field: str, what: str) -> Callable[[AuditInput, Expectations], list[Row]]:
    """A check that some organization trail has ``field`` set (``what`` names it in the evidence)."""

    def check(inp: AuditInput, exp: Expectations) -> list[Row]:
        trails = _organization_trails(inp)
        if trails is None:
            return [row(UNKNOWN, NO_TRAIL_STATE)]
        if not trails:
            return [row(FAIL, "no organization trail")]
        good = [t["Name"] for t in trails if t.get(field)]
        if good:
            return [row(PASS, f"{what}: trail {good[0]}")]
        return [row(FAIL, f"no {what}: " + ", ".join(t["Name"] for t in trails))]

    check.__name__ = f"trail_{field}"
    return check


def trail_logging(inp: AuditInput, exp: Expectations) -> list[Row]:
    status = trail_status(inp.recording)
    if not status:
        return [row(UNKNOWN, NO_TRAIL_STATE)]
    on = status[(EVERY_ACCOUNT, "all")]
    return [row(PASS, "organization trail logging") if on else row(FAIL, "no organization trail is logging")]


# ----------------------------------------------------------------------------- Storage Lens


def storagelens_dashboard(inp: AuditInput, exp: Expectations) -> list[Row]:
    """An enabled organization-level dashboard (``AwsOrg`` in its configuration) with an S3 export: from
    GetStorageLensConfiguration when recorded; an export folder in the lake counts as the export."""
    listed = [
        c
        for region in inp.recording.regions("s3control")
        for r in inp.recording.responses("s3control", region, "list_storage_lens_configurations")
        for c in r.get("StorageLensConfigurationList", [])
    ]
    details = {
        r["StorageLensConfiguration"]["Id"]: r["StorageLensConfiguration"]
        for region in inp.recording.regions("s3control")
        for r in inp.recording.responses("s3control", region, "get_storage_lens_configuration")
        if "StorageLensConfiguration" in r
    }
    if not listed and not details:
        return [row(UNKNOWN, "no Storage Lens configurations recorded (s3control)")]
    enabled = [c["Id"] for c in listed if c.get("IsEnabled")] or [
        i for i, d in details.items() if d.get("IsEnabled")
    ]
    if not enabled:
        return [row(FAIL, "no enabled Storage Lens dashboard")]
    for config_id in enabled:
        d = details.get(config_id)
        exported = bool(d and d.get("DataExport")) or config_id in inp.storage_lens_exports
        if d is not None and d.get("AwsOrg") and (exported or not exp.storagelens_export):
            return [row(PASS, f"organization dashboard {config_id}" + (" with export" if exported else ""))]
    if any(i not in details for i in enabled):
        seen = ", ".join(
            f"{i}{' (export in lake)' if i in inp.storage_lens_exports else ''}" for i in enabled
        )
        return [row(UNKNOWN, f"dashboards {seen}: their scope is not recorded (GetStorageLensConfiguration)")]
    return [row(FAIL, "no organization dashboard" + (" with export" if exp.storagelens_export else ""))]


# ----------------------------------------------------------------------------- Identity Center


def max_session_for(ou_path: Any, exp: Expectations) -> tuple[int, str]:
    """The longest session allowed in an OU path (``Root/Workloads/Prod``): the longest matching prefix of
    ``max_session_s``, written with or without the root's name; else the default. Returns (seconds, rule)."""
    parts = str(ou_path).split("/") if isinstance(ou_path, str) and ou_path else []
    candidates = ["/".join(parts[:n]) for n in range(len(parts), 0, -1)]
    candidates += ["/".join(parts[1:n]) for n in range(len(parts), 1, -1)]
    best = max(
        ((p, s) for p, s in exp.max_session_s.items() if p in candidates),
        key=lambda ps: len(ps[0].split("/")),
        default=None,
    )
    return (best[1], best[0]) if best else (exp.default_max_session_s, "default")


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:g}h"


def identitycenter_session_duration(inp: AuditInput, exp: Expectations) -> list[Row]:
    frames = inp.identitycenter
    accounts = inp.active_accounts()
    if frames is None:
        return [
            row(UNKNOWN, "Identity Center not read: run 'orginsight collect identitycenter'", a)
            for a in accounts["account_id"]
        ]
    sets = frames["permission_sets"].set_index("permission_set_arn")
    assignments = frames["account_assignments"]
    rows = []
    for a in accounts.to_dict("records"):
        limit, rule = max_session_for(a.get("ou_path"), exp)
        held = sorted(set(assignments[assignments["account_id"] == a["account_id"]]["permission_set_arn"]))
        long = [
            f"{sets.loc[arn, 'name']} {_hours(sets.loc[arn, 'session_duration_s'])}"
            for arn in held
            if arn in sets.index
            and pd.notna(sets.loc[arn, "session_duration_s"])
            and sets.loc[arn, "session_duration_s"] > limit
        ]
        if long:
            rows.append(row(FAIL, f"{', '.join(long)} > {_hours(limit)} ({rule})", a["account_id"]))
        else:
            rows.append(
                row(
                    PASS,
                    f"{len(held)} permission set(s), none over {_hours(limit)} ({rule})",
                    a["account_id"],
                )
            )
    return rows


# ----------------------------------------------------------------------------- guardrail SCPs


def guardrail_scps(inp: AuditInput, exp: Expectations) -> list[Row]:
    accounts = inp.active_accounts()
    if inp.guardrails is None or inp.ous is None:
        return [
            row(UNKNOWN, "SCPs not read: run 'orginsight collect guardrails'", a)
            for a in accounts["account_id"]
        ]
    policies, targets = inp.guardrails["policies"], inp.guardrails["policy_targets"]
    effective = effective_scps(policies, targets, accounts, inp.ous, inp.management_account_id)
    wanted = [g for g in GUARDRAILS if g.name in exp.guardrails_required]
    coverage = guardrail_coverage(effective, policies, wanted)
    passing = {DENIED, EXEMPT} | ({CONDITIONAL} if exp.guardrails_conditional_passes else set())
    rows = []
    for account in accounts["account_id"]:
        mine = coverage[coverage["account_id"] == account]
        if mine.empty:
            rows.append(row(UNKNOWN, "no SCP attachment read for this account", account))
            continue
        if (mine["status"] == EXEMPT).all():
            rows.append(row(PASS, "management account: SCPs do not apply (exempt)", account))
            continue
        bad = mine[~mine["status"].isin(passing)]
        if bad.empty:
            rows.append(row(PASS, f"{len(mine)} guardrail(s) denied", account))
        else:
            found = "; ".join(
                f"{g['guardrail']} {g['status']}"
                + (f" ({g['missing_actions']})" if g["missing_actions"] else "")
                for g in bad.to_dict("records")
            )
            rows.append(row(FAIL, found, account))
    return rows


# ----------------------------------------------------------------------------- baseline StackSets


def baseline_stacksets(inp: AuditInput, exp: Expectations) -> list[Row]:
    """Each baseline stack set in every member account, current and without drift, in every region where the
    stack set has instances (service-managed stack sets never deploy to the management account)."""
    accounts = inp.active_accounts()
    accounts = accounts[accounts["account_id"] != inp.management_account_id]
    if inp.stacksets is None:
        return [
            row(UNKNOWN, "StackSets not read: run 'orginsight collect stacksets'", a)
            for a in accounts["account_id"]
        ]
    instances, sets = inp.stacksets["stack_instances"], inp.stacksets["stack_sets"]
    known = set(sets["stack_set_name"]) | set(instances["stack_set_name"])
    names = (
        sorted(set(sets[_auto_deployed(sets)]["stack_set_name"]))
        if exp.baseline_stacksets == AUTO_DEPLOYED
        else list(exp.baseline_stacksets)
    )
    problems: dict[str, list[str]] = {a: [] for a in accounts["account_id"]}
    for name in names:
        if name not in known:
            for a in problems:
                problems[a].append(f"{name} not found")
            continue
        where = sorted(set(instances[instances["stack_set_name"] == name]["region"]))
        for p in missing_baseline(instances, accounts, [name], where).to_dict("records"):
            problems[p["account_id"]].append(f"{name} {p['problem']} in {p['region']}")
    return [
        row(FAIL, "; ".join(found), a) if found else row(PASS, f"{len(names)} baseline(s) in place", a)
        for a, found in problems.items()
    ]


def _auto_deployed(stack_sets: pd.DataFrame) -> pd.Series:
    """Service-managed stack sets whose automatic deployment is on (CloudFormation AutoDeployment)."""
    return (stack_sets["permission_model"] == "SERVICE_MANAGED") & (stack_sets["auto_deployment"] == True)  # noqa: E712
