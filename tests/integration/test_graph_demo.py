"""Triage and finding groups reconstruct the demo organization's leaked-access-key incident.

The demo generator plants the incident (``scenario.json`` holds its ground truth):
the CI user's long-term key in shared services is used from an attacker's IP and
client, assumes a role into production and staging, and more. The lake here is
small (6 accounts, 16 days, a few hundred background events a day) to keep the
suite fast; the incident is the same at any size.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from orginsight.lake import Lake


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from orginsight.demo import generate_lake

    root = tmp_path_factory.mktemp("graph-demo-lake")
    generate_lake(root, accounts=6, days=16, events_per_day=300, progress=False)
    scenario = json.loads((root / "scenario.json").read_text())
    leak = next(i for i in scenario["incidents"] if i["name"] == "leaked-ci-access-key")
    start = datetime.fromisoformat(leak["start"].replace("Z", "")).replace(minute=0, second=0)
    day = datetime(start.year, start.month, start.day)
    lake = Lake.local(root)
    key = scenario["indicators"]["leaked_access_key_id"]
    # No findings passed: the lake's GuardDuty export is read.
    triage = lake.triage(key, since=day, until=day + timedelta(days=1), baseline_days=14)
    return {
        "root": root,
        "scenario": scenario,
        "triage": triage,
        "key": key,
        "incident_accounts": leak["accounts"],
    }


def test_every_ground_truth_event_is_in_the_timeline(demo) -> None:
    truth = {e["eventID"] for e in demo["scenario"]["events"] if e["incident"] == "leaked-ci-access-key"}
    assert truth and truth <= set(demo["triage"].timeline["eventid"])
    assert set(demo["incident_accounts"]) <= set(demo["triage"].summary["accounts"])


def test_the_chain_into_production_is_one_path(demo) -> None:
    scenario, t = demo["scenario"], demo["triage"]
    prod = next(a for a, v in scenario["organization"]["accounts"].items() if v["name"].endswith("-prod"))
    attacker_keys = scenario["indicators"]["attacker_session_access_key_ids"]
    g = t.full_graph
    issued = g.edges[
        (g.edges["kind"] == "issued") & g.edges["dst"].isin({f"access_key:{k}" for k in attacker_keys})
    ]
    prod_sessions = [s for s in issued["src"] if s.split(":")[5] == prod]
    assert prod_sessions, "no session in production was issued an attacker key"
    for session in prod_sessions:
        paths = g.paths(demo["key"], session)
        assert paths and paths[0][0] == f"access_key:{demo['key']}" and paths[0][-1] == session
    # ... and on to what that session did in production, through its key.
    key_in_prod = next(k for k in attacker_keys if f"access_key:{k}" in set(issued["dst"]))
    assert any(len(p) >= 3 for p in g.paths(demo["key"], f"access_key:{key_in_prod}"))
    assert set(attacker_keys) <= {d.split(":", 1)[1] for d in t.chain["dst"] if d.startswith("access_key:")}


def test_first_appearances_are_newly_observed(demo) -> None:
    ind = demo["scenario"]["indicators"]
    novel = demo["triage"].summary["newly_observed"]
    mine = novel[novel["subject"] == f"access_key:{demo['key']}"]
    got = set(zip(mine["dimension"], mine["value"], strict=True))
    assert ("user_agent", ind["attacker_user_agent"]) in got
    assert any(("ip", ip) in got for ip in ind["attacker_ips"])
    truth_apis = {
        f"{e['eventSource'].split('.')[0]}:{e['eventName']}"
        for e in demo["scenario"]["events"]
        if e["incident"] == "leaked-ci-access-key" and e["account"] == ind["leaked_user_arn"].split(":")[4]
    }
    new_apis = {v for d, v in got if d == "api"}
    assert new_apis and new_apis <= truth_apis | {"sts:AssumeRole"}


def test_finding_groups_keep_the_incident_together_and_background_out(demo) -> None:
    scenario, g = demo["scenario"], demo["triage"].full_graph
    ind = scenario["indicators"]
    leak_keys = {
        ind["leaked_access_key_id"],
        ind["backdoor_access_key_id"],
        *ind["attacker_session_access_key_ids"],
    }
    incident = {
        f["id"] for f in scenario["guardduty"]["incident_findings"] if f.get("accessKeyId") in leak_keys
    }
    in_scope = incident & set(g.findings["finding_id"])
    assert len(in_scope) >= 3
    groups = g.finding_groups()
    member = groups.attrs["membership"]
    assert len({member[f] for f in in_scope}) == 1
    group = groups[groups["group"] == member[next(iter(in_scope))]].iloc[0]
    assert set(group["finding_ids"]) == in_scope  # no background finding joined it
    assert len(group["accounts"]) >= 2 and "Exfiltration" in group["tactics"]
