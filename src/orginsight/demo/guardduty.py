"""GuardDuty findings export of the demo organization (90 days, delegated administrator's bucket).

Format as GuardDuty's S3 export writes it (GuardDuty User Guide, "Exporting findings",
2024): ``AWSLogs/<admin-account>/GuardDuty/<region>/yyyy/mm/dd/<uuid>.jsonl.gz``, one
camelCase finding per line, the same shape as the ``detail`` of a "GuardDuty Finding"
EventBridge event (see ``../shared/data/guardduty``). An export carries every member's
findings, and a finding appears again each time it is updated (count, eventLastSeen),
so readers keep the latest ``updatedAt`` per ``id``.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from orginsight.demo.estate import Estate, build_estate, ci_principal
from orginsight.demo.incidents import ATTACKER_IPS, CONSOLE_ATTACKER_IP, Scenario
from orginsight.demo.org import HOME_REGION, Account, Organization, detector_id
from orginsight.demo.records import aws_id, ct_time, hex_id, new_uuid
from orginsight.sources.layout import guardduty_key

HISTORY_DAYS = 90

# type, severity, resource type, action type, relative frequency, title, description
BACKGROUND_TYPES = [
    (
        "Recon:EC2/PortProbeUnprotectedPort",
        2,
        "Instance",
        "PORT_PROBE",
        30,
        "Unprotected port on EC2 instance {instance} is being probed.",
        "EC2 instance has an unprotected port which is being probed by a known malicious host.",
    ),
    (
        "UnauthorizedAccess:EC2/SSHBruteForce",
        2,
        "Instance",
        "NETWORK_CONNECTION",
        18,
        "SSH brute force attacks against {instance}.",
        "198.51.100.0 is performing SSH brute force attacks against {instance}. Brute force attacks are used to gain unauthorized access to your instance by guessing the SSH password.",
    ),
    (
        "Recon:EC2/Portscan",
        5,
        "Instance",
        "NETWORK_CONNECTION",
        6,
        "Unusual outbound port scan from EC2 instance {instance}.",
        "EC2 instance {instance} is performing outbound port scans against remote hosts.",
    ),
    (
        "Behavior:EC2/NetworkPortUnusual",
        5,
        "Instance",
        "NETWORK_CONNECTION",
        8,
        "Unusual outbound communication seen from EC2 instance {instance} on server port 8443.",
        "EC2 instance {instance} is communicating with a remote host on an unusual server port 8443.",
    ),
    (
        "Recon:IAMUser/MaliciousIPCaller",
        5,
        "AccessKey",
        "AWS_API_CALL",
        5,
        "Reconnaissance API {api} was invoked from a known malicious IP address.",
        "API {api} was invoked from a known malicious IP address.",
    ),
    (
        "CryptoCurrency:EC2/BitcoinTool.B!DNS",
        8,
        "Instance",
        "DNS_REQUEST",
        1,
        "Bitcoin-related domain name queried by EC2 instance {instance}.",
        "EC2 instance {instance} is querying a domain name that is associated with Bitcoin-related activity.",
    ),
    (
        "Trojan:EC2/DNSDataExfiltration",
        8,
        "Instance",
        "DNS_REQUEST",
        1,
        "Data exfiltration through DNS queries from EC2 instance {instance}.",
        "EC2 instance {instance} is attempting to exfiltrate data by performing DNS queries.",
    ),
    (
        "Policy:IAMUser/RootCredentialUsage",
        2,
        "AccessKey",
        "AWS_API_CALL",
        2,
        "API {api} was invoked using root credentials.",
        "API {api} was invoked using root credentials from IP address {ip}.",
    ),
]

_COUNTRIES = {
    ATTACKER_IPS[0]: ("Russia", "Moscow", 55.75, 37.62, "AS49505", "Selectel"),
    ATTACKER_IPS[1]: ("Hong Kong", "Hong Kong", 22.28, 114.15, "AS139659", "LUCIDACLOUD"),
    CONSOLE_ATTACKER_IP: ("Japan", "Tokyo", 35.69, 139.69, "AS60068", "Datacamp Limited"),
}
_SCANNERS = [
    ("45.148.10.81", "The Netherlands", "Amsterdam", 52.37, 4.89, "AS48090", "Techoff Srv Limited"),
    ("193.32.162.70", "Romania", "Bucharest", 44.43, 26.1, "AS47890", "Unmanaged Ltd"),
    ("218.92.0.112", "China", "Nanjing", 32.06, 118.78, "AS4134", "Chinanet"),
    ("103.145.13.90", "Indonesia", "Jakarta", -6.2, 106.8, "AS136052", "PT Cloud Hosting Indonesia"),
    ("80.94.95.226", "Bulgaria", "Sofia", 42.7, 23.32, "AS204428", "SS-Net"),
]


def gd_time(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _remote(ip: str, country: str, city: str, lat: float, lon: float, asn: str, org: str) -> dict:
    return {
        "ipAddressV4": ip,
        "organization": {"asn": asn[2:], "asnOrg": org, "isp": org, "org": org},
        "country": {"countryName": country},
        "city": {"cityName": city},
        "geoLocation": {"lat": lat, "lon": lon},
    }


@dataclass
class Finding:
    """One finding and the times it was (re)published to the export."""

    body: dict
    published: list[datetime]


@dataclass(frozen=True)
class Sighting:
    """Where and when the activity behind one finding was seen (GuardDuty aggregates repeats into it)."""

    account: Account
    region: str
    first: datetime
    last: datetime
    count: int
    archived: bool = False


@dataclass(frozen=True)
class Detection:
    """What a finding says GuardDuty saw: its type and severity, the resource, the action and the text."""

    ftype: str
    severity: float
    resource: dict
    action: dict
    title: str
    description: str


def _finding(rng: random.Random, admin: Account, seen: Sighting, what: Detection) -> Finding:
    """The finding as exported last, and the times it was published (``_publications``)."""
    account = seen.account
    fid = hex_id(rng, 32)
    det = detector_id(admin, seen.region) if account.id == admin.id else detector_id(account, seen.region)
    created = seen.first + timedelta(minutes=4, seconds=rng.randrange(60), milliseconds=rng.randrange(1000))
    updated = seen.last + timedelta(minutes=4, seconds=rng.randrange(60), milliseconds=rng.randrange(1000))
    body = finding_body(seen, fid, det, what, (created, updated))
    return Finding(body, _publications(body))


def finding_body(
    seen: Sighting, fid: str, detector: str, what: Detection, published: tuple[datetime, datetime]
) -> dict:
    """A finding as the export carries it (schema 2.0, the real samples' shape), whoever raised it here:
    ``published`` is when GuardDuty created it and last updated it."""
    account, region = seen.account, seen.region
    return {
        "schemaVersion": "2.0",
        "accountId": account.id,
        "region": region,
        "partition": "aws",
        "id": fid,
        "arn": f"arn:aws:guardduty:{region}:{account.id}:detector/{detector}/finding/{fid}",
        "type": what.ftype,
        "resource": what.resource,
        "service": {
            "serviceName": "guardduty",
            "detectorId": detector,
            "action": what.action,
            "resourceRole": "TARGET",
            "additionalInfo": {"value": "{}", "type": "default"},
            "eventFirstSeen": gd_time(seen.first),
            "eventLastSeen": gd_time(seen.last),
            "archived": seen.archived,
            "count": seen.count,
        },
        "severity": what.severity,
        "createdAt": gd_time(published[0]),
        "updatedAt": gd_time(published[1]),
        "title": what.title,
        "description": what.description,
    }


def _instance_resource(rng: random.Random, est: Estate, region: str) -> dict:
    inst = rng.choice(est.instances[region])
    role = est.instance_roles[est.instances[region].index(inst) % len(est.instance_roles)][0]
    ip = f"10.{rng.randrange(4)}.{rng.randrange(1, 20)}.{rng.randrange(4, 250)}"
    return {
        "resourceType": "Instance",
        "instanceDetails": {
            "instanceId": inst,
            "instanceType": rng.choice(("t3.medium", "m6i.large", "c6g.xlarge")),
            "launchTime": ct_time(datetime(2026, 1, 1) + timedelta(seconds=rng.randrange(20_000_000))),
            "platform": None,
            "productCodes": [],
            "iamInstanceProfile": {
                "arn": f"arn:aws:iam::{est.account.id}:instance-profile/{role}",
                "id": aws_id(rng, "AIPA", 17),
            },
            "networkInterfaces": [
                {
                    "ipv6Addresses": [],
                    "networkInterfaceId": f"eni-0{hex_id(rng, 16)}",
                    "privateDnsName": f"ip-{ip.replace('.', '-')}.{region}.compute.internal",
                    "privateIpAddress": ip,
                    "privateIpAddresses": [
                        {
                            "privateDnsName": f"ip-{ip.replace('.', '-')}.{region}.compute.internal",
                            "privateIpAddress": ip,
                        }
                    ],
                    "subnetId": f"subnet-0{hex_id(rng, 16)}",
                    "vpcId": est.vpcs[region],
                    "securityGroups": [{"groupName": "app-sg", "groupId": f"sg-0{hex_id(rng, 16)}"}],
                    "publicDnsName": "",
                    "publicIp": rng.choice(est.nat_ips),
                }
            ],
            "tags": [{"key": "Name", "value": f"{est.account.name}-{role.split('-')[0]}"}],
            "instanceState": "running",
            "availabilityZone": f"{region}{rng.choice('abc')}",
            "imageId": f"ami-0{hex_id(rng, 16)}",
            "imageDescription": "Amazon Linux 2023 AMI",
        },
    }


def _key_resource(key: str, principal_id: str, user_type: str, user_name: str) -> dict:
    return {
        "resourceType": "AccessKey",
        "accessKeyDetails": {
            "accessKeyId": key,
            "principalId": principal_id,
            "userType": user_type,
            "userName": user_name,
        },
    }


def _api_action(api: str, service: str, remote: dict) -> dict:
    return {
        "actionType": "AWS_API_CALL",
        "awsApiCallAction": {
            "api": api,
            "serviceName": service,
            "callerType": "Remote IP",
            "remoteIpDetails": remote,
            "affectedResources": {},
        },
    }


def _background(
    rng: random.Random, org: Organization, seed: int, admin: Account, end: datetime
) -> list[Finding]:
    out = []
    weights = [t[4] for t in BACKGROUND_TYPES]
    eligible = [a for a in org.accounts if a is not org.guardduty_disabled]
    n = 12 * len(eligible) + rng.randrange(20)
    for _ in range(n):
        ftype, sev, rtype, atype, _w, title, desc = rng.choices(BACKGROUND_TYPES, weights)[0]
        account = rng.choices(eligible, [a.weight for a in eligible])[0]
        region = rng.choice(account.regions)
        earliest = max(end - timedelta(days=HISTORY_DAYS), account.joined)
        span = (end - earliest).total_seconds()
        if span < 3600:
            continue
        first = earliest + timedelta(seconds=rng.randrange(int(span)))
        noisy = atype in ("PORT_PROBE", "NETWORK_CONNECTION") and sev <= 2
        last = min(
            end - timedelta(minutes=10), first + timedelta(hours=rng.expovariate(1 / (120 if noisy else 6)))
        )
        count = max(1, int(rng.paretovariate(1.2) * (8 if noisy else 1))) if last > first else 1
        archived = noisy and rng.random() < 0.45
        est = build_estate(org, account, seed)
        sc = rng.choice(_SCANNERS)
        remote = _remote(*sc)
        if rtype == "Instance":
            resource = _instance_resource(rng, est, region)
            inst = resource["instanceDetails"]["instanceId"]
            if atype == "PORT_PROBE":
                action = {
                    "actionType": "PORT_PROBE",
                    "portProbeAction": {
                        "portProbeDetails": [
                            {"localPortDetails": {"port": p, "portName": n}, "remoteIpDetails": remote}
                            for p, n in rng.sample(
                                [(22, "SSH"), (3389, "RDP"), (80, "HTTP"), (443, "HTTPS")], 2
                            )
                        ],
                        "blocked": False,
                    },
                }
            elif atype == "DNS_REQUEST":
                action = {
                    "actionType": "DNS_REQUEST",
                    "dnsRequestAction": {
                        "domain": rng.choice(
                            (
                                "pool.minexmr.com",
                                "xmr.pool.example-mining.net",
                                "d2a3c8.tunnel-ns.example.org",
                            )
                        ),
                        "protocol": "UDP",
                        "blocked": False,
                    },
                }
            else:
                action = {
                    "actionType": "NETWORK_CONNECTION",
                    "networkConnectionAction": {
                        "connectionDirection": "INBOUND" if "BruteForce" in ftype else "OUTBOUND",
                        "remoteIpDetails": remote,
                        "remotePortDetails": {
                            "port": 22 if "SSH" in ftype else 8443,
                            "portName": "SSH" if "SSH" in ftype else "Unknown",
                        },
                        "localPortDetails": {"port": rng.randrange(32768, 60999), "portName": "Unknown"},
                        "protocol": "TCP",
                        "blocked": False,
                    },
                }
            title_text, desc_text = title.format(instance=inst), desc.format(instance=inst)
        else:
            api = rng.choice(("ListBuckets", "DescribeInstances", "GetAccountSummary"))
            if "Root" in ftype:
                resource = _key_resource(aws_id(rng, "ASIA"), account.id, "Root", "Root")
                remote = _remote(
                    "73.42.190.18", "United States", "Boston", 42.36, -71.06, "AS7922", "Comcast Cable"
                )
            else:
                role, role_id = est.instance_roles[0]
                resource = _key_resource(
                    aws_id(rng, "ASIA"), f"{role_id}:i-0{hex_id(rng, 16)}", "AssumedRole", role
                )
            action = _api_action(
                api, "ec2.amazonaws.com" if api == "DescribeInstances" else "s3.amazonaws.com", remote
            )
            title_text, desc_text = title.format(api=api), desc.format(api=api, ip=remote["ipAddressV4"])
        seen = Sighting(account, region, first, last, count, archived)
        out.append(_finding(rng, admin, seen, Detection(ftype, sev, resource, action, title_text, desc_text)))
    return out


def _publications(body: dict) -> list[datetime]:
    """Published at creation, then every 6 hours while it recurs (GuardDuty's default export frequency)."""
    created = datetime.strptime(body["createdAt"], "%Y-%m-%dT%H:%M:%S.%fZ")
    updated = datetime.strptime(body["updatedAt"], "%Y-%m-%dT%H:%M:%S.%fZ")
    times = [created]
    t = created + timedelta(hours=6)
    while t < updated:
        times.append(t)
        t += timedelta(hours=6)
    if updated > created:
        times.append(updated)
    return times


def incident_findings(
    rng: random.Random, org: Organization, seed: int, admin: Account, scenario: Scenario
) -> list[Finding]:
    """What GuardDuty would raise for the two incidents, each pointing at the key or principal involved."""
    ind = scenario.indicators
    ev = scenario.events
    out = []

    def span(account: Account, names: set[str] | None, incident: str) -> Sighting:
        mine = [
            e
            for e in ev
            if e.account == account.id
            and (names is None or e.record["eventName"] in names)
            and e.incident == incident
        ]
        return Sighting(account, mine[0].region, mine[0].time, mine[-1].time, len(mine))

    def add(
        account_id: str,
        ftype: str,
        sev: float,
        resource: dict,
        api: str,
        service: str,
        ip: str,
        names: set[str] | None,
        title: str,
        description: str,
        incident: str,
    ) -> None:
        seen = span(next(a for a in org.accounts if a.id == account_id), names, incident)
        action = _api_action(api, service, _remote(ip, *_COUNTRIES[ip]))
        out.append(_finding(rng, admin, seen, Detection(ftype, sev, resource, action, title, description)))

    leak = ind["leaked_access_key_id"]
    shared, user, uid, _ = ci_principal(org, seed)
    prod = org.by_role("prod")
    prod_est = build_estate(org, prod, seed)
    sess_key = ind["attacker_session_access_key_ids"][0]
    role, role_id = prod_est.cicd_role
    key_res = _key_resource(leak, uid, "IAMUser", user)
    add(
        shared.id,
        "UnauthorizedAccess:IAMUser/MaliciousIPCaller",
        5,
        key_res,
        "ListUsers",
        "iam.amazonaws.com",
        ATTACKER_IPS[0],
        {
            "GetCallerIdentity",
            "ListBuckets",
            "ListUsers",
            "GetAccountAuthorizationDetails",
            "DescribeInstances",
        },
        f"API ListUsers was invoked from a known malicious IP address {ATTACKER_IPS[0]}.",
        f"API ListUsers, commonly used in discovery tactics, was invoked by IAM principal {user} from a known malicious IP address.",
        "leaked-ci-access-key",
    )
    add(
        shared.id,
        "PenTest:IAMUser/KaliLinux",
        5,
        key_res,
        "GetCallerIdentity",
        "sts.amazonaws.com",
        ATTACKER_IPS[0],
        None,
        "API GetCallerIdentity was invoked from a Kali Linux computer.",
        f"API GetCallerIdentity was invoked by IAM principal {user} from a Kali Linux computer.",
        "leaked-ci-access-key",
    )
    add(
        shared.id,
        "PrivilegeEscalation:IAMUser/AnomalousBehavior",
        5,
        key_res,
        "AttachUserPolicy",
        "iam.amazonaws.com",
        ATTACKER_IPS[0],
        {"AttachUserPolicy", "CreateAccessKey"},
        f"Anomalous API commonly used to obtain higher-level permissions was invoked by {user}.",
        f"APIs commonly used in privilege escalation tactics were invoked by user IAMUser : {user}, under unusual circumstances.",
        "leaked-ci-access-key",
    )
    role_res = _key_resource(sess_key, f"{role_id}:deploy", "AssumedRole", role)
    add(
        prod.id,
        "Stealth:IAMUser/CloudTrailLoggingDisabled",
        2,
        role_res,
        "StopLogging",
        "cloudtrail.amazonaws.com",
        ATTACKER_IPS[1],
        {"StopLogging", "DeleteTrail"},
        f"AWS CloudTrail trail {prod.name}-audit was disabled.",
        f"The CloudTrail trail {prod.name}-audit was disabled by AssumedRole : {role} calling StopLogging under unusual circumstances.",
        "leaked-ci-access-key",
    )
    add(
        prod.id,
        "Persistence:IAMUser/AnomalousBehavior",
        5,
        role_res,
        "CreateRole",
        "iam.amazonaws.com",
        ATTACKER_IPS[1],
        {"CreateLoginProfile", "CreateRole", "AttachRolePolicy", "UpdateAssumeRolePolicy"},
        f"Anomalous API commonly used to maintain persistence was invoked by {role}.",
        f"APIs commonly used in persistence tactics were invoked by user AssumedRole : {role}, under unusual circumstances.",
        "leaked-ci-access-key",
    )
    bucket = scenario.facts["exfil_bucket"]["bucket"]
    s3_res = {
        **role_res,
        "s3BucketDetails": [
            {
                "arn": f"arn:aws:s3:::{bucket}",
                "name": bucket,
                "type": "Destination",
                "createdAt": gd_time(prod.joined + timedelta(days=20)),
                "owner": {"id": hex_id(rng, 64)},
                "tags": [{"key": "data-classification", "value": "confidential"}],
                "defaultServerSideEncryption": {"encryptionType": "aws:kms"},
            }
        ],
    }
    s3_res["resourceType"] = "S3Bucket"
    add(
        prod.id,
        "Exfiltration:S3/AnomalousBehavior",
        8,
        s3_res,
        "GetObject",
        "s3.amazonaws.com",
        ATTACKER_IPS[1],
        {"ListObjects", "GetObject"},
        f"An IAM entity invoked an S3 API in a suspicious way on bucket {bucket}.",
        f"An IAM entity invoked S3 APIs that attempt to exfiltrate data from bucket {bucket} in an unusual way.",
        "leaked-ci-access-key",
    )
    add(
        prod.id,
        "Policy:S3/BucketAnonymousAccessGranted",
        8,
        s3_res,
        "PutBucketPolicy",
        "s3.amazonaws.com",
        ATTACKER_IPS[1],
        {"PutBucketPolicy"},
        f"Amazon S3 Public Anonymous Access was granted for the S3 bucket {bucket}.",
        f"The S3 bucket {bucket} policy was changed by AssumedRole : {role} to allow anonymous access.",
        "leaked-ci-access-key",
    )
    root_acct = ind["root_account_id"]
    add(
        root_acct,
        "Policy:IAMUser/RootCredentialUsage",
        2,
        _key_resource(scenario.facts.get("root_access_key", ""), root_acct, "Root", "Root"),
        "CreateUser",
        "iam.amazonaws.com",
        CONSOLE_ATTACKER_IP,
        {"ListUsers", "CreateAccessKey", "CreateUser", "AttachUserPolicy", "DescribeInstances"},
        "API CreateUser was invoked using root credentials.",
        f"API CreateUser was invoked using root credentials from IP address {CONSOLE_ATTACKER_IP}.",
        "console-without-mfa",
    )
    mgmt = org.management
    add(
        mgmt.id,
        "InitialAccess:IAMUser/AnomalousBehavior",
        5,
        _key_resource(aws_id(rng, "ASIA"), ind["console_user_arn"].split("/")[-1], "IAMUser", "ops-admin"),
        "ConsoleLogin",
        "signin.amazonaws.com",
        CONSOLE_ATTACKER_IP,
        {"ConsoleLogin", "ListUsers"},
        "Anomalous API commonly used to gain initial access was invoked by ops-admin.",
        "APIs commonly used to gain initial access to a network were invoked by user IAMUser : ops-admin, under unusual circumstances.",
        "console-without-mfa",
    )
    return out


def write_guardduty_export(
    lake: str, org: Organization, seed: int, scenario: Scenario, more: list[dict] | None = None
) -> dict:
    """Write the export files; returns counts and the incident findings' ids and types for scenario.json.

    ``more`` are finding bodies raised elsewhere (the mining instance's, ``mining.py``), published the same way."""
    rng = random.Random(f"guardduty/{seed}")
    admin = org.by_role("security")
    background = _background(rng, org, seed, admin, org.end)
    incident = incident_findings(rng, org, seed, admin, scenario)
    incident += [Finding(body, _publications(body)) for body in more or []]
    files: dict[tuple[str, str], list[str]] = {}
    for f in background + incident:
        for i, t in enumerate(f.published):
            body = f.body if i == len(f.published) - 1 else _intermediate(f.body, t, i, len(f.published))
            files.setdefault((f.body["region"], t.strftime("%Y%m%d%H")), []).append(
                json.dumps(body, separators=(",", ":"))
            )
    n_files = 0
    for (region, stamp), lines in sorted(files.items()):
        when = datetime.strptime(stamp, "%Y%m%d%H")
        key = guardduty_key(admin.id, region, when, new_uuid(rng))
        path = os.path.join(lake, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=6, mtime=0))
        n_files += 1
    return {
        "admin_account": admin.id,
        "findings": len(background) + len(incident),
        "files": n_files,
        "incident_findings": [
            {
                "id": f.body["id"],
                "type": f.body["type"],
                "account": f.body["accountId"],
                "region": f.body["region"],
                "severity": f.body["severity"],
                "accessKeyId": f.body["resource"].get("accessKeyDetails", {}).get("accessKeyId"),
            }
            for f in incident
        ],
        "not_enabled_account": org.guardduty_disabled.id if org.guardduty_disabled else None,
        "home_region": HOME_REGION,
    }


def _intermediate(body: dict, t: datetime, i: int, n: int) -> dict:
    """An earlier published state: fewer occurrences, earlier lastSeen/updatedAt, never archived yet."""
    service = dict(body["service"])
    service["count"] = max(1, body["service"]["count"] * (i + 1) // n)
    service["archived"] = False
    first = datetime.strptime(service["eventFirstSeen"], "%Y-%m-%dT%H:%M:%S.%fZ")
    service["eventLastSeen"] = gd_time(max(first, t - timedelta(minutes=4)))
    return {**body, "service": service, "updatedAt": gd_time(t)}
