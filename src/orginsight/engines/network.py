"""``vpcflow`` and ``dnsquery`` on the local engine: the files a query's partition predicates allow.

Each reference to either table becomes a scan of just the files of the accounts, regions (flow logs;
resolver logs are foldered by VPC) and days its WHERE clause allows (``pruning.partition_filter``, the
trail's reading), walking ``AWSLogs/<account>/vpcflowlogs|vpcdnsquerylogs/`` only. Each file is checked
once while unchanged (``FlowChecks``, ``DnsChecks``): a bad file is reported and left out, and every good
file is still read. Flow-log text files are grouped by their header, so each group is one read by its
own fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from orginsight.engines import pruning
from orginsight.sources.file_verdicts import split_checked
from orginsight.sources.network import dnslogs, flowlogs
from orginsight.sources.network.layout import DNS_SERVICE, FLOW_SERVICE, NetworkFile, iter_network_files


@dataclass
class NetworkChecks:
    """The verdicts on the lake's flow-log and resolver-log files, kept while each file is unchanged."""

    flow: flowlogs.FlowChecks = field(default_factory=flowlogs.FlowChecks)
    dns: dnslogs.DnsChecks = field(default_factory=dnslogs.DnsChecks)


@dataclass
class NetworkScan:
    """One reference of ``vpcflow`` or ``dnsquery``: the table node, its DuckDB scan, what it read or left out."""

    ref: exp.Table
    sql: str
    params: dict[str, list[str]]
    files: list[NetworkFile] = field(default_factory=list)
    bad: list[dict[str, str]] = field(default_factory=list)


def flow_files(root: Path, pf: pruning.PartitionFilter | None = None) -> list[NetworkFile]:
    """The flow-log files of the lake a partition filter allows (all of them without one)."""
    return list(iter_network_files(root, FLOW_SERVICE, pf, by_region=True))


def dns_files(root: Path, pf: pruning.PartitionFilter | None = None) -> list[NetworkFile]:
    """The resolver-log files of the lake a partition filter allows (its regions prune nothing: see dnslogs)."""
    return list(iter_network_files(root, DNS_SERVICE, pf, by_region=False))


def flow_scan(ref: exp.Table, files: list[NetworkFile], checks: flowlogs.FlowChecks) -> NetworkScan:
    """The scan of ``files`` for one ``vpcflow`` reference: good files grouped by format, bad ones reported."""
    good, bad = split_checked(files, lambda f: checks.verdict(f).error)
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for f in good:
        groups.setdefault((checks.verdict(f).fields, f.is_parquet), []).append(f.path)
    sql, params = flowlogs.scan_sql(
        [flowlogs.FlowGroup(fields, parquet, tuple(paths)) for (fields, parquet), paths in groups.items()]
    )
    return NetworkScan(ref, sql, params, good, bad)


def dns_scan(ref: exp.Table, files: list[NetworkFile], checks: dnslogs.DnsChecks) -> NetworkScan:
    """The scan of ``files`` for one ``dnsquery`` reference: bad files reported and left out."""
    good, bad = split_checked(files, checks.verdict)
    sql, params = dnslogs.scan_sql([f.path for f in good])
    return NetworkScan(ref, sql, params, good, bad)


def scans(root: Path, tree: Any, checks: NetworkChecks) -> list[NetworkScan]:
    """A scan for each ``vpcflow`` and ``dnsquery`` reference of a parsed query (none when it names neither)."""
    out = []
    for ref in pruning.table_refs(tree, flowlogs.TABLE):
        out.append(flow_scan(ref, flow_files(root, pruning.partition_filter(ref)), checks.flow))
    for ref in pruning.table_refs(tree, dnslogs.TABLE):
        out.append(dns_scan(ref, dns_files(root, pruning.partition_filter(ref)), checks.dns))
    return out
