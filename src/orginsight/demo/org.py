"""The synthetic organization: accounts, OUs, regions, and its recorded API state.

The demo lake carries the organization as the Organizations API (and each
security service's delegated-admin API) would return it, saved in the recorded
response format of the brief (``api/<service>/<region|global>/<op>.json``), so
the collectors' ``transform_*`` functions read live and demo state alike.
"""

from __future__ import annotations

import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from orginsight.demo.trail import trail_responses
from orginsight.errors import ParameterError

HOME_REGION = "us-east-1"
REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "eu-central-1", "ap-southeast-2")
"""Regions the demo organization uses, busiest first (us-east-1 also carries global services)."""

OU_PATHS = ("Security", "Infrastructure", "Workloads", "Workloads/Prod", "Workloads/NonProd", "Sandbox")

MIN_ACCOUNTS = 6
"""Management, security tooling, log archive, shared services, one production and one joining account."""

_ACCOUNTS = (
    # (name, OU path or "" for the root, role, activity weight, number of regions)
    ("org-management", "", "management", 0.6, 2),
    ("security-tooling", "Security", "security", 1.0, 3),
    ("log-archive", "Security", "log-archive", 0.4, 2),
    ("shared-services", "Infrastructure", "shared-services", 1.4, 3),
    ("payments-prod", "Workloads/Prod", "prod", 2.2, 3),
    ("payments-staging", "Workloads/NonProd", "nonprod", 1.2, 2),
    ("data-prod", "Workloads/Prod", "prod", 1.8, 3),
    ("sandbox-research", "Sandbox", "sandbox", 0.5, 2),
    ("web-prod", "Workloads/Prod", "prod", 2.0, 3),
    ("data-dev", "Workloads/NonProd", "nonprod", 0.9, 2),
    ("network", "Infrastructure", "shared-services", 0.8, 3),
    ("web-dev", "Workloads/NonProd", "nonprod", 0.9, 2),
    ("sandbox-platform", "Sandbox", "sandbox", 0.4, 2),
    ("analytics-prod", "Workloads/Prod", "prod", 1.5, 3),
)
"""The accounts in the order an organization grows: the first ``MIN_ACCOUNTS`` always, then the rest
in turn (numbered ``-2``, ``-3``... once each has been used) until the requested count."""

GUARDDUTY_FEATURES = (
    "S3_DATA_EVENTS",
    "EKS_AUDIT_LOGS",
    "EBS_MALWARE_PROTECTION",
    "RDS_LOGIN_EVENTS",
    "RUNTIME_MONITORING",
    "LAMBDA_NETWORK_LOGS",
)
"""GuardDuty's protection plans the organization auto-enables (DescribeOrganizationConfiguration Features)."""

DELEGATED_SERVICES = (
    "guardduty.amazonaws.com",
    "securityhub.amazonaws.com",
    "config.amazonaws.com",
    "inspector2.amazonaws.com",
    "macie.amazonaws.com",
    "access-analyzer.amazonaws.com",
    "storage-lens.s3.amazonaws.com",
    "detective.amazonaws.com",
)
ENABLED_SERVICES = (
    *DELEGATED_SERVICES,
    "cloudtrail.amazonaws.com",
    "sso.amazonaws.com",
    "member.org.stacksets.cloudformation.amazonaws.com",
    "ram.amazonaws.com",
)


@dataclass(frozen=True)
class Account:
    """One member account of the demo organization."""

    id: str
    name: str
    email: str
    ou_path: str
    role: str
    weight: float
    regions: tuple[str, ...]
    joined: datetime
    joined_method: str


@dataclass(frozen=True)
class Organization:
    """The demo organization: ids, OU tree, accounts and the period it is generated for."""

    id: str
    root_id: str
    accounts: tuple[Account, ...]
    ou_ids: dict[str, str]
    start: datetime
    end: datetime
    created: datetime
    joiner: Account | None = None
    guardduty_disabled: Account | None = None
    extra: dict = field(default_factory=dict)

    @property
    def management(self) -> Account:
        return self.by_role("management")

    def by_role(self, role: str) -> Account:
        """The first account with ``role`` (management, security, log-archive, shared-services, prod, ...)."""
        return next(a for a in self.accounts if a.role == role)

    def by_name(self, name: str) -> Account:
        return next(a for a in self.accounts if a.name == name)

    @property
    def arn_prefix(self) -> str:
        return f"arn:aws:organizations::{self.management.id}"


def random_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(n))


def random_lower(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(n))


def build_organization(rng: random.Random, n_accounts: int, start: datetime, end: datetime) -> Organization:
    """Accounts, OUs and join dates; the last account joins mid-period, one member lacks GuardDuty."""
    if n_accounts < MIN_ACCOUNTS:
        raise ParameterError(
            f"the demo organization needs at least {MIN_ACCOUNTS} accounts, got {n_accounts}"
        )
    more = _ACCOUNTS[MIN_ACCOUNTS:]
    specs = list(_ACCOUNTS[:MIN_ACCOUNTS])
    for i in range(n_accounts - MIN_ACCOUNTS):
        name, *rest = more[i % len(more)]
        specs.append((name if i < len(more) else f"{name}-{i // len(more) + 1}", *rest))
    org_id = "o-" + random_lower(rng, 10)
    root_id = "r-" + random_lower(rng, 4)
    ou_ids = {p: f"ou-{root_id[2:]}-{random_lower(rng, 8)}" for p in OU_PATHS}
    created = datetime(2019, 3, 4, 15, 2, 11)
    accounts = []
    used: set[str] = set()
    for i, (name, ou, role, weight, n_regions) in enumerate(specs):
        acct = random_digits(rng, 12)
        while acct in used or acct[0] == "0":
            acct = random_digits(rng, 12)
        used.add(acct)
        if i == len(specs) - 1:
            # The account that joins mid-period (coverage drift): invited, 40 % into the range, and
            # at least two days before the end, where the incidents (which may reach it) happen.
            span = (end - start).total_seconds()
            offset = min(span * 0.4, span - 2.25 * 86400)
            joined = start + timedelta(seconds=int(offset) + rng.randrange(3600))
            method = "INVITED"
        else:
            joined = created + timedelta(days=30 * i + rng.randrange(20), seconds=rng.randrange(86400))
            method = "CREATED"
        accounts.append(
            Account(
                id=acct,
                name=name,
                email=f"aws+{name}@example-corp.com",
                ou_path=ou,
                role=role,
                weight=weight,
                regions=REGIONS[:n_regions],
                joined=joined if i else created,
                joined_method=method,
            )
        )
    sandboxes = [a for a in accounts if a.role == "sandbox"]
    return Organization(
        id=org_id,
        root_id=root_id,
        accounts=tuple(accounts),
        ou_ids=ou_ids,
        start=start,
        end=end,
        created=created,
        joiner=accounts[-1],
        guardduty_disabled=sandboxes[0]
        if sandboxes
        else next(a for a in accounts if a.role == "log-archive"),
    )


def iso(t: datetime) -> str:
    """ISO-8601 with a UTC offset, as botocore datetimes serialize."""
    return t.strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _recorded(params: dict, response: dict) -> dict:
    """One recorded API call as the collectors' recordings hold it: the call's parameters, then its response."""
    return {"params": params, "response": response}


def _account_entry(org: Organization, a: Account) -> dict:
    return {
        "Id": a.id,
        "Arn": f"{org.arn_prefix}:account/{org.id}/{a.id}",
        "Email": a.email,
        "Name": a.name,
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": a.joined_method,
        "JoinedTimestamp": iso(a.joined),
    }


def _ou_parent(org: Organization, path: str) -> str:
    return org.ou_ids[path.rsplit("/", 1)[0]] if "/" in path else org.root_id


def organizations_responses(org: Organization) -> dict[str, list[dict]]:
    """Recorded Organizations API responses, keyed by boto3 operation name."""
    mgmt = org.management
    out: dict[str, list[dict]] = {}
    out["describe_organization"] = [
        _recorded(
            {},
            {
                "Organization": {
                    "Id": org.id,
                    "Arn": f"{org.arn_prefix}:organization/{org.id}",
                    "FeatureSet": "ALL",
                    "MasterAccountArn": f"{org.arn_prefix}:account/{org.id}/{mgmt.id}",
                    "MasterAccountId": mgmt.id,
                    "MasterAccountEmail": mgmt.email,
                    "AvailablePolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
                }
            },
        )
    ]
    out["list_roots"] = [
        _recorded(
            {},
            {
                "Roots": [
                    {
                        "Id": org.root_id,
                        "Arn": f"{org.arn_prefix}:root/{org.id}/{org.root_id}",
                        "Name": "Root",
                        "PolicyTypes": [{"Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED"}],
                    }
                ]
            },
        )
    ]
    parents = [org.root_id, *org.ou_ids.values()]
    out["list_organizational_units_for_parent"] = [
        _recorded(
            {"ParentId": parent},
            {
                "OrganizationalUnits": [
                    {"Id": oid, "Arn": f"{org.arn_prefix}:ou/{org.id}/{oid}", "Name": path.rsplit("/", 1)[-1]}
                    for path, oid in org.ou_ids.items()
                    if _ou_parent(org, path) == parent
                ]
            },
        )
        for parent in parents
    ]
    out["list_accounts"] = [_recorded({}, {"Accounts": [_account_entry(org, a) for a in org.accounts]})]
    out["list_accounts_for_parent"] = [
        _recorded(
            {"ParentId": parent},
            {
                "Accounts": [
                    _account_entry(org, a)
                    for a in org.accounts
                    if (org.ou_ids[a.ou_path] if a.ou_path else org.root_id) == parent
                ]
            },
        )
        for parent in parents
    ]
    out["list_tags_for_resource"] = [
        _recorded(
            {"ResourceId": a.id},
            {
                "Tags": [
                    {"Key": "Environment", "Value": _environment(a)},
                    {"Key": "Owner", "Value": f"team-{a.name.split('-')[0]}"},
                    {"Key": "CostCenter", "Value": f"CC-{1000 + i * 7}"},
                ]
            },
        )
        for i, a in enumerate(org.accounts)
    ]
    sec = org.by_role("security")
    delegated_at = iso(sec.joined + timedelta(days=3))
    out["list_delegated_administrators"] = [
        _recorded(
            {},
            {
                "DelegatedAdministrators": [
                    {**_account_entry(org, sec), "DelegationEnabledDate": delegated_at}
                ]
            },
        )
    ]
    out["list_delegated_services_for_account"] = [
        _recorded(
            {"AccountId": sec.id},
            {
                "DelegatedServices": [
                    {"ServicePrincipal": s, "DelegationEnabledDate": delegated_at} for s in DELEGATED_SERVICES
                ]
            },
        )
    ]
    out["list_aws_service_access_for_organization"] = [
        _recorded(
            {},
            {
                "EnabledServicePrincipals": [
                    {"ServicePrincipal": s, "DateEnabled": iso(org.created + timedelta(days=2 + i))}
                    for i, s in enumerate(ENABLED_SERVICES)
                ]
            },
        )
    ]
    return out


def _environment(a: Account) -> str:
    return {"prod": "production", "nonprod": "staging", "sandbox": "sandbox"}.get(a.role, "shared")


def detector_id(account: Account, region: str) -> str:
    """A stable 32-hex GuardDuty detector id per account and region."""
    return random.Random(f"{account.id}/{region}").getrandbits(128).to_bytes(16, "big").hex()


def service_responses(org: Organization, snapshot: datetime) -> dict[tuple[str, str], dict[str, list[dict]]]:
    """Delegated-admin state of the security services, keyed by (service, region) then operation."""
    sec = org.by_role("security")
    members = [a for a in org.accounts if a.id != sec.id]
    out: dict[tuple[str, str], dict[str, list[dict]]] = {}
    for region in REGIONS:
        det = detector_id(sec, region)
        gd: dict[str, list[dict]] = {}
        gd["list_detectors"] = [_recorded({}, {"DetectorIds": [det]})]
        gd["list_members"] = [
            _recorded(
                {"DetectorId": det, "OnlyAssociated": "false"},
                {
                    "Members": [
                        {
                            "AccountId": a.id,
                            "DetectorId": detector_id(a, region),
                            "MasterId": sec.id,
                            "AdministratorId": sec.id,
                            "Email": a.email,
                            "RelationshipStatus": "Disabled" if a is org.guardduty_disabled else "Enabled",
                            "InvitedAt": _gd_time(max(a.joined, sec.joined) + timedelta(days=3)),
                            "UpdatedAt": _gd_time(max(a.joined, sec.joined) + timedelta(days=3, minutes=5)),
                        }
                        for a in members
                    ]
                },
            )
        ]
        gd["describe_organization_configuration"] = [
            _recorded(
                {"DetectorId": det},
                {
                    "AutoEnable": True,
                    "MemberAccountLimitReached": False,
                    "DataSources": {
                        "S3Logs": {"AutoEnable": True},
                        "Kubernetes": {"AuditLogs": {"AutoEnable": True}},
                        "MalwareProtection": {
                            "ScanEc2InstanceWithFindings": {"EbsVolumes": {"AutoEnable": True}}
                        },
                    },
                    # Every protection plan auto-enabled for every account, as an organization that
                    # centralizes on purpose sets it (GuardDuty API Reference, OrganizationFeatureConfiguration).
                    "Features": [{"Name": f, "AutoEnable": "ALL"} for f in GUARDDUTY_FEATURES],
                    "AutoEnableOrganizationMembers": "ALL",
                },
            )
        ]
        out[("guardduty", region)] = gd
        sh: dict[str, list[dict]] = {}
        sh["list_members"] = [
            _recorded(
                {"OnlyAssociated": False},
                {
                    "Members": [
                        {
                            "AccountId": a.id,
                            "Email": a.email,
                            "MasterId": sec.id,
                            "AdministratorId": sec.id,
                            "MemberStatus": "Enabled",
                            "InvitedAt": iso(max(a.joined, sec.joined) + timedelta(days=4)),
                            "UpdatedAt": iso(max(a.joined, sec.joined) + timedelta(days=4, minutes=2)),
                        }
                        for a in members
                    ]
                },
            )
        ]
        sh["get_enabled_standards"] = [
            _recorded(
                {},
                {
                    "StandardsSubscriptions": [
                        {
                            "StandardsSubscriptionArn": f"arn:aws:securityhub:{region}:{sec.id}:subscription/{path}",
                            "StandardsArn": f"arn:aws:securityhub:{region}::standards/{path}",
                            "StandardsInput": {},
                            "StandardsStatus": "READY",
                            "StandardsControlsUpdatable": "READY_FOR_UPDATES",
                        }
                        for path in (
                            "aws-foundational-security-best-practices/v/1.0.0",
                            "cis-aws-foundations-benchmark/v/1.4.0",
                        )
                    ]
                },
            )
        ]
        if region == HOME_REGION:  # the finding aggregator gathers every region's findings in the home region
            aggregator = (
                f"arn:aws:securityhub:{region}:{sec.id}:finding-aggregator/{_uuid_of(sec.id + '/hub')}"
            )
            sh["list_finding_aggregators"] = [
                _recorded({}, {"FindingAggregators": [{"FindingAggregatorArn": aggregator}]})
            ]
        out[("securityhub", region)] = sh
        out[("config", region)] = {
            "describe_configuration_aggregator_sources_status": [
                _recorded(
                    {"ConfigurationAggregatorName": "org-aggregator"},
                    {
                        "AggregatedSourceStatusList": [
                            {
                                "SourceId": org.id,
                                "SourceType": "ORGANIZATION",
                                "AwsRegion": region,
                                "LastUpdateStatus": "SUCCEEDED",
                                "LastUpdateTime": iso(snapshot - timedelta(minutes=17)),
                            }
                        ]
                    },
                )
            ]
        }
        out[("inspector2", region)] = {
            "list_members": [
                _recorded(
                    {"onlyAssociated": False},
                    {
                        "members": [
                            {
                                "accountId": a.id,
                                "relationshipStatus": "ENABLED",
                                "delegatedAdminAccountId": sec.id,
                                "updatedAt": iso(max(a.joined, sec.joined) + timedelta(days=5)),
                            }
                            for a in members
                        ]
                    },
                )
            ],
            "batch_get_account_status": [
                _recorded(
                    {"accountIds": [a.id for a in org.accounts]}, inspector_account_status(org.accounts)
                )
            ],
        }
        out[("accessanalyzer", region)] = {
            "list_analyzers": [
                _recorded(
                    {},
                    {
                        "analyzers": [
                            {
                                "arn": f"arn:aws:access-analyzer:{region}:{sec.id}:analyzer/org-analyzer",
                                "name": "org-analyzer",
                                "type": "ORGANIZATION",
                                "createdAt": iso(sec.joined + timedelta(days=6)),
                                "lastResourceAnalyzed": f"arn:aws:s3:::{org.by_role('prod').name}-customer-data",
                                "lastResourceAnalyzedAt": iso(snapshot - timedelta(hours=2)),
                                "tags": {},
                                "status": "ACTIVE",
                            }
                        ]
                    },
                )
            ]
        }
    for region in REGIONS:  # Macie on for every account in every region (its delegated admin's members)
        out[("macie2", region)] = {
            "list_members": [
                _recorded(
                    {"onlyAssociated": "false"},
                    {
                        "members": [
                            {
                                "accountId": a.id,
                                "administratorAccountId": sec.id,
                                "arn": f"arn:aws:macie2:{region}:{sec.id}:member/{a.id}",
                                "email": a.email,
                                "invitedAt": iso(max(a.joined, sec.joined) + timedelta(days=7)),
                                "masterAccountId": sec.id,
                                "relationshipStatus": "Enabled",
                                "tags": {},
                                "updatedAt": iso(max(a.joined, sec.joined) + timedelta(days=7)),
                            }
                            for a in members
                        ]
                    },
                )
            ]
        }
    mgmt = org.management
    log = org.by_role("log-archive")
    kms_key = f"arn:aws:kms:{HOME_REGION}:{log.id}:key/{_uuid_of(log.id)}"
    out |= trail_responses(HOME_REGION, mgmt.id, org_trail_bucket(org), kms_key, snapshot, org.id)
    out[("s3control", HOME_REGION)] = {
        "list_storage_lens_configurations": [
            _recorded(
                {"AccountId": mgmt.id},
                {
                    "StorageLensConfigurationList": [
                        {
                            "Id": STORAGE_LENS_CONFIG_ID,
                            "StorageLensArn": f"arn:aws:s3:{HOME_REGION}:{mgmt.id}:storage-lens/{STORAGE_LENS_CONFIG_ID}",
                            "HomeRegion": HOME_REGION,
                            "IsEnabled": True,
                        }
                    ]
                },
            )
        ]
    }
    return out


STORAGE_LENS_CONFIG_ID = "org-storage-lens"


def org_trail_bucket(org: Organization) -> str:
    return f"aws-controltower-logs-{org.by_role('log-archive').id}-{HOME_REGION}"


def inspector_account_status(accounts: Sequence[Account]) -> dict:
    """BatchGetAccountStatus's response: Inspector on for EC2, ECR and Lambda everywhere, Lambda code
    scanning nowhere (the organization's delegated-admin settings)."""
    return {
        "accounts": [
            {
                "accountId": a.id,
                "state": _inspector_state(True),
                "resourceState": {
                    "ec2": _inspector_state(True),
                    "ecr": _inspector_state(True),
                    "lambda": _inspector_state(True),
                    "lambdaCode": _inspector_state(False),
                },
            }
            for a in accounts
        ],
        "failedAccounts": [],
    }


def _inspector_state(enabled: bool) -> dict:
    # errorCode and errorMessage are required members of Inspector2's State shape (botocore model, 2026).
    if enabled:
        return {"status": "ENABLED", "errorCode": "ALREADY_ENABLED", "errorMessage": "Already enabled"}
    return {
        "status": "DISABLED",
        "errorCode": "RESOURCE_NOT_FOUND",
        "errorMessage": "Resource scanning is not enabled",
    }


def _gd_time(t: datetime) -> str:
    # GuardDuty member timestamps are strings in the API ("2024-01-01T00:00:00.000Z").
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _uuid_of(seed: str) -> str:
    import uuid

    return str(uuid.UUID(int=random.Random(seed).getrandbits(128), version=4))
