"""The demo organization's networks: each workload VPC's addresses, subnets, network interfaces and flow log.

Drawn once per VPC from the seed, from the same estate (``estate.py``) CloudTrail and GuardDuty use, so
an instance id in a flow record is an instance the trail's role sessions are named after. The flow log
writer (``network.py``) and the mining incident (``mining.py``) both place traffic on these interfaces.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from orginsight.demo.estate import cached_estate
from orginsight.demo.org import Account, Organization
from orginsight.demo.records import hex_id

FLOW_LOG_ROLES = ("prod", "nonprod", "shared-services", "sandbox")
"""Accounts whose VPCs have flow logs and Resolver query logging (the workload accounts)."""
CUSTOM_FORMAT_ROLES = ("prod", "shared-services")
"""Their flow logs use a custom format with v3-v5 fields; the others AWS's default (version 2)."""


@dataclass(frozen=True)
class Interface:
    """One elastic network interface: an instance's, the NAT gateway's or the load balancer's."""

    eni: str
    ip: str
    subnet: str
    az: str
    instance: str | None = None
    """The instance the interface is attached to (None for NAT gateways and load balancers)."""


@dataclass(frozen=True)
class Vpc:
    """One VPC of one account and region, and its flow log."""

    account: Account
    region: str
    vpc_id: str
    prefix: str
    """The first two octets of its 10.x.0.0/16 block."""
    flow_log_id: str
    custom_format: bool
    instances: tuple[Interface, ...]
    nat: Interface
    nat_public_ip: str
    load_balancer: tuple[Interface, ...]
    public_subnet: str


def network_vpcs(org: Organization, seed: int) -> list[Vpc]:
    """Every VPC with flow logs, in a fixed order (accounts as the organization lists them, then regions)."""
    return [vpc_plan(org, a, r, seed) for a in org.accounts if a.role in FLOW_LOG_ROLES for r in a.regions]


def vpc_plan(org: Organization, account: Account, region: str, seed: int) -> Vpc:
    """The VPC of ``account`` in ``region``: the estate's VPC id and instances, with addresses drawn here."""
    est = cached_estate(org, account, seed)
    rng = random.Random(f"vpc/{seed}/{account.id}/{region}")
    prefix = f"10.{16 + int(est.vpcs[region][-4:], 16) % 200}"
    azs = [f"{region}{z}" for z in "abc"]
    private = [f"subnet-0{hex_id(rng, 16)}" for _ in azs]
    public = [f"subnet-0{hex_id(rng, 16)}" for _ in azs]

    def iface(i: int, subnets: list[str], third: int, instance: str | None = None) -> Interface:
        return Interface(
            f"eni-0{hex_id(rng, 16)}",
            f"{prefix}.{third + i % 3}.{rng.randrange(10, 250)}",
            subnets[i % 3],
            azs[i % 3],
            instance,
        )

    instances = tuple(iface(i, private, 10, inst) for i, inst in enumerate(est.instances[region]))
    return Vpc(
        account=account,
        region=region,
        vpc_id=est.vpcs[region],
        prefix=prefix,
        flow_log_id=f"fl-0{hex_id(rng, 16)}",
        custom_format=account.role in CUSTOM_FORMAT_ROLES,
        instances=instances,
        nat=iface(0, public, 0),
        nat_public_ip=est.nat_ips[0],
        load_balancer=(iface(0, public, 0), iface(1, public, 0)),
        public_subnet=public[0],
    )
