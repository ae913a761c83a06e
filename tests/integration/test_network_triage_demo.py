"""Network evidence on the demo organization (scenario.json ``network_incident``): triage of the mining
instance shows its flows to the pools, the DNS lookups, the GuardDuty finding and the role session
together; the network hunts find the planted story and flag none of the background traffic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import network_hunts

from orginsight import Lake
from orginsight.analytics import hunts
from orginsight.analytics.triage import triage
from orginsight.outputs import triage_page
from orginsight.sources.findings import read_findings_files

NETWORK_HUNTS = network_hunts()


@pytest.fixture(scope="module")
def lake(network_demo_lake: Path) -> Path:
    return network_demo_lake


@pytest.fixture(scope="module")
def truth(lake: Path) -> dict:
    return json.loads((lake / "scenario.json").read_text())["network_incident"]


@pytest.fixture(scope="module")
def found(lake: Path, truth: dict) -> dict:
    """Each network hunt's rows over the whole network period (the mining and two days before it)."""
    window = {"start": "2026-11-24T00:00:00Z", "end": "2026-11-27T00:00:00Z"}
    return {name: hunts.run(Lake.local(lake), name, window) for name in NETWORK_HUNTS}


def test_mining_hunt_finds_every_planted_connection_and_nothing_else(found: dict, truth: dict) -> None:
    df = found["network_mining_pool_traffic"]
    got = {(r.instance_id, r.remote_ip, int(r.remote_port), r.domain) for r in df.itertuples()}
    want = {(truth["instance_id"], c["ip"], c["port"], c["domain"]) for c in truth["connections"]}
    assert got == want


def test_no_network_hunt_flags_background_traffic(found: dict, truth: dict) -> None:
    """Both ways: every row any network hunt returns is the mining instance's, talking to a pool."""
    for name, df in found.items():
        for row in df.to_dict("records"):
            where = {str(v) for v in row.values()}
            assert truth["instance_id"] in " ".join(where) or truth["eni"] in where, (name, row)
            assert any(ip in " ".join(where) for ip in truth["pool_ips"]), (name, row)
    assert len(found["network_new_destination_network"]) == len(truth["pool_ips"])


def test_triage_of_the_mining_instance_shows_flows_dns_finding_and_session(lake: Path, truth: dict) -> None:
    findings = read_findings_files(
        [str(p) for p in sorted(lake.rglob("*.jsonl.gz")) if "GuardDuty" in str(p)]
    )
    t = triage(
        Lake.local(lake), truth["instance_id"], since="2026-11-24T00:00:00Z", until="2026-11-27T00:00:00Z",
        findings=findings,
    )  # fmt: skip
    net = t.summary["network"]
    assert net.kind == "instance" and net.instances == [truth["instance_id"]]
    to_pools = net.flows[(net.flows["action"] == "ACCEPT") & net.flows["dstaddr"].isin(truth["pool_ips"])]
    assert {(r.dstaddr, int(r.dstport)) for r in to_pools.itertuples()} == {
        (c["ip"], c["port"]) for c in truth["connections"]
    }
    assert set(net.dns["query_name"]) == set(truth["pool_domains"])
    assert net.sessions == [truth["instance_session"]["arn"]]
    assert t.entity == "role_session:" + truth["instance_session"]["arn"]
    assert set(t.timeline["eventid"]) & set(truth["cloudtrail_event_ids"])
    finding_ids = set(truth["guardduty_finding_ids"].values())
    assert finding_ids <= set(net.findings["finding_id"].astype(str))
    html = triage_page.render_html(t)
    assert "Network: flows and DNS queries" in html and truth["pool_ips"][0] in html
