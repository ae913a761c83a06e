"""Triage names the CloudTrail Insights events that overlap the incident window, and only those.

The demo plants an error-rate Insight (the SCP-denied DeleteDetector) and a call-rate Insight (the
exfiltration's GetObject burst) inside the leaked-key incident, and a routine SSM burst days before it.
"""

import json
import warnings
from datetime import datetime

import pytest

from orginsight.demo import generate_lake
from orginsight.lake import Lake
from orginsight.outputs.triage_page import render_html


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("insights-demo")
    generate_lake(
        root,
        accounts=6,
        days=3,
        events_per_day=300,
        seed=5,
        end=datetime(2026, 11, 27),
        progress=False,
        processes=1,
    )
    return root, json.loads((root / "scenario.json").read_text())


def test_scenario_truth_has_the_incident_insights_and_a_routine_one(demo):
    _, scenario = demo
    kinds = {(i["api"], i["insightType"], i["errorCode"], i["incident"]) for i in scenario["insights"]}
    assert kinds == {
        ("guardduty:DeleteDetector", "ApiErrorRateInsight", "AccessDenied", "leaked-ci-access-key"),
        ("s3:GetObject", "ApiCallRateInsight", None, "leaked-ci-access-key"),
        ("ssm:UpdateInstanceInformation", "ApiCallRateInsight", None, None),
    }


def test_triage_says_which_insights_overlap_the_incident_window(demo):
    root, scenario = demo
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = Lake.local(root).triage(scenario["indicators"]["leaked_access_key_id"])
    planted = {i["sharedEventID"] for i in scenario["insights"] if i["incident"] == "leaked-ci-access-key"}
    assert t.incident_window is not None
    assert set(t.insights["sharedeventid"]) == planted
    assert (t.insights["start"] <= t.incident_window[1]).all() and (
        t.insights["end"] >= t.incident_window[0]
    ).all()
    assert t.summary["insights_line"].startswith("2 CloudTrail Insights event(s) overlap the incident window")
    page = render_html(t)
    assert "CloudTrail Insights in the incident window" in page and "guardduty:DeleteDetector" in page
    assert "ssm:UpdateInstanceInformation" not in page
