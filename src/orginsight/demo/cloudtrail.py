"""Organization CloudTrail for the demo: record builders and believable background activity.

Record shapes follow the real records in ``../shared/data/cloudtrail`` (Invictus'
Stratus Red Team capture above all): the same key order, ``userIdentity`` per
identity type, ``requestParameters``/``responseElements`` of each API, S3 data
events with ``additionalEventData`` and resources, ``tlsDetails`` for calls from
outside AWS and ``sharedEventID`` on cross-account and service AssumeRole.

Speed: a day of one account is one task; records are plain dicts that share
their ``userIdentity`` and ``tlsDetails`` sub-dicts, and each delivered file is
serialized with one ``json.dumps`` and compressed once.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.org import HOME_REGION, Account, Organization
from orginsight.sources.layout import cloudtrail_key

EVENT_VERSION = "1.09"
GZIP_LEVEL = 3
"""gzip level of delivered files. Measured here (2026-11-28, CPU time, CloudTrail JSON): levels 1/3/6
compress at ~270/260/118 MB/s to 24.1/23.0/21.7 % of the generated JSON; 3 is nearly as cheap as 1."""

HMS = [f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]
"""eventTime suffixes by second of the day: formatting times is the generator's hottest path."""

BUSINESS_HOURS = [
    0.08,
    0.06,
    0.05,
    0.05,
    0.06,
    0.12,
    0.3,
    0.7,
    1.2,
    1.5,
    1.5,
    1.3,
    1.1,
    1.4,
    1.5,
    1.4,
    1.2,
    0.9,
    0.6,
    0.4,
    0.3,
    0.2,
    0.14,
    0.1,
]
"""Relative activity of people and pipelines by UTC hour (an org working from Europe and the US east coast)."""
MACHINE_HOURS = [
    0.8,
    0.75,
    0.7,
    0.7,
    0.75,
    0.8,
    0.9,
    1.0,
    1.1,
    1.2,
    1.25,
    1.25,
    1.2,
    1.2,
    1.25,
    1.25,
    1.2,
    1.15,
    1.1,
    1.0,
    0.95,
    0.9,
    0.85,
    0.8,
]
WEEKDAY = [1.0, 1.05, 1.05, 1.0, 0.9, 0.35, 0.3]

PEOPLE = [
    (
        "alice.martin",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "bob.nguyen",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    ("carla.rossi", "Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (
        "deepak.iyer",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "emma.schmidt",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    ),
    (
        "farid.haddad",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    (
        "grace.obi",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    ),
    ("hiro.tanaka", "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0"),
    ("ines.silva", "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0"),
    (
        "jonas.berg",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
]
CLI_AGENTS = [
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off md/command#{cmd}",
    "aws-cli/2.17.52 md/awscrt#0.21.5 ua/2.0 os/linux#6.8.0-45-generic md/arch#x86_64 lang/python#3.11.9 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#ubuntu.24 md/prompt#off md/command#{cmd}",
]
CONSOLE_AGENT = "AWS Internal"
OFFICE_IPS = ["77.171.20.5", "62.194.1.9", "73.42.190.18"]
"""Corporate egress addresses: offices in the Netherlands and the US (geoip2fast agrees, 2026-11)."""
HOME_IPS = ["81.164.20.11", "92.105.33.201", "86.12.141.97", "24.130.8.66", "145.224.66.10"]
"""People working from home: Belgium, Switzerland, United Kingdom, United States."""
CI_RUNNER_IPS = ["52.4.118.20", "52.4.118.21", "34.230.77.140"]
CI_AGENTS = [
    "aws-cli/2.18.4 md/awscrt#0.22.0 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/CodeBuild cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2 md/prompt#off md/command#{cmd}",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.76.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.4 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 api/{svc}#1.40.0",
]
SDK_AGENTS = [
    "Boto3/1.35.54 md/Botocore#1.35.54 ua/2.0 os/linux#5.10.227-219.884.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.54",
    "aws-sdk-java/2.28.29 Linux/5.10.227-219.884.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/21.0.5+11-LTS Java/21.0.5 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard",
]
LAMBDA_AGENT = "Boto3/1.34.145 md/Botocore#1.34.145 ua/2.0 os/linux#5.10.227-240.890.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.7 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.145"
SSM_AGENT = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0"
PERMISSION_SETS = ("AdministratorAccess", "ReadOnlyAccess", "PowerUserAccess")

_B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_HEX = "0123456789abcdef"
_S3REQ = "0123456789ABCDEF"


def new_uuid(rng: random.Random) -> str:
    """A version-4 UUID drawn from ``rng`` (deterministic), formatted without building a UUID object."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}


def aws_id(rng: random.Random, prefix: str, n: int = 16) -> str:
    """An IAM unique id or access key id: AKIA/ASIA/AIDA/AROA followed by base32 characters."""
    return prefix + "".join(rng.choices(_B32, k=n))


def hex_id(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(_HEX, k=n))


def session_token(rng: random.Random) -> str:
    return "IQoJb3JpZ2luX2Vj" + base64.b64encode(rng.randbytes(240)).decode()


def sts_expiration(t: datetime) -> str:
    """STS responseElements spell expiration as ``Jul 10, 2023, 12:31:14 PM``."""
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year}, {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def iam_create_date(t: datetime) -> str:
    """IAM responseElements spell dates as ``Jul 10, 2023 12:24:29 PM``."""
    hour = t.hour % 12 or 12
    return f"{t:%b} {t.day}, {t.year} {hour}:{t:%M:%S} {'AM' if t.hour < 12 else 'PM'}"


def ct_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def tls(host: str, v13: bool = True) -> dict:
    if v13:
        return {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": host,
        }
    return {
        "tlsVersion": "TLSv1.2",
        "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256",
        "clientProvidedHostHeader": host,
    }


# --------------------------------------------------------------------------- identities


def iam_user_identity(account: str, user: str, user_id: str, key: str | None) -> dict:
    ident = {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": f"arn:aws:iam::{account}:user/{user}",
        "accountId": account,
    }
    if key:
        ident["accessKeyId"] = key
    ident["userName"] = user
    return ident


def root_identity(account: str, key: str | None = None, created: str | None = None) -> dict:
    ident = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if key:
        ident["accessKeyId"] = key
        ident["sessionContext"] = {
            "sessionIssuer": {},
            "webIdFederationData": {},
            "attributes": {"creationDate": created, "mfaAuthenticated": "false"},
        }
    return ident


def assumed_role_identity(
    account: str,
    role_path: str,
    role: str,
    role_id: str,
    session: str,
    key: str | None,
    created: str,
    mfa: bool = False,
    invoked_by: str | None = None,
    ec2: bool = False,
    source_identity: str | None = None,
) -> dict:
    ctx: dict = {
        "sessionIssuer": {
            "type": "Role",
            "principalId": role_id,
            "arn": f"arn:aws:iam::{account}:role/{role_path}{role}",
            "accountId": account,
            "userName": role,
        },
        "webIdFederationData": {},
        "attributes": {"creationDate": created, "mfaAuthenticated": "true" if mfa else "false"},
    }
    if source_identity:
        ctx["sourceIdentity"] = source_identity
    if ec2:
        ctx["ec2RoleDelivery"] = "2.0"
    ident = {
        "type": "AssumedRole",
        "principalId": f"{role_id}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
    }
    if key:
        ident["accessKeyId"] = key
    ident["sessionContext"] = ctx
    if invoked_by:
        ident["invokedBy"] = invoked_by
    return ident


def service_identity(service: str) -> dict:
    return {"type": "AWSService", "invokedBy": service}


# --------------------------------------------------------------------------- one record


@dataclass
class Session:
    """Who acts: identity dict, where from, with what client; shared by all records of the session."""

    identity: dict
    ip: str
    ua: str
    kind: str
    account: str
    region: str = HOME_REGION
    start: int = 0
    name: str = ""
    console: bool = False
    """Credentials of a console session: their calls carry sessionCredentialFromConsole."""


def make_record(
    rng: random.Random,
    sess: Session,
    when: str,
    region: str,
    source: str,
    name: str,
    req: dict | None,
    resp: dict | None,
    read_only: bool,
    *,
    recipient: str | None = None,
    category: str = "Management",
    resources: list | None = None,
    additional: dict | None = None,
    error: tuple[str, str] | None = None,
    request_id: str | None = None,
    shared_event_id: str | None = None,
    event_type: str = "AwsApiCall",
    host: str | None = None,
) -> dict:
    """One CloudTrail record in the key order CloudTrail writes."""
    r = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": sess.identity,
        "eventTime": when,
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": sess.ip,
        "userAgent": sess.ua,
    }
    if error:
        r["errorCode"], r["errorMessage"] = error
        resp = None
    r["requestParameters"] = req
    r["responseElements"] = resp
    if additional is not None:
        r["additionalEventData"] = additional
    if event_type == "AwsApiCall":
        r["requestID"] = request_id or new_uuid(rng)
    r["eventID"] = new_uuid(rng)
    r["readOnly"] = read_only
    if resources:
        r["resources"] = resources
    r["eventType"] = event_type
    r["managementEvent"] = category == "Management"
    r["recipientAccountId"] = recipient or sess.account
    if shared_event_id:
        r["sharedEventID"] = shared_event_id
    r["eventCategory"] = category
    if host and sess.ip[0].isdigit():
        r["tlsDetails"] = tls(host, v13=sess.kind != "ci")
    if sess.console:
        r["sessionCredentialFromConsole"] = "true"
    return r


# --------------------------------------------------------------------------- the account's estate


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
    est = build_estate(org, shared, seed)
    assert est.ci_user is not None
    return shared, *est.ci_user


# --------------------------------------------------------------------------- actions


def _s3_additional(rng: random.Random, out_bytes: int, in_bytes: int = 0) -> dict:
    return {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": in_bytes,
        "AuthenticationMethod": "AuthHeader",
        "x-amz-id-2": base64.b64encode(rng.randbytes(56)).decode(),
        "bytesTransferredOut": out_bytes,
    }


def s3_request_id(rng: random.Random) -> str:
    return "".join(rng.choices(_S3REQ, k=16))


def s3_object_event(
    rng: random.Random,
    sess: Session,
    when: str,
    region: str,
    name: str,
    bucket: str,
    key: str,
    owner: str,
    size: int,
    recipient: str | None = None,
) -> dict:
    """GetObject/PutObject as an S3 data event (eventCategory Data, managementEvent false)."""
    host = f"{bucket}.s3.{region}.amazonaws.com"
    get = name == "GetObject"
    return make_record(
        rng,
        sess,
        when,
        region,
        "s3.amazonaws.com",
        name,
        {"bucketName": bucket, "Host": host, "key": key},
        None if get else {"x-amz-server-side-encryption": "aws:kms"},
        get,
        recipient=recipient or owner,
        category="Data",
        resources=[
            {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
            {"accountId": owner, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
        ],
        additional=_s3_additional(rng, size)
        if get
        else {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": size,
            "SSEApplied": "SSE_KMS",
            "bytesTransferredOut": 0,
        },
        request_id=s3_request_id(rng),
        host=host,
    )


def _ec2_filter(name: str, *values: str) -> dict:
    return {"items": [{"name": name, "valueSet": {"items": [{"value": v} for v in values]}}]}


def read_action(rng: random.Random, est: Estate, sess: Session, when: str, region: str) -> dict:
    """A Describe/List/Get call as people and tools make them all day."""
    acct = est.account.id
    k = rng.random()
    ec2host = f"ec2.{region}.amazonaws.com"
    if k < 0.16:
        req = (
            {"instancesSet": {}, "filterSet": _ec2_filter("instance-state-name", "running", "pending")}
            if rng.random() < 0.6
            else {
                "instancesSet": {"items": [{"instanceId": rng.choice(est.instances[region])}]},
                "filterSet": {},
            }
        )
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeInstances",
            req,
            None,
            True,
            host=ec2host,
            error=_maybe_error(rng, sess, "ec2"),
        )
    if k < 0.24:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            {
                "securityGroupSet": {},
                "securityGroupIdSet": {},
                "filterSet": _ec2_filter("vpc-id", est.vpcs[region]),
            },
            None,
            True,
            host=ec2host,
            error=_maybe_error(rng, sess, "ec2"),
        )
    if k < 0.30:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeVpcs",
            {"vpcSet": {}, "filterSet": {}},
            None,
            True,
            host=ec2host,
        )
    if k < 0.35:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeSubnets",
            {"subnetSet": {}, "filterSet": _ec2_filter("vpc-id", est.vpcs[region])},
            None,
            True,
            host=ec2host,
        )
    if k < 0.39:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeVolumes",
            {"volumeSet": {}, "filterSet": {}, "maxResults": 500},
            None,
            True,
            host=ec2host,
        )
    if k < 0.47:
        b = rng.choice(est.buckets)
        host = f"{b}.s3.amazonaws.com"
        name = rng.choice(("GetBucketAcl", "GetBucketPolicy", "GetBucketEncryption", "GetBucketVersioning"))
        req = {
            "bucketName": b,
            "Host": host,
            {
                "GetBucketAcl": "acl",
                "GetBucketPolicy": "policy",
                "GetBucketEncryption": "encryption",
                "GetBucketVersioning": "versioning",
            }[name]: "",
        }
        err = (
            ("NoSuchBucketPolicy", "The bucket policy does not exist")
            if name == "GetBucketPolicy" and rng.random() < 0.4
            else None
        )
        return make_record(
            rng,
            sess,
            when,
            region,
            "s3.amazonaws.com",
            name,
            req,
            None,
            True,
            resources=[{"accountId": acct, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}],
            additional=_s3_additional(rng, rng.randrange(300, 2000)),
            request_id=s3_request_id(rng),
            error=err or _maybe_error(rng, sess, "s3"),
            host=host,
        )
    if k < 0.52:
        return make_record(
            rng,
            sess,
            when,
            HOME_REGION,
            "s3.amazonaws.com",
            "ListBuckets",
            {"Host": "s3.amazonaws.com"},
            None,
            True,
            additional=_s3_additional(rng, rng.randrange(2000, 9000)),
            request_id=s3_request_id(rng),
            host="s3.amazonaws.com",
        )
    if k < 0.58:
        name, req = rng.choice(
            (
                ("GetRole", {"roleName": rng.choice(est.instance_roles)[0]}),
                ("ListAttachedRolePolicies", {"roleName": rng.choice(est.instance_roles)[0]}),
                ("GetUser", {"userName": "ci-deployer"} if est.ci_user else None),
                ("ListAccessKeys", None),
            )
        )
        return make_record(
            rng,
            sess,
            when,
            HOME_REGION,
            "iam.amazonaws.com",
            name,
            req,
            None,
            True,
            host="iam.amazonaws.com",
            error=_maybe_error(rng, sess, "iam"),
        )
    if k < 0.64:
        p = rng.choice(est.parameters)
        return make_record(
            rng,
            sess,
            when,
            region,
            "ssm.amazonaws.com",
            "GetParameter",
            {"name": p, "withDecryption": p.endswith("password")},
            None,
            True,
            resources=[{"accountId": acct, "ARN": f"arn:aws:ssm:{region}:{acct}:parameter{p}"}],
            host=f"ssm.{region}.amazonaws.com",
        )
    if k < 0.68:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ssm.amazonaws.com",
            "DescribeParameters",
            {
                "maxResults": 50,
                "parameterFilters": [
                    {"key": "Name", "option": "BeginsWith", "values": [f"/{est.account.name}/"]}
                ],
            },
            None,
            True,
            host=f"ssm.{region}.amazonaws.com",
        )
    if k < 0.72:
        return make_record(
            rng,
            sess,
            when,
            region,
            "rds.amazonaws.com",
            "DescribeDBInstances",
            {},
            None,
            True,
            host=f"rds.{region}.amazonaws.com",
        )
    if k < 0.76:
        return make_record(
            rng,
            sess,
            when,
            region,
            "monitoring.amazonaws.com",
            "DescribeAlarms",
            {"maxRecords": 100, "excludeManagedAlarms": True},
            None,
            True,
            host=f"monitoring.{region}.amazonaws.com",
        )
    if k < 0.80:
        return make_record(
            rng,
            sess,
            when,
            region,
            "logs.amazonaws.com",
            "DescribeLogGroups",
            {"logGroupNamePrefix": "/aws/lambda/"},
            None,
            True,
            host=f"logs.{region}.amazonaws.com",
        )
    if k < 0.83:
        return make_record(
            rng,
            sess,
            when,
            region,
            "cloudtrail.amazonaws.com",
            "LookupEvents",
            {"maxResults": 50, "lookupAttributes": [{"attributeKey": "ReadOnly", "attributeValue": "false"}]},
            None,
            True,
            host=f"cloudtrail.{region}.amazonaws.com",
        )
    if k < 0.85:
        return make_record(
            rng,
            sess,
            when,
            region,
            "cloudtrail.amazonaws.com",
            "DescribeTrails",
            {"trailNameList": [], "includeShadowTrails": True},
            None,
            True,
            host=f"cloudtrail.{region}.amazonaws.com",
        )
    if k < 0.88:
        return make_record(
            rng,
            sess,
            when,
            region,
            "lambda.amazonaws.com",
            "ListFunctions20150331",
            None,
            None,
            True,
            host=f"lambda.{region}.amazonaws.com",
        )
    if k < 0.91:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeRegions",
            {"regionSet": {}, "allRegions": False},
            None,
            True,
            host=ec2host,
        )
    if k < 0.95:
        return make_record(
            rng,
            sess,
            when,
            region,
            "sts.amazonaws.com",
            "GetCallerIdentity",
            None,
            None,
            True,
            host=f"sts.{region}.amazonaws.com",
        )
    return make_record(
        rng,
        sess,
        when,
        region,
        "ec2.amazonaws.com",
        "DescribeAvailabilityZones",
        {"availabilityZoneSet": {}, "availabilityZoneIdSet": {}},
        None,
        True,
        host=ec2host,
    )


_ERRORS = {
    "ec2": ("Client.UnauthorizedOperation", "You are not authorized to perform this operation."),
    "s3": ("AccessDenied", "Access Denied"),
    "iam": (
        "AccessDenied",
        "User: {arn} is not authorized to perform: iam:GetRole because no identity-based policy allows the action",
    ),
}
_THROTTLE = {
    "ec2": ("Client.RequestLimitExceeded", "Request limit exceeded."),
    "s3": ("SlowDown", "Please reduce your request rate."),
    "iam": ("ThrottlingException", "Rate exceeded"),
}


def _maybe_error(rng: random.Random, sess: Session, svc: str) -> tuple[str, str] | None:
    """Normal background errors: read-only people get AccessDenied now and then, pipelines get throttled."""
    x = rng.random()
    if sess.kind == "sso" and x < 0.025:
        code, msg = _ERRORS[svc]
        return code, msg.format(arn=sess.identity["arn"])
    if sess.kind in ("ci", "ec2") and x < 0.01:
        return _THROTTLE[svc]
    return None


def write_action(rng: random.Random, est: Estate, sess: Session, when: str, region: str) -> dict:
    """A change as a deployment or an operator makes it."""
    acct = est.account.id
    k = rng.random()
    if k < 0.3:
        p = rng.choice(est.parameters)
        return make_record(
            rng,
            sess,
            when,
            region,
            "ssm.amazonaws.com",
            "PutParameter",
            {"name": p, "type": "SecureString" if p.endswith("password") else "String", "overwrite": True},
            {"version": rng.randrange(2, 90), "tier": "Standard"},
            False,
            resources=[{"accountId": acct, "ARN": f"arn:aws:ssm:{region}:{acct}:parameter{p}"}],
            host=f"ssm.{region}.amazonaws.com",
        )
    if k < 0.6:
        fn = rng.choice(est.functions)[0]
        arn = f"arn:aws:lambda:{region}:{acct}:function:{fn}"
        return make_record(
            rng,
            sess,
            when,
            region,
            "lambda.amazonaws.com",
            "UpdateFunctionCode20150331v2",
            {
                "functionName": fn,
                "s3Bucket": est.buckets[-1],
                "s3Key": f"{fn}/{hex_id(rng, 40)}.zip",
                "publish": True,
                "dryRun": False,
            },
            {
                "functionName": fn,
                "functionArn": arn,
                "runtime": "python3.12",
                "role": f"arn:aws:iam::{acct}:role/{fn}-role",
                "handler": "app.handler",
                "codeSize": rng.randrange(10**5, 10**7),
                "description": "",
                "timeout": 30,
                "memorySize": 512,
                "lastModified": when.replace("Z", ".000+0000"),
                "codeSha256": base64.b64encode(rng.randbytes(32)).decode(),
                "version": str(rng.randrange(2, 300)),
                "tracingConfig": {"mode": "PassThrough"},
                "revisionId": new_uuid(rng),
                "state": "Active",
                "packageType": "Zip",
                "architectures": ["arm64"],
                "ephemeralStorage": {"size": 512},
            },
            False,
            host=f"lambda.{region}.amazonaws.com",
        )
    if k < 0.85:
        inst = rng.choice(est.instances[region])
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "CreateTags",
            {
                "resourcesSet": {"items": [{"resourceId": inst}]},
                "tagSet": {"items": [{"key": "deployed-at", "value": when}]},
            },
            {"requestId": new_uuid(rng), "_return": True},
            False,
            host=f"ec2.{region}.amazonaws.com",
            error=_maybe_error(rng, sess, "ec2"),
        )
    b = est.buckets[-1]
    return s3_object_event(
        rng,
        sess,
        when,
        region,
        "PutObject",
        b,
        f"releases/{hex_id(rng, 12)}/bundle.zip",
        acct,
        rng.randrange(10**5, 5 * 10**7),
    )


def workload_action(rng: random.Random, est: Estate, sess: Session, when: str, region: str) -> dict:
    """What an application's role does: object reads/writes, KMS, parameters, secrets."""
    acct = est.account.id
    k = rng.random()
    if k < 0.42:
        b = est.buckets[0] if rng.random() < 0.6 else est.buckets[1]
        key = f"{rng.choice(('customers', 'invoices', 'events', 'exports'))}/{2026 - rng.randrange(2)}/{hex_id(rng, 8)}.json"
        return s3_object_event(rng, sess, when, region, "GetObject", b, key, acct, rng.randrange(500, 400000))
    if k < 0.55:
        b = est.buckets[0] if rng.random() < 0.5 else est.buckets[1]
        return s3_object_event(
            rng,
            sess,
            when,
            region,
            "PutObject",
            b,
            f"events/{when[:10]}/{hex_id(rng, 12)}.json.gz",
            acct,
            rng.randrange(500, 200000),
        )
    key_arn = f"arn:aws:kms:{region}:{acct}:key/{est.kms_keys[region]}"
    if k < 0.75:
        ctx = (
            {"aws:s3:arn": f"arn:aws:s3:::{est.buckets[0]}"}
            if rng.random() < 0.7
            else {"aws:lambda:FunctionArn": f"arn:aws:lambda:{region}:{acct}:function:{est.functions[0][0]}"}
        )
        return make_record(
            rng,
            sess,
            when,
            region,
            "kms.amazonaws.com",
            "Decrypt",
            {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": ctx},
            None,
            True,
            resources=[{"accountId": acct, "type": "AWS::KMS::Key", "ARN": key_arn}],
            host=f"kms.{region}.amazonaws.com",
        )
    if k < 0.83:
        secret = rng.choice(est.secrets).format(region=region)
        return make_record(
            rng,
            sess,
            when,
            region,
            "kms.amazonaws.com",
            "GenerateDataKey",
            {
                "keyId": key_arn,
                "keySpec": "AES_256",
                "encryptionContext": {"SecretARN": secret, "SecretVersionId": new_uuid(rng).upper()},
            },
            None,
            True,
            resources=[{"accountId": acct, "type": "AWS::KMS::Key", "ARN": key_arn}],
            host=f"kms.{region}.amazonaws.com",
        )
    if k < 0.92:
        p = rng.choice(est.parameters)
        return make_record(
            rng,
            sess,
            when,
            region,
            "ssm.amazonaws.com",
            "GetParameter",
            {"name": p, "withDecryption": True},
            None,
            True,
            resources=[{"accountId": acct, "ARN": f"arn:aws:ssm:{region}:{acct}:parameter{p}"}],
            host=f"ssm.{region}.amazonaws.com",
        )
    return make_record(
        rng,
        sess,
        when,
        region,
        "secretsmanager.amazonaws.com",
        "GetSecretValue",
        {"secretId": rng.choice(est.secrets).format(region=region)},
        None,
        True,
        host=f"secretsmanager.{region}.amazonaws.com",
    )


def ssm_agent_action(rng: random.Random, est: Estate, sess: Session, when: str, region: str) -> dict:
    inst = sess.name
    ip = f"10.{rng.randrange(0, 4)}.{rng.randrange(1, 20)}.{rng.randrange(4, 250)}"
    return make_record(
        rng,
        Session(sess.identity, sess.ip, SSM_AGENT, sess.kind, sess.account),
        when,
        region,
        "ssm.amazonaws.com",
        "UpdateInstanceInformation",
        {
            "instanceId": inst,
            "agentVersion": "3.3.1142.0",
            "agentStatus": "Active",
            "platformType": "Linux",
            "platformName": "Amazon Linux",
            "platformVersion": "2023",
            "iPAddress": ip,
            "computerName": f"ip-{ip.replace('.', '-')}.{region}.compute.internal",
            "agentName": "amazon-ssm-agent",
        },
        None,
        False,
        host=f"ssm.{region}.amazonaws.com",
    )


def slr_action(rng: random.Random, est: Estate, sess: Session, when: str, region: str) -> dict:
    """Config, Inspector and Security Hub describing the account through their service-linked roles."""
    b = rng.choice(est.buckets)
    if sess.name == "config.amazonaws.com" and rng.random() < 0.5:
        name = rng.choice(("GetBucketAcl", "GetBucketPolicy"))
        return make_record(
            rng,
            sess,
            when,
            region,
            "s3.amazonaws.com",
            name,
            {
                "bucketName": b,
                "Host": f"{b}.s3.amazonaws.com",
                "acl" if name == "GetBucketAcl" else "policy": "",
            },
            None,
            True,
            resources=[{"accountId": est.account.id, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{b}"}],
            additional=_s3_additional(rng, rng.randrange(300, 2000)),
            request_id=s3_request_id(rng),
        )
    if rng.random() < 0.5:
        return make_record(
            rng,
            sess,
            when,
            region,
            "ec2.amazonaws.com",
            "DescribeInstances",
            {"instancesSet": {}, "filterSet": _ec2_filter("instance-state-name", "running", "pending")},
            None,
            True,
        )
    return make_record(
        rng,
        sess,
        when,
        region,
        "ec2.amazonaws.com",
        "DescribeSecurityGroups",
        {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
        None,
        True,
    )


# --------------------------------------------------------------------------- sessions


def assume_role_records(
    rng: random.Random,
    caller: Session | None,
    t: datetime,
    region: str,
    role_account: str,
    role_path: str,
    role: str,
    role_id: str,
    session_name: str,
    duration: int,
    service: str | None = None,
    external_caller: dict | None = None,
) -> tuple[list[dict], str]:
    """AssumeRole as CloudTrail logs it: in the role's account and, when cross-account, in the caller's too.

    Returns the records and the new temporary access key id (ASIA...), which every later
    record of the session carries in ``userIdentity.accessKeyId``.
    """
    key = aws_id(rng, "ASIA")
    when = ct_time(t)
    role_arn = f"arn:aws:iam::{role_account}:role/{role_path}{role}"
    req = {"roleArn": role_arn, "roleSessionName": session_name, "durationSeconds": duration}
    resp = {
        "credentials": {
            "accessKeyId": key,
            "sessionToken": session_token(rng),
            "expiration": sts_expiration(t + timedelta(seconds=duration)),
        },
        "assumedRoleUser": {
            "assumedRoleId": f"{role_id}:{session_name}",
            "arn": f"arn:aws:sts::{role_account}:assumed-role/{role}/{session_name}",
        },
    }
    resources = [{"accountId": role_account, "type": "AWS::IAM::Role", "ARN": role_arn}]
    shared = new_uuid(rng)
    request_id = new_uuid(rng)
    host = f"sts.{region}.amazonaws.com"
    if service:
        sess = Session(service_identity(service), service, service, "service", role_account)
        return [
            make_record(
                rng,
                sess,
                when,
                region,
                "sts.amazonaws.com",
                "AssumeRole",
                req,
                resp,
                True,
                resources=resources,
                request_id=request_id,
                shared_event_id=shared,
            )
        ], key
    assert caller is not None
    records = [
        make_record(
            rng,
            caller,
            when,
            region,
            "sts.amazonaws.com",
            "AssumeRole",
            req,
            resp,
            True,
            resources=resources,
            request_id=request_id,
            shared_event_id=shared,
            host=host,
        )
    ]
    if caller.account != role_account:
        ident = external_caller or {
            "type": "AWSAccount",
            "principalId": caller.identity.get("principalId"),
            "accountId": caller.account,
        }
        target_view = Session(ident, caller.ip, caller.ua, caller.kind, caller.account)
        records.append(
            make_record(
                rng,
                target_view,
                when,
                region,
                "sts.amazonaws.com",
                "AssumeRole",
                req,
                resp,
                True,
                recipient=role_account,
                resources=resources,
                request_id=request_id,
                shared_event_id=shared,
                host=host,
            )
        )
    return records, key


def saml_records(
    rng: random.Random, est: Estate, person: str, ip: str, ua: str, perm: str, t: datetime, idp_hash: str
) -> tuple[list[dict], str]:
    """IAM Identity Center sign-in to an account: AssumeRoleWithSAML into an AWSReservedSSO_* role."""
    acct = est.account.id
    role, role_id = est.sso_roles[perm]
    key = aws_id(rng, "ASIA")
    user = f"{person}@example-corp.com"
    role_arn = f"arn:aws:iam::{acct}:role/aws-reserved/sso.amazonaws.com/{role}"
    provider = f"arn:aws:iam::{acct}:saml-provider/AWSSSO_{idp_hash[:16]}_DO_NOT_DELETE"
    sess = Session(
        {
            "type": "SAMLUser",
            "principalId": f"{idp_hash}:{user}",
            "userName": user,
            "identityProvider": idp_hash,
        },
        ip,
        ua,
        "sso",
        acct,
    )
    rec = make_record(
        rng,
        sess,
        ct_time(t),
        HOME_REGION,
        "sts.amazonaws.com",
        "AssumeRoleWithSAML",
        {
            "sAMLAssertionID": f"_{new_uuid(rng)}",
            "roleSessionName": user,
            "principalTags": {},
            "roleArn": role_arn,
            "principalArn": provider,
            "durationSeconds": 43200,
        },
        {
            "credentials": {
                "accessKeyId": key,
                "sessionToken": session_token(rng),
                "expiration": sts_expiration(t + timedelta(hours=12)),
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{role_id}:{user}",
                "arn": f"arn:aws:sts::{acct}:assumed-role/{role}/{user}",
            },
            "subject": user,
            "subjectType": "persistent",
            "issuer": f"https://portal.sso.{HOME_REGION}.amazonaws.com/saml/assertion/{idp_hash}",
            "audience": "https://signin.aws.amazon.com/saml",
            "nameQualifier": idp_hash,
        },
        True,
        resources=[
            {"ARN": role_arn, "accountId": acct, "type": "AWS::IAM::Role"},
            {"ARN": provider, "accountId": acct, "type": "AWS::IAM::SAMLProvider"},
        ],
        host=f"sts.{HOME_REGION}.amazonaws.com",
    )
    return [rec], key


def console_login_record(
    rng: random.Random,
    sess: Session,
    t: datetime,
    mfa: bool | None,
    region: str = HOME_REGION,
    login_to: str | None = None,
) -> dict:
    """ConsoleLogin: eventType AwsConsoleSignIn, no requestID, MFAUsed in additionalEventData."""
    add = {
        "LoginTo": login_to or f"https://{region}.console.aws.amazon.com/console/home?region={region}",
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa else "No",
    }
    return make_record(
        rng,
        sess,
        ct_time(t),
        region,
        "signin.amazonaws.com",
        "ConsoleLogin",
        None,
        {"ConsoleLogin": "Success"},
        False,
        additional=add,
        event_type="AwsConsoleSignIn",
        host=f"{region}.signin.aws.amazon.com",
    )


# --------------------------------------------------------------------------- one account-day


@dataclass
class DayTask:
    """Generate one account's CloudTrail for one day (a unit of work for a process)."""

    lake: str
    org: Organization
    account_index: int
    day: datetime
    events_per_day: int
    seed: int
    extra: list[tuple[int, str, dict]]
    gap: tuple[str, str, datetime, datetime] | None
    gzip_level: int = GZIP_LEVEL
    delivery_minutes: int = 5


@dataclass
class DayResult:
    account: str
    day: datetime
    events: int
    files: int
    bytes: int


_ESTATES: dict[tuple, Estate] = {}
"""Each process builds an account's estate once per organization. The key names the whole organization:
keyed by seed and account alone, a second demo generated in the same process (or in workers forked from
it) reused the first demo's estate, with its period and accounts."""


def _estate(org: Organization, account: Account, seed: int) -> Estate:
    k = (seed, account.id, org.id, org.start, org.end, tuple(a.id for a in org.accounts))
    if k not in _ESTATES:
        _ESTATES[k] = build_estate(org, account, seed)
    return _ESTATES[k]


def _hour_counts(rng: random.Random, n: float, curve: list[float]) -> list[int]:
    total = sum(curve)
    return [int(n * w / total + rng.random()) for w in curve]


def generate_day(task: DayTask) -> DayResult:
    """All records of one account and day, written as 5-minute gzip files in the CloudTrail key layout."""
    org = task.org
    account = org.accounts[task.account_index]
    rng = random.Random(f"ct/{task.seed}/{account.id}/{task.day:%Y%m%d}")
    est = _estate(org, account, task.seed)
    day0 = task.day
    events: list[tuple[int, str, dict]] = []
    lo = 0
    if account.joined > day0:
        lo = int((account.joined - day0).total_seconds())
    if lo < 86400:
        events = _background(rng, task, est, lo)
    events.extend(task.extra)
    return _write_files(rng, task, account, events)


def _background(rng: random.Random, task: DayTask, est: Estate, lo: int) -> list[tuple[int, str, dict]]:
    org, account, day0 = task.org, est.account, task.day
    total_w = sum(a.weight for a in org.accounts)
    n_day = task.events_per_day * account.weight / total_w * WEEKDAY[day0.weekday()] * rng.uniform(0.9, 1.1)
    prefix = day0.strftime("%Y-%m-%dT")
    out: list[tuple[int, str, dict]] = []
    regions = account.regions
    region_w = (
        [0.7, 0.2, 0.1][: len(regions)] if len(regions) <= 3 else [0.6, 0.2, 0.1, 0.05, 0.05][: len(regions)]
    )
    idp = hex_id(random.Random(f"idp/{task.seed}/{org.id}"), 32)

    def emit(sec: int, region: str, rec: dict) -> None:
        out.append((sec, region, rec))

    def when(sec: int) -> str:
        return prefix + HMS[sec]

    def t_of(sec: int) -> datetime:
        return day0 + timedelta(seconds=sec)

    # People through IAM Identity Center: business hours, console or CLI, read-heavy.
    for hour, n in enumerate(_hour_counts(rng, n_day * 0.22, BUSINESS_HOURS)):
        if n == 0 or hour * 3600 + 3599 < lo:
            continue
        sessions = int(n / 30 + rng.random())
        for _ in range(sessions):
            person, browser = rng.choice(PEOPLE)
            console = rng.random() < 0.55
            perm = rng.choices(PERMISSION_SETS, (0.25, 0.55, 0.2))[0]
            ip = (
                rng.choice(OFFICE_IPS)
                if rng.random() < 0.7
                else HOME_IPS[PEOPLE.index((person, browser)) % len(HOME_IPS)]
            )
            start = max(lo, hour * 3600 + rng.randrange(3600))
            recs, key = saml_records(rng, est, person, ip, browser, perm, t_of(start), idp)
            for r in recs:
                emit(start, HOME_REGION, r)
            role, role_id = est.sso_roles[perm]
            user = f"{person}@example-corp.com"
            ua = CONSOLE_AGENT if console else rng.choice(CLI_AGENTS).format(cmd="ec2.describe-instances")
            sess = Session(
                assumed_role_identity(
                    account.id,
                    "aws-reserved/sso.amazonaws.com/",
                    role,
                    role_id,
                    user,
                    key,
                    ct_time(t_of(start)),
                ),
                ip,
                ua,
                "sso",
                account.id,
                console=console,
            )
            if console:
                emit(
                    start,
                    HOME_REGION,
                    console_login_record(
                        rng, Session(sess.identity, ip, browser, "sso", account.id), t_of(start), None
                    ),
                )
            for _ in range(max(1, n // sessions)):
                sec = min(86399, start + int(rng.expovariate(1 / 900)))
                region = rng.choices(regions, region_w)[0]
                if perm != "ReadOnlyAccess" and rng.random() < 0.06:
                    emit(sec, region, write_action(rng, est, sess, when(sec), region))
                else:
                    emit(sec, region, read_action(rng, est, sess, when(sec), region))

    # CI/CD: the shared-services CI user assumes cicd-deploy in each workload account.
    shared = org.by_role("shared-services")
    if account.id == shared.id:
        for target in org.accounts:
            if target.id != shared.id and target.role != "management":
                for sec, _region, caller_copy, _target_copy, _sess in _ci_runs(task, target):
                    emit(sec, HOME_REGION, caller_copy)
        ci_acct, ci_user, ci_uid, ci_key = ci_principal(org, task.seed)
        for hour, n in enumerate(_hour_counts(rng, n_day * 0.02, BUSINESS_HOURS)):
            for _ in range(n):
                sec = max(lo, hour * 3600 + rng.randrange(3600))
                caller = Session(
                    iam_user_identity(shared.id, ci_user, ci_uid, ci_key),
                    rng.choice(CI_RUNNER_IPS),
                    rng.choice(CI_AGENTS).format(cmd="sts.get-caller-identity", svc="sts"),
                    "ci",
                    shared.id,
                )
                emit(
                    sec,
                    HOME_REGION,
                    make_record(
                        rng,
                        caller,
                        when(sec),
                        HOME_REGION,
                        "sts.amazonaws.com",
                        "GetCallerIdentity",
                        None,
                        None,
                        True,
                        host=f"sts.{HOME_REGION}.amazonaws.com",
                    ),
                )
    elif account.role != "management":
        # Pipelines deploy into every member account but the management account.
        for start, _region, _caller_copy, target_copy, sess in _ci_runs(task, account):
            if start < lo:
                continue
            emit(start, HOME_REGION, target_copy)
            for _ in range(rng.randint(8, 30)):
                sec = min(86399, start + rng.randrange(900))
                region = rng.choices(regions, region_w)[0]
                act = write_action if rng.random() < 0.45 else read_action
                emit(sec, region, act(rng, est, sess, when(sec), region))

    # EC2 instance roles: hourly credential refresh per instance, steady application traffic.
    machine = _hour_counts(rng, n_day * 0.38, MACHINE_HOURS)
    ec2_sessions: dict[tuple[str, str, int], Session] = {}
    busy = max(1, min(4, round(n_day * 0.38 / (len(regions) * 150))))
    for region in regions:
        for inst in est.instances[region][:busy]:
            role, role_id = est.instance_roles[est.instances[region].index(inst) % len(est.instance_roles)]
            for hour in range(0, 24, 6):
                start = hour * 3600 + rng.randrange(600)
                if start < lo:
                    continue
                recs, key = assume_role_records(
                    rng,
                    None,
                    t_of(start),
                    region,
                    account.id,
                    "",
                    role,
                    role_id,
                    inst,
                    21600,
                    service="ec2.amazonaws.com",
                )
                emit(start, region, recs[0])
                sess = Session(
                    assumed_role_identity(
                        account.id, "", role, role_id, inst, key, ct_time(t_of(start)), ec2=True
                    ),
                    rng.choice(est.nat_ips),
                    rng.choice(SDK_AGENTS),
                    "ec2",
                    account.id,
                    region,
                    start=start,
                    name=inst,
                )
                ec2_sessions[(region, inst, hour // 6)] = sess
    for hour, n in enumerate(machine):
        if hour * 3600 + 3599 < lo:
            continue
        pool = [s for (r, i, q), s in ec2_sessions.items() if q == hour // 6]
        if not pool:
            continue
        for _ in range(n):
            sess = rng.choice(pool)
            sec = max(sess.start, hour * 3600 + rng.randrange(3600))
            if rng.random() < 0.08:
                emit(sec, sess.region, ssm_agent_action(rng, est, sess, when(sec), sess.region))
            else:
                emit(sec, sess.region, workload_action(rng, est, sess, when(sec), sess.region))

    # Lambda functions: the service assumes the execution role for an execution environment
    # (which lives for hours), then the function works with those credentials.
    n_lambda = int(n_day * 0.2)
    fns = []
    for _ in range(max(1, min(len(est.functions) * 3, n_lambda // 40))):
        fn, role, role_id = rng.choice(est.functions)
        start = lo + rng.randrange(86400 - lo)
        region = regions[0]
        recs, key = assume_role_records(
            rng,
            None,
            t_of(start),
            region,
            account.id,
            "",
            role,
            role_id,
            fn,
            43200,
            service="lambda.amazonaws.com",
        )
        emit(start, region, recs[0])
        ip = (
            f"{rng.choice([3, 18, 52, 54])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        )
        ident = assumed_role_identity(account.id, "", role, role_id, fn, key, ct_time(t_of(start)))
        fns.append((start, Session(ident, ip, LAMBDA_AGENT, "lambda", account.id, region)))
    for _ in range(n_lambda):
        start, sess = rng.choice(fns)
        sec = min(86399, start + rng.randrange(8 * 3600))
        emit(sec, sess.region, workload_action(rng, est, sess, when(sec), sess.region))

    # AWS services through service-linked roles (Config, Inspector, Security Hub): invokedBy, no TLS details.
    for hour, n in enumerate(_hour_counts(rng, n_day * 0.10, MACHINE_HOURS)):
        if n == 0 or hour * 3600 + 3599 < lo:
            continue
        for _ in range(n):
            svc = rng.choice(list(est.slr))
            role, role_id = est.slr[svc]
            sname = {
                "config.amazonaws.com": "AWSConfig-Describe",
                "inspector2.amazonaws.com": f"MandoService{rng.randrange(10**17, 10**18)}",
                "securityhub.amazonaws.com": "securityhub",
            }[svc]
            sec = max(lo, hour * 3600 + rng.randrange(3600))
            region = rng.choice(regions)
            ident = assumed_role_identity(
                account.id,
                f"aws-service-role/{svc}/",
                role,
                role_id,
                sname,
                None,
                ct_time(t_of(sec - sec % 3600)),
                invoked_by=svc,
            )
            emit(
                sec,
                region,
                slr_action(
                    rng, est, Session(ident, svc, svc, "slr", account.id, name=svc), when(sec), region
                ),
            )
    return out


def _ci_runs(task: DayTask, target: Account) -> list[tuple[int, str, dict, dict, Session]]:
    """The day's pipeline runs into ``target``: both copies of each cross-account AssumeRole.

    Account-days are generated independently (in parallel, deterministically), so both the
    role account's task and shared services' task draw the runs from the same seeded rng:
    the two copies share requestID and sharedEventID as CloudTrail's do.
    """
    org = task.org
    shared = org.by_role("shared-services")
    if target.joined >= task.day + timedelta(days=1):
        return []
    rng = random.Random(f"ci/{task.seed}/{target.id}/{task.day:%Y%m%d}")
    est = _estate(org, target, task.seed)
    _, ci_user, ci_uid, ci_key = ci_principal(org, task.seed)
    total_w = sum(a.weight for a in org.accounts)
    runs_per_day = max(
        1.0, task.events_per_day * target.weight / total_w * WEEKDAY[task.day.weekday()] * 0.10 / 19
    )
    lo = max(0, int((target.joined - task.day).total_seconds()))
    out = []
    for hour, n in enumerate(_hour_counts(rng, runs_per_day, BUSINESS_HOURS)):
        for _ in range(n):
            start = max(lo, hour * 3600 + rng.randrange(3600))
            ip = rng.choice(CI_RUNNER_IPS)
            agent = rng.choice(CI_AGENTS)
            caller = Session(
                iam_user_identity(shared.id, ci_user, ci_uid, ci_key),
                ip,
                agent.format(cmd="sts.assume-role", svc="sts"),
                "ci",
                shared.id,
            )
            pipeline = f"pipeline-{target.name}-{hex_id(rng, 6)}"
            t = task.day + timedelta(seconds=start)
            recs, key = assume_role_records(
                rng, caller, t, HOME_REGION, target.id, "", est.cicd_role[0], est.cicd_role[1], pipeline, 3600
            )
            sess = Session(
                assumed_role_identity(
                    target.id, "", est.cicd_role[0], est.cicd_role[1], pipeline, key, ct_time(t)
                ),
                ip,
                agent.format(cmd="deploy", svc="lambda"),
                "ci",
                target.id,
            )
            out.append((start, HOME_REGION, recs[0], recs[1], sess))
    return out


def _write_files(
    rng: random.Random, task: DayTask, account: Account, events: list[tuple[int, str, dict]]
) -> DayResult:
    groups: dict[tuple[str, int], list[tuple[int, dict]]] = defaultdict(list)
    gap = task.gap
    window = task.delivery_minutes * 60
    for sec, region, rec in events:
        if gap and gap[0] == account.id and gap[1] == region:
            t = task.day + timedelta(seconds=sec)
            if gap[2] <= t < gap[3]:
                continue
        groups[(region, sec // window)].append((sec, rec))
    n_events = n_files = n_bytes = 0
    for (region, slot), items in sorted(groups.items(), key=lambda kv: kv[0]):
        items.sort(key=lambda x: (x[0], x[1]["eventTime"]))
        recs = [r for _, r in items]
        delivered = task.day + timedelta(seconds=slot * window)
        suffix = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", k=16))
        key = cloudtrail_key(account.id, region, delivered, task.org.id, suffix=suffix)
        path = os.path.join(task.lake, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = gzip.compress(
            json.dumps({"Records": recs}, separators=(",", ":")).encode(),
            compresslevel=task.gzip_level,
            mtime=0,
        )
        with open(path, "wb") as f:
            f.write(data)
        n_events += len(recs)
        n_files += 1
        n_bytes += len(data)
    return DayResult(account.id, task.day, n_events, n_files, n_bytes)
