"""The demo's two incidents, woven into the background, with their ground truth.

(a) ``leaked-ci-access-key``: the long-term key of the CI user in shared services is
used from an unfamiliar IP and client: discovery, privilege escalation, a cross-account
AssumeRole into production, defense evasion (the member account's own trail is stopped
and deleted; a GuardDuty detector deletion is denied by an SCP; the organization trail
keeps recording, which is why we see it all), persistence and exfiltration.

(b) ``console-without-mfa``: an administrator signs in to the console without MFA from
a country never seen before, then the root user of a member account signs in and acts.

Techniques are MITRE ATT&CK (Enterprise, cloud matrix, v15) ids.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo import cloudtrail as ct
from orginsight.demo.org import HOME_REGION, Account, Organization, detector_id, random_digits

ATTACKER_IPS = ("5.188.10.4", "91.240.118.172")
"""Russia and Hong Kong by geoip2fast (2026-11): countries the organization has never worked from."""
ATTACKER_USER_AGENT = "aws-cli/1.29.62 Python/3.11.6 Linux/6.5.0-kali3-amd64 botocore/1.31.62"
CONSOLE_ATTACKER_IP = "89.187.161.10"
"""Japan by geoip2fast (2026-11)."""
CONSOLE_ATTACKER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36"
LEAK = "leaked-ci-access-key"
CONSOLE = "console-without-mfa"


@dataclass
class PlantedEvent:
    """One malicious record and its ground truth."""

    account: str
    region: str
    time: datetime
    record: dict
    technique: str
    incident: str

    def truth(self) -> dict:
        return {
            "eventID": self.record["eventID"],
            "account": self.account,
            "region": self.region,
            "eventTime": self.record["eventTime"],
            "eventName": self.record["eventName"],
            "eventSource": self.record["eventSource"],
            "technique": self.technique,
            "incident": self.incident,
        }


@dataclass
class Scenario:
    events: list[PlantedEvent]
    indicators: dict
    incidents: list[dict]
    facts: dict


def member_trail_name(account: Account) -> str:
    return f"{account.name}-audit"


def plant_incidents(org: Organization, seed: int) -> Scenario:
    """Both incidents, in the last days of the range so each actor has a baseline before."""
    rng = random.Random(f"incidents/{seed}")
    outside = random_digits(rng, 12)
    while outside[0] == "0" or outside in {a.id for a in org.accounts}:
        outside = random_digits(rng, 12)
    events: list[PlantedEvent] = []
    facts: dict = {}
    a_start = org.end - timedelta(days=2) + timedelta(hours=1, minutes=37, seconds=rng.randrange(60))
    _leaked_key(org, seed, rng, a_start, outside, events, facts)
    b_start = org.end - timedelta(days=1) + timedelta(hours=9, minutes=12, seconds=rng.randrange(60))
    _console(org, seed, rng, b_start, events, facts)
    events.sort(key=lambda e: (e.time, e.account))
    incidents = []
    for name, desc in (
        (LEAK, __doc__.split("(a) ")[1].split("\n\n")[0]),
        (CONSOLE, __doc__.split("(b) ")[1].split("\n\n")[0]),
    ):
        mine = [e for e in events if e.incident == name]
        incidents.append(
            {
                "name": name,
                "description": " ".join(desc.split()),
                "accounts": sorted({e.account for e in mine}),
                "start": ct.ct_time(mine[0].time),
                "end": ct.ct_time(mine[-1].time),
                "events": len(mine),
            }
        )
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


def _leaked_key(
    org: Organization,
    seed: int,
    rng: random.Random,
    t0: datetime,
    outside: str,
    events: list[PlantedEvent],
    facts: dict,
) -> None:
    shared, user, uid, key = ct.ci_principal(org, seed)
    prod = org.by_role("prod")
    staging = org.by_role("nonprod")
    prod_est = ct.build_estate(org, prod, seed)
    facts.update(leaked_key=key, leaked_user_arn=f"arn:aws:iam::{shared.id}:user/{user}", session_keys=[])
    t = t0
    ip = ATTACKER_IPS[0]
    me = ct.Session(
        ct.iam_user_identity(shared.id, user, uid, key), ip, ATTACKER_USER_AGENT, "attacker", shared.id
    )

    def add(account: str, region: str, rec: dict, technique: str, when: datetime) -> None:
        events.append(PlantedEvent(account, region, when, rec, technique, LEAK))

    def step(seconds: int) -> datetime:
        nonlocal t
        t = t + timedelta(seconds=seconds + rng.randrange(3))
        return t

    def call(
        sess: ct.Session,
        source: str,
        name: str,
        req,
        resp,
        read_only: bool,
        technique: str,
        region: str = HOME_REGION,
        gap: int = 4,
        **kw,
    ) -> dict:
        when = step(gap)
        host = kw.pop(
            "host",
            f"{source.split('.')[0]}.{region}.amazonaws.com"
            if source != "iam.amazonaws.com"
            else "iam.amazonaws.com",
        )
        rec = ct.make_record(
            rng, sess, ct.ct_time(when), region, source, name, req, resp, read_only, host=host, **kw
        )
        add(kw.get("recipient", sess.account), region, rec, technique, when)
        return rec

    # Discovery with the stolen long-term key.
    call(me, "sts.amazonaws.com", "GetCallerIdentity", None, None, True, "T1033", gap=0)
    call(
        me,
        "s3.amazonaws.com",
        "ListBuckets",
        {"Host": "s3.amazonaws.com"},
        None,
        True,
        "T1619",
        host="s3.amazonaws.com",
        additional=ct._s3_additional(rng, 4210),
        request_id=ct.s3_request_id(rng),
    )
    call(me, "iam.amazonaws.com", "ListUsers", None, None, True, "T1087.004")
    call(me, "iam.amazonaws.com", "GetAccountAuthorizationDetails", None, None, True, "T1087.004", gap=6)
    for region in ("us-east-1", "eu-west-1", "us-west-2"):
        call(
            me,
            "ec2.amazonaws.com",
            "DescribeInstances",
            {"instancesSet": {}, "filterSet": {}},
            None,
            True,
            "T1580",
            region=region,
            gap=2,
        )
    # Privilege escalation: admin for itself, a new key for another user.
    call(
        me,
        "iam.amazonaws.com",
        "AttachUserPolicy",
        {"userName": user, "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        None,
        False,
        "T1098.003",
        gap=40,
    )
    backdoor_key = ct.aws_id(rng, "AKIA")
    facts["backdoor_key"] = backdoor_key
    call(
        me,
        "iam.amazonaws.com",
        "CreateAccessKey",
        {"userName": "svc-backup"},
        {
            "accessKey": {
                "accessKeyId": backdoor_key,
                "status": "Active",
                "userName": "svc-backup",
                "createDate": ct.iam_create_date(t + timedelta(seconds=8)),
            }
        },
        False,
        "T1098.001",
        gap=8,
    )
    # Lateral movement: the CI user may assume cicd-deploy in workload accounts.
    sessions = {}
    for target, gap in ((prod, 70), (staging, 25)):
        est = ct.build_estate(org, target, seed)
        when = step(gap)
        recs, skey = ct.assume_role_records(
            rng, me, when, HOME_REGION, target.id, "", est.cicd_role[0], est.cicd_role[1], "deploy", 3600
        )
        add(shared.id, HOME_REGION, recs[0], "T1078.004", when)
        add(target.id, HOME_REGION, recs[1], "T1078.004", when)
        facts["session_keys"].append(skey)
        sessions[target.id] = ct.Session(
            ct.assumed_role_identity(
                target.id, "", est.cicd_role[0], est.cicd_role[1], "deploy", skey, ct.ct_time(when)
            ),
            ATTACKER_IPS[1],
            ATTACKER_USER_AGENT,
            "attacker",
            target.id,
        )
    ps = sessions[prod.id]
    ss = sessions[staging.id]
    call(
        ss,
        "s3.amazonaws.com",
        "ListBuckets",
        {"Host": "s3.amazonaws.com"},
        None,
        True,
        "T1619",
        host="s3.amazonaws.com",
        additional=ct._s3_additional(rng, 2210),
        request_id=ct.s3_request_id(rng),
    )
    # Defense evasion in production: the member account's own trail (the organization trail cannot be touched).
    trail = member_trail_name(prod)
    call(
        ps,
        "cloudtrail.amazonaws.com",
        "DescribeTrails",
        {"trailNameList": [], "includeShadowTrails": True},
        None,
        True,
        "T1526",
        gap=30,
    )
    call(
        ps,
        "cloudtrail.amazonaws.com",
        "StopLogging",
        {"name": f"arn:aws:cloudtrail:{HOME_REGION}:{prod.id}:trail/{trail}"},
        None,
        False,
        "T1562.008",
        gap=12,
    )
    call(
        ps,
        "cloudtrail.amazonaws.com",
        "DeleteTrail",
        {"name": f"arn:aws:cloudtrail:{HOME_REGION}:{prod.id}:trail/{trail}"},
        None,
        False,
        "T1562.008",
        gap=9,
    )
    det = detector_id(prod, HOME_REGION)
    call(ps, "guardduty.amazonaws.com", "ListDetectors", None, None, True, "T1518.001", gap=5)
    call(
        ps,
        "guardduty.amazonaws.com",
        "DeleteDetector",
        {"detectorId": det},
        None,
        False,
        "T1562.001",
        gap=4,
        error=(
            "AccessDenied",
            f"User: {ps.identity['arn']} is not authorized to perform: guardduty:DeleteDetector on "
            f"resource: arn:aws:guardduty:{HOME_REGION}:{prod.id}:detector/{det} with an explicit deny in a service "
            "control policy",
        ),
    )
    facts["member_trail"] = {"account": prod.id, "name": trail}
    # Persistence: a console password for a dormant user, a role an outside account can assume.
    call(
        ps,
        "iam.amazonaws.com",
        "CreateLoginProfile",
        {"userName": "ops-breakglass", "passwordResetRequired": False},
        {
            "loginProfile": {
                "userName": "ops-breakglass",
                "createDate": ct.iam_create_date(t + timedelta(seconds=20)),
                "passwordResetRequired": False,
            }
        },
        False,
        "T1098",
        gap=20,
    )
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{outside}:root"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    role_id = ct.aws_id(rng, "AROA", 17)
    call(
        ps,
        "iam.amazonaws.com",
        "CreateRole",
        {"roleName": "OrganizationAccountSupportRole", "assumeRolePolicyDocument": trust, "path": "/"},
        {
            "role": {
                "path": "/",
                "roleName": "OrganizationAccountSupportRole",
                "roleId": role_id,
                "arn": f"arn:aws:iam::{prod.id}:role/OrganizationAccountSupportRole",
                "createDate": ct.iam_create_date(t + timedelta(seconds=15)),
                "assumeRolePolicyDocument": trust,
            }
        },
        False,
        "T1098.003",
        gap=15,
    )
    call(
        ps,
        "iam.amazonaws.com",
        "AttachRolePolicy",
        {
            "roleName": "OrganizationAccountSupportRole",
            "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        },
        None,
        False,
        "T1098.003",
        gap=6,
    )
    call(
        ps,
        "iam.amazonaws.com",
        "UpdateAssumeRolePolicy",
        {"roleName": prod_est.instance_roles[0][0], "policyDocument": trust},
        None,
        False,
        "T1098.003",
        gap=11,
    )
    # Exfiltration: list and pull the customer data, make the bucket public, share a snapshot.
    bucket = prod_est.sensitive_bucket
    facts["exfil_bucket"] = {"account": prod.id, "bucket": bucket}
    call(
        ps,
        "s3.amazonaws.com",
        "ListObjects",
        {
            "bucketName": bucket,
            "Host": f"{bucket}.s3.{HOME_REGION}.amazonaws.com",
            "list-type": "2",
            "prefix": "customers/",
            "encoding-type": "url",
        },
        None,
        True,
        "T1619",
        category="Data",
        resources=[
            {"type": "AWS::S3::Object", "ARNPrefix": f"arn:aws:s3:::{bucket}/customers/"},
            {"accountId": prod.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        additional=ct._s3_additional(rng, 48211),
        request_id=ct.s3_request_id(rng),
        gap=40,
        host=f"{bucket}.s3.{HOME_REGION}.amazonaws.com",
    )
    n_objects = 160 + rng.randrange(60)
    for i in range(n_objects):
        when = step(0 if i % 3 else 1)
        rec = ct.s3_object_event(
            rng,
            ps,
            ct.ct_time(when),
            HOME_REGION,
            "GetObject",
            bucket,
            f"customers/2026/{i:05d}-{ct.hex_id(rng, 6)}.json",
            prod.id,
            rng.randrange(20000, 900000),
        )
        add(prod.id, HOME_REGION, rec, "T1530", when)
    facts["exfil_getobject_count"] = n_objects
    policy = {
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
    call(
        ps,
        "s3.amazonaws.com",
        "PutBucketPolicy",
        {"bucketPolicy": policy, "bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", "policy": ""},
        None,
        False,
        "T1537",
        resources=[{"accountId": prod.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
        additional=ct._s3_additional(rng, 0, 301),
        request_id=ct.s3_request_id(rng),
        gap=25,
        host=f"{bucket}.s3.amazonaws.com",
    )
    snap = f"snap-0{ct.hex_id(rng, 16)}"
    facts["shared_snapshot"] = {"account": prod.id, "region": HOME_REGION, "snapshotId": snap}
    call(
        ps,
        "ec2.amazonaws.com",
        "DescribeSnapshots",
        {
            "snapshotSet": {},
            "ownersSet": {"items": [{"owner": "self"}]},
            "sharedUsersSet": {},
            "filterSet": {},
        },
        None,
        True,
        "T1580",
        gap=18,
    )
    req_id = ct.new_uuid(rng)
    call(
        ps,
        "ec2.amazonaws.com",
        "ModifySnapshotAttribute",
        {
            "snapshotId": snap,
            "createVolumePermission": {"add": {"items": [{"userId": outside}]}},
            "attributeType": "CREATE_VOLUME_PERMISSION",
        },
        {"requestId": req_id, "_return": True},
        False,
        "T1537",
        request_id=req_id,
        gap=9,
    )


def _console(
    org: Organization, seed: int, rng: random.Random, t0: datetime, events: list[PlantedEvent], facts: dict
) -> None:
    mgmt = org.management
    victim = org.by_role("nonprod")
    t = t0
    uid = ct.aws_id(rng, "AIDA", 17)
    facts["console_user_arn"] = f"arn:aws:iam::{mgmt.id}:user/ops-admin"
    facts["root_account"] = victim.id

    def add(account: str, region: str, rec: dict, technique: str, when: datetime) -> None:
        events.append(PlantedEvent(account, region, when, rec, technique, CONSOLE))

    user = ct.Session(
        ct.iam_user_identity(mgmt.id, "ops-admin", uid, None),
        CONSOLE_ATTACKER_IP,
        CONSOLE_ATTACKER_AGENT,
        "attacker",
        mgmt.id,
    )
    rec = ct.console_login_record(rng, user, t, mfa=False)
    add(mgmt.id, HOME_REGION, rec, "T1078.004", t)
    user_key = ct.aws_id(rng, "ASIA")
    console_user = ct.Session(
        {
            **ct.iam_user_identity(mgmt.id, "ops-admin", uid, user_key),
            "sessionContext": {
                "sessionIssuer": {},
                "webIdFederationData": {},
                "attributes": {"creationDate": ct.ct_time(t), "mfaAuthenticated": "false"},
            },
        },
        CONSOLE_ATTACKER_IP,
        "AWS Internal",
        "attacker",
        mgmt.id,
        console=True,
    )
    t = t + timedelta(seconds=50)
    add(
        mgmt.id,
        HOME_REGION,
        ct.make_record(
            rng,
            console_user,
            ct.ct_time(t),
            HOME_REGION,
            "iam.amazonaws.com",
            "ListUsers",
            None,
            None,
            True,
            host="iam.amazonaws.com",
        ),
        "T1087.004",
        t,
    )
    t = t + timedelta(minutes=6, seconds=rng.randrange(30))
    root_login = ct.Session(
        ct.root_identity(victim.id), CONSOLE_ATTACKER_IP, CONSOLE_ATTACKER_AGENT, "attacker", victim.id
    )
    add(victim.id, HOME_REGION, ct.console_login_record(rng, root_login, t, mfa=False), "T1078.004", t)
    root_key = ct.aws_id(rng, "ASIA")
    root = ct.Session(
        ct.root_identity(victim.id, root_key, ct.ct_time(t)),
        CONSOLE_ATTACKER_IP,
        "AWS Internal",
        "attacker",
        victim.id,
        console=True,
    )

    def call(
        source: str,
        name: str,
        req,
        resp,
        read_only: bool,
        technique: str,
        gap: int,
        region: str = HOME_REGION,
    ):
        nonlocal t
        t = t + timedelta(seconds=gap + rng.randrange(5))
        host = (
            "iam.amazonaws.com"
            if source == "iam.amazonaws.com"
            else f"{source.split('.')[0]}.{region}.amazonaws.com"
        )
        add(
            victim.id,
            region,
            ct.make_record(rng, root, ct.ct_time(t), region, source, name, req, resp, read_only, host=host),
            technique,
            t,
        )

    call("iam.amazonaws.com", "ListUsers", None, None, True, "T1087.004", 35)
    root_new_key = ct.aws_id(rng, "AKIA")
    facts["root_access_key"] = root_new_key
    call(
        "iam.amazonaws.com",
        "CreateAccessKey",
        None,
        {"accessKey": {"accessKeyId": root_new_key, "status": "Active", "createDate": ct.iam_create_date(t)}},
        False,
        "T1098.001",
        40,
    )
    call(
        "iam.amazonaws.com",
        "CreateUser",
        {"userName": "support-temp", "path": "/"},
        {
            "user": {
                "path": "/",
                "userName": "support-temp",
                "userId": ct.aws_id(rng, "AIDA", 17),
                "arn": f"arn:aws:iam::{victim.id}:user/support-temp",
                "createDate": ct.iam_create_date(t),
            }
        },
        False,
        "T1136.003",
        30,
    )
    call(
        "iam.amazonaws.com",
        "AttachUserPolicy",
        {"userName": "support-temp", "policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"},
        None,
        False,
        "T1098.003",
        12,
    )
    for region in victim.regions:
        call(
            "ec2.amazonaws.com",
            "DescribeInstances",
            {"instancesSet": {}, "filterSet": {}},
            None,
            True,
            "T1580",
            20,
            region=region,
        )
