"""``orginsight.notebook``: what the analyst notebooks decide the same way (lake, window, starting point, tables)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import plotly.graph_objects as go
import pytest

from orginsight import notebook
from orginsight.engines.base import DataRange
from orginsight.errors import LakeError, ParameterError


def fake_lake(root: Path | None = None, days: tuple[date, ...] = ()) -> SimpleNamespace:
    """A lake holding CloudTrail data on ``days`` (its ``data_range``, what ``data_end`` reads), rooted at ``root``."""
    held = DataRange(first_day=min(days), last_day=max(days)) if days else DataRange()
    return SimpleNamespace(data_range=lambda accounts=None: held, root=root)


def findings_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "finding_id": ["low", "archived-high", "high-old", "high-new"],
            "severity": [2.0, 8.0, 8.0, 8.0],
            "workflow_state": ["ACTIVE", "ARCHIVED", "ACTIVE", None],
            "last_seen": pd.to_datetime(["2026-11-20", "2026-11-25", "2026-11-01", "2026-11-10"], utc=True),
        }
    )


def write_scenario(root: Path) -> None:
    (root / "scenario.json").write_text(
        json.dumps(
            {
                "indicators": {
                    "leaked_access_key_id": "AKIALEAKED",
                    "backdoor_access_key_id": "AKIABACKDOOR",
                    "attacker_session_access_key_ids": ["ASIASESSION"],
                },
                "guardduty": {
                    "incident_findings": [
                        {"id": "console-finding", "accessKeyId": None},
                        {"id": "leak-finding", "accessKeyId": "AKIALEAKED"},
                        {"id": "session-finding", "accessKeyId": "ASIASESSION"},
                    ]
                },
                "events": [
                    {"eventID": "e1", "incident": "leaked-ci-access-key"},
                    {"eventID": "e2", "incident": "console-without-mfa"},
                ],
            }
        )
    )


def test_lake_path_prefers_the_parameter_then_the_environment_then_the_demo(
    monkeypatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(notebook.LAKE_ENV, raising=False)
    assert notebook.lake_path(None) == Path("../demo-lake")
    monkeypatch.setenv(notebook.LAKE_ENV, str(tmp_path / "env-lake"))
    assert notebook.lake_path(None) == tmp_path / "env-lake"
    assert notebook.lake_path(tmp_path / "given") == tmp_path / "given"


def test_open_lake_refuses_an_empty_folder_when_no_demo_is_wanted(tmp_path: Path) -> None:
    with pytest.raises(LakeError, match="set LAKE in the parameters cell"):
        notebook.open_lake(tmp_path / "nothing-here", demo_size=None)


def test_open_lake_opens_an_existing_lake_without_building_a_demo(tmp_path: Path) -> None:
    (tmp_path / "AWSLogs").mkdir()
    lake = notebook.open_lake(tmp_path, demo_size={"accounts": -1})  # a demo build would refuse this size
    assert lake.root == tmp_path
    assert not (tmp_path / "scenario.json").exists()
    setting = lake.engine.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()[0]
    assert setting is False  # DuckDB's own bar failed once inside Jupyter (see LocalEngine)


def test_time_range_counts_back_from_the_end_of_the_data_not_the_clock() -> None:
    lake = fake_lake(days=(date(2026, 11, 20), date(2026, 11, 26)))
    assert notebook.time_range(lake) == (
        datetime(2026, 11, 20, tzinfo=UTC),
        datetime(2026, 11, 27, tzinfo=UTC),
    )
    assert notebook.time_range(lake, "36h") == (
        datetime(2026, 11, 25, 12, tzinfo=UTC),
        datetime(2026, 11, 27, tzinfo=UTC),
    )
    assert notebook.time_range(lake, "2026-11-24", "2026-11-26") == (
        datetime(2026, 11, 24, tzinfo=UTC),
        datetime(2026, 11, 26, tzinfo=UTC),
    )
    with pytest.raises(ParameterError, match="not before END"):
        notebook.time_range(lake, "2026-11-26", "2026-11-24")


def test_around_is_symmetric_around_an_event_time() -> None:
    assert notebook.around("2026-11-25T01:40:53Z", hours=2) == (
        datetime(2026, 11, 24, 23, 40, 53, tzinfo=UTC),
        datetime(2026, 11, 25, 3, 40, 53, tzinfo=UTC),
    )


def test_starting_point_takes_the_indicator_then_the_finding_then_the_demo_then_the_most_severe(
    tmp_path: Path,
) -> None:
    plain = fake_lake(root=tmp_path)
    findings = findings_frame()
    assert notebook.starting_point(plain, findings, finding_id="f1", indicator="AKIAX") == "AKIAX"
    assert notebook.starting_point(plain, findings, finding_id="f1") == "f1"
    assert notebook.starting_point(plain, findings) == "high-new"  # archived ones are done with
    with pytest.raises(ParameterError, match="set INDICATOR"):
        notebook.starting_point(plain, findings.iloc[0:0])
    write_scenario(tmp_path)
    assert notebook.starting_point(plain, findings) == "leak-finding"


def test_demo_ground_truth_is_read_from_scenario_json(tmp_path: Path) -> None:
    lake = fake_lake(root=tmp_path)
    assert notebook.scenario(lake) is None and notebook.demo_event_ids(lake) == set()
    write_scenario(tmp_path)
    assert notebook.demo_findings(lake) == ["leak-finding", "session-finding"]
    assert notebook.demo_event_ids(lake) == {"e1"}


def test_query_stats_shows_whatever_each_engine_reported_without_the_sql() -> None:
    local = pd.DataFrame({"a": [1, 2]})
    local.attrs["stats"] = {
        "engine": "local",
        "sql": "SELECT 1",
        "elapsed_s": 0.1,
        "files_read": 3,
        "bytes_read": 300,
        "bad_files": [],
    }
    athena = pd.DataFrame({"a": [1]})
    athena.attrs["stats"] = {
        "engine": "athena",
        "sql": "SELECT 1",
        "elapsed_s": 2.0,
        "bytes_scanned": 10**9,
        "cost_usd": 0.005,
        "query_id": "q-1",
        "notes": [],
    }
    stats = notebook.query_stats({"here": local, "there": athena})
    assert list(stats["query"]) == ["here", "there"] and list(stats["rows"]) == [2, 1]
    assert {"files_read", "bytes_read", "bytes_scanned", "cost_usd", "query_id"} <= set(stats.columns)
    assert not {"sql", "notes", "bad_files"} & set(stats.columns)
    assert stats.set_index("query").loc["there", "cost_usd"] == 0.005


def test_ticket_table_lists_the_facts_a_ticket_needs() -> None:
    timeline = pd.DataFrame({"outcome": ["success", "failure", "failure"], "in_window": [False, True, True]})
    chain = pd.DataFrame(
        {"kind": ["assumed", "created_key"], "dst": ["role_session:arn", "access_key:AKIANEW"]}
    )
    related = pd.DataFrame({"type": ["Stealth:IAMUser/CloudTrailLoggingDisabled"]})
    summary = {
        "first_seen": "2026-11-25 01:37",
        "last_seen": "2026-11-25 01:48",
        "events": 3,
        "accounts": ["111122223333", "444455556666"],
        "regions": ["us-east-1"],
        "ips": ["5.188.10.4"],
        "user_agents": ["kali"],
        "sessions": ["role_session:arn"],
        "newly_observed": pd.DataFrame(range(4)),
        "findings": related,
        "incident_window": (datetime(2026, 11, 25, 1, 37, 12), datetime(2026, 11, 25, 1, 48, 8)),
    }
    t = SimpleNamespace(
        indicator="AKIALEAKED",
        entity="access_key:AKIALEAKED",
        summary=summary,
        timeline=timeline,
        chain=chain,
        window=(datetime(2026, 11, 24), datetime(2026, 11, 26)),
    )
    hunts = pd.DataFrame({"hunt": ["cloudtrail_tampering", "macie_disabled"], "hits": [2, 0]})
    table = dict(notebook.ticket_table(t, hunts).values.tolist())
    assert table["failed calls"] == "2"
    assert table["accounts"] == "111122223333, 444455556666"
    assert table["access keys created"] == "AKIANEW"
    assert table["related findings"] == "Stealth:IAMUser/CloudTrailLoggingDisabled"
    assert table["hunts with hits"] == "cloudtrail_tampering (2)"
    assert table["window (UTC)"] == "2026-11-24 00:00 .. 2026-11-26 00:00"
    assert table["incident window (UTC)"] == "2026-11-25 01:37:12 .. 2026-11-25 01:48:08 (2 events)"
    summary["incident_window"] = None
    assert (
        dict(notebook.ticket_table(t).values.tolist())["incident window (UTC)"]
        == "none: nothing newly observed"
    )


def test_export_charts_writes_each_figure_in_each_format(tmp_path: Path) -> None:
    figs = {"one": go.Figure(go.Bar(x=[1], y=[2])), "two": go.Figure(go.Scatter(x=[1], y=[2]))}
    files = notebook.export_charts(figs, tmp_path / "out", formats=("html",))
    assert sorted(Path(f).name for f in files["file"]) == ["one.html", "two.html"]
    assert (files["bytes"] > 1000).all()
