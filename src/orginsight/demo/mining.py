"""(d) ``cryptomining-instance``: hours after the leaked CI key's run (``incidents.py``), the attacker comes
back from its own account through the backdoor role that run created in production
(``OrganizationAccountSupportRole``, trusting the outside account) and launches a compute-optimized
instance with the ``api-instance-role`` profile into a public subnet. EC2 assumes the role for the
instance (its session is named after the instance), the miner checks its credentials once, then resolves
two Monero pools and holds stratum connections to them for the rest of the period. The trail shows the
return, the launch and one call; only the flow logs and the Resolver query logs show the mining, and
GuardDuty reports it (``CryptoCurrency:EC2/BitcoinTool.B!DNS`` and ``.B``).

Played like the other incidents (``scenario.Play``) from its own seeded generator, so it changes none of
their draws. The pool addresses are drawn for the demo, not real resolutions of those names.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from orginsight.demo.estate import build_estate
from orginsight.demo.netplan import Interface, Vpc, vpc_plan
from orginsight.demo.org import HOME_REGION, Organization
from orginsight.demo.records import (
    Session,
    assume_role_records,
    assumed_role_identity,
    aws_id,
    ct_time,
    hex_id,
    new_uuid,
)
from orginsight.demo.scenario import Call, Play, Scenario, Step

MINING = "cryptomining-instance"
LEAK = "leaked-ci-access-key"
BACKDOOR_SESSION = "support"
LAUNCH_IP = "45.95.147.236"
"""Where the attacker comes back from: an address not seen in the first run."""
LAUNCH_AGENT = (
    "Boto3/1.34.11 md/Botocore#1.34.11 ua/2.0 os/linux#5.15.0-91-generic md/arch#x86_64 lang/python#3.10.12 "
    "md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.11"
)
POOLS = {
    "pool.supportxmr.com": ("141.95.72.60", "51.255.34.79"),
    "xmr.pool.minergate.com": ("88.99.193.240",),
}
"""Monero pools the miner resolves, and the addresses the demo's resolver answers for them."""
STRATUM = (
    ("pool.supportxmr.com", 0, 3333),
    ("pool.supportxmr.com", 1, 5555),
    ("xmr.pool.minergate.com", 0, 7777),
)
"""(pool, answer index, stratum port): the connections the miner holds."""
INSTANCE_TYPE = "c5.4xlarge"
IMAGE = "ami-0a7d80731ae1b2435"


@dataclass(frozen=True)
class Connection:
    """One long-lived stratum connection: instance port -> pool address and port, from start to end."""

    domain: str
    ip: str
    port: int
    local_port: int
    start: datetime
    end: datetime


@dataclass
class MiningIncident:
    """The planted mining story: where it ran, the trail records that started it, and its connections."""

    vpc: Vpc
    host: Interface
    public_ip: str
    role: tuple[str, str]
    launched: datetime
    end: datetime
    launcher: dict
    """The userIdentity of the backdoor role's session, which called RunInstances."""
    instance_key: str
    events: list = field(default_factory=list)
    connections: list[Connection] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)
    """GuardDuty finding bodies, set by ``guardduty_findings``."""
    outside: str = ""
    """The attacker's own account, which the backdoor role trusts."""

    @property
    def session_arn(self) -> str:
        return f"arn:aws:sts::{self.vpc.account.id}:assumed-role/{self.role[0]}/{self.host.instance}"


@dataclass(frozen=True)
class InstanceCredentials(Step):
    """EC2 assumes the instance profile's role for the new instance: ``instance`` acts with it from here on."""

    technique: str
    gap: int

    def play(self, p: Play) -> None:
        when = p.advance(self.gap, 0)
        role, role_id = p.v.role
        recs, key = assume_role_records(
            p.rng, None, when, p.v.region, p.v.account, "", role, role_id, p.v.instance, 21600,
            service="ec2.amazonaws.com",
        )  # fmt: skip
        p.plant(p.v.account, p.v.region, recs[0], self.technique, when)
        p.v.instance_key = key
        identity = assumed_role_identity(
            p.v.account, "", role, role_id, p.v.instance, key, ct_time(when), ec2=True
        )
        p.actors["instance"] = Session(identity, p.v.public_ip, p.v.agent, "ec2", p.v.account, p.v.region)


def _run_instances_request(p: Play) -> dict:
    return {
        "instancesSet": {"items": [{"imageId": IMAGE, "minCount": 1, "maxCount": 1}]},
        "instanceType": INSTANCE_TYPE,
        "blockDeviceMapping": {},
        "monitoring": {"enabled": False},
        "disableApiTermination": False,
        "disableApiStop": False,
        "clientToken": p.v.client_token,
        "networkInterfaceSet": {
            "items": [{"deviceIndex": 0, "subnetId": p.v.host.subnet, "associatePublicIpAddress": True}]
        },
        "iamInstanceProfile": {"name": p.v.role[0]},
        "ebsOptimized": False,
    }


def _run_instances_response(p: Play) -> dict:
    h, vpc = p.v.host, p.v.vpc
    dns = f"ip-{h.ip.replace('.', '-')}.{p.v.region}.compute.internal"
    interface = {
        "networkInterfaceId": h.eni,
        "subnetId": h.subnet,
        "vpcId": vpc.vpc_id,
        "ownerId": p.v.account,
        "status": "in-use",
        "privateIpAddress": h.ip,
        "sourceDestCheck": True,
        "interfaceType": "interface",
        "groupSet": {"items": [{"groupId": p.v.group}]},
        "privateIpAddressesSet": {"item": [{"privateIpAddress": h.ip, "primary": True}]},
    }
    instance = {
        "instanceId": h.instance,
        "imageId": IMAGE,
        "instanceState": {"code": 0, "name": "pending"},
        "privateDnsName": dns,
        "amiLaunchIndex": 0,
        "instanceType": INSTANCE_TYPE,
        "launchTime": int(p.t.replace(tzinfo=UTC).timestamp() * 1000),
        "placement": {"availabilityZone": h.az, "tenancy": "default"},
        "subnetId": h.subnet,
        "vpcId": vpc.vpc_id,
        "privateIpAddress": h.ip,
        "clientToken": p.v.client_token,
        "groupSet": {"items": [{"groupId": p.v.group}]},
        "networkInterfaceSet": {"items": [interface]},
        "iamInstanceProfile": {
            "arn": f"arn:aws:iam::{p.v.account}:instance-profile/{p.v.role[0]}",
            "id": p.v.profile_id,
        },
    }
    return {
        "requestId": p.v.request_id,
        "reservationId": f"r-0{hex_id(p.rng, 16)}",
        "ownerId": p.v.account,
        "groupSet": {},
        "instancesSet": {"items": [instance]},
    }


@dataclass(frozen=True)
class BackdoorSession(Step):
    """The outside account assumes the backdoor role in production (only production's record is ours):
    ``prod`` acts with it from here on."""

    technique: str

    def play(self, p: Play) -> None:
        caller = Session(
            {
                "type": "IAMUser",
                "principalId": aws_id(p.rng, "AIDA", 17),
                "arn": f"arn:aws:iam::{p.v.outside}:user/admin",
                "accountId": p.v.outside,
                "accessKeyId": aws_id(p.rng, "AKIA"),
            },
            LAUNCH_IP,
            LAUNCH_AGENT,
            "attacker",
            p.v.outside,
        )
        role, role_id = p.v.backdoor
        recs, key = assume_role_records(
            p.rng, caller, p.t, HOME_REGION, p.v.account, "", role, role_id, BACKDOOR_SESSION, 3600
        )
        p.plant(p.v.account, HOME_REGION, recs[-1], self.technique, p.t)
        identity = assumed_role_identity(p.v.account, "", role, role_id, BACKDOOR_SESSION, key, ct_time(p.t))
        p.actors["prod"] = Session(identity, LAUNCH_IP, LAUNCH_AGENT, "attacker", p.v.account, p.v.region)


def mining_steps(region: str) -> tuple[Step, ...]:
    """``prod`` is the backdoor role's session in production, ``instance`` the new instance's role session."""
    return (
        BackdoorSession("T1078.004"),
        Call(
            "prod",
            "ec2.amazonaws.com",
            "RunInstances",
            "T1578.002",
            gap=40,
            read_only=False,
            region=region,
            request=_run_instances_request,
            response=_run_instances_response,
            extra=lambda p: {"request_id": p.v.request_id},
        ),
        InstanceCredentials("T1496", gap=95),
        Call("instance", "sts.amazonaws.com", "GetCallerIdentity", "T1033", gap=70, region=region),
    )


def plant_mining(org: Organization, seed: int, scenario: Scenario) -> MiningIncident:
    """The return through the backdoor hours after the leaked key's last step, then mining to the end."""
    rng = random.Random(f"mining/{seed}")
    prod = org.by_role("prod")
    region = prod.regions[-1]
    vpc = vpc_plan(org, prod, region, seed)
    mine = [e for e in scenario.events if e.incident == LEAK and e.account == prod.id]
    created = next(e.record for e in mine if e.record["eventName"] == "CreateRole")["responseElements"][
        "role"
    ]
    host = Interface(
        f"eni-0{hex_id(rng, 16)}",
        f"{vpc.prefix}.0.{rng.randrange(10, 250)}",
        vpc.public_subnet,
        f"{region}a",
        f"i-0{hex_id(rng, 16)}",
    )
    est = build_estate(org, prod, seed)
    public_ip = (
        f"{rng.choice([3, 18, 34, 44, 54])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
    )
    back = mine[-1].time + timedelta(hours=3, minutes=rng.randrange(60), seconds=rng.randrange(60))
    play = Play(rng, MINING, back, jitter=3)
    play.v = SimpleNamespace(
        account=prod.id,
        region=region,
        vpc=vpc,
        host=host,
        instance=host.instance,
        public_ip=public_ip,
        role=est.instance_roles[0],
        group=f"sg-0{hex_id(rng, 16)}",
        profile_id=aws_id(rng, "AIPA", 17),
        client_token=new_uuid(rng).upper(),
        request_id=new_uuid(rng),
        agent="aws-sdk-go/1.44.298 (go1.20.5; linux; amd64)",
        outside=scenario.indicators["outside_account_id"],
        backdoor=(created["roleName"], created["roleId"]),
    )
    play.run(mining_steps(region))
    launched = next(e.time for e in play.events if e.record["eventName"] == "RunInstances")
    end = org.end - timedelta(minutes=20 + rng.randrange(30))
    incident = MiningIncident(
        vpc, host, public_ip, est.instance_roles[0], launched, end, play.actors["prod"].identity,
        play.v.instance_key, play.events, outside=play.v.outside,
    )  # fmt: skip
    begin = play.t + timedelta(seconds=30)
    for i, (domain, answer, port) in enumerate(STRATUM):
        # The first pool from the start; the failovers join after the first reconnect, hours later.
        start = (
            begin + timedelta(seconds=5)
            if i == 0
            else begin + timedelta(hours=2 * i, seconds=rng.randrange(600))
        )
        incident.connections.append(
            Connection(domain, POOLS[domain][answer], port, rng.randrange(40000, 60000), start, end)
        )
    return incident


def mining_truth(incident: MiningIncident) -> dict:
    """``scenario.json``'s ``network_incident``: where, who, which pools, when, how much, and the evidence."""
    vpc, h = incident.vpc, incident.host
    return {
        "name": MINING,
        "description": " ".join(__doc__.split("\n\n")[0].removeprefix("(d) ").split()),
        "account": vpc.account.id,
        "region": vpc.region,
        "vpc_id": vpc.vpc_id,
        "flow_log_id": vpc.flow_log_id,
        "instance_id": h.instance,
        "eni": h.eni,
        "private_ip": h.ip,
        "public_ip": incident.public_ip,
        "instance_type": INSTANCE_TYPE,
        "role_arn": f"arn:aws:iam::{vpc.account.id}:role/{incident.role[0]}",
        "instance_session": {"arn": incident.session_arn, "access_key_id": incident.instance_key},
        "launched_by": {
            "arn": incident.launcher["arn"],
            "access_key_id": incident.launcher.get("accessKeyId"),
            "source_ip": LAUNCH_IP,
            "assumed_from_account": incident.outside,
        },
        "launched": ct_time(incident.launched),
        "start": ct_time(incident.connections[0].start),
        "end": ct_time(incident.end),
        "pool_domains": sorted(POOLS),
        "pool_ips": sorted(ip for ips in POOLS.values() for ip in ips),
        "ports": sorted({c.port for c in incident.connections}),
        "connections": [
            {"domain": c.domain, "ip": c.ip, "port": c.port, "start": ct_time(c.start), "end": ct_time(c.end)}
            for c in incident.connections
        ],
        "cloudtrail_event_ids": [e.record["eventID"] for e in incident.events],
        "guardduty_finding_ids": {f["type"]: f["id"] for f in incident.findings},
    }
