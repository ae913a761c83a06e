"""VPC Flow Logs and Route 53 Resolver query logs of the demo organization, as AWS delivers them to S3.

Flow logs (Amazon VPC User Guide, "Flow log files" and "Flow log records", 2024): gzip text, a header
line naming the fields, then one space-separated record per flow and aggregation interval (``-`` for
no value), under ``AWSLogs/<account>/vpcflowlogs/<region>/yyyy/mm/dd/<account>_vpcflowlogs_<region>_
<flow-log-id>_<yyyymmddTHHmmZ>_<hash>.log.gz``, one file per flow log and 5-minute window at most.
Workload VPCs of prod and shared services log a custom format with v3-v5 fields (a record's version is
the highest of its fields', 5); the others AWS's default format (version 2).

Resolver query logs (Route 53 Developer Guide, "Values that appear in VPC Resolver query logs", 2024):
gzip JSON lines, under ``AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/yyyy/mm/dd/<vpc-id>_vpcdnsquerylogs_
<account>_<yyyymmddTHHmmZ>_<hash>.log.gz`` (the file name as delivered, seen in public forwarders' keys).

Background, for the last ``NETWORK_DAYS`` days: every two hours one 5-minute window per VPC of instances calling
AWS endpoints and each other, egress through the NAT gateway to a handful of SaaS services, clients
through the load balancer, scanners rejected by security groups, and the DNS lookups behind them. The
mining instance (``mining.py``) adds its stratum connections and pool lookups.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from orginsight.demo.mining import MiningIncident
from orginsight.demo.netplan import Interface, Vpc, network_vpcs
from orginsight.demo.org import Organization
from orginsight.demo.records import hex_id
from orginsight.sources.network.flowlogs import DEFAULT_FORMAT
from orginsight.sources.network.layout import flow_log_key

NETWORK_DAYS = 7
"""Days of network logs before the end of the period (flow logs were turned on later than the trail)."""
V5_FIELDS = DEFAULT_FORMAT + [
    "vpc-id",
    "subnet-id",
    "instance-id",
    "tcp-flags",
    "type",
    "pkt-srcaddr",
    "pkt-dstaddr",
    "region",
    "az-id",
    "sublocation-type",
    "sublocation-id",
    "pkt-src-aws-service",
    "pkt-dst-aws-service",
    "flow-direction",
    "traffic-path",
]
"""The custom format of the workload VPCs: the default fields, then v3 to v5's in AWS's order."""
TCP, UDP = 6, 17
WINDOW_HOURS = 2
"""The background is one 5-minute window in this many hours per VPC: a sample of the day, so the demo stays
small (a real VPC delivers every 5 minutes)."""
AGGREGATION = 600
"""The flow logs' maximum aggregation interval (10 minutes, AWS's default)."""

SAAS = {
    "api.github.com": ("140.82.112.6", "140.82.113.6"),
    "hooks.slack.com": ("3.120.122.100",),
    "api.stripe.com": ("54.187.174.169", "54.187.205.235"),
    "http-intake.logs.datadoghq.com": ("3.233.158.44",),
    "pypi.org": ("151.101.0.223", "151.101.64.223"),
    "o12345.ingest.sentry.io": ("34.120.195.249",),
}
"""SaaS the workloads reach through the NAT gateway, and the addresses the resolver answers for them."""
SERVICES = {
    "s3": ("S3", ("52.216.{a}.{b}", "3.5.{a}.{b}")),
    "sts": ("AMAZON", ("52.94.{a}.{b}",)),
    "ssm": ("AMAZON", ("52.46.{a}.{b}",)),
    "ec2messages": ("AMAZON", ("52.46.{a}.{b}",)),
    "logs": ("AMAZON", ("52.119.{a}.{b}",)),
    "dynamodb": ("DYNAMODB", ("3.218.{a}.{b}",)),
    "secretsmanager": ("AMAZON", ("52.94.{a}.{b}",)),
}
"""AWS endpoints instances call (``<name>.<region>.amazonaws.com``): the service AWS names in
``pkt-dst-aws-service``, and address patterns in its ranges."""
SCANNERS = ("45.148.10.81", "193.32.162.70", "218.92.0.112", "103.145.13.90", "80.94.95.226")
"""Internet scanners probing the security groups (the same as the GuardDuty background's)."""
SCANNED_PORTS = (22, 23, 80, 445, 1433, 3389, 6379, 8088, 9200)
APP_PORTS = (8080, 5432, 6379, 443)
_AZ_ID = {"us-east-1": "use1", "eu-west-1": "euw1", "us-west-2": "usw2", "eu-central-1": "euc1"}


@dataclass(frozen=True)
class Flow:
    """One flow record: what crossed one interface in one direction during one aggregation interval."""

    iface: Interface
    src: str
    dst: str
    sport: int
    dport: int
    protocol: int
    packets: int
    bytes: int
    start: int
    end: int
    action: str = "ACCEPT"
    direction: str = "egress"
    tcp_flags: int = 0
    src_service: str | None = None
    dst_service: str | None = None
    path: int | None = None
    """traffic-path (egress only): 1 within the VPC, 7 a gateway endpoint, 8 the internet gateway."""


def flow_line(vpc: Vpc, f: Flow) -> str:
    """The record in the VPC's flow log format (``-`` where a field has no value)."""
    i = f.iface
    line = (
        f"{5 if vpc.custom_format else 2} {vpc.account.id} {i.eni} {f.src} {f.dst} {f.sport} {f.dport} "
        f"{f.protocol} {f.packets} {f.bytes} {f.start} {f.end} {f.action} OK"
    )
    if not vpc.custom_format:
        return line
    az = f"{_AZ_ID.get(vpc.region, vpc.region.replace('-', '')[:5])}-az{'abc'.index(i.az[-1]) + 1}"
    flags = f.tcp_flags if f.protocol == TCP else "-"
    path = f.path if f.direction == "egress" and f.path else "-"
    return (
        f"{line} {vpc.vpc_id} {i.subnet} {i.instance or '-'} {flags} IPv4 {f.src} {f.dst} {vpc.region} {az} - - "
        f"{f.src_service or '-'} {f.dst_service or '-'} {f.direction} {path}"
    )


def _service_ip(rng: random.Random, service: str) -> str:
    return rng.choice(SERVICES[service][1]).format(a=rng.randrange(1, 255), b=rng.randrange(1, 255))


def _pair(rng: random.Random, out: Flow, reply_bytes: int) -> list[Flow]:
    """A connection's two records: the flow out and its reply in, on the same interface."""
    packets = max(1, out.packets + rng.randrange(-2, 3))
    back = Flow(
        out.iface, out.dst, out.src, out.dport, out.sport, out.protocol, packets, reply_bytes,
        out.start, out.end, out.action, "ingress", 18 if out.tcp_flags else 0, out.dst_service, out.src_service,
    )  # fmt: skip
    return [out, back]


def background_window(vpc: Vpc, rng: random.Random, t0: int) -> tuple[list[Flow], list[dict]]:
    """One 5-minute window of ordinary traffic in ``vpc`` from unix time ``t0``: flows and DNS queries."""
    flows: list[Flow] = []
    queries: list[dict] = []

    def span() -> tuple[int, int]:
        start = t0 + rng.randrange(0, 240)
        return start, min(t0 + 299, start + rng.randrange(5, 60))

    def eph() -> int:
        return rng.randrange(32768, 61000)

    when = _utc(t0)
    for h in vpc.instances:
        for _ in range(rng.randrange(1, 3)):
            service = rng.choice(list(SERVICES))
            name = f"{service}.{vpc.region}.amazonaws.com"
            ip = _service_ip(rng, service)
            queries.append(_query(vpc, h, rng, when, name, [ip]))
            s, e = span()
            n = rng.randrange(8, 60)
            path = 7 if service in ("s3", "dynamodb") else 8
            out = Flow(h, h.ip, ip, eph(), 443, TCP, n, n * rng.randrange(90, 400), s, e, tcp_flags=3,
                       dst_service=SERVICES[service][0], path=path)  # fmt: skip
            flows += _pair(rng, out, n * rng.randrange(200, 1400))
        if rng.random() < 0.5:
            name = rng.choice(list(SAAS))
            ip = rng.choice(SAAS[name])
            queries.append(_query(vpc, h, rng, when, name, [ip]))
            s, e = span()
            n = rng.randrange(10, 40)
            port = eph()
            flows += _pair(rng, Flow(h, h.ip, ip, port, 443, TCP, n, n * rng.randrange(100, 600), s, e,
                                     tcp_flags=3, path=1), n * rng.randrange(300, 1200))  # fmt: skip
            nat = Flow(vpc.nat, vpc.nat.ip, ip, eph(), 443, TCP, n, n * rng.randrange(100, 600), s, e,
                       tcp_flags=3, path=8)  # fmt: skip
            flows += _pair(rng, nat, n * rng.randrange(300, 1200))
        if len(vpc.instances) > 1 and rng.random() < 0.7:
            peer = rng.choice([p for p in vpc.instances if p is not h])
            s, e = span()
            n = rng.randrange(5, 80)
            port = rng.choice(APP_PORTS)
            out = Flow(
                h, h.ip, peer.ip, eph(), port, TCP, n, n * rng.randrange(80, 900), s, e, tcp_flags=3, path=1
            )
            flows += _pair(rng, out, n * rng.randrange(80, 900))
        if rng.random() < 0.03:
            queries.append(_query(vpc, h, rng, when, f"wpad.{vpc.region}.compute.internal", [], "NXDOMAIN"))
    for lb in vpc.load_balancer:
        for _ in range(rng.randrange(1, 3)):
            client = f"{rng.choice([24, 73, 81, 86, 92, 98, 174])}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            s, e = span()
            n = rng.randrange(8, 40)
            back = Flow(lb, lb.ip, client, 443, eph(), TCP, n, n * rng.randrange(300, 1400), s, e,
                        tcp_flags=19, path=8)  # fmt: skip
            flows += _pair(rng, back, n * rng.randrange(60, 200))
            target = rng.choice(vpc.instances)
            flows += _pair(
                rng,
                Flow(lb, lb.ip, target.ip, eph(), 8080, TCP, n, n * 300, s, e, tcp_flags=3, path=1),
                n * 900,
            )
    if rng.random() < 0.4:
        scanner = rng.choice(SCANNERS)
        for target in rng.sample([*vpc.load_balancer, *vpc.instances[:2]], 2):
            s, e = span()
            port = rng.choice(SCANNED_PORTS)
            n = rng.randrange(1, 3)
            flows.append(Flow(target, scanner, target.ip, eph(), port, TCP, n, n * 44, s, e, "REJECT",
                              "ingress", 2))  # fmt: skip
    return flows, queries


def _query(vpc: Vpc, h: Interface, rng: random.Random, when: datetime, name: str, answers: list[str],
           rcode: str = "NOERROR") -> dict:  # fmt: skip
    """One Resolver query log record, in the key order of the Route 53 Developer Guide's example."""
    t = when + timedelta(seconds=rng.randrange(0, 299))
    return {
        "version": "1.100000",
        "account_id": vpc.account.id,
        "region": vpc.region,
        "vpc_id": vpc.vpc_id,
        "query_timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "query_name": f"{name}.",
        "query_type": "A",
        "query_class": "IN",
        "rcode": rcode,
        "answers": [{"Rdata": ip, "Type": "A", "Class": "IN"} for ip in answers],
        "srcaddr": h.ip,
        "srcport": str(rng.randrange(32768, 61000)),
        "transport": "UDP",
        "srcids": {"instance": h.instance},
    }


def mining_traffic(incident: MiningIncident, seed: int) -> tuple[list[Flow], list[dict], dict]:
    """The miner's stratum connections (a record each way per aggregation interval) and pool lookups,
    with totals for the ground truth."""
    rng = random.Random(f"mining-traffic/{seed}")
    h, vpc = incident.host, incident.vpc
    flows: list[Flow] = []
    queries: list[dict] = []
    for c in incident.connections:
        t = _unix(c.start)
        stop = _unix(c.end)
        first = True
        while t < stop:
            end = min(stop, t + AGGREGATION - 1)
            n = rng.randrange(55, 75)
            out = Flow(h, h.ip, c.ip, c.local_port, c.port, TCP, n, n * rng.randrange(70, 110), t, end,
                       tcp_flags=2 if first else 0, path=8)  # fmt: skip
            back_n = rng.randrange(50, 70)
            back = Flow(h, c.ip, h.ip, c.port, c.local_port, TCP, back_n, back_n * rng.randrange(180, 260), t,
                        end, direction="ingress", tcp_flags=18 if first else 0)  # fmt: skip
            flows += [out, back]
            first = False
            t += AGGREGATION
        lookup = c.start - timedelta(seconds=2)
        while lookup < c.end:
            q = _query(vpc, h, rng, lookup, c.domain, [c.ip])
            q["query_timestamp"] = lookup.strftime("%Y-%m-%dT%H:%M:%SZ")
            queries.append(q)
            lookup += timedelta(minutes=30)
    totals = {
        "flow_records": len(flows),
        "bytes_out": sum(f.bytes for f in flows if f.direction == "egress"),
        "bytes_in": sum(f.bytes for f in flows if f.direction == "ingress"),
        "packets_out": sum(f.packets for f in flows if f.direction == "egress"),
        "packets_in": sum(f.packets for f in flows if f.direction == "ingress"),
        "dns_queries": len(queries),
    }
    return flows, queries, totals


def write_network_logs(lake: str | os.PathLike, org: Organization, seed: int, mining: MiningIncident) -> dict:
    """Write every VPC's flow logs and Resolver query logs; returns counts and the mining totals."""
    root = Path(lake)
    lo = max(org.start, org.end - timedelta(days=NETWORK_DAYS))
    flow_files: dict[tuple[str, int], list[Flow]] = {}
    dns_files: dict[tuple[str, int], list[dict]] = {}
    vpcs = {v.vpc_id: v for v in network_vpcs(org, seed)}
    for vpc in vpcs.values():
        for t0 in _windows(vpc, seed, lo, org.end):
            flows, queries = background_window(vpc, random.Random(f"net/{seed}/{vpc.vpc_id}/{t0}"), t0)
            flow_files[(vpc.vpc_id, t0)] = flows
            dns_files[(vpc.vpc_id, t0)] = queries
    flows, queries, totals = mining_traffic(mining, seed)
    for f in flows:
        flow_files.setdefault((mining.vpc.vpc_id, f.end - f.end % 300), []).append(f)
    for q in queries:
        t = _unix(datetime.strptime(q["query_timestamp"], "%Y-%m-%dT%H:%M:%SZ"))
        dns_files.setdefault((mining.vpc.vpc_id, t - t % 300), []).append(q)
    names = random.Random(f"net-files/{seed}")
    n_flows = n_queries = 0
    for (vpc_id, t0), recs in sorted(flow_files.items()):
        vpc = vpcs[vpc_id]
        header = " ".join(V5_FIELDS if vpc.custom_format else DEFAULT_FORMAT)
        lines = [header, *(flow_line(vpc, f) for f in sorted(recs, key=lambda f: (f.start, f.iface.eni)))]
        key = flow_log_key(vpc.account.id, vpc.region, _utc(t0), vpc.flow_log_id, hex_id(names, 8))
        _write(root / key, lines)
        n_flows += len(recs)
    for (vpc_id, t0), recs in sorted(dns_files.items()):
        vpc = vpcs[vpc_id]
        recs = sorted(recs, key=lambda q: q["query_timestamp"])
        _write(root / resolver_log_key(vpc, t0, hex_id(names, 8)), [json.dumps(q) for q in recs])
        n_queries += len(recs)
    return {
        "vpcs": len(vpcs),
        "from": (lo.strftime("%Y-%m-%dT%H:%M:%SZ")),
        "flow_log_files": len(flow_files),
        "flow_records": n_flows,
        "resolver_log_files": len(dns_files),
        "dns_queries": n_queries,
        "mining": totals,
    }


def _windows(vpc: Vpc, seed: int, lo: datetime, hi: datetime) -> Iterator[int]:
    """One 5-minute window every ``WINDOW_HOURS`` hours (where in those hours drawn per VPC and day)."""
    day = lo
    while day < hi:
        rng = random.Random(f"net-windows/{seed}/{vpc.vpc_id}/{day:%Y%m%d}")
        for hour in range(0, 24, WINDOW_HOURS):
            t = day + timedelta(hours=hour, minutes=5 * rng.randrange(12 * WINDOW_HOURS))
            if lo <= t < hi:
                yield _unix(t)
        day += timedelta(days=1)


def _unix(t: datetime) -> int:
    """Unix seconds of a naive UTC time (the demo's clock), whatever the machine's time zone."""
    return int(t.replace(tzinfo=UTC).timestamp())


def _utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC).replace(tzinfo=None)


def resolver_log_key(vpc: Vpc, t0: int, digest: str) -> str:
    """Where Resolver query logging delivers the file of window ``t0`` (unix seconds)."""
    t = _utc(t0)
    a, v = vpc.account.id, vpc.vpc_id
    return f"AWSLogs/{a}/vpcdnsquerylogs/{v}/{t:%Y/%m/%d}/{v}_vpcdnsquerylogs_{a}_{t:%Y%m%dT%H%MZ}_{digest}.log.gz"


def _write(path: Path, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode(), compresslevel=6, mtime=0))
