"""The world the six posture services see, and the exposure story planted across three of them.

Config, Inspector, Access Analyzer, Macie, Systems Manager and Trusted Advisor all describe the same
estate (``estate.py``: the instances, roles, functions and buckets CloudTrail and GuardDuty name), at
weekly snapshot times over the 90 days that end with the lake. The story: in a production account an
EC2 instance carries an exploitable critical CVE (Inspector), its instance role reads a bucket that holds
personal data (Macie), and that bucket becomes shared with an account outside the organization (Access
Analyzer). Each piece has its own date, so the snapshots show the exposure forming.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.estate import Estate, cached_estate
from orginsight.demo.org import HOME_REGION, Account, Organization, random_digits
from orginsight.demo.records import (
    Session,
    assume_role_records,
    assumed_role_identity,
    ct_time,
    hex_id,
    s3_object_event,
)

SNAPSHOTS = 13
"""Weekly collector snapshots over the 90 days that end with the lake (13 weeks)."""
SNAPSHOT_HOUR = 6
"""Snapshots run at 06:00 UTC, as a scheduled collection would."""

STORY_CVE = "CVE-2021-44228"
"""Log4Shell: critical (CVSS 10.0), exploited in the wild (CISA KEV since 2021-12-10), fix available."""
PARTNER_NAME = "external analytics vendor"
STORY_SDK_AGENT = (
    "aws-sdk-java/1.12.529 Linux/5.10.205-195.807.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS"
)
"""The story instance's application: a Java service (which is why Log4Shell applies)."""

Calls = dict[tuple[str, str], dict[str, list[dict]]]
"""Recorded responses keyed by (boto3 service, region) then operation, as ``org.service_responses``."""


def snapshot_times(org: Organization) -> list[datetime]:
    """The 13 weekly snapshot times, oldest first; the newest is the lake's last day at 06:00."""
    last = org.end - timedelta(days=1) + timedelta(hours=SNAPSHOT_HOUR)
    return [last - timedelta(days=7 * (SNAPSHOTS - 1 - k)) for k in range(SNAPSHOTS)]


@dataclass(frozen=True)
class Exposure:
    """The planted story: instance -> role -> bucket with PII -> account outside the organization."""

    account: Account
    region: str
    instance_id: str
    role: str
    role_id: str
    bucket: str
    outside_account: str
    cve_opened: datetime
    pii_found: datetime
    shared: datetime

    @property
    def instance_profile_arn(self) -> str:
        return f"arn:aws:iam::{self.account.id}:instance-profile/{self.role}"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account.id}:role/{self.role}"

    def truth(self, times: list[datetime]) -> dict:
        first = next(i for i, t in enumerate(times) if t >= self.shared)
        return {
            "account": self.account.id,
            "account_name": self.account.name,
            "region": self.region,
            "instance_id": self.instance_id,
            "instance_profile_arn": self.instance_profile_arn,
            "role_arn": self.role_arn,
            "cve": STORY_CVE,
            "cve_first_seen": iso_z(self.cve_opened),
            "bucket": self.bucket,
            "bucket_arn": f"arn:aws:s3:::{self.bucket}",
            "macie_finding_type": "SensitiveData:S3Object/Personal",
            "pii_found": iso_z(self.pii_found),
            "outside_account": self.outside_account,
            "outside_account_name": PARTNER_NAME,
            "shared_since": iso_z(self.shared),
            "first_snapshot_shared": first,
            "first_snapshot_shared_at": iso_z(times[first]),
        }


def iso_z(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def plant_exposure(org: Organization, seed: int) -> Exposure:
    """The story in the first production account: its third home-region instance, the instance's role,
    the account's customer-data bucket, an outside account drawn from the seed; dated on the snapshots."""
    rng = random.Random(f"exposure/{seed}")
    prod = org.by_role("prod")
    est = estate(org, prod, seed)
    instances = est.instances[HOME_REGION]
    index = 2 % len(instances)
    role, role_id = est.instance_roles[index % len(est.instance_roles)]
    outside = random_digits(rng, 12)
    while outside[0] == "0" or outside in {a.id for a in org.accounts}:
        outside = random_digits(rng, 12)
    times = snapshot_times(org)
    return Exposure(
        account=prod,
        region=HOME_REGION,
        instance_id=instances[index],
        role=role,
        role_id=role_id,
        bucket=est.sensitive_bucket,
        outside_account=outside,
        cve_opened=times[6] - timedelta(days=2, hours=rng.randrange(1, 20)),
        pii_found=times[1] - timedelta(days=3, hours=rng.randrange(1, 20)),
        shared=times[9] - timedelta(days=3, hours=rng.randrange(1, 20)),
    )


def estate(org: Organization, account: Account, seed: int) -> Estate:
    return cached_estate(org, account, seed)


def present(account: Account, t: datetime) -> bool:
    """Whether ``account`` is in the organization at ``t`` (the joiner is not before it joins)."""
    return account.joined <= t


def instance_role(est: Estate, region: str, instance: str) -> tuple[str, str]:
    """The role (name, id) of an instance, as CloudTrail and GuardDuty give it."""
    return est.instance_roles[est.instances[region].index(instance) % len(est.instance_roles)]


def unmanaged_instances(org: Organization, seed: int, story: Exposure) -> set[tuple[str, str, str]]:
    """(account, region, instance) without the SSM agent: about one account-region in three has one.

    Inspector cannot scan them either (coverage reason ``UNMANAGED_EC2_INSTANCE``, agent-based scanning).
    """
    rng = random.Random(f"unmanaged/{seed}")
    out = set()
    for a in org.accounts:
        est = estate(org, a, seed)
        for region in a.regions:
            candidates = [i for i in est.instances[region] if i != story.instance_id]
            if candidates and rng.random() < 0.34:
                out.add((a.id, region, candidates[-1]))
    return out


@dataclass(frozen=True)
class Instance:
    """One EC2 instance of the estate, as Inspector and Systems Manager both describe it."""

    account: Account
    region: str
    id: str
    role: str
    managed: bool
    """Whether it runs the SSM agent: Systems Manager manages it and Inspector (agent-based) scans it."""

    @property
    def profile_arn(self) -> str:
        return f"arn:aws:iam::{self.account.id}:instance-profile/{self.role}"


def ec2_instances(org: Organization, seed: int, story: Exposure) -> dict[str, list[Instance]]:
    """Every EC2 instance of each account's estate (by account id), in estate order: region by region
    as the account lists them, so a service drawing per-instance values from its own generator draws
    them in the same order as every other service walking the estate."""
    unmanaged = unmanaged_instances(org, seed, story)
    out = {}
    for a in org.accounts:
        est = estate(org, a, seed)
        out[a.id] = [
            Instance(
                a, region, inst, instance_role(est, region, inst)[0], (a.id, region, inst) not in unmanaged
            )
            for region in a.regions
            for inst in est.instances[region]
        ]
    return out


def recorded(params: dict, response: dict, account: str | None = None) -> dict:
    """One call in the recorded format (``collectors.recording``); member-account calls name the account."""
    call = {"params": params, "response": response}
    if account is not None:
        call["account"] = account
    return call


def merge(into: Calls, more: Calls) -> Calls:
    """``more``'s operations added to ``into`` (an operation in both: ``more``'s calls win)."""
    for key, ops in more.items():
        into.setdefault(key, {}).update(ops)
    return into


def uid(rng: random.Random, n: int = 32) -> str:
    return hex_id(rng, n)


def story_reads(
    org: Organization, story: Exposure, seed: int, start: datetime, end: datetime
) -> list[tuple[datetime, str, dict]]:
    """The CloudTrail side of the story: every day, EC2 delivers the instance role's credentials and the
    application reads a few customer files from the PII bucket (S3 data events). This is the evidence
    that the role reads the bucket, which ``role_bucket_reads`` finds; the reads are routine, not planted
    malice, so they are not in the truth's ``events``. Returns (time, region, record)."""
    rng = random.Random(f"exposure-reads/{seed}")
    est = estate(org, story.account, seed)
    out: list[tuple[datetime, str, dict]] = []
    day = start
    while day < end:
        t = day + timedelta(hours=9, minutes=rng.randrange(60), seconds=rng.randrange(60))
        records, key = assume_role_records(
            rng,
            None,
            t,
            story.region,
            story.account.id,
            "",
            story.role,
            story.role_id,
            story.instance_id,
            21600,
            service="ec2.amazonaws.com",
        )
        out.append((t, story.region, records[0]))
        identity = assumed_role_identity(
            story.account.id, "", story.role, story.role_id, story.instance_id, key, ct_time(t), ec2=True
        )
        sess = Session(
            identity,
            rng.choice(est.nat_ips),
            STORY_SDK_AGENT,
            "ec2",
            story.account.id,
            story.region,
            name=story.instance_id,
        )
        for _ in range(2 + rng.randrange(4)):
            t += timedelta(minutes=5 + rng.randrange(90), seconds=rng.randrange(60))
            name = f"exports/customers/{t:%Y/%m/%d}/part-{rng.randrange(1000):04d}.csv.gz"
            record = s3_object_event(
                rng,
                sess,
                ct_time(t),
                story.region,
                "GetObject",
                story.bucket,
                name,
                story.account.id,
                200_000 + rng.randrange(4_000_000),
            )
            out.append((t, story.region, record))
        day += timedelta(days=1)
    return out
