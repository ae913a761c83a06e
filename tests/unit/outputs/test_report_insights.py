"""The review's CloudTrail Insights section: windows per account, its figure, table and what changed."""

import gzip
import json
from datetime import datetime

import pandas as pd
from conftest import read_records, real_data

from orginsight.outputs.report import SECTIONS, PostureReview, insights
from orginsight.sources.layout import insight_key

ACCOUNT = "123456789012"
RECORDS_FILE = real_data(
    "cloudtrail-insights", "awsdocs", "cloudtrail-log-file-examples_insights-records.json"
)
"""AWS's example Insights file (CloudTrail User Guide; SOURCE.md beside it)."""


def _review(tmp_path, records) -> PostureReview:
    path = tmp_path / insight_key(
        ACCOUNT, "us-east-1", datetime(2019, 11, 14, 0, 50), "o-a1b2c3d4e5", "A" * 16
    )
    path.parent.mkdir(parents=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    return PostureReview(
        lake=tmp_path, start=pd.Timestamp("2019-11-01", tz="UTC"), end=pd.Timestamp("2019-11-30", tz="UTC")
    )


def test_the_section_is_declared_in_the_report():
    assert insights.INSIGHTS in SECTIONS
    assert insights.INSIGHTS.figures == ("insights_timeline",)


def test_real_insights_become_one_window_each_with_figure_table_and_change(tmp_path):
    review = _review(tmp_path, read_records(RECORDS_FILE))
    insights.INSIGHTS.build(review)
    frame = review.frames["insights"]
    assert len(frame) == 1 and review.numbers["insights"] == 1
    w = frame.iloc[0]
    assert (w["api"], w["insight_type"], w["account"]) == (
        "ssm:UpdateInstanceInformation",
        "ApiCallRateInsight",
        ACCOUNT,
    )
    assert (w["start"], w["end"]) == (
        pd.Timestamp("2019-11-14T00:51:00Z"),
        pd.Timestamp("2019-11-14T00:52:00Z"),
    )
    assert w["ratio"] == 7.8  # 664 calls a minute against a baseline of 85.42
    assert [t.name for t in review.figures.insights_timeline.data] == ["ApiCallRateInsight"]
    assert review.changes == [
        "CloudTrail Insights: unusual call rate of ssm:UpdateInstanceInformation in 123456789012 "
        "(123456789012) us-east-1, 2019-11-14 00:51 to 00:52 UTC, 7.8x its baseline."
    ]


def test_an_open_insight_ends_after_its_duration_and_outside_the_period_is_left_out(tmp_path):
    start = read_records(RECORDS_FILE)[0]  # a Start, its End not delivered yet
    start["insightDetails"]["insightContext"]["statistics"]["insightDuration"] = 9
    review = _review(tmp_path, [start])
    insights.INSIGHTS.build(review)
    assert review.frames["insights"]["end"].tolist() == [pd.Timestamp("2019-11-14T01:00:00Z")]
    later = PostureReview(
        lake=tmp_path, start=pd.Timestamp("2019-12-01", tz="UTC"), end=pd.Timestamp("2019-12-31", tz="UTC")
    )
    insights.INSIGHTS.build(later)
    assert "insights" not in later.frames and later.numbers["insights"] == 0
    assert any("no CloudTrail Insights events" in n for n in later.notes)
