"""Triage and finding groups reconstruct the demo organization's leaked-access-key incident.

The demo generator plants the incident (``scenario.json`` holds its ground truth):
the CI user's long-term key in shared services is used from an attacker's IP and
client, assumes a role into production and staging, and more. The lake here is
small (6 accounts, 16 days, a few hundred background events a day) to keep the
suite fast; the incident is the same at any size.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import headless_chromium

from orginsight.lake import Lake
from orginsight.outputs import triage_page


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


# --- the triage page leads with what tells the incident apart ----------------------------------------


@pytest.fixture(scope="module")
def week(demo, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The leaked key over the week around the incident: the CI user's routine runs every day, dozens of
    role sessions, and the attacker's ten minutes among them. The page written without PNGs."""
    leak = next(i for i in demo["scenario"]["incidents"] if i["name"] == "leaked-ci-access-key")
    start = datetime.fromisoformat(leak["start"].replace("Z", ""))
    day = datetime(start.year, start.month, start.day)
    t = Lake.local(demo["root"]).triage(
        demo["key"], since=day - timedelta(days=5), until=day + timedelta(days=2), baseline_days=9
    )
    out = tmp_path_factory.mktemp("triage-page")
    page = triage_page.write(t, out, png=False)[0]
    return {
        "triage": t,
        "page": page,
        "html": page.read_text(encoding="utf-8"),
        "leak": leak,
        "incidents": demo["scenario"]["incidents"],
    }


def _section(page: str, ident: str) -> str:
    start = page.index(f"<section id='{ident}'>")
    return page[start : page.index("</section>", start)]


def _table(page: str, ident: str) -> str:
    m = re.search(rf"<table class='t' id='{ident}'>(.*?)</table>", page, re.S)
    assert m, f"no table {ident}"
    return m.group(1)


def test_the_incident_window_is_the_planted_incident(week) -> None:
    t, leak = week["triage"], week["leak"]
    planted = (
        datetime.fromisoformat(leak["start"]),
        datetime.fromisoformat(leak["end"]),
    )  # aware UTC, as returned
    assert t.incident_window == t.summary["incident_window"] == planted
    new = t.what_is_new
    inside = new[new["in_window"]]
    assert inside["first_seen"].between(*planted).all() and inside["first_seen"].is_monotonic_increasing
    # What is new outside the window is the CI runs' drift (an API, a parameter), and the other planted
    # incidents in the same accounts (the graph buckets by hour): no other new IP or client.
    others = [i for i in week["incidents"] if i["name"] != leak["name"]]
    hours = [
        (pd.Timestamp(i["start"]).floor("h"), pd.Timestamp(i["end"]).ceil("h"))
        for i in others
        if set(i["accounts"]) & set(t.summary["accounts"])
    ]
    outside = new[~new["in_window"] & new["dimension"].isin(["ip", "country", "user_agent"])]
    assert all(any(a <= f <= b for a, b in hours) for f in outside["first_seen"]), outside
    assert len(t.chain) >= 50 and 0 < int(t.chain["notable"].sum()) <= 10  # the routine runs fold away


def test_the_page_leads_with_the_verdict_and_what_is_new(week, demo) -> None:
    page, t = week["html"], week["triage"]
    ind = demo["scenario"]["indicators"]
    order = [
        page.index(f"<section id='{s}'>")
        for s in ("verdict", "what-is-new", "incident-timeline", "chain", "findings", "figures")
    ]
    assert order == sorted(order)
    verdict = _section(page, "verdict")
    assert demo["key"] in verdict and "ci-deployer" in verdict and "shared-services" in verdict
    assert "01:37:12 – 01:48:08" in verdict  # the incident window
    new_items = _table(page, "new-items")
    for ip in ind["attacker_ips"]:
        assert f">{ip}</td>" in new_items
    assert f">{ind['attacker_user_agent'][:20]}" in new_items
    assert re.search(r">5\.188\.10\.4</td><td>RU</td>", new_items)  # with its country
    # The incident window's events first, new rows marked; the full timeline collapsed below.
    window_rows = _table(page, "window-timeline").count("<tr")
    assert window_rows - 1 == int(t.timeline["in_window"].sum()) < len(t.timeline)
    assert _table(page, "window-timeline").count("<tr class='new'>") >= 200
    assert "<details id='full-timeline'>" in _section(page, "incident-timeline")


def test_the_chain_shows_the_session_into_production_and_folds_the_routine_runs(week, demo) -> None:
    page, t = week["html"], week["triage"]
    scenario = demo["scenario"]
    prod = next(a for a, v in scenario["organization"]["accounts"].items() if v["name"].endswith("-prod"))
    shown = _table(page, "chain-notable")
    rows = shown.count("<tr") - 1
    assert rows == int(t.chain["notable"].sum()) <= 10
    into_prod = [
        d for d in t.chain[t.chain["notable"]]["dst"] if d.startswith(f"role_session:arn:aws:sts::{prod}:")
    ]
    assert into_prod and all(d in shown for d in into_prod)  # full ids on hover, short ones shown
    for key in scenario["indicators"]["attacker_session_access_key_ids"]:
        assert key in shown
    routine = _section(page, "chain")
    folded = re.search(r"<details id='chain-routine'><summary>(\d+) routine AssumeRole session", routine)
    assert folded and int(folded.group(1)) >= 20
    assert page.index("<details id='chain-routine'>") > page.index("<table class='t' id='chain-notable'>")


def test_the_page_is_self_contained(week) -> None:
    page = week["html"]
    assert "<script src=" not in page and "<link " not in page


@pytest.mark.browser
def test_the_first_screen_shows_what_is_new(week, demo, tmp_path: Path) -> None:
    page = week["html"]
    ip = demo["scenario"]["indicators"]["attacker_ips"][0]
    # Where the browser lays the page out: the verdict and the first attacker IP of "What is new" must be
    # on the first 1400x900 screen.
    probe = tmp_path / "probe.html"
    script = (
        "<script>window.addEventListener('load',()=>{const cell=[...document.querySelectorAll("
        "'#new-items td')].find(td=>td.textContent==='" + ip + "');const top=e=>e?e.getBoundingClientRect()"
        ".top:-1;const pre=document.createElement('pre');pre.id='layout';pre.textContent=JSON.stringify({"
        "verdict:top(document.getElementById('verdict')),ip:top(cell),chain:top(document.getElementById"
        "('chain'))});document.body.appendChild(pre);});</script>"
    )
    probe.write_text(page.replace("</body>", script + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    dom = headless_chromium(probe, profile, "--window-size=1400,900", "--dump-dom")
    layout = json.loads(re.search(r"<pre id=\"layout\">(.*?)</pre>", dom).group(1))
    assert 0 <= layout["verdict"] < 200 and 0 < layout["ip"] < 900 - 20, layout
    assert layout["chain"] > 900, layout  # the chain comes after the first screen
    shot = tmp_path / "first_screen.png"
    headless_chromium(week["page"], profile, "--window-size=1400,900", f"--screenshot={shot}")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20000
    shutil.rmtree(profile, ignore_errors=True)
