"""The network side of a triage: the flows and DNS queries of an IP, an instance id or a domain (or of a
GuardDuty EC2 finding's instance), read from ``vpcflow`` and ``dnsquery`` beside the trail's API calls.

Called by ``analytics.triage`` through one hook (:func:`gather`); the page shows :class:`NetworkEvidence`
as its own section. Every value reaches SQL as a bound parameter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.analytics.network.tables import frame, unread_tables_note
from orginsight.errors import OrgInsightError
from orginsight.timerange import delivery_days

INSTANCE_ID = re.compile(r"^i-(?:[0-9a-f]{8}|[0-9a-f]{17})$")
"""An EC2 instance id (8 or 17 hex digits, EC2 API Reference, "Resource IDs")."""
DOMAIN = re.compile(
    r"^(?=.{4,253}\.?$)(?:[a-z0-9_](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}\.?$", re.IGNORECASE
)
"""A DNS name with at least two labels and an alphabetic top-level label (so no IP address matches)."""

FLOWS_SQL = """
SELECT
  account, region, interface_id, max(instance_id) AS instance_id, srcaddr, dstaddr, dstport, protocol, action,
  min(from_unixtime(start)) AS first_seen, max(from_unixtime("end")) AS last_seen, count(*) AS records,
  sum(bytes) AS bytes, sum(packets) AS packets, max(pkt_dst_aws_service) AS dst_aws_service
FROM vpcflow
WHERE from_unixtime(start) >= :since AND from_unixtime(start) < :until
  AND (instance_id IN (:instances) OR interface_id IN (:enis) OR srcaddr IN (:ips) OR dstaddr IN (:ips))
GROUP BY account, region, interface_id, srcaddr, dstaddr, dstport, protocol, action
ORDER BY first_seen
"""
"""The flows of the triaged instances, interfaces and addresses: one row per connection and action."""

DNS_SQL = """
SELECT
  from_iso8601_timestamp(query_timestamp) AS time, account, region, vpc_id, srcids.instance AS instance_id,
  srcaddr, rtrim(query_name, '.') AS query_name, query_type, rcode, answers
FROM dnsquery
WHERE from_iso8601_timestamp(query_timestamp) >= :since AND from_iso8601_timestamp(query_timestamp) < :until
  AND (srcids.instance IN (:instances) OR srcaddr IN (:ips) OR rtrim(query_name, '.') IN (:domains)
       OR regexp_replace(rtrim(query_name, '.'), '^[^.]+[.]', '') IN (:domains))
ORDER BY 1
"""
"""The Resolver queries of the triaged instances and addresses, and the lookups of the triaged domains."""

SESSIONS_SQL = """
SELECT DISTINCT useridentity.arn AS arn
FROM cloudtrail
WHERE "timestamp" BETWEEN :first_day AND :last_day
  AND useridentity.type = 'AssumedRole' AND useridentity.arn LIKE :pattern
"""
"""Role sessions named after an instance: EC2 names the instance profile's session after the instance id
(IAM User Guide, "Using an IAM role to grant permissions to applications running on Amazon EC2")."""


@dataclass
class NetworkEvidence:
    """What the network logs show about a triaged indicator: ``flows`` (one row per connection and
    action), ``dns`` (one row per query, ``answer_ips`` joined), the ``instances`` and ``remote_ips``
    involved, and the role ``sessions`` of those instances in the trail."""

    indicator: str
    kind: str
    flows: pd.DataFrame
    dns: pd.DataFrame
    instances: list[str] = field(default_factory=list)
    remote_ips: list[str] = field(default_factory=list)
    sessions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    findings: pd.DataFrame = field(default_factory=pd.DataFrame)
    """The findings given to triage that are about those instances (a GuardDuty EC2 finding names one)."""

    @property
    def empty(self) -> bool:
        return self.flows.empty and self.dns.empty

    def summary(self) -> str:
        """One line for the page: how much, to where, which names."""
        if self.empty:
            return f"No flow or DNS records of {self.indicator} in the window."
        accepted = self.flows[self.flows["action"] == "ACCEPT"] if len(self.flows) else self.flows
        return (
            f"{len(self.flows)} connection(s) ({int(self.flows['records'].sum()) if len(self.flows) else 0} flow "
            f"records, {int(accepted['bytes'].sum()) if len(accepted) else 0} bytes accepted) of "
            f"{len(self.instances)} instance(s) with {len(self.remote_ips)} remote address(es); "
            f"{len(self.dns)} DNS quer(ies) for {self.dns['query_name'].nunique() if len(self.dns) else 0} name(s)."
        )


def indicator_kind(text: str) -> str | None:
    """``instance``, ``domain`` or ``ip`` for a network indicator, else None."""
    import ipaddress

    text = text.strip()
    if INSTANCE_ID.match(text):
        return "instance"
    try:
        ipaddress.ip_address(text)
        return "ip"
    except ValueError:
        pass
    return "domain" if DOMAIN.match(text) else None


def finding_instance(finding: dict[str, Any] | None) -> str | None:
    """The EC2 instance a (normalized) GuardDuty finding is about, if any."""
    if not finding:
        return None
    for key in ("resource_id", "resource", "raw"):
        m = re.search(r"\bi-(?:[0-9a-f]{17}|[0-9a-f]{8})\b", str(finding.get(key) or ""))
        if m:
            return m.group(0)
    return None


def _answer_ips(answers: Any) -> list[str]:
    if answers is None:
        return []
    return [str(a["rdata"]) for a in answers if isinstance(a, dict) and a.get("rdata")]


def _private(ip: str) -> bool:
    import ipaddress

    try:
        return not ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


def gather(
    lake: Any,
    indicator: str,
    since: datetime,
    until: datetime,
    finding: dict[str, Any] | None = None,
    findings: pd.DataFrame | None = None,
) -> NetworkEvidence | None:
    """The flows and DNS queries of ``indicator`` (an IP, instance id or domain) or of ``finding``'s
    instance between ``since`` and ``until``; None when the indicator is none of these. A lake without
    network tables gives empty frames and a note."""
    instance = finding_instance(finding)
    kind = "instance" if instance else indicator_kind(indicator)
    if kind is None:
        return None
    key = instance or indicator.strip().rstrip(".").lower()
    instances = [key] if kind == "instance" else []
    ips = [key] if kind == "ip" else []
    domains = [key] if kind == "domain" else []
    window = {"since": since, "until": until}
    notes: list[str] = []
    unread = unread_tables_note(lake)
    if unread:
        notes.append(unread)
    try:
        dns = frame(lake, DNS_SQL, {**window, "instances": instances, "ips": ips, "domains": domains})
        if kind == "domain":  # the instances that looked it up, and what it resolved to
            instances = sorted(set(dns["instance_id"].dropna()))
            ips = sorted({ip for a in dns["answers"] for ip in _answer_ips(a)})
        flows = frame(lake, FLOWS_SQL, {**window, "instances": instances, "enis": [], "ips": ips})
        if kind == "ip" and len(flows):  # the lookups of the instances that talked to it
            talkers = sorted(set(flows["instance_id"].dropna()))
            dns = frame(lake, DNS_SQL, {**window, "instances": talkers, "ips": ips, "domains": []})
    except OrgInsightError as e:
        notes.append(f"network logs could not be read: {e}")
        dns, flows = pd.DataFrame(columns=["query_name", "instance_id", "answers"]), pd.DataFrame()
    if len(flows):
        flows["first_seen"] = pd.to_datetime(flows["first_seen"], utc=True)
        flows["last_seen"] = pd.to_datetime(flows["last_seen"], utc=True)
        instances = sorted(set(instances) | set(flows["instance_id"].dropna()))
    if len(dns):
        dns["answer_ips"] = [",".join(_answer_ips(a)) for a in dns["answers"]]
        dns = dns.drop(columns=["answers"])
        if kind == "ip":  # only the lookups that answered the triaged address
            dns = dns[dns["answer_ips"].str.split(",").map(lambda a: key in a) | (dns["srcaddr"] == key)]
    remote = set()
    if len(flows):
        remote = {a for a in pd.concat([flows["srcaddr"], flows["dstaddr"]]).dropna() if not _private(a)}
    return NetworkEvidence(
        indicator=indicator,
        kind=kind,
        flows=flows.reset_index(drop=True),
        dns=dns.reset_index(drop=True),
        instances=instances,
        remote_ips=sorted(remote - {key} if kind == "ip" else remote),
        sessions=instance_sessions(lake, instances, since, until),
        notes=notes,
        findings=about_instances(findings, instances),
    )


def about_instances(findings: pd.DataFrame | None, instances: list[str]) -> pd.DataFrame:
    """The findings whose resource is one of ``instances``."""
    if findings is None or not len(findings) or not instances:
        return pd.DataFrame()
    hit = [finding_instance(f) in instances for f in findings.to_dict("records")]
    return findings[hit].reset_index(drop=True)


def instance_sessions(lake: Any, instances: list[str], since: datetime, until: datetime) -> list[str]:
    """The role session ARNs the trail shows for ``instances`` (sessions named after the instance)."""
    first_day, last_day = delivery_days(since, until)
    out: list[str] = []
    for instance in instances:
        try:
            df = frame(
                lake, SESSIONS_SQL, {"first_day": first_day, "last_day": last_day, "pattern": f"%/{instance}"}
            )
        except OrgInsightError:
            continue
        out += [a for a in df["arn"].dropna() if a.endswith("/" + instance)]
    return sorted(set(out))
