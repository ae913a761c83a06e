"""Network entities of the graph on lakes built here from the documented formats (Amazon VPC User Guide,
"Flow log records", a custom format with ``instance-id``; Route 53 Developer Guide, "Values that appear in
VPC Resolver query logs"): hourly flows per remote address and port, the instance's edges to its session,
addresses and names, and what is new against the instance's own earlier window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
from network_logs import (
    ACCOUNT,
    ENI,
    INSTANCE,
    PRIVATE,
    REGION,
    T0,
    V3_HEADER,
    flow,
    network_lake,
    resolver_query,
)

from orginsight import Lake
from orginsight.analytics.graph import network as N
from orginsight.analytics.graph.network_novelty import network_newly_observed

SCOPE = (datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 21, tzinfo=UTC))
INST = N.instance_entity(REGION, ACCOUNT, INSTANCE)
SESSION = f"role_session:arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{INSTANCE}"


def _flow(*args, **kwargs) -> str:
    return flow(*args, instance=True, **kwargs)


def _lake(root: Path, flows: list[str], queries: list[dict]) -> Lake:
    return network_lake(root, flows, queries, V3_HEADER)


def _connection(remote: str, port: int, nbytes: int, t: datetime) -> list[str]:
    """A connection the instance opened: its record out and the reply in."""
    return [
        _flow(PRIVATE, remote, 45000, port, nbytes, t),
        _flow(remote, PRIVATE, port, 45000, nbytes * 2, t),
    ]


BASELINE = [line for d in (1, 2) for line in _connection("140.82.112.6", 443, 5000, T0 - timedelta(days=d))]
SCOPE_FLOWS = [
    *_connection("140.82.113.6", 443, 5000, T0),  # the same API's network: not new
    *_connection("141.95.72.60", 3333, 900, T0),
    *_connection("141.95.72.60", 3333, 700, T0 + timedelta(minutes=10)),
    _flow(
        "192.0.2.66", PRIVATE, 50000, 22, 44, T0, "REJECT"
    ),  # a scanner, rejected: not the instance's doing
]
QUERIES = [
    resolver_query("xmr.pool.minergate.com", ["141.95.72.60"], T0),
    resolver_query("api.github.com", ["140.82.113.6"], T0),
]


def _network(tmp_path: Path, flows: list[str] = BASELINE + SCOPE_FLOWS) -> N.NetworkGraph:
    return N.read_network(_lake(tmp_path, flows, QUERIES), SCOPE, baseline_days=3)


def test_flows_are_hourly_per_remote_address_and_service_port(tmp_path: Path) -> None:
    net = _network(tmp_path)
    scope = net.flows[net.flows["in_scope"]]
    pool = scope[scope["remote_ip"] == "141.95.72.60"]
    assert list(pool["port_label"]) == ["tcp/3333"] and list(pool["records"]) == [4]
    assert int(pool["bytes_out"].sum()) == 1600 and int(pool["bytes_in"].sum()) == 3200
    assert set(scope["subject"]) == {INST}
    ips = net.remote_ips.set_index("remote_ip")
    assert ips.loc["192.0.2.66", "rejected"] == 1 and ips.loc["192.0.2.66", "accepted"] == 0
    assert ips.loc["141.95.72.60", "bytes_out"] == 1600 and ips.loc["141.95.72.60", "ports"] == "tcp/3333"
    assert net.country_source and "GeoLite2-Country" in net.country_source
    assert not net.flows[~net.flows["in_scope"]].empty  # the baseline was read


def test_edges_join_the_instance_to_its_session_addresses_and_names(tmp_path: Path) -> None:
    net = _network(tmp_path)
    other = "role_session:arn:aws:sts::111122223333:assumed-role/app-role/i-0fffffffffffffff0"
    edges = N.network_edges(net, pd.Series([SESSION, other]), None)
    got = {(e.src, e.dst, e.kind) for e in edges.itertuples()}
    assert (INST, SESSION, "runs_as") in got and (INST, other, "runs_as") not in got
    assert (INST, "ip:141.95.72.60", "flow") in got
    assert (INST, "domain:xmr.pool.minergate.com", "resolved") in got
    assert ("domain:xmr.pool.minergate.com", "ip:141.95.72.60", "resolves_to") in got
    assert (INST, N.interface_entity(REGION, ACCOUNT, ENI), "has_interface") in got
    scan = edges[(edges["dst"] == "ip:192.0.2.66")]
    assert int(scan["failures"].sum()) == 1 and int(scan["successes"].sum()) == 0


def test_a_dns_finding_involves_its_domain() -> None:
    raw = json.dumps({"service": {"action": {"dnsRequestAction": {"domain": "XMR.pool.minergate.com."}}}})
    findings = pd.DataFrame(
        [{"finding_id": "f1", "raw": raw, "first_seen": T0, "type": "CryptoCurrency:EC2/BitcoinTool.B!DNS"}]
    )
    net = N.NetworkGraph(pd.DataFrame(columns=N.FLOW_COLUMNS), pd.DataFrame(), pd.DataFrame())
    edges = N.network_edges(net, pd.Series([], dtype=str), findings)
    assert list(zip(edges["src"], edges["dst"], edges["kind"], strict=True)) == [
        ("finding:f1", "domain:xmr.pool.minergate.com", "involves")
    ]


def test_new_destination_and_port_against_the_instances_own_baseline(tmp_path: Path) -> None:
    novel = network_newly_observed(_network(tmp_path).flows)
    got = {(r.dimension, r.value) for r in novel.itertuples()}
    assert ("destination", "141.95.72.60") in got and ("port", "tcp/3333") in got
    assert ("destination", "140.82.113.6") not in got and ("port", "tcp/443") not in got
    assert ("destination", "192.0.2.66") not in got and ("port", "tcp/22") not in got
    assert not novel["subject_new"].any() and set(novel["subject"]) == {INST}


def test_an_hourly_egress_spike_is_flagged_and_steady_traffic_is_not(tmp_path: Path) -> None:
    spike = _connection("140.82.112.6", 443, 400_000_000, T0)
    novel = network_newly_observed(_network(tmp_path, BASELINE + spike).flows)
    spikes = novel[novel["dimension"] == "volume_spike"]
    assert len(spikes) == 1 and int(spikes["count"].iloc[0]) == 400_000_000
    steady = network_newly_observed(_network(tmp_path / "b", BASELINE + BASELINE[:2]).flows)
    assert steady.empty


def test_an_address_of_a_name_looked_up_in_the_baseline_is_no_new_destination(tmp_path: Path) -> None:
    """A service the instance already used, reached at an address in another network its name now resolves
    to, is not a new destination; the same address with no earlier lookup is."""
    flows = [*BASELINE, *_connection("151.101.0.223", 443, 5000, T0)]
    earlier = resolver_query("pypi.org", ["151.101.64.223"], T0 - timedelta(days=1))
    now = resolver_query("pypi.org", ["151.101.0.223"], T0)
    lake = _lake(tmp_path / "a", flows, [earlier, now])
    known = N.read_network(lake, SCOPE, baseline_days=3)
    assert ("111122223333", INSTANCE, "151.101.0.223") in set(map(tuple, known.known_addresses.values))
    assert network_newly_observed(known.flows, known.known_addresses).empty
    net = N.read_network(_lake(tmp_path / "b", flows, [now]), SCOPE, baseline_days=3)
    novel = network_newly_observed(net.flows, net.known_addresses)
    assert ("destination", "151.101.0.223") in {(r.dimension, r.value) for r in novel.itertuples()}
