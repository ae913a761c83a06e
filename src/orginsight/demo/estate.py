"""An account's estate: the stable resources its background activity and incidents touch.

Drawn once per account from the seed, so the same bucket, instance, role or key recurs all month,
in CloudTrail, in GuardDuty findings and in Storage Lens.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from orginsight.demo.org import Account, Organization
from orginsight.demo.records import aws_id, hex_id, new_uuid

PERMISSION_SETS = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess")
"""IAM Identity Center permission sets, each an AWSReservedSSO_* role in every account."""


@dataclass
class Estate:
    """Stable resource names of one account, so the same bucket, instance or key recurs all month."""

    account: Account
    org: Organization
    buckets: list[str]
    sensitive_bucket: str
    instances: dict[str, list[str]]
    instance_roles: list[tuple[str, str]]
    functions: list[tuple[str, str, str]]
    kms_keys: dict[str, str]
    parameters: list[str]
    secrets: list[str]
    vpcs: dict[str, str]
    sso_roles: dict[str, tuple[str, str]]
    cicd_role: tuple[str, str]
    ci_user: tuple[str, str, str] | None
    slr: dict[str, tuple[str, str]]
    nat_ips: list[str]


def bucket_names(account: Account) -> list[str]:
    """The account's S3 buckets; the first is its sensitive data bucket (Storage Lens uses the same list)."""
    base = account.name
    names = [
        f"{base}-customer-data-{account.id}",
        f"{base}-app-assets-{account.id}",
        f"{base}-build-artifacts-{account.id}",
    ]
    if account.role == "log-archive":
        names = [
            f"aws-controltower-logs-{account.id}-us-east-1",
            f"{base}-access-logs-{account.id}",
            f"{base}-config-{account.id}",
        ]
    return names


def build_estate(org: Organization, account: Account, seed: int) -> Estate:
    """The estate of ``account``, drawn from its own seeded generator (the same for every caller)."""
    rng = random.Random(f"estate/{seed}/{account.id}")
    instances = {r: [f"i-0{hex_id(rng, 16)}" for _ in range(rng.randint(3, 8))] for r in account.regions}
    apps = ["api", "worker", "batch", "web"]
    instance_roles = [(f"{app}-instance-role", aws_id(rng, "AROA", 17)) for app in apps]
    functions = [
        (fn, f"{fn}-role", aws_id(rng, "AROA", 17))
        for fn in ("ingest-events", "resize-images", "nightly-report", "rotate-secrets", "notify-slack")[
            : rng.randint(3, 5)
        ]
    ]
    ci = None
    if account.role == "shared-services":
        ci = ("ci-deployer", aws_id(rng, "AIDA", 17), aws_id(rng, "AKIA"))
    return Estate(
        account=account,
        org=org,
        buckets=bucket_names(account),
        sensitive_bucket=bucket_names(account)[0],
        instances=instances,
        instance_roles=instance_roles,
        functions=functions,
        kms_keys={r: new_uuid(rng) for r in account.regions},
        parameters=[
            f"/{account.name}/{p}"
            for p in ("db/host", "db/password", "feature-flags", "api/endpoint", "queue/url")
        ],
        secrets=[
            f"arn:aws:secretsmanager:{{region}}:{account.id}:secret:{s}-{''.join(rng.choices('abcdefghijkLMNOP', k=6))}"
            for s in ("prod/db-credentials", "stripe-api-key", "oauth-client")
        ],
        vpcs={r: f"vpc-0{hex_id(rng, 16)}" for r in account.regions},
        sso_roles={
            ps: (f"AWSReservedSSO_{ps}_{hex_id(rng, 16)}", aws_id(rng, "AROA", 17)) for ps in PERMISSION_SETS
        },
        cicd_role=("cicd-deploy", aws_id(rng, "AROA", 17)),
        ci_user=ci,
        slr={
            "config.amazonaws.com": ("AWSServiceRoleForConfig", aws_id(rng, "AROA", 17)),
            "inspector2.amazonaws.com": ("AWSServiceRoleForAmazonInspector2", aws_id(rng, "AROA", 17)),
            "securityhub.amazonaws.com": ("AWSServiceRoleForSecurityHub", aws_id(rng, "AROA", 17)),
        },
        nat_ips=[
            f"{rng.choice([3, 18, 34, 44, 52, 54])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            for _ in range(2)
        ],
    )


def ci_principal(org: Organization, seed: int) -> tuple[Account, str, str, str]:
    """The CI IAM user of shared services (the user whose long-term key leaks): account, name, id, key."""
    shared = org.by_role("shared-services")
    est = cached_estate(org, shared, seed)
    assert est.ci_user is not None
    return shared, *est.ci_user


_ESTATES: dict[tuple, Estate] = {}
"""Each process builds an account's estate once per organization. The key names the whole organization:
keyed by seed and account alone, a second demo generated in the same process (or in workers forked from
it) reused the first demo's estate, with its period and accounts."""


def cached_estate(org: Organization, account: Account, seed: int) -> Estate:
    """``build_estate``, once per process for each account of each organization."""
    k = (seed, account.id, org.id, org.start, org.end, tuple(a.id for a in org.accounts))
    if k not in _ESTATES:
        _ESTATES[k] = build_estate(org, account, seed)
    return _ESTATES[k]
