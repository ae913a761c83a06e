"""What people, pipelines, workloads and AWS services do all day, as weighted tables of API calls.

A table is rows of (weight, action). An action builds one record from a ``Call``: who acts, when,
in which region, against which account's estate. A row is an ``Api`` when its request is data
(or a small function of the estate), and a short function when the call draws several things.
Tables are actions too, so they nest: a pipeline writes 45 % of the time and reads otherwise.

The order of random draws is part of the data: the generator is deterministic for a seed, and
an action that drew in another order would change every record drawn after it. So each action
draws in a fixed order, and a table draws once to pick its row.
"""

from __future__ import annotations

import base64
import itertools
import random
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from orginsight.demo.estate import Estate
from orginsight.demo.org import HOME_REGION
from orginsight.demo.records import (
    Session,
    ec2_filter,
    endpoint,
    hex_id,
    make_record,
    new_uuid,
    s3_additional,
    s3_object_event,
    s3_request_id,
)

SSM_AGENT = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0"


@dataclass(frozen=True, slots=True)
class Call:
    """One call to build: the session acting, its time (``eventTime``), region and the account's estate."""

    rng: random.Random
    est: Estate
    sess: Session
    when: str
    region: str

    @property
    def account(self) -> str:
        return self.est.account.id


Action = Callable[[Call], dict]
"""Builds one CloudTrail record."""


class Weighted:
    """A weighted table of actions, itself an action: one uniform draw picks the row."""

    def __init__(self, *rows: tuple[float, Action]) -> None:
        self.rows = rows
        self._actions = tuple(action for _, action in rows)
        self._bounds = tuple(itertools.accumulate(weight for weight, _ in rows))

    def __call__(self, c: Call) -> dict:
        k = c.rng.random() * self._bounds[-1]
        return self._actions[min(bisect_right(self._bounds, k), len(self._actions) - 1)](c)


# --------------------------------------------------------------------------- everyday errors

EVERYDAY_ERRORS = {
    "ec2": ("Client.UnauthorizedOperation", "You are not authorized to perform this operation."),
    "s3": ("AccessDenied", "Access Denied"),
    "iam": (
        "AccessDenied",
        "User: {arn} is not authorized to perform: iam:GetRole because no identity-based policy allows the action",
    ),
}
"""What a person with too few permissions meets, by service."""
THROTTLING = {
    "ec2": ("Client.RequestLimitExceeded", "Request limit exceeded."),
    "s3": ("SlowDown", "Please reduce your request rate."),
    "iam": ("ThrottlingException", "Rate exceeded"),
}
"""What a busy pipeline or instance meets, by service."""
NO_BUCKET_POLICY = ("NoSuchBucketPolicy", "The bucket policy does not exist")


def everyday_error(rng: random.Random, sess: Session, service: str) -> tuple[str, str] | None:
    """Normal background errors: read-only people get AccessDenied now and then, pipelines get throttled."""
    x = rng.random()
    if sess.kind == "sso" and x < 0.025:
        code, msg = EVERYDAY_ERRORS[service]
        return code, msg.format(arn=sess.identity["arn"])
    if sess.kind in ("ci", "ec2") and x < 0.01:
        return THROTTLING[service]
    return None


# --------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class Api:
    """A read-only call in the session's region: its request is data, or a function of the call."""

    source: str
    name: str
    request: dict | Callable[[Call], dict | None] | None = None
    """Shared by every record of the row when it is data (records are never changed once built)."""
    errors: str | None = None
    """The service whose everyday errors the call may meet (a key of EVERYDAY_ERRORS), drawn after the request."""

    def __call__(self, c: Call) -> dict:
        req = self.request(c) if callable(self.request) else self.request
        error = everyday_error(c.rng, c.sess, self.errors) if self.errors else None
        return make_record(
            c.rng,
            c.sess,
            c.when,
            c.region,
            self.source,
            self.name,
            req,
            None,
            True,
            host=endpoint(self.source, c.region),
            error=error,
        )


def _instances_request(c: Call) -> dict:
    """Most look for running instances; some ask about one instance."""
    if c.rng.random() < 0.6:
        return {"instancesSet": {}, "filterSet": ec2_filter("instance-state-name", "running", "pending")}
    return {
        "instancesSet": {"items": [{"instanceId": c.rng.choice(c.est.instances[c.region])}]},
        "filterSet": {},
    }


BUCKET_CONFIG_READS = {
    "GetBucketAcl": "acl",
    "GetBucketPolicy": "policy",
    "GetBucketEncryption": "encryption",
    "GetBucketVersioning": "versioning",
}
"""S3 bucket-configuration reads, and the sub-resource each names in its request."""


def _bucket_config(
    c: Call, bucket: str, name: str, error: tuple[str, str] | None, everyday: bool, host: str | None
) -> dict:
    rng = c.rng
    return make_record(
        rng,
        c.sess,
        c.when,
        c.region,
        "s3.amazonaws.com",
        name,
        {"bucketName": bucket, "Host": f"{bucket}.s3.amazonaws.com", BUCKET_CONFIG_READS[name]: ""},
        None,
        True,
        resources=[{"accountId": c.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
        additional=s3_additional(rng, rng.randrange(300, 2000)),
        request_id=s3_request_id(rng),
        error=error or (everyday_error(rng, c.sess, "s3") if everyday else None),
        host=host,
    )


def bucket_config_read(c: Call) -> dict:
    """A person or tool reads a bucket's configuration; many buckets have no policy, so that read fails often."""
    bucket = c.rng.choice(c.est.buckets)
    name = c.rng.choice(tuple(BUCKET_CONFIG_READS))
    error = NO_BUCKET_POLICY if name == "GetBucketPolicy" and c.rng.random() < 0.4 else None
    return _bucket_config(c, bucket, name, error, everyday=True, host=f"{bucket}.s3.amazonaws.com")


def list_buckets(c: Call) -> dict:
    """ListBuckets is global: logged in us-east-1 whichever region the session works in."""
    rng = c.rng
    return make_record(
        rng,
        c.sess,
        c.when,
        HOME_REGION,
        "s3.amazonaws.com",
        "ListBuckets",
        {"Host": "s3.amazonaws.com"},
        None,
        True,
        additional=s3_additional(rng, rng.randrange(2000, 9000)),
        request_id=s3_request_id(rng),
        host="s3.amazonaws.com",
    )


def iam_read(c: Call) -> dict:
    """IAM is global: one endpoint, logged in us-east-1."""
    rng, roles = c.rng, c.est.instance_roles
    # Both role names are drawn whichever call is picked: the order of draws is the generator's data.
    get_role, list_policies = rng.choice(roles)[0], rng.choice(roles)[0]
    name, req = rng.choice(
        (
            ("GetRole", {"roleName": get_role}),
            ("ListAttachedRolePolicies", {"roleName": list_policies}),
            ("GetUser", {"userName": "ci-deployer"} if c.est.ci_user else None),
            ("ListAccessKeys", None),
        )
    )
    error = everyday_error(rng, c.sess, "iam")
    return make_record(
        rng,
        c.sess,
        c.when,
        HOME_REGION,
        "iam.amazonaws.com",
        name,
        req,
        None,
        True,
        host="iam.amazonaws.com",
        error=error,
    )


def _parameter_call(c: Call, name: str, req: dict, resp: dict | None, parameter: str) -> dict:
    return make_record(
        c.rng,
        c.sess,
        c.when,
        c.region,
        "ssm.amazonaws.com",
        name,
        req,
        resp,
        name == "GetParameter",
        resources=[
            {"accountId": c.account, "ARN": f"arn:aws:ssm:{c.region}:{c.account}:parameter{parameter}"}
        ],
        host=endpoint("ssm.amazonaws.com", c.region),
    )


def get_parameter(c: Call, decrypt: bool | None = None) -> dict:
    """GetParameter; ``decrypt`` None decrypts the SecureString ones (the passwords), as people do."""
    p = c.rng.choice(c.est.parameters)
    req = {"name": p, "withDecryption": p.endswith("password") if decrypt is None else decrypt}
    return _parameter_call(c, "GetParameter", req, None, p)


def put_parameter(c: Call) -> dict:
    p = c.rng.choice(c.est.parameters)
    req = {"name": p, "type": "SecureString" if p.endswith("password") else "String", "overwrite": True}
    return _parameter_call(c, "PutParameter", req, {"version": c.rng.randrange(2, 90), "tier": "Standard"}, p)


def update_function_code(c: Call) -> dict:
    """A deployment of a Lambda function from the build-artifacts bucket."""
    rng, acct = c.rng, c.account
    fn = rng.choice(c.est.functions)[0]
    return make_record(
        rng,
        c.sess,
        c.when,
        c.region,
        "lambda.amazonaws.com",
        "UpdateFunctionCode20150331v2",
        {
            "functionName": fn,
            "s3Bucket": c.est.buckets[-1],
            "s3Key": f"{fn}/{hex_id(rng, 40)}.zip",
            "publish": True,
            "dryRun": False,
        },
        {
            "functionName": fn,
            "functionArn": f"arn:aws:lambda:{c.region}:{acct}:function:{fn}",
            "runtime": "python3.12",
            "role": f"arn:aws:iam::{acct}:role/{fn}-role",
            "handler": "app.handler",
            "codeSize": rng.randrange(10**5, 10**7),
            "description": "",
            "timeout": 30,
            "memorySize": 512,
            "lastModified": c.when.replace("Z", ".000+0000"),
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
        host=endpoint("lambda.amazonaws.com", c.region),
    )


def tag_instance(c: Call) -> dict:
    """A deployment stamps the instance it deployed to."""
    rng = c.rng
    inst = rng.choice(c.est.instances[c.region])
    return make_record(
        rng,
        c.sess,
        c.when,
        c.region,
        "ec2.amazonaws.com",
        "CreateTags",
        {
            "resourcesSet": {"items": [{"resourceId": inst}]},
            "tagSet": {"items": [{"key": "deployed-at", "value": c.when}]},
        },
        {"requestId": new_uuid(rng), "_return": True},
        False,
        host=endpoint("ec2.amazonaws.com", c.region),
        error=everyday_error(rng, c.sess, "ec2"),
    )


def upload_release(c: Call) -> dict:
    """A build uploads its bundle to the build-artifacts bucket (an S3 data event)."""
    rng, bucket = c.rng, c.est.buckets[-1]
    key = f"releases/{hex_id(rng, 12)}/bundle.zip"
    return s3_object_event(
        rng, c.sess, c.when, c.region, "PutObject", bucket, key, c.account, rng.randrange(10**5, 5 * 10**7)
    )


def read_object(c: Call) -> dict:
    """An application reads its data: customer data most often, assets otherwise."""
    rng = c.rng
    bucket = c.est.buckets[0] if rng.random() < 0.6 else c.est.buckets[1]
    folder = rng.choice(("customers", "invoices", "events", "exports"))
    key = f"{folder}/{2026 - rng.randrange(2)}/{hex_id(rng, 8)}.json"
    return s3_object_event(
        rng, c.sess, c.when, c.region, "GetObject", bucket, key, c.account, rng.randrange(500, 400000)
    )


def write_object(c: Call) -> dict:
    """An application writes the day's events."""
    rng = c.rng
    bucket = c.est.buckets[0] if rng.random() < 0.5 else c.est.buckets[1]
    key = f"events/{c.when[:10]}/{hex_id(rng, 12)}.json.gz"
    return s3_object_event(
        rng, c.sess, c.when, c.region, "PutObject", bucket, key, c.account, rng.randrange(500, 200000)
    )


def _kms_call(c: Call, name: str, req: dict, key_arn: str) -> dict:
    return make_record(
        c.rng,
        c.sess,
        c.when,
        c.region,
        "kms.amazonaws.com",
        name,
        req,
        None,
        True,
        resources=[{"accountId": c.account, "type": "AWS::KMS::Key", "ARN": key_arn}],
        host=endpoint("kms.amazonaws.com", c.region),
    )


def kms_decrypt(c: Call) -> dict:
    """Decrypt on behalf of S3 (SSE-KMS objects) or of a Lambda function's environment."""
    key_arn = f"arn:aws:kms:{c.region}:{c.account}:key/{c.est.kms_keys[c.region]}"
    if c.rng.random() < 0.7:
        ctx = {"aws:s3:arn": f"arn:aws:s3:::{c.est.buckets[0]}"}
    else:
        ctx = {
            "aws:lambda:FunctionArn": f"arn:aws:lambda:{c.region}:{c.account}:function:{c.est.functions[0][0]}"
        }
    req = {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": ctx}
    return _kms_call(c, "Decrypt", req, key_arn)


def kms_generate_data_key(c: Call) -> dict:
    """Secrets Manager asks KMS for a data key when a secret is read."""
    key_arn = f"arn:aws:kms:{c.region}:{c.account}:key/{c.est.kms_keys[c.region]}"
    secret = c.rng.choice(c.est.secrets).format(region=c.region)
    context = {"SecretARN": secret, "SecretVersionId": new_uuid(c.rng).upper()}
    req = {"keyId": key_arn, "keySpec": "AES_256", "encryptionContext": context}
    return _kms_call(c, "GenerateDataKey", req, key_arn)


def ssm_agent_heartbeat(c: Call) -> dict:
    """The SSM agent on an instance reports in, with the instance's own credentials and its own client."""
    rng, sess = c.rng, c.sess
    ip = f"10.{rng.randrange(0, 4)}.{rng.randrange(1, 20)}.{rng.randrange(4, 250)}"
    return make_record(
        rng,
        Session(sess.identity, sess.ip, SSM_AGENT, sess.kind, sess.account),
        c.when,
        c.region,
        "ssm.amazonaws.com",
        "UpdateInstanceInformation",
        {
            "instanceId": sess.name,
            "agentVersion": "3.3.1142.0",
            "agentStatus": "Active",
            "platformType": "Linux",
            "platformName": "Amazon Linux",
            "platformVersion": "2023",
            "iPAddress": ip,
            "computerName": f"ip-{ip.replace('.', '-')}.{c.region}.compute.internal",
            "agentName": "amazon-ssm-agent",
        },
        None,
        False,
        host=endpoint("ssm.amazonaws.com", c.region),
    )


# --------------------------------------------------------------------------- the tables

GET_CALLER_IDENTITY = Api("sts.amazonaws.com", "GetCallerIdentity")
"""What a pipeline calls first to check whose credentials it holds."""

READ_ACTIONS = Weighted(
    (16, Api("ec2.amazonaws.com", "DescribeInstances", _instances_request, errors="ec2")),
    (
        8,
        Api(
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            lambda c: {
                "securityGroupSet": {},
                "securityGroupIdSet": {},
                "filterSet": ec2_filter("vpc-id", c.est.vpcs[c.region]),
            },
            errors="ec2",
        ),
    ),
    (6, Api("ec2.amazonaws.com", "DescribeVpcs", {"vpcSet": {}, "filterSet": {}})),
    (
        5,
        Api(
            "ec2.amazonaws.com",
            "DescribeSubnets",
            lambda c: {"subnetSet": {}, "filterSet": ec2_filter("vpc-id", c.est.vpcs[c.region])},
        ),
    ),
    (4, Api("ec2.amazonaws.com", "DescribeVolumes", {"volumeSet": {}, "filterSet": {}, "maxResults": 500})),
    (8, bucket_config_read),
    (5, list_buckets),
    (6, iam_read),
    (6, get_parameter),
    (
        4,
        Api(
            "ssm.amazonaws.com",
            "DescribeParameters",
            lambda c: {
                "maxResults": 50,
                "parameterFilters": [
                    {"key": "Name", "option": "BeginsWith", "values": [f"/{c.est.account.name}/"]}
                ],
            },
        ),
    ),
    (4, Api("rds.amazonaws.com", "DescribeDBInstances", {})),
    (4, Api("monitoring.amazonaws.com", "DescribeAlarms", {"maxRecords": 100, "excludeManagedAlarms": True})),
    (4, Api("logs.amazonaws.com", "DescribeLogGroups", {"logGroupNamePrefix": "/aws/lambda/"})),
    (
        3,
        Api(
            "cloudtrail.amazonaws.com",
            "LookupEvents",
            {"maxResults": 50, "lookupAttributes": [{"attributeKey": "ReadOnly", "attributeValue": "false"}]},
        ),
    ),
    (
        2,
        Api("cloudtrail.amazonaws.com", "DescribeTrails", {"trailNameList": [], "includeShadowTrails": True}),
    ),
    (3, Api("lambda.amazonaws.com", "ListFunctions20150331")),
    (3, Api("ec2.amazonaws.com", "DescribeRegions", {"regionSet": {}, "allRegions": False})),
    (4, GET_CALLER_IDENTITY),
    (
        5,
        Api(
            "ec2.amazonaws.com",
            "DescribeAvailabilityZones",
            {"availabilityZoneSet": {}, "availabilityZoneIdSet": {}},
        ),
    ),
)
"""Describe/List/Get calls as people and tools make them all day."""

WRITE_ACTIONS = Weighted(
    (30, put_parameter),
    (30, update_function_code),
    (25, tag_instance),
    (15, upload_release),
)
"""Changes as a deployment or an operator makes them."""

WORKLOAD_ACTIONS = Weighted(
    (42, read_object),
    (13, write_object),
    (20, kms_decrypt),
    (8, kms_generate_data_key),
    (9, lambda c: get_parameter(c, decrypt=True)),
    (
        8,
        Api(
            "secretsmanager.amazonaws.com",
            "GetSecretValue",
            lambda c: {"secretId": c.rng.choice(c.est.secrets).format(region=c.region)},
        ),
    ),
)
"""What an application's role does: object reads and writes, KMS, parameters, secrets."""

OPERATOR_ACTIONS = Weighted((6, WRITE_ACTIONS), (94, READ_ACTIONS))
"""A person whose permission set may change things: mostly looking, now and then a change."""
PIPELINE_ACTIONS = Weighted((45, WRITE_ACTIONS), (55, READ_ACTIONS))
"""A deployment run: it looks around, then changes things."""
INSTANCE_ACTIONS = Weighted((8, ssm_agent_heartbeat), (92, WORKLOAD_ACTIONS))
"""An EC2 instance's role: its application, and the SSM agent reporting in."""

SERVICE_ROLE_DESCRIBES = Weighted(
    (
        50,
        Api(
            "ec2.amazonaws.com",
            "DescribeInstances",
            {"instancesSet": {}, "filterSet": ec2_filter("instance-state-name", "running", "pending")},
        ),
    ),
    (
        50,
        Api(
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            {"securityGroupSet": {}, "securityGroupIdSet": {}, "filterSet": {}},
        ),
    ),
)


def service_role_action(c: Call) -> dict:
    """Config, Inspector and Security Hub describing the account through their service-linked roles.

    Config also reads bucket ACLs and policies (half its calls). A service's calls carry no TLS details.
    """
    bucket = c.rng.choice(c.est.buckets)  # drawn for every call, used by Config's bucket reads
    if c.sess.name == "config.amazonaws.com" and c.rng.random() < 0.5:
        name = c.rng.choice(("GetBucketAcl", "GetBucketPolicy"))
        return _bucket_config(c, bucket, name, None, everyday=False, host=None)
    return SERVICE_ROLE_DESCRIBES(c)
