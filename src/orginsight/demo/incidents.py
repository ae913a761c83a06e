"""The demo's two incidents, woven into the background, with their ground truth.

(a) ``leaked-ci-access-key``: the long-term key of the CI user in shared services is
used from an unfamiliar IP and client: discovery, privilege escalation, a cross-account
AssumeRole into production, defense evasion (the member account's own trail is stopped
and deleted; a GuardDuty detector deletion is denied by an SCP; the organization trail
keeps recording, which is why we see it all), persistence and exfiltration.

(b) ``console-without-mfa``: an administrator signs in to the console without MFA from
a country never seen before, then the root user of a member account signs in and acts.

(c) ``sso-role-chain``: a person signs in through Identity Center and chains into production
(``sso_incident.py``).

Techniques are MITRE ATT&CK (Enterprise, cloud matrix, v15) ids. Each incident is a table of
steps (``LEAKED_KEY_STEPS``, ``console_steps``) that ``scenario.py`` plays on one clock.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from types import SimpleNamespace

from orginsight.demo.estate import build_estate, ci_principal
from orginsight.demo.org import HOME_REGION, Account, Organization, detector_id, random_digits
from orginsight.demo.records import (
    Session,
    aws_id,
    ct_time,
    hex_id,
    iam_create_date,
    iam_user_identity,
    new_uuid,
    root_identity,
)
from orginsight.demo.scenario import (
    Actor,
    AssumeRole,
    Call,
    ConsoleLogin,
    Draw,
    GetObjects,
    PlantedEvent,
    Play,
    Scenario,
    Step,
)
from orginsight.demo.sso_incident import SSO, plant_sso_incident, sso_truth

ATTACKER_IPS = ("5.188.10.4", "91.240.118.172")
"""Russia and Hong Kong by geoip2fast (2026-11): countries the organization has never worked from."""
ATTACKER_USER_AGENT = "aws-cli/1.29.62 Python/3.11.6 Linux/6.5.0-kali3-amd64 botocore/1.31.62"
CONSOLE_ATTACKER_IP = "89.187.161.10"
"""Japan by geoip2fast (2026-11)."""
CONSOLE_ATTACKER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36"
LEAK = "leaked-ci-access-key"
CONSOLE = "console-without-mfa"

ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
SUPPORT_ROLE = "OrganizationAccountSupportRole"
"""The backdoor role: named like something an organization would have."""

__all__ = ["PlantedEvent", "Scenario", "member_trail_name", "plant_incidents"]


def member_trail_name(account: Account) -> str:
    return f"{account.name}-audit"


def plant_incidents(org: Organization, seed: int) -> Scenario:
    """Both incidents, in the last days of the range so each actor has a baseline before."""
    rng = random.Random(f"incidents/{seed}")
    outside = random_digits(rng, 12)
    while outside[0] == "0" or outside in {a.id for a in org.accounts}:
        outside = random_digits(rng, 12)
    a_start = org.end - timedelta(days=2) + timedelta(hours=1, minutes=37, seconds=rng.randrange(60))
    leak = _leaked_key(org, seed, rng, a_start, outside)
    b_start = org.end - timedelta(days=1) + timedelta(hours=9, minutes=12, seconds=rng.randrange(60))
    console = _console(org, rng, b_start)
    sso = plant_sso_incident(org, seed)  # its own generator: the draws above stay as they were
    events = sorted(leak.events + console.events + sso.events, key=lambda e: (e.time, e.account))
    incidents = []
    for name, desc in (
        (LEAK, __doc__.split("(a) ")[1].split("\n\n")[0]),
        (CONSOLE, __doc__.split("(b) ")[1].split("\n\n")[0]),
        (SSO, sso_truth(org, seed, sso)["description"]),
    ):
        mine = [e for e in events if e.incident == name]
        incidents.append(
            {
                "name": name,
                "description": " ".join(desc.split()),
                "accounts": sorted({e.account for e in mine}),
                "start": ct_time(mine[0].time),
                "end": ct_time(mine[-1].time),
                "events": len(mine),
            }
        )
    v, w = leak.v, console.v
    facts = {
        "leaked_key": v.key,
        "leaked_user_arn": f"arn:aws:iam::{v.shared.id}:user/{v.user}",
        "session_keys": v.session_keys,
        "backdoor_key": v.backdoor_key,
        "member_trail": {"account": v.prod.id, "name": v.trail},
        "exfil_bucket": {"account": v.prod.id, "bucket": v.bucket},
        "exfil_getobject_count": v.objects,
        "shared_snapshot": {"account": v.prod.id, "region": HOME_REGION, "snapshotId": v.snapshot},
        "console_user_arn": f"arn:aws:iam::{w.mgmt.id}:user/ops-admin",
        "root_account": w.victim.id,
        "root_access_key": w.root_key,
        "sso_incident": sso_truth(org, seed, sso),
    }
    indicators = {
        "leaked_access_key_id": facts["leaked_key"],
        "leaked_user_arn": facts["leaked_user_arn"],
        "attacker_ips": list(ATTACKER_IPS),
        "attacker_user_agent": ATTACKER_USER_AGENT,
        "outside_account_id": outside,
        "attacker_session_access_key_ids": facts["session_keys"],
        "backdoor_access_key_id": facts["backdoor_key"],
        "console_ip": CONSOLE_ATTACKER_IP,
        "console_country": "JP",
        "console_user_arn": facts["console_user_arn"],
        "root_account_id": facts["root_account"],
    }
    return Scenario(events, indicators, incidents, facts)


# --------------------------------------------------------------------------- (a) the leaked CI key


def _trail_arn(p: Play) -> str:
    return f"arn:aws:cloudtrail:{HOME_REGION}:{p.v.prod.id}:trail/{p.v.trail}"


def _bucket_resource(p: Play) -> dict:
    return {"accountId": p.v.prod.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{p.v.bucket}"}


def _scp_denied(p: Play) -> tuple[str, str]:
    """GuardDuty's detector is protected by a service control policy: the deletion fails."""
    arn = p.actors["prod"].identity["arn"]
    resource = f"arn:aws:guardduty:{HOME_REGION}:{p.v.prod.id}:detector/{p.v.detector}"
    return (
        "AccessDenied",
        f"User: {arn} is not authorized to perform: guardduty:DeleteDetector on resource: {resource} "
        "with an explicit deny in a service control policy",
    )


def _list_buckets(actor: str, bytes_out: int) -> Call:
    """Bucket discovery (ATT&CK T1619) by ``actor``, answering ``bytes_out`` bytes."""
    host = "s3.amazonaws.com"
    return Call(actor, host, "ListBuckets", "T1619", request={"Host": host}, s3=(bytes_out, 0), host=host)


def _describe_instances(actor: str, gap: int, region: str) -> Call:
    """Instance discovery (ATT&CK T1580) by ``actor`` in one region, ``gap`` seconds after the step before."""
    return Call(
        actor,
        "ec2.amazonaws.com",
        "DescribeInstances",
        "T1580",
        gap=gap,
        region=region,
        request={"instancesSet": {}, "filterSet": {}},
    )


def _impair_trail(event: str, gap: int) -> Call:
    """Defense evasion (ATT&CK T1562.008) on production's own trail, ``gap`` seconds after the step before."""
    return Call(
        "prod",
        "cloudtrail.amazonaws.com",
        event,
        "T1562.008",
        gap=gap,
        read_only=False,
        request=lambda p: {"name": _trail_arn(p)},
    )


def _public_read(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicRead",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


LEAKED_KEY_STEPS: tuple[Step, ...] = (
    # Discovery with the stolen long-term key.
    Call("me", "sts.amazonaws.com", "GetCallerIdentity", "T1033", gap=0),
    _list_buckets("me", bytes_out=4210),
    Call("me", "iam.amazonaws.com", "ListUsers", "T1087.004"),
    Call("me", "iam.amazonaws.com", "GetAccountAuthorizationDetails", "T1087.004", gap=6),
    *(_describe_instances("me", gap=2, region=region) for region in ("us-east-1", "eu-west-1", "us-west-2")),
    # Privilege escalation: admin for itself, a new key for another user.
    Call(
        "me",
        "iam.amazonaws.com",
        "AttachUserPolicy",
        "T1098.003",
        gap=40,
        read_only=False,
        request=lambda p: {"userName": p.v.user, "policyArn": ADMIN_POLICY},
    ),
    Draw("backdoor_key", lambda rng: aws_id(rng, "AKIA")),
    Call(
        "me",
        "iam.amazonaws.com",
        "CreateAccessKey",
        "T1098.001",
        gap=8,
        read_only=False,
        request={"userName": "svc-backup"},
        response=lambda p: {
            "accessKey": {
                "accessKeyId": p.v.backdoor_key,
                "status": "Active",
                "userName": "svc-backup",
                "createDate": iam_create_date(p.t + timedelta(seconds=8)),
            }
        },
    ),
    # Lateral movement: the CI user may assume cicd-deploy in workload accounts.
    AssumeRole(
        "me",
        "prod",
        lambda p: p.v.prod.id,
        lambda p: p.v.prod_est.cicd_role,
        "deploy",
        ATTACKER_IPS[1],
        "T1078.004",
        gap=70,
    ),
    AssumeRole(
        "me",
        "staging",
        lambda p: p.v.staging.id,
        lambda p: p.v.staging_est.cicd_role,
        "deploy",
        ATTACKER_IPS[1],
        "T1078.004",
        gap=25,
    ),
    _list_buckets("staging", bytes_out=2210),
    # Defense evasion in production: the member account's own trail (the organization trail cannot be touched).
    Call(
        "prod",
        "cloudtrail.amazonaws.com",
        "DescribeTrails",
        "T1526",
        gap=30,
        request={"trailNameList": [], "includeShadowTrails": True},
    ),
    _impair_trail("StopLogging", gap=12),
    _impair_trail("DeleteTrail", gap=9),
    Call("prod", "guardduty.amazonaws.com", "ListDetectors", "T1518.001", gap=5),
    Call(
        "prod",
        "guardduty.amazonaws.com",
        "DeleteDetector",
        "T1562.001",
        gap=4,
        read_only=False,
        request=lambda p: {"detectorId": p.v.detector},
        extra=lambda p: {"error": _scp_denied(p)},
    ),
    # Persistence: a console password for a dormant user, a role an outside account can assume.
    Call(
        "prod",
        "iam.amazonaws.com",
        "CreateLoginProfile",
        "T1098",
        gap=20,
        read_only=False,
        request={"userName": "ops-breakglass", "passwordResetRequired": False},
        response=lambda p: {
            "loginProfile": {
                "userName": "ops-breakglass",
                "createDate": iam_create_date(p.t + timedelta(seconds=20)),
                "passwordResetRequired": False,
            }
        },
    ),
    Draw("support_role_id", lambda rng: aws_id(rng, "AROA", 17)),
    Call(
        "prod",
        "iam.amazonaws.com",
        "CreateRole",
        "T1098.003",
        gap=15,
        read_only=False,
        request=lambda p: {"roleName": SUPPORT_ROLE, "assumeRolePolicyDocument": p.v.trust, "path": "/"},
        response=lambda p: {
            "role": {
                "path": "/",
                "roleName": SUPPORT_ROLE,
                "roleId": p.v.support_role_id,
                "arn": f"arn:aws:iam::{p.v.prod.id}:role/{SUPPORT_ROLE}",
                "createDate": iam_create_date(p.t + timedelta(seconds=15)),
                "assumeRolePolicyDocument": p.v.trust,
            }
        },
    ),
    Call(
        "prod",
        "iam.amazonaws.com",
        "AttachRolePolicy",
        "T1098.003",
        gap=6,
        read_only=False,
        request={"roleName": SUPPORT_ROLE, "policyArn": ADMIN_POLICY},
    ),
    Call(
        "prod",
        "iam.amazonaws.com",
        "UpdateAssumeRolePolicy",
        "T1098.003",
        gap=11,
        read_only=False,
        request=lambda p: {"roleName": p.v.prod_est.instance_roles[0][0], "policyDocument": p.v.trust},
    ),
    # Exfiltration: list and pull the customer data, make the bucket public, share a snapshot.
    Call(
        "prod",
        "s3.amazonaws.com",
        "ListObjects",
        "T1619",
        gap=40,
        request=lambda p: {
            "bucketName": p.v.bucket,
            "Host": f"{p.v.bucket}.s3.{HOME_REGION}.amazonaws.com",
            "list-type": "2",
            "prefix": "customers/",
            "encoding-type": "url",
        },
        s3=(48211, 0),
        host=lambda p: f"{p.v.bucket}.s3.{HOME_REGION}.amazonaws.com",
        extra=lambda p: {
            "category": "Data",
            "resources": [
                {"type": "AWS::S3::Object", "ARNPrefix": f"arn:aws:s3:::{p.v.bucket}/customers/"},
                _bucket_resource(p),
            ],
        },
    ),
    GetObjects("prod", lambda p: p.v.bucket, "customers/2026/", "T1530"),
    Call(
        "prod",
        "s3.amazonaws.com",
        "PutBucketPolicy",
        "T1537",
        gap=25,
        read_only=False,
        request=lambda p: {
            "bucketPolicy": _public_read(p.v.bucket),
            "bucketName": p.v.bucket,
            "Host": f"{p.v.bucket}.s3.amazonaws.com",
            "policy": "",
        },
        s3=(0, 301),
        host=lambda p: f"{p.v.bucket}.s3.amazonaws.com",
        extra=lambda p: {"resources": [_bucket_resource(p)]},
    ),
    Draw("snapshot", lambda rng: f"snap-0{hex_id(rng, 16)}"),
    Call(
        "prod",
        "ec2.amazonaws.com",
        "DescribeSnapshots",
        "T1580",
        gap=18,
        request={
            "snapshotSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "sharedUsersSet": {},
            "filterSet": {},
        },
    ),
    Draw("request_id", new_uuid),
    Call(
        "prod",
        "ec2.amazonaws.com",
        "ModifySnapshotAttribute",
        "T1537",
        gap=9,
        read_only=False,
        request=lambda p: {
            "snapshotId": p.v.snapshot,
            "createVolumePermission": {"add": {"items": [{"userId": p.v.outside}]}},
            "attributeType": "CREATE_VOLUME_PERMISSION",
        },
        response=lambda p: {"requestId": p.v.request_id, "_return": True},
        extra=lambda p: {"request_id": p.v.request_id},
    ),
)
"""``me`` is the leaked key's user; ``prod`` and ``staging`` the sessions it assumes there."""


def _leaked_key(org: Organization, seed: int, rng: random.Random, t0: datetime, outside: str) -> Play:
    shared, user, uid, key = ci_principal(org, seed)
    prod, staging = org.by_role("prod"), org.by_role("nonprod")
    prod_est = build_estate(org, prod, seed)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{outside}:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    play = Play(rng, LEAK, t0, jitter=3)
    play.v = SimpleNamespace(
        shared=shared,
        user=user,
        key=key,
        outside=outside,
        prod=prod,
        prod_est=prod_est,
        staging=staging,
        staging_est=build_estate(org, staging, seed),
        trail=member_trail_name(prod),
        detector=detector_id(prod, HOME_REGION),
        bucket=prod_est.sensitive_bucket,
        trust=json.dumps(trust),
        session_keys=[],
    )
    play.actors["me"] = Session(
        iam_user_identity(shared.id, user, uid, key),
        ATTACKER_IPS[0],
        ATTACKER_USER_AGENT,
        "attacker",
        shared.id,
    )
    play.run(LEAKED_KEY_STEPS)
    return play


# --------------------------------------------------------------------------- (b) the console without MFA


def _admin_console_session(p: Play) -> Session:
    """The console session after ops-admin's sign-in: a temporary key, no MFA, console credentials."""
    identity = {
        **iam_user_identity(p.v.mgmt.id, "ops-admin", p.v.user_id, aws_id(p.rng, "ASIA")),
        "sessionContext": {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": ct_time(p.t), "mfaAuthenticated": "false"},
        },
    }
    return Session(identity, CONSOLE_ATTACKER_IP, "AWS Internal", "attacker", p.v.mgmt.id, console=True)


def console_steps(victim_regions: tuple[str, ...]) -> tuple[Step, ...]:
    """``signin``/``admin`` are ops-admin in the management account; ``root_signin``/``root`` the victim's root."""
    return (
        Draw("user_id", lambda rng: aws_id(rng, "AIDA", 17)),
        Actor(
            "signin",
            lambda p: Session(
                iam_user_identity(p.v.mgmt.id, "ops-admin", p.v.user_id, None),
                CONSOLE_ATTACKER_IP,
                CONSOLE_ATTACKER_AGENT,
                "attacker",
                p.v.mgmt.id,
            ),
        ),
        ConsoleLogin("signin", "T1078.004"),
        Actor("admin", _admin_console_session),
        Call("admin", "iam.amazonaws.com", "ListUsers", "T1087.004", gap=50, jitter=0),
        Actor(
            "root_signin",
            lambda p: Session(
                root_identity(p.v.victim.id),
                CONSOLE_ATTACKER_IP,
                CONSOLE_ATTACKER_AGENT,
                "attacker",
                p.v.victim.id,
            ),
        ),
        ConsoleLogin("root_signin", "T1078.004", gap=360, jitter=30),
        Actor(
            "root",
            lambda p: Session(
                root_identity(p.v.victim.id, aws_id(p.rng, "ASIA"), ct_time(p.t)),
                CONSOLE_ATTACKER_IP,
                "AWS Internal",
                "attacker",
                p.v.victim.id,
                console=True,
            ),
        ),
        Call("root", "iam.amazonaws.com", "ListUsers", "T1087.004", gap=35),
        Draw("root_key", lambda rng: aws_id(rng, "AKIA")),
        Call(
            "root",
            "iam.amazonaws.com",
            "CreateAccessKey",
            "T1098.001",
            gap=40,
            read_only=False,
            response=lambda p: {
                "accessKey": {
                    "accessKeyId": p.v.root_key,
                    "status": "Active",
                    "createDate": iam_create_date(p.t),
                }
            },
        ),
        Call(
            "root",
            "iam.amazonaws.com",
            "CreateUser",
            "T1136.003",
            gap=30,
            read_only=False,
            request={"userName": "support-temp", "path": "/"},
            response=lambda p: {
                "user": {
                    "path": "/",
                    "userName": "support-temp",
                    "userId": aws_id(p.rng, "AIDA", 17),
                    "arn": f"arn:aws:iam::{p.v.victim.id}:user/support-temp",
                    "createDate": iam_create_date(p.t),
                }
            },
        ),
        Call(
            "root",
            "iam.amazonaws.com",
            "AttachUserPolicy",
            "T1098.003",
            gap=12,
            read_only=False,
            request={"userName": "support-temp", "policyArn": ADMIN_POLICY},
        ),
        *(_describe_instances("root", gap=20, region=region) for region in victim_regions),
    )


def _console(org: Organization, rng: random.Random, t0: datetime) -> Play:
    victim = org.by_role("nonprod")
    play = Play(rng, CONSOLE, t0, jitter=5)
    play.v = SimpleNamespace(mgmt=org.management, victim=victim)
    play.run(console_steps(victim.regions))
    return play
