"""Network entities of the graph on the demo organization (scenario.json ``network_incident``): the mining
instance's node links to its role session, the pool addresses (with their bytes), the pool names and the
GuardDuty findings; the pools and stratum ports are newly observed; background instances, which have their
own earlier window, get no new port and no volume spike."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

from orginsight import Lake
from orginsight.analytics.graph.geo import country_codes
from orginsight.analytics.graph.network import instance_entity
from orginsight.demo.network import SAAS

NETWORK_DIMENSIONS = ("destination", "port", "country", "volume_spike")


@pytest.fixture(scope="module")
def demo(network_demo_lake: Path) -> dict:
    root = network_demo_lake
    truth = json.loads((root / "scenario.json").read_text())["network_incident"]
    with warnings.catch_warnings():  # the trail's baseline is short here: the network's is what is tested
        warnings.simplefilter("ignore")
        graph = Lake.local(root).entity_graph(
            ("2026-11-25T00:00:00Z", "2026-11-26T00:00:00Z"), baseline_days=2
        )
    return {
        "truth": truth,
        "graph": graph,
        "node": instance_entity(truth["region"], truth["account"], truth["instance_id"]),
    }


def test_the_mining_instance_links_to_its_session_pools_names_and_findings(demo: dict) -> None:
    g, truth, node = demo["graph"], demo["truth"], demo["node"]
    edges = g.edges
    out = edges[edges["src"] == node]
    assert set(out.loc[out["kind"] == "runs_as", "dst"]) == {
        "role_session:" + truth["instance_session"]["arn"]
    }
    assert set(out.loc[out["kind"] == "flow", "dst"]) == {"ip:" + ip for ip in truth["pool_ips"]}
    assert set(out.loc[out["kind"] == "resolved", "dst"]) == {"domain:" + d for d in truth["pool_domains"]}
    involves = edges[(edges["kind"] == "involves") & (edges["dst"] == node)]
    assert set(truth["guardduty_finding_ids"].values()) <= {s.split(":", 1)[1] for s in involves["src"]}
    resolves = edges[edges["kind"] == "resolves_to"]
    assert {"ip:" + ip for ip in truth["pool_ips"]} <= set(resolves["dst"])
    assert node in g and all(("ip:" + ip) in g for ip in truth["pool_ips"])


def test_pool_addresses_carry_bytes_country_and_the_scopes_share_of_the_totals(demo: dict) -> None:
    g, truth = demo["graph"], demo["truth"]
    pools = g.network.remote_ips.set_index("remote_ip").loc[truth["pool_ips"]]
    assert (pools["bytes_out"] > 0).all() and (pools["bytes_in"] > pools["bytes_out"]).all()
    assert (pools["rejected"] == 0).all() and pools["country"].notna().all()
    # The scope is the first day of mining: part of the ground truth's totals, never more.
    assert 0 < pools["bytes_out"].sum() < truth["bytes_out"] and pools["bytes_in"].sum() < truth["bytes_in"]
    assert {int(p.split("/")[1]) for p in pools["ports"]} == set(truth["ports"])


def test_pools_and_stratum_ports_are_newly_observed(demo: dict) -> None:
    g, truth, node = demo["graph"], demo["truth"], demo["node"]
    mine = g.newly_observed_for(node)
    got = {(r.dimension, r.value) for r in mine.itertuples()}
    assert {("destination", ip) for ip in truth["pool_ips"]} <= got
    assert {("port", f"tcp/{p}") for p in truth["ports"]} <= got
    assert mine["subject_new"].all()  # launched in the scope: no earlier window of its own


def test_background_instances_get_no_new_port_or_volume_spike(demo: dict) -> None:
    """Background instances have two earlier days of their own: their ports and hourly volume are steady,
    and their AWS endpoints (at addresses drawn anew each window) are never new. The few flags left are a
    SaaS service an instance reaches for the first time in its short window (each picks one of six, in
    half the windows, and had not looked the name up in those two days): never anything else."""
    g, node = demo["graph"], demo["node"]
    novel = g.newly_observed
    background = novel[novel["subject"].str.startswith("resource:") & (novel["subject"] != node)]
    assert not background["subject_new"].any()
    assert set(background["dimension"]) <= {"destination", "country"}, background.to_string()
    saas = {ip for ips in SAAS.values() for ip in ips}
    assert set(background.loc[background["dimension"] == "destination", "value"]) <= saas
    assert set(background.loc[background["dimension"] == "country", "value"]) <= set(
        filter(None, country_codes(saas).values())
    )
    assert len(background) < len(g.network.flows["subject"].unique())  # a few, not one per instance


def test_the_instances_neighbourhood_renders_with_its_network_nodes(demo: dict) -> None:
    g, truth, node = demo["graph"], demo["truth"], demo["node"]
    near = g.neighborhood(node, hops=1)
    assert {"domain:" + d for d in truth["pool_domains"]} <= set(near.entities["entity"])
    assert {"domain", "ip", "role_session", "finding"} <= {t.name for t in near.figure().data}
    pool = "ip:" + truth["pool_ips"][0]
    assert g.paths(node, pool) == [[node, pool], [node, "domain:pool.supportxmr.com", pool]]  # flow, lookup
