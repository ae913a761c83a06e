"""The report command on a lake holding only Storage Lens exports: the other sections become notes."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pandas as pd
import pytest
from data.aws.storagelens import day_rows, write_export

from orginsight.cli import main
from orginsight.outputs.report import REPORT_NAME


def test_report_posture_command_writes_the_report_and_notes_missing_sources(tmp_path, capsys):
    lake = tmp_path / "lake"
    write_export(lake, "2024-05-01", day_rows("2024-05-01"))
    write_export(lake, "2024-05-02", day_rows("2024-05-02", alpha_encrypted=200, alpha_versioning=0), parts=2)
    out = tmp_path / "out"
    assert (
        main(
            ["report", "posture", "--lake", str(lake), "--out", str(out), "--since", "7d", "--format", "none"]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert str(out / REPORT_NAME) in printed
    summary = json.loads((out / "summary.json").read_text())
    assert summary["end"].startswith("2024-05-02")  # the period ends at the lake's latest data
    assert any("alpha" in c and "versioning turned off" in c for c in summary["changes"])
    assert any("GuardDuty export" in n for n in summary["notes"])
    assert any("AWSLogs" in n for n in summary["notes"])
    html = (out / REPORT_NAME).read_text()
    assert "fig-bucket_encryption" in html
    assert "fig-bucket_versioning" in html and "What changed" in html


def test_report_on_a_missing_lake_exits_with_a_message(tmp_path, capsys):
    assert main(["report", "posture", "--lake", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    assert "no lake at" in capsys.readouterr().err


def test_guardduty_membership_across_snapshots_is_in_the_review(tmp_path):
    from orginsight.collectors.snapshots import write_snapshot
    from orginsight.outputs.report import build_posture_review

    lake = tmp_path / "lake"
    write_export(lake, "2024-05-01", day_rows("2024-05-01"))
    for day, status in ((1, "Enabled"), (2, "Disabled")):
        members = pd.DataFrame(
            {
                "region": ["us-east-1", "us-east-1"],
                "account_id": ["111111111111", "222222222222"],
                "relationship_status": ["Enabled", status],
            }
        )
        write_snapshot(
            lake, "guardduty", {"members": members}, [], collected_at=datetime(2024, 5, day, tzinfo=UTC)
        )
    review = build_posture_review(lake, since="7d")
    history = review.frames["guardduty_membership_history"]
    assert history["fully_covered"].tolist() == [2, 1]
    assert "GuardDuty across snapshots: account 222222222222: less coverage." in review.changes


def test_findings_of_every_source_are_gathered_latest_version_each(tmp_path):
    from orginsight.collectors.recording import ApiRecording
    from orginsight.outputs.report import PostureReview, gather_findings
    from orginsight.sources.layout import guardduty_key

    lake = tmp_path / "lake"
    base = {
        "id": "gd-1",
        "type": "Recon:EC2/PortProbeUnprotectedPort",
        "severity": 2,
        "accountId": "111111111111",
        "region": "us-east-1",
        "createdAt": "2024-05-01T00:00:00Z",
    }
    versions = [
        {
            **base,
            "updatedAt": "2024-05-01T00:00:00Z",
            "service": {
                "eventFirstSeen": "2024-05-01T00:00:00Z",
                "eventLastSeen": "2024-05-01T00:00:00Z",
                "count": 1,
            },
        },
        {
            **base,
            "updatedAt": "2024-05-03T00:00:00Z",
            "service": {
                "eventFirstSeen": "2024-05-01T00:00:00Z",
                "eventLastSeen": "2024-05-03T00:00:00Z",
                "count": 4,
                "archived": True,
            },
        },
    ]
    for i, v in enumerate(versions):
        path = lake / guardduty_key("999999999999", "us-east-1", datetime(2024, 5, 1 + 2 * i), f"export-{i}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(gzip.compress((json.dumps(v) + "\n").encode()))
    rec = ApiRecording()
    asff = {
        "SchemaVersion": "2018-10-08",
        "Id": "sh-1",
        "ProductArn": "arn:aws:securityhub:us-east-1::product/aws/securityhub",
        "AwsAccountId": "222222222222",
        "Types": ["Software and Configuration Checks"],
        "Title": "S3.1",
        "CreatedAt": "2024-05-02T00:00:00Z",
        "UpdatedAt": "2024-05-02T00:00:00Z",
        "Severity": {"Label": "MEDIUM"},
        "Resources": [{"Type": "AwsAccount", "Id": "AWS::::Account:222222222222"}],
        "Workflow": {"Status": "NEW"},
        "RecordState": "ACTIVE",
    }
    rec.add("securityhub", "us-east-1", "get_findings", {}, {"Findings": [asff]})
    review = PostureReview(
        lake=lake,
        start=pd.Timestamp("2024-04-01", tz="UTC"),
        end=pd.Timestamp("2024-05-05", tz="UTC"),
        recording=rec,
    )
    f = gather_findings(review).set_index("finding_id")
    assert sorted(f.index) == ["gd-1", "sh-1"]
    assert f.loc["gd-1", "count"] == 4 and bool(f.loc["gd-1", "archived"])
    assert f.loc["sh-1", "severity_label"] == "Medium" and f.loc["sh-1", "source"] == "Security Hub"


def test_a_figure_name_the_review_does_not_have_fails_where_it_is_written() -> None:
    from orginsight.outputs.report import ReviewFigures

    figures = ReviewFigures()
    figures.finding_trend = "a figure"
    assert dict(figures) == {"finding_trend": "a figure"} and len(figures) == 1
    with pytest.raises(KeyError):
        figures["finding_trnd"]
    with pytest.raises(KeyError):
        figures["severity_area"]  # a figure of the review, not drawn
    with pytest.raises(AttributeError):
        figures.finding_trnd = "a figure"
