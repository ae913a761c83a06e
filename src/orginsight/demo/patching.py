"""Systems Manager in the demo organization: managed nodes and Patch Manager's state over 90 days.

Every running EC2 instance of the estate is a managed node, except ``exposure.unmanaged_instances()``
(no SSM agent: the same instances Inspector cannot scan). Each node is patched by a weekly maintenance
window (an ``Install`` on its own weekday at 03:00 UTC) and scanned daily; between installs nothing is
missing. Two planted stories drift across the weekly snapshots:

- *falling behind*: one non-production account's maintenance window stops after snapshot 3, so its
  nodes only scan and their missing patches pile up, until a patch wave installs them between
  snapshots 9 and 10; a few other nodes stall on their own (some never recover), and a few installs
  fail for a while (``FailedCount``);
- one node per production account loses its agent connection for two weeks (``ConnectionLost``).

Nothing here reads the clock: the collector keeps the last install time and posture counts days from
it to each snapshot.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.exposure import Calls, Exposure, ec2_instances, present, recorded, snapshot_times, uid
from orginsight.demo.org import Account, Organization, iso
from orginsight.sources import ssm_sync

SERVICE = "ssm"
EC2 = "ec2"
BATCH = 50
"""DescribeInstancePatchStates takes at most 50 InstanceIds (the collector's batch)."""
BASELINE = "pb-0f3f5ab6c8d4e1a92"
"""The organization's custom patch baseline for Amazon Linux 2023 (every node's patch group uses it)."""
AGENT = "3.3.1142.0"
WAVE_SNAPSHOT = 9
"""The patch wave runs between this snapshot and the next."""
LIVE_FILTER = [{"Name": "instance-state-name", "Values": ["pending", "running"]}]


@dataclass(frozen=True)
class Node:
    """One EC2 instance; when managed, its patch cadence and the windows in which it does not install."""

    account: Account
    region: str
    instance_id: str
    managed: bool
    weekday: int
    stalls: tuple[tuple[datetime, datetime | None], ...]
    failing: tuple[datetime, datetime] | None
    lost: tuple[datetime, datetime] | None
    profile: str
    ip: str
    launched: datetime
    security_share: float

    def stalled(self, t: datetime) -> datetime | None:
        """The start of the stall ``t`` falls in, if any."""
        return next((s for s, e in self.stalls if s <= t and (e is None or t < e)), None)

    def last_window(self, t: datetime) -> datetime:
        """The newest maintenance window that ended before ``t`` (03:40 on the node's weekday)."""
        day = t - timedelta(days=(t.weekday() - self.weekday) % 7)
        end = day.replace(hour=3, minute=40, second=0, microsecond=0)
        return end if end <= t else end - timedelta(days=7)

    def last_install(self, t: datetime) -> datetime:
        end = self.last_window(t)
        while self.stalled(end) is not None:
            end -= timedelta(days=7)
        return end


@dataclass(frozen=True)
class PatchingState:
    org: Organization
    nodes: tuple[Node, ...]
    behind_account: Account

    @property
    def drift(self) -> dict:
        """Ground truth of the planted drift, for ``truth.json``."""
        return {
            "behind_account": self.behind_account.id,
            "behind_from_snapshot": 4,
            "patch_wave_after_snapshot": WAVE_SNAPSHOT,
            "unmanaged_instances": sorted(n.instance_id for n in self.nodes if not n.managed),
        }

    def responses(self, t: datetime) -> Calls:
        out: Calls = {}
        for a in self.org.accounts:
            if not present(a, t):
                continue
            for region in a.regions:
                mine = [n for n in self.nodes if n.account is a and n.region == region]
                managed = [n for n in mine if n.managed]
                ssm = out.setdefault((SERVICE, region), {})
                ec2 = out.setdefault((EC2, region), {})

                def add(ops: dict, op: str, params: dict, response: dict, account: str = a.id) -> None:
                    ops.setdefault(op, []).append(recorded(params, response, account))

                add(
                    ssm,
                    "describe_instance_information",
                    {},
                    {"InstanceInformationList": [_info(n, t) for n in managed]},
                )
                for kind in ("Patch", "Association"):
                    items = [_summary(n, t, kind) for n in managed]
                    add(
                        ssm,
                        "list_resource_compliance_summaries",
                        {"Filters": [{"Key": "ComplianceType", "Values": [kind], "Type": "EQUAL"}]},
                        {"ResourceComplianceSummaryItems": items},
                    )
                for start in range(0, len(managed), BATCH):
                    batch = managed[start : start + BATCH]
                    add(
                        ssm,
                        "describe_instance_patch_states",
                        {"InstanceIds": [n.instance_id for n in batch]},
                        {"InstancePatchStates": [_patch_state(n, t) for n in batch]},
                    )
                add(ec2, "describe_instances", {"Filters": LIVE_FILTER}, _reservations(a, mine))
        return out

    def inventory(self, t: datetime) -> dict[str, bytes]:
        """The organization's resource data sync at ``t``: ``AWS:InstanceInformation`` and ``AWS:PatchSummary``
        of every managed node (``<type>/accountid=/region=/resourcetype=/<node>.json``, relative keys)."""
        info, patches = [], []
        for n in self.nodes:
            if not n.managed or not present(n.account, t):
                continue
            where = {"accountid": n.account.id, "region": n.region, "resourceId": n.instance_id}
            captured = iso(t - timedelta(minutes=30))
            i = _info(n, t)
            info.append(
                {
                    **where,
                    "captureTime": captured,
                    "AgentType": "amazon-ssm-agent",
                    "AgentVersion": i["AgentVersion"],
                    "ComputerName": i["ComputerName"],
                    "IamRole": f"arn:aws:iam::{n.account.id}:role/{n.profile}",
                    "InstanceId": n.instance_id,
                    "IpAddress": i["IPAddress"],
                    "PlatformName": i["PlatformName"],
                    "PlatformType": i["PlatformType"],
                    "PlatformVersion": i["PlatformVersion"],
                    "ResourceType": "EC2Instance",
                    "AgentStatus": "Active" if i["PingStatus"] == "Online" else "ConnectionLost",
                    "InstanceStatus": "Active",
                }
            )
            state = _patch_state(n, t)
            patches.append(
                {
                    **where,
                    "captureTime": captured,
                    "PatchGroup": state["PatchGroup"],
                    "BaselineId": state["BaselineId"],
                    "SnapshotId": state["SnapshotId"],
                    "OperationType": state["Operation"],
                    "OperationStartTime": state["OperationStartTime"],
                    "OperationEndTime": state["OperationEndTime"],
                    "RebootOption": state["RebootOption"],
                    **{k: str(v) for k, v in state.items() if k.endswith("Count")},
                }
            )
        return {
            **ssm_sync.sync_files("AWS:InstanceInformation", info),
            **ssm_sync.sync_files("AWS:PatchSummary", patches),
        }


def build_patching(org: Organization, seed: int, story: Exposure) -> PatchingState:
    """Every instance of the estate as a node, its weekday, stalls, failures and lost connections."""
    times = snapshot_times(org)
    fleet = ec2_instances(org, seed, story)
    behind = next((a for a in org.accounts if a.role == "nonprod"), org.by_role("prod"))
    wave = times[WAVE_SNAPSHOT] + timedelta(days=2, hours=5)
    nodes = []
    for a in org.accounts:
        rng = random.Random(f"ssm/{seed}/{a.id}")
        lost_done = a.role != "prod"
        for inst in fleet[a.id]:
            stalls: list[tuple[datetime, datetime | None]] = []
            if a is behind:
                stalls.append((times[3] + timedelta(days=1), wave))
            elif rng.random() < 0.12:
                start = times[rng.randrange(2, len(times))] - timedelta(days=rng.randrange(1, 6))
                stalls.append(
                    (start, None if rng.random() < 0.4 else start + timedelta(days=rng.randrange(14, 40)))
                )
            failing = None
            if rng.random() < 0.08:
                start = times[rng.randrange(1, len(times) - 1)] - timedelta(days=3)
                failing = (start, start + timedelta(days=rng.randrange(10, 30)))
            lost = None
            if not lost_done and inst.managed and inst.id != story.instance_id:
                lost_done = True
                start = times[rng.randrange(4, 9)] - timedelta(days=2, hours=rng.randrange(20))
                lost = (start, start + timedelta(days=14))
            nodes.append(
                Node(
                    account=a,
                    region=inst.region,
                    instance_id=inst.id,
                    managed=inst.managed,
                    weekday=rng.randrange(7),
                    stalls=tuple(stalls),
                    failing=failing,
                    lost=lost,
                    profile=inst.profile_arn,
                    ip=f"10.{rng.randrange(4)}.{rng.randrange(1, 20)}.{rng.randrange(4, 250)}",
                    launched=datetime(2026, 1, 5) + timedelta(hours=rng.randrange(4000)),
                    security_share=rng.uniform(0.2, 0.5),
                )
            )
    return PatchingState(org, tuple(nodes), behind)


def _counts(n: Node, t: datetime) -> dict[str, int]:
    """Installed, missing and failed patches at ``t``: missing grows by about four a week of stall."""
    since = n.stalled(t)
    weeks = 0 if since is None else (t - since).days / 7
    missing = round(weeks * 4 + (1 if weeks else 0))
    failed = 2 if n.failing and n.failing[0] <= t < n.failing[1] else 0
    critical = min(missing, round(missing * 0.15))
    security = min(missing - critical, round(missing * n.security_share))
    return {
        "InstalledCount": 412 + (t - n.launched).days // 7 * 3,
        "InstalledOtherCount": 9,
        "InstalledPendingRebootCount": 0,
        "InstalledRejectedCount": 0,
        "MissingCount": missing,
        "FailedCount": failed,
        "NotApplicableCount": 1784,
        "CriticalNonCompliantCount": critical + (failed and 1),
        "SecurityNonCompliantCount": security,
        "OtherNonCompliantCount": missing - critical - security + failed - (failed and 1),
    }


def _patch_state(n: Node, t: datetime) -> dict:
    installed = n.last_install(t)
    stalled = n.stalled(t) is not None
    scan = (t - timedelta(hours=2)).replace(minute=15, second=0, microsecond=0)
    end = scan if stalled else n.last_window(t)
    state = {
        "InstanceId": n.instance_id,
        "PatchGroup": f"{n.account.name}-{n.region}",
        "BaselineId": BASELINE,
        "SnapshotId": _uuid(f"{n.instance_id}/{end}"),
        "OperationStartTime": iso(end - timedelta(minutes=35 if not stalled else 4)),
        "OperationEndTime": iso(end),
        "Operation": "Scan" if stalled else "Install",
        "RebootOption": "NoReboot" if stalled else "RebootIfNeeded",
        **_counts(n, t),
    }
    if stalled:  # a scan installs nothing: the last install is carried as the last no-reboot install
        state["LastNoRebootInstallOperationTime"] = iso(installed)
    return state


def _uuid(key: str) -> str:
    """A stable UUID-shaped id (SnapshotId is 36 characters, SSM API Reference 2024)."""
    h = uid(random.Random(key), 32)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _summary(n: Node, t: datetime, kind: str) -> dict:
    """ListResourceComplianceSummaries' item for the node: Patch from its counts, Association from its ping."""
    if kind == "Patch":
        c = _counts(n, t)
        bad = c["MissingCount"] + c["FailedCount"]
        severity = {
            "CriticalCount": c["CriticalNonCompliantCount"],
            "HighCount": c["SecurityNonCompliantCount"],
        }
        good = c["InstalledCount"] + c["InstalledOtherCount"]
        when = datetime.fromisoformat(_patch_state(n, t)["OperationEndTime"][:19])
        overall = "CRITICAL" if severity["CriticalCount"] else "HIGH" if bad else "UNSPECIFIED"
    else:
        lost = n.lost is not None and n.lost[0] <= t < n.lost[1]
        bad, good, severity = int(lost), 3 - int(lost), {"CriticalCount": 0, "HighCount": int(lost)}
        when = (n.lost[0] if lost and n.lost else t - timedelta(minutes=30)).replace(second=0, microsecond=0)
        overall = "HIGH" if lost else "UNSPECIFIED"
    zeros = {"MediumCount": 0, "LowCount": 0, "InformationalCount": 0, "UnspecifiedCount": 0}
    item = {
        "ComplianceType": kind,
        "ResourceType": "ManagedInstance",
        "ResourceId": n.instance_id,
        "Status": "NON_COMPLIANT" if bad else "COMPLIANT",
        "OverallSeverity": overall,
        "ExecutionSummary": {"ExecutionTime": iso(when)},
        "CompliantSummary": {
            "CompliantCount": good,
            "SeveritySummary": {"CriticalCount": 0, "HighCount": 0, **zeros},
        },
        "NonCompliantSummary": {"NonCompliantCount": bad, "SeveritySummary": {**severity, **zeros}},
    }
    if kind == "Patch":
        item["ExecutionSummary"]["ExecutionType"] = "Command"
        item["ExecutionSummary"]["ExecutionId"] = _patch_state(n, t)["SnapshotId"]
    return item


def _info(n: Node, t: datetime) -> dict:
    lost = n.lost is not None and n.lost[0] <= t < n.lost[1]
    ping = n.lost[0] if lost and n.lost else t - timedelta(minutes=3)
    return {
        "InstanceId": n.instance_id,
        "PingStatus": "ConnectionLost" if lost else "Online",
        "LastPingDateTime": iso(ping),
        "AgentVersion": AGENT,
        "IsLatestVersion": not lost,
        "PlatformType": "Linux",
        "PlatformName": "Amazon Linux",
        "PlatformVersion": "2023",
        "ResourceType": "EC2Instance",
        "IPAddress": n.ip,
        "ComputerName": f"ip-{n.ip.replace('.', '-')}.ec2.internal",
        "AssociationStatus": "Failed" if lost else "Success",
        "SourceId": n.instance_id,
        "SourceType": "AWS::EC2::Instance",
    }


def _reservations(a: Account, nodes: list[Node]) -> dict:
    return {
        "Reservations": [
            {
                "ReservationId": f"r-0{n.instance_id[3:19]}",
                "OwnerId": a.id,
                "Instances": [
                    {
                        "InstanceId": n.instance_id,
                        "InstanceType": "t3.medium",
                        "LaunchTime": iso(n.launched),
                        "State": {"Code": 16, "Name": "running"},
                        "PrivateIpAddress": n.ip,
                        "PlatformDetails": "Linux/UNIX",
                        "IamInstanceProfile": {"Arn": n.profile, "Id": f"AIPA{n.instance_id[2:18].upper()}"},
                        "Tags": [
                            {"Key": "Name", "Value": f"{a.name}-{n.profile.rsplit('/', 1)[-1].split('-')[0]}"}
                        ],
                    }
                ],
            }
            for n in nodes
        ]
    }
