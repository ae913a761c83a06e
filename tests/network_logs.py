"""Small lakes of VPC Flow Logs and Resolver query logs for tests, written as AWS documents them (Amazon VPC
User Guide, "Flow log records": the default version 2 format, and a custom one ending in ``instance-id``;
Route 53 Developer Guide, "Values that appear in VPC Resolver query logs") under the lake's key layout."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from orginsight import Lake
from orginsight.sources.network.layout import dns_log_key, flow_log_key

ACCOUNT, REGION, VPC = "111122223333", "us-east-1", "vpc-0123456789abcdef0"
ENI, INSTANCE, PRIVATE = "eni-0123456789abcdef0", "i-0123456789abcdef0", "10.0.1.10"
T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
V2_HEADER = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
V3_HEADER = f"{V2_HEADER} instance-id"


def flow(
    src: str, dst: str, sport: int, dport: int, nbytes: int, t: datetime, action: str = "ACCEPT",
    instance: bool = False,
) -> str:  # fmt: skip
    """One TCP record of 10 packets over a minute from ``t``; with ``instance``, in ``V3_HEADER``'s format."""
    s = int(t.timestamp())
    line = f"{3 if instance else 2} {ACCOUNT} {ENI} {src} {dst} {sport} {dport} 6 10 {nbytes} {s} {s + 60} {action} OK"
    return f"{line} {INSTANCE}" if instance else line


def resolver_query(name: str, answers: list[str], t: datetime) -> dict:
    """The instance's A query for ``name``, answered with ``answers``."""
    return {
        "version": "1.100000", "account_id": ACCOUNT, "region": REGION, "vpc_id": VPC,
        "query_timestamp": t.strftime("%Y-%m-%dT%H:%M:%SZ"), "query_name": name + ".", "query_type": "A",
        "query_class": "IN", "rcode": "NOERROR",
        "answers": [{"Rdata": a, "Type": "A", "Class": "IN"} for a in answers],
        "srcaddr": PRIVATE, "srcport": "53001", "transport": "UDP", "srcids": {"instance": INSTANCE},
    }  # fmt: skip


def network_lake(root: Path, flows: list[str], queries: Iterable[dict] = (), header: str = V2_HEADER) -> Lake:
    """A local lake of one flow-log file per day of ``flows`` and one Resolver-log file of ``queries``."""
    day_of = {f: datetime.fromtimestamp(int(f.split()[10]), UTC).date() for f in flows}
    for i, day in enumerate(sorted(set(day_of.values()))):
        when = datetime(day.year, day.month, day.day, tzinfo=UTC)
        path = root / flow_log_key(ACCOUNT, REGION, when, f"fl-{i:017d}")
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = [f for f in flows if day_of[f] == day]
        path.write_bytes(gzip.compress(("\n".join([header, *lines]) + "\n").encode()))
    queries = list(queries)
    if queries:
        path = root / dns_log_key(ACCOUNT, VPC, T0)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress("\n".join(json.dumps(q) for q in queries).encode()))
    return Lake.local(root)
