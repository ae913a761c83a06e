"""Triage's fast path loses nothing: the same events, chain and newly observed marks as the plain path.

The plain path is triage as it was: each query reads its files (no window held in memory), and
``mark_new_events`` matched the timeline one judged row at a time (kept here as the reference). The
page holds every event a page at a time: a headless Chromium pages through the whole timeline.
"""

from __future__ import annotations

import json
import re
import shutil
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import headless_chromium

from orginsight.analytics import incident
from orginsight.analytics.graph.model import CHAIN_KINDS
from orginsight.lake import Lake
from orginsight.outputs import triage_page


def reference_mark_new_events(timeline: pd.DataFrame, judged: pd.DataFrame, countries: dict[str, str]):
    """``incident.mark_new_events`` as it was: one pass over the timeline per judged row."""
    new = pd.Series([""] * len(timeline), index=timeline.index, dtype="object")
    first = pd.Series(pd.NaT, index=judged.index, dtype="datetime64[us, UTC]")
    hits = pd.Series([frozenset()] * len(judged), index=judged.index, dtype="object")
    key_subject = "access_key:" + timeline["access_key"].astype("object").fillna("").astype(str)
    country = timeline["ip"].map(countries) if countries else pd.Series(None, index=timeline.index)
    text = incident._resource_text(timeline)
    columns = {"api": "api", "ip": "ip", "user_agent": "user_agent", "region": "region"}
    dims: dict[int, list[str]] = {}
    for i, row in judged.iterrows():
        subject, dim, value = row["subject"], row["dimension"], row["value"]
        if dim in columns:
            match = timeline[columns[dim]] == value
        elif dim == "country":
            match = country == value
        elif dim == "resource":
            match = incident._resource_mask(text, str(value))
        else:
            match = pd.Series(False, index=timeline.index)
        mask = ((timeline["principal"] == subject) | (key_subject == subject)) & match.fillna(False).astype(
            bool
        )
        if pd.notna(row["first_seen"]):
            mask &= timeline["time"] >= pd.Timestamp(row["first_seen"]).floor("h")
        if mask.any():
            first[i] = timeline.loc[mask, "time"].min()
            hits[i] = frozenset(timeline.index[mask.to_numpy()])
            for j in hits[i]:
                dims.setdefault(j, []).append(dim)
    for j, found in dims.items():
        new[j] = ", ".join(d for d in incident.DIMENSION_ORDER if d in found)
    return new, first, hits


def reference_chain(edges: pd.DataFrame, start: set[str]) -> set[tuple[str, str, str]]:
    """Every hand-off reachable from ``start`` (and the keys its principals use), one edge at a time."""
    links = [tuple(r) for r in edges.loc[edges["kind"].isin(CHAIN_KINDS), ["src", "dst", "kind"]].values]
    uses = edges[(edges["kind"] == "uses_key") & edges["src"].isin(start)]["dst"]
    reached, found, grew = set(start) | set(uses), set(), True
    while grew:
        grew = False
        for src, dst, kind in links:
            if src in reached and (src, dst, kind) not in found:
                found.add((src, dst, kind))
                grew |= dst not in reached
                reached.add(dst)
    return found


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The leaked key over the whole small demo lake, by the fast path and by the plain one."""
    from orginsight.demo import generate_lake

    root = tmp_path_factory.mktemp("triage-fast-lake")
    generate_lake(root, accounts=6, days=16, events_per_day=300, progress=False)
    scenario = json.loads((root / "scenario.json").read_text())
    key = scenario["indicators"]["leaked_access_key_id"]
    lake = Lake.local(root)
    end = lake.data_range().end
    since = end - timedelta(days=16)
    loads = []
    load = lake.engine.load_into_memory
    lake.engine.load_into_memory = lambda *a, **k: loads.append(load(*a, **k)) or loads[-1]
    fast = lake.triage(key, since=since, until=end, baseline_days=3)
    held_after = lake.engine.holds_memory()
    plain_lake = Lake.local(root)
    mp = pytest.MonkeyPatch()
    mp.setattr(plain_lake.engine, "window_held", lambda *a, **k: nullcontext(None))
    try:
        plain = plain_lake.triage(key, since=since, until=end, baseline_days=3)
    finally:
        mp.undo()
    return {"root": root, "key": key, "fast": fast, "plain": plain, "held_after": held_after, "loads": loads}


def test_the_fast_path_reads_the_same_events_and_chain(month) -> None:
    fast, plain = month["fast"], month["plain"]
    assert len(fast.timeline) > 100
    assert fast.timeline["eventid"].tolist() == plain.timeline["eventid"].tolist()
    cols = ["src", "dst", "kind", "hour", "depth", "time", "notable", "why"]

    # Links of the same hour and depth come in the engine's order, which no run promises: compare them sorted.
    def ordered(chain: pd.DataFrame) -> pd.DataFrame:
        return chain[cols].sort_values(cols[:4]).reset_index(drop=True)

    pd.testing.assert_frame_equal(ordered(fast.chain), ordered(plain.chain))
    pd.testing.assert_series_equal(fast.timeline["new"], plain.timeline["new"])
    assert fast.incident_window == plain.incident_window
    assert [load["records"] > 0 for load in month["loads"]] == [True], "the fast path read the window once"
    assert not month["held_after"], "the window stayed in memory after the triage"


def test_the_chain_is_every_hand_off_reachable_from_the_key(month) -> None:
    fast = month["fast"]
    expected = reference_chain(fast.full_graph.edges, {f"access_key:{month['key']}"})
    assert len(expected) >= 20
    assert set(zip(fast.chain["src"], fast.chain["dst"], fast.chain["kind"], strict=True)) == expected


def test_new_events_are_marked_as_one_row_at_a_time_marks_them(month) -> None:
    t = month["fast"]
    judged = t.summary["newly_observed_judged"].drop(columns="first_event")
    assert len(judged) > 50 and (judged["dimension"] == "resource").any()
    countries = incident.country_of_ips(t.full_graph)
    new, first, hits = incident.mark_new_events(t.timeline, judged, countries)
    ref_new, ref_first, ref_hits = reference_mark_new_events(t.timeline, judged, countries)
    assert (new != "").sum() > 10
    pd.testing.assert_series_equal(new, ref_new)
    pd.testing.assert_series_equal(first, ref_first)
    assert hits.tolist() == ref_hits.tolist()


@pytest.mark.browser
def test_every_event_of_the_timeline_is_reachable_on_the_page(month, tmp_path: Path) -> None:
    t = month["fast"]
    page = triage_page.write(t, tmp_path / "out", png=False, page_rows=50)[0]
    html = page.read_text(encoding="utf-8")
    assert (
        len(t.timeline) > 100
        and "First " not in html.split("id='full-timeline'", 1)[1].split("</details>")[0]
    )
    # Page through the full timeline with its own buttons, reading the event id column of each page.
    probe = tmp_path / "probe.html"
    script = (
        "<script>window.addEventListener('load',()=>{const table=document.getElementById('full-timeline-table');"
        "const nav=document.querySelector(\"nav.pager[data-table='full-timeline-table']\");"
        "const next=nav.querySelector(\"button[data-step='1']\");const ids=[];let pages=0;"
        "for(let i=0;i<1000;i++){pages++;const rows=[...table.tBodies[0].rows];"
        "rows.forEach(r=>ids.push(r.cells[r.cells.length-1].textContent));"
        "const before=nav.querySelector('.where').textContent;next.click();"
        "if(nav.querySelector('.where').textContent===before)break;}"
        "const pre=document.createElement('pre');pre.id='paged';pre.textContent=JSON.stringify({ids,pages});"
        "document.body.appendChild(pre);});</script>"
    )
    probe.write_text(html.replace("</body>", script + "</body>"), encoding="utf-8")
    profile = tmp_path / "chromium-profile"
    try:
        dom = headless_chromium(probe, profile, "--window-size=1400,900", "--dump-dom")
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    seen = json.loads(re.search(r'<pre id="paged">(.*?)</pre>', dom, re.S).group(1))
    assert seen["pages"] == -(-len(t.timeline) // 50) > 2
    assert seen["ids"] == t.timeline["eventid"].tolist()
