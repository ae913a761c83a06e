"""Network entities in the graph: instances, interfaces, remote addresses and domains from ``vpcflow`` and
``dnsquery``, joined to the trail's role sessions and the findings' remote addresses (Detective builds its
graph from CloudTrail, GuardDuty and VPC Flow Logs too).

Flow logs are the largest source an organization has, so the engine aggregates them: one row per interface,
remote address, service port, protocol, action and hour (:data:`FLOWS_SQL`), over only the columns and the
days needed; Resolver logs one row per instance, VPC, name, answer and hour (:data:`DNS_SQL`). Python only
reshapes those aggregates into edges, entities and newly observed rows (:mod:`graph.network_novelty`).

Entity ids: an instance and an interface are ``resource:`` ARNs (the id a GuardDuty EC2 finding and the
trail's ``RunInstances`` already give an instance), a remote address ``ip:``, a name ``domain:``.
Edge kinds: ``has_interface`` instance -> interface; ``flow`` instance (else interface) -> remote address
(count: flow records, successes/failures: accepted/rejected records, apis: ``tcp/443``-style ports);
``runs_as`` instance -> its role session (EC2 names the session after the instance id: IAM User Guide,
"Using an IAM role to grant permissions to applications running on Amazon EC2"); ``resolved`` instance ->
domain; ``resolves_to`` domain -> answered address; ``involves`` finding -> the domain a DNS finding names.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from orginsight.analytics.graph.geo import country_codes, country_data_source
from orginsight.analytics.network.tables import frame, unread_tables_note
from orginsight.errors import OrgInsightError
from orginsight.sources.findings.frame import raw_field
from orginsight.timerange import delivery_days

NETWORK_BASELINE_DAYS = 14
"""Days of flow logs before the scope read for the network baseline (the network hunts' default too):
weeks of flow logs cost far more to scan than weeks of trail."""

FLOWS_SQL = """
SELECT
  account, region, interface_id, max(instance_id) AS instance_id, max(vpc_id) AS vpc_id,
  remote_ip, max(local_ip) AS local_ip, port, protocol, action, opened, hour, max(owner) AS owner,
  count(*) AS records, sum(CASE WHEN egress THEN bytes ELSE 0 END) AS bytes_out,
  sum(CASE WHEN egress THEN 0 ELSE bytes END) AS bytes_in,
  sum(CASE WHEN egress THEN packets ELSE 0 END) AS packets_out,
  sum(CASE WHEN egress THEN 0 ELSE packets END) AS packets_in
FROM (
  SELECT
    account, region, interface_id, instance_id, vpc_id, protocol, action, bytes, packets, egress,
    CASE WHEN egress THEN dstaddr ELSE srcaddr END AS remote_ip,
    CASE WHEN egress THEN srcaddr ELSE dstaddr END AS local_ip,
    least(srcport, dstport) AS port,
    egress = (srcport > dstport) AS opened,
    CASE WHEN egress THEN pkt_dst_aws_service ELSE pkt_src_aws_service END AS owner,
    date_trunc('hour', from_unixtime(start)) AS hour
  FROM (
    SELECT *, coalesce(flow_direction = 'egress',
                       regexp_like(srcaddr, :private) AND NOT regexp_like(dstaddr, :private),
                       regexp_like(srcaddr, :private) AND srcport > dstport) AS egress
    FROM vpcflow
    WHERE "timestamp" BETWEEN :first_day AND :last_day
      AND from_unixtime(start) >= :since AND from_unixtime(start) < :until
      AND srcaddr IS NOT NULL AND dstaddr IS NOT NULL
  ) AS f
) AS d
GROUP BY account, region, interface_id, remote_ip, port, protocol, action, opened, hour
"""
"""Hourly flows per interface and remote end. A record is egress by its ``flow-direction`` (v5), else when
it leaves a private address for a public one, else when its source port is the higher (a client's
ephemeral port): the default v2 format names no direction. ``port`` is the service side's (the lower) port;
``opened``: the interface's side opened the connection (an egress record from the higher port)."""

PRIVATE_ADDRESS = r"^(10[.]|192[.]168[.]|172[.](1[6-9]|2[0-9]|3[01])[.]|127[.]|169[.]254[.]|f[cd])"
"""RFC 1918, loopback, link-local and IPv6 unique-local addresses: the organization's own side."""

DNS_SQL = """
SELECT
  account, region, vpc_id, srcids.instance AS instance_id, lower(rtrim(query_name, '.')) AS domain,
  date_trunc('hour', from_iso8601_timestamp(query_timestamp)) AS hour,
  array_join(transform(answers, a -> a.rdata), ',') AS answer_ips, count(*) AS queries
FROM dnsquery
WHERE "timestamp" BETWEEN :first_day AND :last_day
  AND from_iso8601_timestamp(query_timestamp) >= :since AND from_iso8601_timestamp(query_timestamp) < :until
GROUP BY 1, 2, 3, 4, 5, 6, 7
"""
"""The scope's Resolver queries per instance, VPC, name, answers and hour."""

PROTOCOLS = {1: "icmp", 6: "tcp", 17: "udp", 58: "icmpv6"}
"""IANA protocol numbers flow logs hold, by name (others are shown as their number)."""


@dataclass
class NetworkGraph:
    """The network frames of a graph: ``flows`` (hourly, scope and baseline, with ``subject``: the
    instance's entity else the interface's, ``in_scope``, ``country``, ``owner``), ``remote_ips`` (one row
    per remote address of the scope), ``domains`` (the scope's lookups per instance and VPC) and where the
    countries came from (``country_source``; None when no country data answered)."""

    flows: pd.DataFrame
    remote_ips: pd.DataFrame
    domains: pd.DataFrame
    country_source: str | None = None
    notes: list[str] = field(default_factory=list)
    known_addresses: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=KNOWN_COLUMNS))
    """Addresses answered for names looked up in the baseline: per instance (``instance_id``) and per
    account (``instance_id`` None, for interfaces with no instance, such as a NAT gateway's)."""


KNOWN_COLUMNS = ["account", "instance_id", "ip"]


def instance_entity(region: str, account: str, instance: str) -> str:
    return f"resource:arn:aws:ec2:{region}:{account}:instance/{instance}"


def interface_entity(region: str, account: str, eni: str) -> str:
    return f"resource:arn:aws:ec2:{region}:{account}:network-interface/{eni}"


def read_network(
    lake: Any, scope: tuple[datetime, datetime], baseline_days: int = NETWORK_BASELINE_DAYS
) -> NetworkGraph:
    """The aggregated flows of ``scope`` and ``baseline_days`` before it, and the scope's lookups. A lake
    without network tables (or logs) gives empty frames and a note."""
    start, end = scope
    since = start - timedelta(days=baseline_days)
    notes: list[str] = []
    flows, dns = pd.DataFrame(), pd.DataFrame()
    unread = unread_tables_note(lake)
    if unread:
        notes.append(unread)
    try:
        first, last = delivery_days(since, end)
        flows = frame(lake, FLOWS_SQL, {"first_day": first, "last_day": last, "since": since, "until": end,
                                       "private": PRIVATE_ADDRESS})  # fmt: skip
        dns = frame(lake, DNS_SQL, {"first_day": first, "last_day": last, "since": since, "until": end})
    except OrgInsightError as e:
        notes.append(f"network logs could not be read: {e}")
    flows = shape_flows(flows, start)
    in_scope = pd.to_datetime(dns["hour"], utc=True) >= pd.Timestamp(start) if len(dns) else []
    return NetworkGraph(
        flows=flows,
        remote_ips=remote_ips(flows),
        domains=dns[in_scope].reset_index(drop=True) if len(dns) else dns,
        country_source=country_data_source() if len(flows) else None,
        notes=notes,
        known_addresses=known_addresses(dns, start),
    )


def known_addresses(dns: pd.DataFrame, scope_start: datetime) -> pd.DataFrame:
    """The addresses (answered in the scope or before) of the names each instance, and each account, looked up
    before the scope: a service the instance already used, reached at an address its name now resolves to,
    is not a new destination (AWS endpoints, CDNs and SaaS rotate addresses across networks and countries)."""
    if not len(dns):
        return pd.DataFrame(columns=KNOWN_COLUMNS)
    d = dns.assign(before=pd.to_datetime(dns["hour"], utc=True) < pd.Timestamp(scope_start))
    answers = d.assign(ip=d["answer_ips"].fillna("").str.split(",")).explode("ip")
    answers = answers[answers["ip"].ne("")]
    parts = []
    for keys in (["account", "instance_id"], ["account"]):
        names = d[d["before"]][[*keys, "domain"]].drop_duplicates()
        hit = answers[[*keys, "domain", "ip"]].merge(names, on=[*keys, "domain"])
        parts.append(hit[[*keys, "ip"]].drop_duplicates())
    out = pd.concat(parts, ignore_index=True)
    out["instance_id"] = out["instance_id"].astype("object").where(out["instance_id"].notna(), None)
    return out[KNOWN_COLUMNS].reset_index(drop=True)


def shape_flows(flows: pd.DataFrame, scope_start: datetime) -> pd.DataFrame:
    """The aggregate with its subject entity, port label, owner and country (looked up once per address)."""
    if not len(flows):
        return pd.DataFrame(columns=FLOW_COLUMNS)
    f = flows.copy()
    f["hour"] = pd.to_datetime(f["hour"], utc=True)
    f["in_scope"] = f["hour"] >= pd.Timestamp(scope_start)
    # An interface's instance, from any record that names it (v3+ formats), for all its records.
    known = f.dropna(subset=["instance_id"]).drop_duplicates("interface_id").set_index("interface_id")
    f["instance_id"] = f["interface_id"].map(known["instance_id"]).astype("object")
    f["interface"] = [interface_entity(r, a, i) for r, a, i in zip(f["region"], f["account"], f["interface_id"], strict=True)]  # fmt: skip
    inst = [
        instance_entity(r, a, i) if isinstance(i, str) else None
        for r, a, i in zip(f["region"], f["account"], f["instance_id"], strict=True)
    ]
    f["subject"] = pd.Series(inst, index=f.index, dtype="object").fillna(f["interface"])
    f["port_label"] = [f"{PROTOCOLS.get(int(p), str(p))}/{int(n)}" for p, n in zip(f["protocol"], f["port"], strict=True)]  # fmt: skip
    ips = pd.Series(f["remote_ip"].unique(), dtype="object")
    countries = country_codes(list(ips))
    f["country"] = f["remote_ip"].map(countries).astype("object")
    private = {ip: _private(ip) for ip in ips}
    aws = "aws:" + f["owner"].astype("object")
    f["owner"] = aws.where(
        f["owner"].notna(), f["remote_ip"].map(lambda ip: "organization" if private[ip] else None)
    )
    f["network"] = f["remote_ip"].map(network_of)
    return f[FLOW_COLUMNS].reset_index(drop=True)


FLOW_COLUMNS = [
    "hour", "in_scope", "account", "region", "vpc_id", "interface_id", "instance_id", "interface", "subject",
    "local_ip", "remote_ip", "network", "owner", "country", "port", "protocol", "port_label", "action", "opened",
    "records", "bytes_out", "bytes_in", "packets_out", "packets_in",
]  # fmt: skip


def _private(ip: str) -> bool:
    try:
        return not ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def network_of(ip: str) -> str:
    """The /16 (IPv4) or /48 (IPv6) network of an address: cloud services and CDNs rotate addresses within
    their networks, so a new address in a known network is not a new destination."""
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    return str(ipaddress.ip_network(f"{addr}/{16 if addr.version == 4 else 48}", strict=False))


def remote_ips(flows: pd.DataFrame) -> pd.DataFrame:
    """One row per remote address of the scope: owner, country, bytes and packets each way, accepted and
    rejected records, ports, the subjects that talked to it, first and last hour."""
    cols = ["remote_ip", "owner", "country", "bytes_out", "bytes_in", "packets_out", "packets_in", "accepted",
            "rejected", "ports", "subjects", "first_seen", "last_seen"]  # fmt: skip
    s = flows[flows["in_scope"]] if len(flows) else flows
    if not len(s):
        return pd.DataFrame(columns=cols)
    s = s.assign(
        accepted=s["records"].where(s["action"] == "ACCEPT", 0),
        rejected=s["records"].where(s["action"] != "ACCEPT", 0),
    )
    g = s.groupby("remote_ip", sort=True)
    out = g.agg(
        owner=("owner", "first"), country=("country", "first"), bytes_out=("bytes_out", "sum"),
        bytes_in=("bytes_in", "sum"), packets_out=("packets_out", "sum"), packets_in=("packets_in", "sum"),
        accepted=("accepted", "sum"), rejected=("rejected", "sum"),
        ports=("port_label", lambda v: ", ".join(sorted(set(v)))),
        subjects=("subject", lambda v: ", ".join(sorted(set(v)))),
        first_seen=("hour", "min"), last_seen=("hour", "max"),
    ).reset_index()  # fmt: skip
    out["last_seen"] = out["last_seen"] + pd.Timedelta(hours=1)
    return out[cols]


def network_edges(net: NetworkGraph, sessions: pd.Series, findings: pd.DataFrame | None) -> pd.DataFrame:
    """The scope's network edges (``EDGE_COLUMNS``); ``sessions``: the graph's role-session entity ids."""
    parts = [_flow_edges(net.flows), _interface_edges(net.flows), _session_edges(net, sessions)]
    parts += [_dns_edges(net.domains), _finding_domain_edges(findings)]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=EDGE_COLUMNS)
    out = pd.concat(parts, ignore_index=True)[EDGE_COLUMNS]
    out["hour"] = pd.to_datetime(out["hour"], utc=True).dt.tz_localize(None)
    for c in ("count", "successes", "failures"):
        out[c] = out[c].astype("int64")
    return out


EDGE_COLUMNS = ["src", "dst", "kind", "hour", "count", "successes", "failures", "apis"]


def _scope(flows: pd.DataFrame) -> pd.DataFrame:
    return flows[flows["in_scope"]] if len(flows) else flows


def _flow_edges(flows: pd.DataFrame) -> pd.DataFrame:
    s = _scope(flows)
    if not len(s):
        return pd.DataFrame()
    s = s.assign(
        dst="ip:" + s["remote_ip"],
        ok=s["records"].where(s["action"] == "ACCEPT", 0),
        bad=s["records"].where(s["action"] != "ACCEPT", 0),
    )
    g = s.groupby(["subject", "dst", "hour"], sort=False).agg(
        count=("records", "sum"), successes=("ok", "sum"), failures=("bad", "sum"),
        apis=("port_label", lambda v: ", ".join(sorted(set(v)))),
    )  # fmt: skip
    return g.reset_index().rename(columns={"subject": "src"}).assign(kind="flow")


def _interface_edges(flows: pd.DataFrame) -> pd.DataFrame:
    s = _scope(flows)
    s = s[s["subject"] != s["interface"]] if len(s) else s
    if not len(s):
        return pd.DataFrame()
    g = s.groupby(["subject", "interface", "hour"], sort=False)["records"].sum().reset_index()
    return g.rename(columns={"subject": "src", "interface": "dst", "records": "count"}).assign(
        kind="has_interface", successes=g["records"], failures=0, apis=""
    )


def _instances(net: NetworkGraph) -> pd.DataFrame:
    """(instance id, its entity) of every instance the scope's flows or lookups name."""
    rows = []
    s = _scope(net.flows)
    if len(s):
        known = s.dropna(subset=["instance_id"])[["instance_id", "subject"]].drop_duplicates("instance_id")
        rows.append(known.rename(columns={"subject": "entity"}))
    d = net.domains
    if len(d):
        seen = set(s["instance_id"].dropna()) if len(s) else set()
        extra = d[d["instance_id"].notna() & ~d["instance_id"].isin(seen)].drop_duplicates("instance_id")
        ents = [
            instance_entity(*k)
            for k in zip(extra["region"], extra["account"], extra["instance_id"], strict=True)
        ]
        rows.append(pd.DataFrame({"instance_id": extra["instance_id"], "entity": ents}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["instance_id", "entity"])


def _session_edges(net: NetworkGraph, sessions: pd.Series) -> pd.DataFrame:
    instances = _instances(net)
    if not len(instances) or not len(sessions):
        return pd.DataFrame()
    ids = sessions.str.extract(r"/(i-[0-9a-f]{8,17})$", expand=False)
    named = pd.DataFrame({"session": sessions, "instance_id": ids}).dropna()
    j = named.merge(instances, on="instance_id")
    if not len(j):
        return pd.DataFrame()
    first = _scope(net.flows)["hour"].min()
    return pd.DataFrame({"src": j["entity"], "dst": j["session"], "kind": "runs_as", "hour": first,
                         "count": 1, "successes": 1, "failures": 0, "apis": ""})  # fmt: skip


def _dns_edges(dns: pd.DataFrame) -> pd.DataFrame:
    if not len(dns):
        return pd.DataFrame()
    d = dns.dropna(subset=["instance_id"]).copy()
    # The record's own region and account name the instance (a Resolver log is per VPC, so per region).
    d["src"] = [instance_entity(*k) for k in zip(d["region"], d["account"], d["instance_id"], strict=True)]
    d = d.assign(dst="domain:" + d["domain"])
    asked = d.groupby(["src", "dst", "hour"], sort=False)["queries"].sum().reset_index()
    asked = asked.rename(columns={"queries": "count"}).assign(kind="resolved", successes=asked["queries"], failures=0, apis="")  # fmt: skip
    answers = d.assign(ip=d["answer_ips"].str.split(",")).explode("ip")
    answers = answers[answers["ip"].fillna("").ne("")]
    to_ip = answers.groupby(["dst", "ip", "hour"], sort=False)["queries"].sum().reset_index()
    to_ip = pd.DataFrame({"src": to_ip["dst"], "dst": "ip:" + to_ip["ip"], "kind": "resolves_to", "hour": to_ip["hour"],
                          "count": to_ip["queries"], "successes": to_ip["queries"], "failures": 0, "apis": ""})  # fmt: skip
    return pd.concat([asked, to_ip], ignore_index=True)


def _finding_domain_edges(findings: pd.DataFrame | None) -> pd.DataFrame:
    """``involves`` edges from a GuardDuty finding to the domain its DNS request action names."""
    if findings is None or not len(findings) or "raw" not in findings:
        return pd.DataFrame()
    rows = []
    for f in findings.to_dict("records"):
        domain = finding_domain(f.get("raw"))
        if domain:
            hour = pd.Timestamp(f["first_seen"]).floor("h") if pd.notna(f.get("first_seen")) else None
            rows.append({"src": f"finding:{f['finding_id']}", "dst": f"domain:{domain}", "kind": "involves",
                         "hour": hour, "count": 1, "successes": 0, "failures": 0, "apis": f.get("type") or ""})  # fmt: skip
    return pd.DataFrame(rows)


def finding_domain(raw: Any) -> str | None:
    """The domain of a GuardDuty finding's ``service.action.dnsRequestAction`` (GuardDuty API Reference,
    ``DnsRequestAction``), lower case without a trailing dot."""
    domain = raw_field(raw, "service", "action", "dnsRequestAction", "domain")
    return domain.rstrip(".").lower() if isinstance(domain, str) and domain else None
