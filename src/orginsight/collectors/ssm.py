"""AWS Systems Manager per account and region: managed nodes, compliance, patch states, unmanaged EC2.

SSM has no organization-wide read API for node state (the organization-wide path is the resource
data sync in S3, a lake source that is not this module), so every call runs in each account and
region, through the member role when one is given:

- ``describe_instance_information`` (paginated): the managed nodes, with ping status and agent;
- ``list_resource_compliance_summaries`` (paginated), once per compliance type (Patch, Association);
- ``describe_instance_patch_states`` for the managed node ids, at most 50 ids a call
  (InstanceIds has a maximum of 50 items, SSM API Reference, 2024);
- EC2 ``describe_instances`` (running and pending instances only): an instance whose id is absent
  from ``describe_instance_information`` is *unmanaged*. A stopped or terminated instance is not:
  its agent cannot ping, and it is not a gap in patching coverage.

An instance is only called unmanaged where the managed-node walk finished (its last page had no
NextToken): after a throttled or denied ``describe_instance_information`` nothing is guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any, Unpack

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, record_targets
from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog
from orginsight.collectors.organizations import list_account_ids
from orginsight.collectors.recording import ApiRecording, Call, dig, entries
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import Coverage, Covered, LiveRun, RunOptions, Service, Table, collect_live
from orginsight.sources.findings import to_utc
from orginsight.timerange import parse_time

SERVICE = "ssm"
EC2 = "ec2"
PATCH_STATES_BATCH = 50
"""DescribeInstancePatchStates takes at most 50 InstanceIds (SSM API Reference, 2024)."""
COMPLIANCE_TYPES = ("Patch", "Association")
"""The compliance types read: patching (Patch Manager) and State Manager associations."""
LIVE_STATES = ("pending", "running")
"""EC2 states in which an instance without SSM is a coverage gap (stopped/terminated ones are not)."""

MANAGED_NODE_COLUMNS = [
    "account_id",
    "region",
    "instance_id",
    "resource_type",
    "ping_status",
    "last_ping_at",
    "platform_type",
    "platform_name",
    "platform_version",
    "agent_version",
    "is_latest_version",
    "computer_name",
    "ip_address",
    "association_status",
]
COMPLIANCE_COLUMNS = [
    "account_id",
    "region",
    "resource_id",
    "resource_type",
    "compliance_type",
    "status",
    "overall_severity",
    "compliant_count",
    "non_compliant_count",
    "critical_non_compliant",
    "high_non_compliant",
    "execution_type",
    "execution_time",
]
PATCH_STATE_COLUMNS = [
    "account_id",
    "region",
    "instance_id",
    "patch_group",
    "baseline_id",
    "operation",
    "operation_end_time",
    "last_install_time",
    "installed_count",
    "installed_other_count",
    "installed_pending_reboot_count",
    "installed_rejected_count",
    "missing_count",
    "failed_count",
    "critical_non_compliant",
    "security_non_compliant",
    "other_non_compliant",
    "not_applicable_count",
]
UNMANAGED_COLUMNS = [
    "account_id",
    "region",
    "instance_id",
    "state",
    "platform",
    "instance_type",
    "launch_time",
    "iam_instance_profile",
    "name",
]


# ----------------------------------------------------------------------------- get (API pages)


def get_ssm_target(ssm: RecordedCalls, connection: Any) -> int:
    """Record managed nodes, compliance summaries, patch states and live EC2 instances in one account
    and region; returns the number of managed nodes. Each failed call is an outcome; the rest goes on."""
    nodes = ssm.pages("describe_instance_information")
    managed = [n["InstanceId"] for page in nodes or [] for n in page.get("InstanceInformationList", [])]
    for kind in COMPLIANCE_TYPES:
        ssm.pages(
            "list_resource_compliance_summaries",
            Filters=[{"Key": "ComplianceType", "Values": [kind], "Type": "EQUAL"}],
        )
    for start in range(0, len(managed), PATCH_STATES_BATCH):
        ssm.pages("describe_instance_patch_states", InstanceIds=managed[start : start + PATCH_STATES_BATCH])
    if nodes is not None:  # without the managed nodes, "unmanaged" would mean every instance
        client = connection.client("ec2", ssm.region, ssm.account)
        ec2 = RecordedCalls(client, ssm.recording, ssm.log, EC2, ssm.region, ssm.account)
        ec2.pages(
            "describe_instances", Filters=[{"Name": "instance-state-name", "Values": list(LIVE_STATES)}]
        )
    ssm.log.ok(ssm.account, ssm.region, "ssm", items=len(managed))
    return len(managed)


def get_ssm(
    connection: Any,
    accounts: Sequence[str | None],
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record every account x region (``None``: the connection's own account)."""
    step = partial(get_ssm_target, connection=connection)
    return record_targets(
        connection, SERVICE, step, regions, recording, log, accounts, workers, progress, label="ssm"
    )


# ----------------------------------------------------------------------------- transform (pure)


def _utc(value: Any) -> pd.Timestamp | None:
    """A recorded time as UTC: ISO text (boto3's datetimes, as recorded) or epoch seconds (the JSON
    wire form, as aws-cli prints it); None when missing or unreadable."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pd.Timestamp(parse_time(value))
    return to_utc(value)


def transform_managed_nodes(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Managed-node rows from DescribeInstanceInformation pages."""
    return [
        {
            "account_id": call.get("account"),
            "region": region,
            "instance_id": n["InstanceId"],
            "resource_type": n.get("ResourceType"),
            "ping_status": n.get("PingStatus"),
            "last_ping_at": _utc(n.get("LastPingDateTime")),
            "platform_type": n.get("PlatformType"),
            "platform_name": n.get("PlatformName"),
            "platform_version": n.get("PlatformVersion"),
            "agent_version": n.get("AgentVersion"),
            "is_latest_version": n.get("IsLatestVersion"),
            "computer_name": n.get("ComputerName"),
            "ip_address": n.get("IPAddress"),
            "association_status": n.get("AssociationStatus"),
        }
        for call, n in entries(calls, "InstanceInformationList")
    ]


def transform_compliance(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Per resource and compliance type rows from ListResourceComplianceSummaries pages."""
    non_compliant = ("NonCompliantSummary", "SeveritySummary")
    return [
        {
            "account_id": call.get("account"),
            "region": region,
            "resource_id": item["ResourceId"],
            "resource_type": item.get("ResourceType"),
            "compliance_type": item.get("ComplianceType"),
            "status": item.get("Status"),
            "overall_severity": item.get("OverallSeverity"),
            "compliant_count": dig(item, "CompliantSummary", "CompliantCount"),
            "non_compliant_count": dig(item, "NonCompliantSummary", "NonCompliantCount"),
            "critical_non_compliant": dig(item, *non_compliant, "CriticalCount"),
            "high_non_compliant": dig(item, *non_compliant, "HighCount"),
            "execution_type": dig(item, "ExecutionSummary", "ExecutionType"),
            "execution_time": _utc(dig(item, "ExecutionSummary", "ExecutionTime")),
        }
        for call, item in entries(calls, "ResourceComplianceSummaryItems")
    ]


def transform_patch_states(region: str, calls: list[Call]) -> list[dict[str, Any]]:
    """Per instance patch rows from DescribeInstancePatchStates pages.

    ``last_install_time`` is the last *install*: an ``Install`` operation's end or
    ``LastNoRebootInstallOperationTime``, whichever is later (a ``Scan`` reports what is missing but
    patches nothing); None when no install is known. Days since it are not a column: counted to the
    clock, the same pages would give other rows on another day, so a snapshot (demo or live) would not
    be a pure function of its pages. ``analytics.posture.patch_compliance_trend`` counts them to each
    snapshot's ``collected_at``.
    """
    rows = []
    for call, s in entries(calls, "InstancePatchStates"):
        end = _utc(s.get("OperationEndTime"))
        installs = [t for t in (_utc(s.get("LastNoRebootInstallOperationTime")),) if t is not None]
        if s.get("Operation") == "Install" and end is not None:
            installs.append(end)
        last_install = max(installs) if installs else None
        rows.append(
            {
                "account_id": call.get("account"),
                "region": region,
                "instance_id": s["InstanceId"],
                "patch_group": s.get("PatchGroup"),
                "baseline_id": s.get("BaselineId"),
                "operation": s.get("Operation"),
                "operation_end_time": end,
                "last_install_time": last_install,
                "installed_count": s.get("InstalledCount"),
                "installed_other_count": s.get("InstalledOtherCount"),
                "installed_pending_reboot_count": s.get("InstalledPendingRebootCount"),
                "installed_rejected_count": s.get("InstalledRejectedCount"),
                "missing_count": s.get("MissingCount"),
                "failed_count": s.get("FailedCount"),
                "critical_non_compliant": s.get("CriticalNonCompliantCount"),
                "security_non_compliant": s.get("SecurityNonCompliantCount"),
                "other_non_compliant": s.get("OtherNonCompliantCount"),
                "not_applicable_count": s.get("NotApplicableCount"),
            }
        )
    return rows


def transform_unmanaged(
    region: str, instance_calls: list[Call], node_calls: list[Call]
) -> list[dict[str, Any]]:
    """Pending or running EC2 instances (DescribeInstances pages) that no managed node names.

    Only for accounts whose DescribeInstanceInformation walk in ``region`` was read to its last page
    (a recorded page without NextToken); elsewhere nothing is known to be unmanaged.
    """
    complete = {c.get("account") for c in node_calls if not c["response"].get("NextToken")}
    managed = {
        (c.get("account"), n["InstanceId"])
        for c in node_calls
        for n in c["response"].get("InstanceInformationList", [])
    }
    rows = []
    for call in instance_calls:
        account = call.get("account")
        if account not in complete:
            continue
        for reservation in call["response"].get("Reservations", []):
            for i in reservation.get("Instances", []):
                state = (i.get("State") or {}).get("Name")
                if state not in LIVE_STATES or (account, i["InstanceId"]) in managed:
                    continue
                tags = {t.get("Key"): t.get("Value") for t in i.get("Tags") or []}
                rows.append(
                    {
                        "account_id": account or reservation.get("OwnerId"),
                        "region": region,
                        "instance_id": i["InstanceId"],
                        "state": state,
                        "platform": i.get("PlatformDetails") or i.get("Platform"),
                        "instance_type": i.get("InstanceType"),
                        "launch_time": _utc(i.get("LaunchTime")),
                        "iam_instance_profile": (i.get("IamInstanceProfile") or {}).get("Arn"),
                        "name": tags.get("Name"),
                    }
                )
    return rows


def ssm_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """Every Systems Manager table from recorded pages: managed_nodes, compliance, patch_states,
    unmanaged_instances (``org`` is not needed: every call carries its account)."""
    nodes, compliance, patches, unmanaged = [], [], [], []
    for region in recording.regions(SERVICE):
        node_calls = recording.calls(SERVICE, region, "describe_instance_information")
        nodes += transform_managed_nodes(region, node_calls)
        compliance += transform_compliance(
            region, recording.calls(SERVICE, region, "list_resource_compliance_summaries")
        )
        patches += transform_patch_states(
            region, recording.calls(SERVICE, region, "describe_instance_patch_states")
        )
        unmanaged += transform_unmanaged(
            region, recording.calls(EC2, region, "describe_instances"), node_calls
        )
    return {
        "managed_nodes": pd.DataFrame(nodes, columns=MANAGED_NODE_COLUMNS),
        "compliance": pd.DataFrame(compliance, columns=COMPLIANCE_COLUMNS),
        "patch_states": pd.DataFrame(patches, columns=PATCH_STATE_COLUMNS),
        "unmanaged_instances": pd.DataFrame(unmanaged, columns=UNMANAGED_COLUMNS),
    }


def coverage_status(recording: ApiRecording) -> tuple[Covered, dict[str, Covered]]:
    """Systems Manager per (account, region): every pending or running EC2 instance there is a managed node.

    Known only where both were read in the account: DescribeInstanceInformation to its last page and
    DescribeInstances (``transform_unmanaged``'s rule); an account and region with no live instance is
    covered (nothing to manage). No features.
    """
    status: Covered = {}
    for region in recording.regions(SERVICE):
        node_calls = recording.calls(SERVICE, region, "describe_instance_information")
        instance_calls = recording.calls(EC2, region, "describe_instances")
        complete = {c.get("account") for c in node_calls if not c["response"].get("NextToken")}
        known = complete & {c.get("account") for c in instance_calls}
        unmanaged = {r["account_id"] for r in transform_unmanaged(region, instance_calls, node_calls)}
        for account in sorted(known - {None}):
            status[(account, region)] = account not in unmanaged
    return status, {}


def collect_ssm(
    connection: Any,
    regions: Sequence[str],
    accounts: Sequence[str | None] | None = None,
    **run: Unpack[LiveRun],
) -> dict[str, pd.DataFrame]:
    """Live Systems Manager tables for ``accounts`` (default: the connection's own) x ``regions``."""
    return collect_live(
        ssm_frames,
        lambda recording, log, workers, progress: get_ssm(
            connection, list(accounts or [None]), regions, recording, log, workers, progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect ssm``: every picked region of the caller's account or, with a member role,
    of every member account (node state lives only in each account)."""
    regions = resolve_regions(options.regions, connection, SERVICE)
    if options.member_role:
        org = options.org
        accounts = list(org["account_id"]) if org is not None else list_account_ids(connection, log)
    else:
        accounts = [connection.account_id]  # so that every row names its account
    get_ssm(connection, accounts, regions, recording, log, workers=options.workers, progress=options.progress)
    return regions


CALLS = (
    "describe_instance_information",
    "describe_instance_patch_states",
    "list_resource_compliance_summaries",
)
"""The Systems Manager operations ``get_ssm_target`` calls (plus EC2 ``describe_instances``)."""

SSM = Service(
    api=SERVICE,
    calls=CALLS,  # demo/patching.py records them, weekly snapshots too (and EC2 describe_instances)
    other_calls=frozenset({(EC2, "describe_instances"), ("organizations", "list_accounts")}),
    tables=(
        transform_managed_nodes,
        transform_compliance,
        transform_patch_states,
        Table(transform_unmanaged, "unmanaged_instances"),
    ),
    frames=ssm_frames,
    get=get_for_run,
    coverage=(Coverage("Systems Manager", transform=coverage_status),),
)
"""Systems Manager in the registry (``orginsight.collectors.registry.SERVICES["ssm"]``)."""
