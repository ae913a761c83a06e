"""Identity Center, guardrail SCPs and the baseline stack set of the demo organization: weekly snapshots,
the newest API pages and the planted gaps the centralization audit must find (``centralization_gaps``).

Like ``services.write_posture_services``: each state answers "what would the API return at time t", every
weekly snapshot runs the collector's own ``frames`` on those pages (so trends read demo and live
collections alike), and the newest pages go to ``<lake>/api/``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from orginsight.collectors.registry import SERVICES
from orginsight.collectors.snapshots import write_snapshot
from orginsight.demo.exposure import Calls, merge, snapshot_times
from orginsight.demo.governance import Governance
from orginsight.demo.identity import IdentityCenter
from orginsight.demo.org import REGIONS, Organization
from orginsight.demo.services import org_accounts, recording_of

COLLECTORS = ("identitycenter", "guardrails", "stacksets")


def governance_responses(org: Organization, seed: int, t: datetime) -> dict[str, Calls]:
    """Collector name -> its recorded responses at ``t``."""
    sso, gov = IdentityCenter(org, seed), Governance(org, seed)
    return {
        "identitycenter": sso.responses(t),
        "guardrails": gov.scp_responses(),
        "stacksets": gov.stackset_responses(t),
    }


def all_governance_responses(org: Organization, seed: int, t: datetime) -> Calls:
    """Every recorded response of the three collectors at ``t``, keyed like ``org.service_responses``."""
    out: Calls = {}
    for calls in governance_responses(org, seed, t).values():
        merge(out, calls)
    return out


def centralization_gaps(org: Organization, seed: int) -> dict:
    """What the audit must find, and what it must not count as a gap (``by_design``)."""
    gov = Governance(org, seed).truth()
    return {
        **gov,
        "long_session": IdentityCenter(org, seed).truth(),
        "coverage_holes": {
            "guardduty_not_enabled": {
                "account": org.guardduty_disabled.id,
                "account_name": org.guardduty_disabled.name,
                "regions": list(REGIONS),
                "why": "its GuardDuty membership is disabled in every region (org.service_responses)",
            }
        }
        if org.guardduty_disabled
        else {},
        "unknown_by_design": {
            "securityhub_central_configuration": "the Security Hub collector does not call "
            "DescribeOrganizationConfiguration, so the demo records nothing for it",
            "inspector_auto_enable": "the Inspector collector does not call DescribeOrganizationConfiguration, "
            "so the demo records nothing for it",
        },
        "by_design": {
            "stackset_management_account": {
                "account": org.management.id,
                "why": "service-managed stack sets never deploy to the management account",
            },
            "organization_trail_guardrail": {
                "guardrails": ["cloudtrail-logging", "cloudtrail-configuration"],
                "status": "conditional",
                "why": "the SCP protects the organization trail only (Resource: its ARN); "
                "members' own trails are theirs (the leaked-key incident stops one)",
            },
            "coverage_history": {
                "holes": ["cloudtrail_gap", "joined_mid_period", "member_trail_deleted"],
                "why": "scenario.json 'coverage' holes in time (a logging gap, a late joiner, a member's own "
                "trail): the audit reads the newest state, the coverage matrix and hunts find these",
            },
            "management_account_scps": {
                "account": org.management.id,
                "why": "SCPs never restrict the management account (exempt)",
            },
        },
    }


def newest_governance_responses(org: Organization, seed: int) -> Calls:
    """The pages of the newest snapshot: what ``generate._write_api`` records under ``<lake>/api/``."""
    return all_governance_responses(org, seed, snapshot_times(org)[-1])


def write_governance_snapshots(lake: str | Path, org: Organization, seed: int) -> dict:
    """Write 13 weekly snapshots per collector; returns ``centralization_gaps``."""
    accounts = org_accounts(org)
    for t in snapshot_times(org):
        for name, calls in governance_responses(org, seed, t).items():
            frames = SERVICES[name].frames(recording_of(calls), accounts)
            write_snapshot(lake, name, frames, [], collected_at=t.replace(tzinfo=UTC), source="demo")
    return centralization_gaps(org, seed)
