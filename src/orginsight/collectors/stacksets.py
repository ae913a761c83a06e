"""CloudFormation StackSets: the organization's baseline stack sets, their instances per account and region,
drift, and the last operations.

Runs in the management account or a CloudFormation StackSets delegated administrator. Service-managed
stack sets belong to the management account; a delegated administrator sees them only when every call
says ``CallAs="DELEGATED_ADMIN"``, and the management account must say ``SELF`` (the default), which a
delegated administrator may also say but then sees only its own, self-managed stack sets (CloudFormation
API Reference, ``CallAs``, 2024). So the caller's role is decided once, before any stack set call: ``SELF``
when the caller is the organization's management account (``organizations:DescribeOrganization``'s
``MasterAccountId`` against ``sts:GetCallerIdentity``), ``DELEGATED_ADMIN`` otherwise, and ``SELF`` when
that cannot be told (the failed DescribeOrganization is an outcome). ``call_as`` overrides it.

A stack set lives in the region it was created in (its administration region) and deploys instances to
other regions: every picked region is listed (``ListStackSets(Status="ACTIVE")``), then per stack set
``DescribeStackSet`` (permission model, auto-deployment, the last drift detection), ``ListStackInstances``
(account, region, status, detailed status, drift status, OU) and ``ListStackSetOperations``.

Which accounts miss a baseline, or hold it outdated or drifted, is the pure
``orginsight.analytics.stacksets.missing_baseline``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Unpack

import pandas as pd

from orginsight.collectors.calls import RecordedCalls, record_targets
from orginsight.collectors.fanout import DEFAULT_WORKERS, OutcomeLog
from orginsight.collectors.recording import GLOBAL, ApiRecording, Call, dig, entries
from orginsight.collectors.regions import resolve_regions
from orginsight.collectors.service import LiveRun, RunOptions, Service, collect_live

SERVICE = "cloudformation"
SELF = "SELF"
DELEGATED_ADMIN = "DELEGATED_ADMIN"

UNRECORDED_KEYS = frozenset({"TemplateBody"})
"""DescribeStackSet keys left out of the recording: the template can run to 1 MB per stack set, and no
table reads it."""

STACK_SET_COLUMNS = [
    "region",
    "stack_set_name",
    "stack_set_id",
    "arn",
    "status",
    "permission_model",
    "description",
    "auto_deployment",
    "retain_stacks_on_account_removal",
    "organizational_unit_ids",
    "regions",
    "drift_status",
    "drift_detection_status",
    "last_drift_check",
    "drifted_instances",
    "failed_instances",
    "call_as",
]
STACK_INSTANCE_COLUMNS = [
    "stack_set_region",
    "stack_set_name",
    "stack_set_id",
    "account_id",
    "region",
    "ou_id",
    "status",
    "detailed_status",
    "status_reason",
    "drift_status",
    "last_drift_check",
    "stack_id",
    "last_operation_id",
]
OPERATION_COLUMNS = [
    "stack_set_region",
    "stack_set_name",
    "operation_id",
    "action",
    "status",
    "status_reason",
    "failed_instances",
    "created",
    "ended",
]


# ----------------------------------------------------------------------------- get (API pages)


def caller_role(connection: Any, log: OutcomeLog) -> str:
    """``SELF`` in the management account, ``DELEGATED_ADMIN`` in any other account of the organization,
    ``SELF`` when the organization cannot be read (that failure is in ``log``)."""
    client = connection.client("organizations", connection.home_region)
    org = log.call(None, GLOBAL, "describe_organization", lambda: client.describe_organization())
    me = log.call(None, GLOBAL, "get_caller_identity", lambda: connection.account_id)
    if org is None or me is None:
        return SELF
    return SELF if org["Organization"].get("MasterAccountId") == me else DELEGATED_ADMIN


def _describe(api: RecordedCalls, name: str, call_as: str) -> None:
    """DescribeStackSet, recorded without ``UNRECORDED_KEYS``."""
    params = {"StackSetName": name, "CallAs": call_as}
    response = api.run("describe_stack_set", lambda: api.client.describe_stack_set(**params))
    if response is not None:
        stack_set = {k: v for k, v in response["StackSet"].items() if k not in UNRECORDED_KEYS}
        api.recording.add(
            SERVICE, api.region, "describe_stack_set", params, {"StackSet": stack_set}, api.account
        )


def get_region(api: RecordedCalls, call_as: str) -> int:
    """One region's active stack sets, each described, with its instances and operations; the stack sets read."""
    pages = api.pages("list_stack_sets", Status="ACTIVE", CallAs=call_as) or []
    names = [s["StackSetName"] for page in pages for s in page.get("Summaries", [])]
    for name in names:
        _describe(api, name, call_as)
        api.pages("list_stack_instances", StackSetName=name, CallAs=call_as)
        api.pages("list_stack_set_operations", StackSetName=name, CallAs=call_as)
    return len(names)


def get_stacksets(
    connection: Any,
    regions: Sequence[str],
    recording: ApiRecording,
    log: OutcomeLog,
    call_as: str | None = None,
    workers: int = DEFAULT_WORKERS,
    progress: bool = True,
) -> ApiRecording:
    """Record every picked region's stack sets, as the management account or the delegated administrator
    (``call_as``: ``SELF`` or ``DELEGATED_ADMIN``; None: decided by ``caller_role``)."""
    chosen = call_as or caller_role(connection, log)
    return record_targets(
        connection,
        SERVICE,
        lambda api: get_region(api, chosen),
        regions,
        recording,
        log,
        workers=workers,
        progress=progress,
        label="stack set regions",
    )


# ----------------------------------------------------------------------------- transform (pure)


def _json_list(value: Any) -> str | None:
    return json.dumps(sorted(value)) if value else None


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True, format="ISO8601")


def transform_stack_sets(region: str, list_calls: list[Call], describe_calls: list[Call]) -> pd.DataFrame:
    """One row per active stack set of ``region``: DescribeStackSet where it answered, else its
    ListStackSets summary (which lacks the OUs, regions and drift counts)."""
    found: dict[str, dict[str, Any]] = {}
    for c, s in entries(list_calls, "Summaries"):
        found[s["StackSetName"]] = {**s, "CallAs": c["params"].get("CallAs")}
    for c in describe_calls:
        s = c["response"]["StackSet"]
        found[s["StackSetName"]] = {**s, "CallAs": c["params"].get("CallAs")}
    drift = "StackSetDriftDetectionDetails"
    rows = [
        {
            "region": region,
            "stack_set_name": s["StackSetName"],
            "stack_set_id": s.get("StackSetId"),
            "arn": s.get("StackSetARN"),
            "status": s.get("Status"),
            "permission_model": s.get("PermissionModel"),
            "description": s.get("Description"),
            "auto_deployment": dig(s, "AutoDeployment", "Enabled"),
            "retain_stacks_on_account_removal": dig(s, "AutoDeployment", "RetainStacksOnAccountRemoval"),
            "organizational_unit_ids": _json_list(s.get("OrganizationalUnitIds")),
            "regions": _json_list(s.get("Regions")),
            "drift_status": dig(s, drift, "DriftStatus") or s.get("DriftStatus"),
            "drift_detection_status": dig(s, drift, "DriftDetectionStatus"),
            "last_drift_check": dig(s, drift, "LastDriftCheckTimestamp") or s.get("LastDriftCheckTimestamp"),
            "drifted_instances": dig(s, drift, "DriftedStackInstancesCount"),
            "failed_instances": dig(s, drift, "FailedStackInstancesCount"),
            "call_as": s.get("CallAs"),
        }
        for s in found.values()
    ]
    df = pd.DataFrame(rows, columns=STACK_SET_COLUMNS)
    df["last_drift_check"] = _utc(df["last_drift_check"])
    return df.sort_values("stack_set_name").reset_index(drop=True)


def transform_stack_instances(region: str, calls: list[Call]) -> pd.DataFrame:
    """One row per stack instance (account x region) from ListStackInstances calls; the stack set's name
    comes from each call's params, ``stack_set_region`` is where the stack set lives."""
    rows = [
        {
            "stack_set_region": region,
            "stack_set_name": c["params"]["StackSetName"],
            "stack_set_id": i.get("StackSetId"),
            "account_id": i.get("Account"),
            "region": i.get("Region"),
            "ou_id": i.get("OrganizationalUnitId"),
            "status": i.get("Status"),
            "detailed_status": dig(i, "StackInstanceStatus", "DetailedStatus"),
            "status_reason": i.get("StatusReason"),
            "drift_status": i.get("DriftStatus"),
            "last_drift_check": i.get("LastDriftCheckTimestamp"),
            "stack_id": i.get("StackId"),
            "last_operation_id": i.get("LastOperationId"),
        }
        for c, i in entries(calls, "Summaries")
    ]
    df = pd.DataFrame(rows, columns=STACK_INSTANCE_COLUMNS)
    df["last_drift_check"] = _utc(df["last_drift_check"])
    return df.sort_values(["stack_set_name", "account_id", "region"]).reset_index(drop=True)


def transform_operations(region: str, calls: list[Call]) -> pd.DataFrame:
    """One row per stack set operation (create, update, delete, detect drift) from ListStackSetOperations
    calls, newest first within each stack set."""
    rows = [
        {
            "stack_set_region": region,
            "stack_set_name": c["params"]["StackSetName"],
            "operation_id": o["OperationId"],
            "action": o.get("Action"),
            "status": o.get("Status"),
            "status_reason": o.get("StatusReason"),
            "failed_instances": (o.get("StatusDetails") or {}).get("FailedStackInstancesCount"),
            "created": o.get("CreationTimestamp"),
            "ended": o.get("EndTimestamp"),
        }
        for c in calls
        for o in c["response"].get("Summaries", [])
    ]
    df = pd.DataFrame(rows, columns=OPERATION_COLUMNS)
    df["created"], df["ended"] = _utc(df["created"]), _utc(df["ended"])
    df = df.sort_values(["stack_set_name", "created"], ascending=[True, False])
    return df.reset_index(drop=True)


def stacksets_frames(recording: ApiRecording, org: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """stack_sets, stack_instances and operations of every recorded region (``org`` is ignored)."""
    regions = recording.regions(SERVICE)

    def each(build: Any, *ops: str) -> pd.DataFrame:
        """``build`` (a transform) over every region, concatenated; its empty frame when none was read."""
        frames = [build(r, *(recording.calls(SERVICE, r, op) for op in ops)) for r in regions]
        return pd.concat(frames, ignore_index=True) if frames else build("", *([] for _ in ops))

    return {
        "stack_sets": each(transform_stack_sets, "list_stack_sets", "describe_stack_set"),
        "stack_instances": each(transform_stack_instances, "list_stack_instances"),
        "operations": each(transform_operations, "list_stack_set_operations"),
    }


def collect_stacksets(
    connection: Any, regions: Sequence[str], call_as: str | None = None, **run: Unpack[LiveRun]
) -> dict[str, pd.DataFrame]:
    """Live stack set tables over ``regions``; each frame's ``attrs["failures"]`` lists what failed where."""
    return collect_live(
        stacksets_frames,
        lambda recording, log, workers, progress: get_stacksets(
            connection, regions, recording, log, call_as, workers, progress
        ),
        **run,
    )


# ----------------------------------------------------------------------------- registration


def get_for_run(connection: Any, recording: ApiRecording, log: OutcomeLog, options: RunOptions) -> list[str]:
    """``orginsight collect stacksets``: every picked region's stack sets, as the caller's role allows."""
    regions = resolve_regions(options.regions, connection, SERVICE)
    get_stacksets(connection, regions, recording, log, workers=options.workers, progress=options.progress)
    return regions


CALLS = ("describe_stack_set", "list_stack_instances", "list_stack_set_operations", "list_stack_sets")
"""The CloudFormation operations ``get_stacksets`` calls."""

STACKSETS = Service(
    api=SERVICE,
    name="stacksets",
    calls=CALLS,
    other_calls=frozenset({("organizations", "describe_organization")}),
    tables=(transform_stack_sets, transform_stack_instances, transform_operations),
    frames=stacksets_frames,
    get=get_for_run,
)
"""CloudFormation StackSets in the registry (``orginsight.collectors.registry.SERVICES["stacksets"]``)."""
