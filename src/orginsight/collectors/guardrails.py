"""Organizations guardrails: service control policies (and resource control policies) and where they attach.

Runs in the management account or an Organizations delegated administrator (the policy-management
delegation, 2024): ``ListPolicies`` per policy type, then per policy ``DescribePolicy`` (its JSON
content) and ``ListTargetsForPolicy`` (the root, OUs and accounts it is attached to). Organizations is a
global service (endpoint us-east-1 in the aws partition) that throttles early, so the per-policy calls
run on few threads (``organizations.ORG_WORKERS``).

Which policies apply to an account, and whether they protect the security services, is the pure
``orginsight.analytics.guardrails`` (``effective_scps``, ``guardrail_coverage``) over these two tables
and the ``org`` collector's ``accounts`` and ``ous``.
"""

from __future__ import annotations

from typing import Any, Unpack

import pandas as pd

from orginsight.collectors.calls import RecordedCalls
from orginsight.collectors.fanout import OutcomeLog, Target, fan_out
from orginsight.collectors.organizations import ORG_WORKERS
from orginsight.collectors.recording import GLOBAL, ApiRecording, Call
from orginsight.collectors.service import LiveRun, RunOptions, Service, collect_live

SERVICE = "organizations"

POLICY_TYPES: tuple[str, ...] = ("SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY")
"""Policy types read. SCPs cap what principals in an account may do; RCPs (Nov 2024) cap what may be done
to the account's resources. An organization without RCPs enabled still lists the AWS-managed
``RCPFullAWSAccess``; a type the API refuses is an outcome, the other type is still read."""

POLICY_COLUMNS = ["policy_id", "policy_type", "name", "description", "aws_managed", "arn", "content"]
TARGET_COLUMNS = ["policy_id", "target_id", "target_type", "target_name", "arn"]


# ----------------------------------------------------------------------------- get (API pages)


def get_guardrails(
    connection: Any,
    recording: ApiRecording,
    log: OutcomeLog,
    policy_types: tuple[str, ...] = POLICY_TYPES,
    workers: int = ORG_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record every policy of ``policy_types``, its content and its targets (``workers`` policies at a
    time); failures go to ``log``."""
    api = RecordedCalls(connection.client(SERVICE, connection.home_region), recording, log, SERVICE, GLOBAL)
    ids = [
        p["Id"]
        for policy_type in policy_types
        for page in api.pages("list_policies", Filter=policy_type) or []
        for p in page.get("Policies", [])
    ]

    def policy(target: Target) -> int:
        policy_id = target.detail or ""
        api.one("describe_policy", PolicyId=policy_id)
        pages = api.pages("list_targets_for_policy", PolicyId=policy_id) or []
        return sum(len(page.get("Targets", [])) for page in pages)

    fan_out(
        policy,
        [Target(None, GLOBAL, i) for i in ids],
        log,
        "organization policies",
        workers=workers,
        progress=progress,
    )
    return recording


# ----------------------------------------------------------------------------- transform (pure)


def transform_policies(list_calls: list[Call], describe_calls: list[Call]) -> pd.DataFrame:
    """One row per policy, from ListPolicies pages, with its JSON text from DescribePolicy (None when that
    call failed: the policy is known but its content is not, which the coverage reads as unknown)."""
    content = {
        c["response"]["Policy"]["PolicySummary"]["Id"]: c["response"]["Policy"].get("Content")
        for c in describe_calls
    }
    summaries = [p for c in list_calls for p in c["response"].get("Policies", [])]
    summaries += [c["response"]["Policy"]["PolicySummary"] for c in describe_calls]  # described, not listed
    rows = [
        {
            "policy_id": p["Id"],
            "policy_type": p.get("Type"),
            "name": p.get("Name"),
            "description": p.get("Description"),
            "aws_managed": p.get("AwsManaged"),
            "arn": p.get("Arn"),
            "content": content.get(p["Id"]),
        }
        for p in summaries
    ]
    df = pd.DataFrame(rows, columns=POLICY_COLUMNS).drop_duplicates("policy_id")
    return df.sort_values(["policy_type", "name"], na_position="last").reset_index(drop=True)


def transform_policy_targets(target_calls: list[Call]) -> pd.DataFrame:
    """One row per (policy, target) from ListTargetsForPolicy calls; the policy comes from each call's params.
    ``target_type`` is ROOT, ORGANIZATIONAL_UNIT or ACCOUNT."""
    rows = [
        {
            "policy_id": c["params"]["PolicyId"],
            "target_id": t["TargetId"],
            "target_type": t.get("Type"),
            "target_name": t.get("Name"),
            "arn": t.get("Arn"),
        }
        for c in target_calls
        for t in c["response"].get("Targets", [])
    ]
    df = pd.DataFrame(rows, columns=TARGET_COLUMNS).drop_duplicates(["policy_id", "target_id"])
    return df.sort_values(["policy_id", "target_id"]).reset_index(drop=True)


def guardrails_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The policies and their targets from recorded pages (``org`` is ignored: targets name themselves)."""

    def calls(op: str) -> list[Call]:
        return recording.calls(SERVICE, GLOBAL, op)

    return {
        "policies": transform_policies(calls("list_policies"), calls("describe_policy")),
        "policy_targets": transform_policy_targets(calls("list_targets_for_policy")),
    }


def collect_guardrails(connection: Any, **run: Unpack[LiveRun]) -> dict[str, pd.DataFrame]:
    """Live policies and targets; each frame's ``attrs["failures"]`` lists what could not be read."""
    return collect_live(
        guardrails_frames,
        lambda recording, log, _workers, progress: get_guardrails(
            connection, recording, log, progress=progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect guardrails``: every policy, from the global endpoint (no regions to report)."""
    get_guardrails(connection, recording, log, progress=options.progress)
    return []


CALLS = ("describe_policy", "list_policies", "list_targets_for_policy")
"""The Organizations operations ``get_guardrails`` calls."""

GUARDRAILS = Service(
    api=SERVICE,
    name="guardrails",
    calls=CALLS,
    tables=(transform_policies, transform_policy_targets),
    frames=guardrails_frames,
    get=get_for_run,
)
"""Organization policies in the registry (``orginsight.collectors.registry.SERVICES["guardrails"]``)."""
