"""CloudTrail records as CloudTrail writes them: ids, times, identities, one record, and the few calls
whose shape is more than one record (AssumeRole seen from two accounts, SAML and console sign-in).

Record shapes follow the real records in ``../shared/data/cloudtrail`` (Invictus'
Stratus Red Team capture above all): the same key order, ``userIdentity`` per
identity type, ``requestParameters``/``responseElements`` of each API, S3 data
events with ``additionalEventData`` and resources, ``tlsDetails`` for calls from
outside AWS and ``sharedEventID`` on cross-account and service AssumeRole.

Records are plain dicts, written once and never changed: records of a session share its
``userIdentity`` dict, and rows of the action tables may share their constant parts.
"""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.org import HOME_REGION

EVENT_VERSION = "1.09"
HMS = [f"{h:02d}:{m:02d}:{s:02d}Z" for h in range(24) for m in range(60) for s in range(60)]
"""eventTime suffixes by second of the day: formatting times is the generator's hottest path."""


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


def endpoint(source: str, region: str) -> str:
    """The host a client calls for ``source`` in ``region``: IAM has one global endpoint, the rest one per region."""
    if source == "iam.amazonaws.com":
        return source
    return f"{source.split('.')[0]}.{region}.amazonaws.com"


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


def _principal(kind: str, principal_id: str, arn: str, account: str, key: str | None) -> dict:
    """The fields every principal's ``userIdentity`` opens with, in CloudTrail's order, and the
    access key it signed with, if any."""
    ident = {"type": kind, "principalId": principal_id, "arn": arn, "accountId": account}
    if key:
        ident["accessKeyId"] = key
    return ident


def iam_user_identity(account: str, user: str, user_id: str, key: str | None) -> dict:
    ident = _principal("IAMUser", user_id, f"arn:aws:iam::{account}:user/{user}", account, key)
    ident["userName"] = user
    return ident


def root_identity(account: str, key: str | None = None, created: str | None = None) -> dict:
    ident = _principal("Root", account, f"arn:aws:iam::{account}:root", account, key)
    if key:
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
    ident = _principal(
        "AssumedRole",
        f"{role_id}:{session}",
        f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        account,
        key,
    )
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


# --------------------------------------------------------------------------- S3 and EC2 shapes


def s3_additional(rng: random.Random, out_bytes: int, in_bytes: int = 0) -> dict:
    """additionalEventData of an S3 call: signature, TLS, bytes in and out, and the x-amz-id-2 host id."""
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
        additional=s3_additional(rng, size)
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


def ec2_filter(name: str, *values: str) -> dict:
    return {"items": [{"name": name, "valueSet": {"items": [{"value": v} for v in values]}}]}


# --------------------------------------------------------------------------- calls of more than one shape


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
    # Who the record shows calling, the account it is logged in (None: the caller's), and the endpoint.
    views: list[tuple[Session, str | None, str | None]]
    if service:
        views = [(Session(service_identity(service), service, service, "service", role_account), None, None)]
    else:
        assert caller is not None
        host = endpoint("sts.amazonaws.com", region)
        views = [(caller, None, host)]
        if caller.account != role_account:
            ident = external_caller or {
                "type": "AWSAccount",
                "principalId": caller.identity.get("principalId"),
                "accountId": caller.account,
            }
            views.append(
                (Session(ident, caller.ip, caller.ua, caller.kind, caller.account), role_account, host)
            )
    records = [
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
            recipient=recipient,
            resources=resources,
            request_id=request_id,
            shared_event_id=shared,
            host=host,
        )
        for sess, recipient, host in views
    ]
    return records, key


def saml_records(
    rng: random.Random,
    acct: str,
    role: str,
    role_id: str,
    person: str,
    ip: str,
    ua: str,
    t: datetime,
    idp_hash: str,
) -> tuple[list[dict], str]:
    """IAM Identity Center sign-in to an account: AssumeRoleWithSAML into an AWSReservedSSO_* role."""
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
