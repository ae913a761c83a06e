"""The network hunts on lakes built here from the documented formats (Amazon VPC User Guide, "Flow log
records", default format version 2; Route 53 Developer Guide, "Values that appear in VPC Resolver query
logs"): each fires on the traffic it is about and stays quiet on ordinary traffic; the shipped indicator
lists load with their sources and are bound, never pasted into the SQL text."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from network_logs import PRIVATE, T0, flow, network_lake, resolver_query

from orginsight import Lake
from orginsight.analytics import hunts
from orginsight.analytics.network import indicators

WINDOW = {"start": "2026-11-20T00:00:00Z", "end": "2026-11-21T00:00:00Z"}


ORDINARY = [flow(PRIVATE, "140.82.112.6", 40000 + i, 443, 5000, T0 + timedelta(minutes=i)) for i in range(5)]
"""An instance calling a web API: no hunt may flag it."""


def test_shipped_lists_load_with_their_sources_and_include_the_demo_pools() -> None:
    pools = indicators.load("mining_pools")
    assert {"pool.supportxmr.com", "xmr.pool.minergate.com"} <= set(pools)
    assert "185.220.101.18" in indicators.load("tor_exits")
    for name in indicators.NAMES:
        assert "SOURCE" in indicators.source(name) and "commit" in indicators.source(name)
    assert indicators.resolve_default("indicators:stratum_ports") == [
        str(p) for p in indicators.STRATUM_PORTS
    ]
    with pytest.raises(Exception, match="no shipped indicator list"):
        indicators.load("nothing")


def test_lists_are_bound_parameters_not_sql_text() -> None:
    hunt = hunts.get("network_mining_pool_traffic")
    assert "supportxmr" not in hunt.sql and ":pool_domains" in hunt.sql
    assert "pool.supportxmr.com" in hunts.resolve(hunt)["pool_domains"]


def test_mining_hunt_joins_pool_lookups_to_flows_and_stratum_ports(tmp_path: Path) -> None:
    flows = [
        *ORDINARY,
        flow(PRIVATE, "203.0.113.50", 45000, 443, 900, T0),  # a pool name's answer, on 443
        flow(PRIVATE, "198.51.100.7", 45001, 14444, 900, T0),  # a stratum port, no lookup
        flow("203.0.113.80", PRIVATE, 443, 45560, 900, T0),  # a reply to an ephemeral port: not stratum
    ]
    queries = [
        resolver_query("xmr.pool.minergate.com", ["203.0.113.50"], T0),
        resolver_query("api.github.com", ["140.82.112.6"], T0),
    ]
    df = hunts.run(network_lake(tmp_path, flows, queries), "network_mining_pool_traffic", WINDOW)
    assert {(r.remote_ip, int(r.remote_port)) for r in df.itertuples()} == {
        ("203.0.113.50", 443),
        ("198.51.100.7", 14444),
    }
    assert set(df["domain"].dropna()) == {"xmr.pool.minergate.com"}


def test_tor_hunt_flags_traffic_with_a_listed_exit(tmp_path: Path) -> None:
    flows = [*ORDINARY, flow(PRIVATE, "185.220.101.18", 45000, 443, 900, T0)]
    df = hunts.run(network_lake(tmp_path, flows), "network_tor_exit_traffic", WINDOW)
    assert list(df["remote_ip"]) == ["185.220.101.18"] and list(df["direction"]) == ["to tor"]


def test_large_egress_is_against_the_interfaces_own_baseline(tmp_path: Path) -> None:
    base = [flow(PRIVATE, "140.82.112.6", 40000, 443, 200_000_000, T0 - timedelta(days=2))]
    spike = [flow(PRIVATE, "198.51.100.9", 40001, 443, 3_000_000_000, T0)]
    df = hunts.run(network_lake(tmp_path, [*base, *spike, *ORDINARY]), "network_large_egress", WINDOW)
    assert list(df["bytes"]) == [3_000_025_000] and list(df["baseline_bytes"]) == [200_000_000]
    df = hunts.run(Lake.local(tmp_path), "network_large_egress", {**WINDOW, "factor": 20.0})
    assert df.empty  # 15 times the busiest baseline hour is below a factor of 20


def test_rejected_scan_needs_many_ports_from_one_source(tmp_path: Path) -> None:
    scan = [flow("192.0.2.66", PRIVATE, 50000, port, 44, T0, "REJECT") for port in range(20, 45)]
    few = [flow("192.0.2.77", PRIVATE, 50000, port, 44, T0, "REJECT") for port in (22, 3389)]
    df = hunts.run(network_lake(tmp_path, [*scan, *few, *ORDINARY]), "network_rejected_scan", WINDOW)
    assert list(df["source_ip"]) == ["192.0.2.66"] and int(df["ports"][0]) == 25


def test_dns_tunnelling_flags_many_long_encoded_names_under_one_domain(tmp_path: Path) -> None:
    tunnel = [
        resolver_query(f"{i:04d}a7f3c9e2b1d84f6a0c5e9b2d7f1a3c8e.t.example.net", [], T0) for i in range(60)
    ]
    normal = [resolver_query(f"host{i}.example.org", ["192.0.2.1"], T0) for i in range(60)]
    df = hunts.run(network_lake(tmp_path, ORDINARY, [*tunnel, *normal]), "dns_tunnelling", WINDOW)
    assert list(df["domain"]) == ["example.net"] and int(df["unique_names"][0]) == 60


def test_new_destination_network_is_new_to_the_account(tmp_path: Path) -> None:
    before = [flow(PRIVATE, "140.82.113.6", 40000, 443, 100, T0 - timedelta(days=3))]
    new = [flow(PRIVATE, "88.99.193.240", 40001, 7777, 100, T0)]
    df = hunts.run(
        network_lake(tmp_path, [*before, *ORDINARY, *new]), "network_new_destination_network", WINDOW
    )
    assert list(df["network"]) == ["88.99.0.0/16"]
