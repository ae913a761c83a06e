"""The demo organization's governance: guardrail SCPs and the baseline stack set, as Organizations and
CloudFormation answer the ``guardrails`` and ``stacksets`` collectors' calls.

SCPs (the AWS Organizations User Guide's example SCPs, 2024): AWS's ``FullAWSAccess`` stays attached to the
root, every OU and every account (as it is by default); guardrails protecting the security services,
denying leaving the organization and protecting the organization trail are attached at the root; the
root-user restriction is attached to each OU that holds accounts, and planted missing on
``Workloads/NonProd`` (which is why the console incident's root user there could create an access key).
The trail guardrail protects the organization trail only (``Resource``: its ARN), as Control Tower's does:
the leaked-key incident stops and deletes a member account's own trail, so that guardrail is
``conditional`` by design in every member account.

StackSets: the service-managed ``org-security-baseline`` in the home region, deployed to every top-level OU
in two regions with auto-deployment; service-managed stack sets never deploy to the management account
(CloudFormation User Guide, "StackSets concepts", 2024). Planted: drift detected in two accounts.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

from orginsight.analytics.guardrails import GUARDRAILS, Guardrail
from orginsight.demo.exposure import Calls
from orginsight.demo.org import HOME_REGION, REGIONS, Account, Organization, iso, org_trail_bucket
from orginsight.demo.records import hex_id, new_uuid

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
FULL_ACCESS_ID = "p-FullAWSAccess"
RCP_FULL_ACCESS_ID = "p-RCPFullAWSAccess"

MISSING_OU = "Workloads/NonProd"
"""The OU the root-user guardrail is not attached to."""
PER_OU_POLICY = "guardrail-deny-root-user"
PER_OU_GUARDRAIL = "root-access-keys"
"""``analytics.guardrails`` name of the guardrail the per-OU policy provides."""

BASELINE = "org-security-baseline"
BASELINE_REGIONS = REGIONS[:2]
"""Every account of the demo uses at least its first two regions."""
DRIFT_DAYS = 20
"""Drift was first detected this many days before the lake's end (the snapshots before show IN_SYNC)."""


def _by_name(name: str) -> Guardrail:
    return next(g for g in GUARDRAILS if g.name == name)


def _deny(sid: str, *guardrails: str, resource: str | list[str] = "*") -> dict:
    actions = sorted({a for g in guardrails for a in _by_name(g).actions})
    return {"Sid": sid, "Effect": "Deny", "Action": actions, "Resource": resource}


def guardrail_policies(org: Organization) -> dict[str, tuple[str, dict]]:
    """Customer SCP name -> (description, policy document)."""
    trail = f"arn:aws:cloudtrail:*:{org.management.id}:trail/org-trail"
    return {
        "guardrail-protect-security-services": (
            "Deny switching off or leaving GuardDuty, Security Hub, Config, Access Analyzer and Macie",
            {
                "Version": "2012-10-17",
                "Statement": [
                    _deny("ProtectGuardDuty", "guardduty-detector", "guardduty-administrator"),
                    _deny("ProtectSecurityHub", "securityhub", "securityhub-administrator"),
                    _deny("ProtectConfig", "config-recorder"),
                    _deny("ProtectAccessAnalyzer", "access-analyzer"),
                    _deny("ProtectMacie", "macie"),
                ],
            },
        ),
        "guardrail-protect-organization-trail": (
            "Deny stopping, deleting or changing the organization trail",
            {
                "Version": "2012-10-17",
                "Statement": [
                    _deny(
                        "ProtectOrganizationTrail",
                        "cloudtrail-logging",
                        "cloudtrail-configuration",
                        resource=trail,
                    ),
                    {
                        "Sid": "ProtectTrailBucket",
                        "Effect": "Deny",
                        "Action": ["s3:DeleteBucket", "s3:PutBucketPolicy", "s3:PutLifecycleConfiguration"],
                        "Resource": f"arn:aws:s3:::{org_trail_bucket(org)}",
                    },
                ],
            },
        ),
        "guardrail-deny-leave-organization": (
            "Deny leaving the organization",
            {"Version": "2012-10-17", "Statement": [_deny("DenyLeaveOrganization", "leave-organization")]},
        ),
        PER_OU_POLICY: (
            "Deny the root user of member accounts everything (use Identity Center)",
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyRootUser",
                        "Effect": "Deny",
                        "Action": "*",
                        "Resource": "*",
                        "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}},
                    }
                ],
            },
        ),
    }


class Governance:
    """The organization's SCPs and baseline stack set: drawn once from the seed, answered at any time ``t``."""

    def __init__(self, org: Organization, seed: int) -> None:
        rng = random.Random(f"governance/{seed}/{org.id}")
        self.org = org
        self.policies = guardrail_policies(org)
        self.policy_ids = {name: f"p-{hex_id(rng, 8)}" for name in self.policies}
        self.stack_set_id = f"{BASELINE}:{new_uuid(rng)}"
        self.stack_ids = {(a.id, r): new_uuid(rng) for a in org.accounts for r in BASELINE_REGIONS}
        self.operations = [new_uuid(rng) for _ in range(3)]
        members = [a for a in org.accounts if a.role != "management"]
        drift_rng = random.Random(f"drift/{seed}/{org.id}")
        eligible = [a for a in members if a is not org.joiner and a.role != "security"]
        self.drifted: list[Account] = sorted(drift_rng.sample(eligible, 2), key=lambda a: a.name)
        self.drift_since = org.end - timedelta(days=DRIFT_DAYS)
        self.created = org.created + timedelta(days=60)

    # ------------------------------------------------------------------ SCPs

    def attachments(self) -> dict[str, list[dict]]:
        """Policy id -> its targets (``ListTargetsForPolicy``'s ``Targets``)."""
        org = self.org
        root = {
            "TargetId": org.root_id,
            "Arn": f"{org.arn_prefix}:root/{org.id}/{org.root_id}",
            "Name": "Root",
            "Type": "ROOT",
        }
        ous = {
            path: {
                "TargetId": oid,
                "Arn": f"{org.arn_prefix}:ou/{org.id}/{oid}",
                "Name": path.rsplit("/", 1)[-1],
                "Type": "ORGANIZATIONAL_UNIT",
            }
            for path, oid in org.ou_ids.items()
        }
        accounts = [
            {
                "TargetId": a.id,
                "Arn": f"{org.arn_prefix}:account/{org.id}/{a.id}",
                "Name": a.name,
                "Type": "ACCOUNT",
            }
            for a in org.accounts
        ]
        holding = sorted({a.ou_path for a in org.accounts if a.ou_path} | {MISSING_OU})
        out = {FULL_ACCESS_ID: [root, *ous.values(), *accounts], RCP_FULL_ACCESS_ID: []}
        for name, pid in self.policy_ids.items():
            out[pid] = [ous[p] for p in holding if p != MISSING_OU] if name == PER_OU_POLICY else [root]
        return out

    def _summary(self, name: str) -> dict:
        pid = self.policy_ids[name]
        return {
            "Id": pid,
            "Arn": f"{self.org.arn_prefix}:policy/{self.org.id}/service_control_policy/{pid}",
            "Name": name,
            "Description": self.policies[name][0],
            "Type": SCP,
            "AwsManaged": False,
        }

    def scp_responses(self) -> Calls:
        """Organizations' policy pages (global), with the params ``collectors.guardrails`` calls them with."""
        full = {
            "Id": FULL_ACCESS_ID,
            "Arn": f"arn:aws:organizations::aws:policy/service_control_policy/{FULL_ACCESS_ID}",
            "Name": "FullAWSAccess",
            "Description": "Allows access to every operation",
            "Type": SCP,
            "AwsManaged": True,
        }
        rcp_full = {
            "Id": RCP_FULL_ACCESS_ID,
            "Arn": f"arn:aws:organizations::aws:policy/resource_control_policy/{RCP_FULL_ACCESS_ID}",
            "Name": "RCPFullAWSAccess",
            "Description": "Allows access to every operation",
            "Type": RCP,
            "AwsManaged": True,
        }
        allow_all = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
        summaries = [full, *(self._summary(n) for n in self.policies)]
        content = {
            FULL_ACCESS_ID: allow_all,
            RCP_FULL_ACCESS_ID: {
                **allow_all,
                "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
            },
        }
        content.update({self.policy_ids[n]: doc for n, (_d, doc) in self.policies.items()})
        targets = self.attachments()
        ops = {
            "list_policies": [
                _rec({"Filter": SCP}, {"Policies": summaries}),
                _rec({"Filter": RCP}, {"Policies": [rcp_full]}),
            ],
            "describe_policy": [
                _rec(
                    {"PolicyId": s["Id"]},
                    {"Policy": {"PolicySummary": s, "Content": json.dumps(content[s["Id"]])}},
                )
                for s in (*summaries, rcp_full)
            ],
            "list_targets_for_policy": [
                _rec({"PolicyId": s["Id"]}, {"Targets": targets[s["Id"]]}) for s in (*summaries, rcp_full)
            ],
        }
        return {("organizations", "global"): ops}

    # ------------------------------------------------------------------ StackSets

    def _instances(self, t: datetime) -> list[dict]:
        members = [a for a in self.org.accounts if a.role != "management" and a.joined <= t]
        checked = self._drift_check(t)
        drifted = {a.id for a in self.drifted} if t >= self.drift_since else set()
        return [
            {
                "StackSetId": self.stack_set_id,
                "Region": region,
                "Account": a.id,
                "StackId": f"arn:aws:cloudformation:{region}:{a.id}:stack/StackSet-{BASELINE}-{self.stack_ids[(a.id, region)]}/{self.stack_ids[(a.id, region)]}",
                "Status": "CURRENT",
                "StackInstanceStatus": {"DetailedStatus": "SUCCEEDED"},
                "OrganizationalUnitId": self.org.ou_ids[a.ou_path],
                "DriftStatus": "DRIFTED" if a.id in drifted and region == HOME_REGION else "IN_SYNC",
                "LastDriftCheckTimestamp": iso(checked),
                "LastOperationId": self.operations[1],
            }
            for a in members
            for region in BASELINE_REGIONS
        ]

    def _drift_check(self, t: datetime) -> datetime:
        """Drift detection runs weekly, on the day before each snapshot."""
        return t - timedelta(hours=20)

    def _top_ous(self) -> list[str]:
        return sorted(oid for path, oid in self.org.ou_ids.items() if "/" not in path)

    def stackset_responses(self, t: datetime) -> Calls:
        """CloudFormation's stack set pages at ``t`` in every region (the baseline lives in the home one)."""
        instances = self._instances(t)
        drifted = sum(i["DriftStatus"] == "DRIFTED" for i in instances)
        auto = {"Enabled": True, "RetainStacksOnAccountRemoval": False}
        summary = {
            "StackSetName": BASELINE,
            "StackSetId": self.stack_set_id,
            "Description": "GuardDuty, Config and IAM Access Analyzer baseline for every member account",
            "Status": "ACTIVE",
            "AutoDeployment": auto,
            "PermissionModel": "SERVICE_MANAGED",
            "DriftStatus": "DRIFTED" if drifted else "IN_SYNC",
            "LastDriftCheckTimestamp": iso(self._drift_check(t)),
            "ManagedExecution": {"Active": True},
        }
        described = {
            "StackSetName": BASELINE,
            "StackSetId": self.stack_set_id,
            "Description": summary["Description"],
            "Status": "ACTIVE",
            "Parameters": [
                {"ParameterKey": "SecurityAccountId", "ParameterValue": self.org.by_role("security").id}
            ],
            "Capabilities": ["CAPABILITY_NAMED_IAM"],
            "Tags": [{"Key": "owner", "Value": "security"}],
            "StackSetARN": f"arn:aws:cloudformation:{HOME_REGION}:{self.org.management.id}:stackset/{self.stack_set_id}",
            "StackSetDriftDetectionDetails": {
                "DriftStatus": summary["DriftStatus"],
                "DriftDetectionStatus": "COMPLETED",
                "LastDriftCheckTimestamp": summary["LastDriftCheckTimestamp"],
                "TotalStackInstancesCount": len(instances),
                "DriftedStackInstancesCount": drifted,
                "InSyncStackInstancesCount": len(instances) - drifted,
                "InProgressStackInstancesCount": 0,
                "FailedStackInstancesCount": 0,
            },
            "AutoDeployment": auto,
            "PermissionModel": "SERVICE_MANAGED",
            "OrganizationalUnitIds": self._top_ous(),
            "ManagedExecution": {"Active": True},
            "Regions": list(BASELINE_REGIONS),
        }
        named = {"StackSetName": BASELINE, "CallAs": "SELF"}
        out: Calls = {
            ("cloudformation", r): {
                "list_stack_sets": [_rec({"Status": "ACTIVE", "CallAs": "SELF"}, {"Summaries": []})]
            }
            for r in REGIONS
            if r != HOME_REGION
        }
        out[("cloudformation", HOME_REGION)] = {
            "list_stack_sets": [_rec({"Status": "ACTIVE", "CallAs": "SELF"}, {"Summaries": [summary]})],
            "describe_stack_set": [_rec(named, {"StackSet": described})],
            "list_stack_instances": [_rec(named, {"Summaries": instances})],
            "list_stack_set_operations": [_rec(named, {"Summaries": self._operations(t, len(instances))})],
        }
        return out

    def _operations(self, t: datetime, n_instances: int) -> list[dict]:
        """The last operations, newest first: this week's drift detection, the last update, the creation."""
        checked = self._drift_check(t)
        updated = min(t, self.org.end) - timedelta(days=75)
        done = [
            ("DETECT_DRIFT", self.operations[2], checked - timedelta(minutes=9), checked),
            ("UPDATE", self.operations[1], updated, updated + timedelta(minutes=14)),
            ("CREATE", self.operations[0], self.created, self.created + timedelta(minutes=31)),
        ]
        return [
            {
                "OperationId": op_id,
                "Action": action,
                "Status": "SUCCEEDED",
                "CreationTimestamp": iso(began),
                "EndTimestamp": iso(ended),
                "StatusDetails": {"FailedStackInstancesCount": 0, "TotalStackInstancesCount": n_instances},
                "OperationPreferences": {
                    "RegionConcurrencyType": "PARALLEL",
                    "FailureTolerancePercentage": 10,
                },
            }
            for action, op_id, began, ended in done
        ]

    # ------------------------------------------------------------------ ground truth

    def truth(self) -> dict:
        """The planted SCP gap and drift, for ``scenario.json``'s ``centralization_gaps``."""
        missing = [a for a in self.org.accounts if a.ou_path == MISSING_OU]
        return {
            "missing_scp": {
                "guardrail": PER_OU_GUARDRAIL,
                "policy": PER_OU_POLICY,
                "policy_id": self.policy_ids[PER_OU_POLICY],
                "ou": MISSING_OU,
                "ou_id": self.org.ou_ids[MISSING_OU],
                "accounts": sorted(a.id for a in missing),
                "account_names": sorted(a.name for a in missing),
            },
            "stackset_drift": {
                "stack_set": BASELINE,
                "region": HOME_REGION,
                "accounts": [a.id for a in self.drifted],
                "account_names": [a.name for a in self.drifted],
                "since": iso(self.drift_since),
            },
        }


def _rec(params: dict, response: dict) -> dict:
    return {"params": params, "response": response}
