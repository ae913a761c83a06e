"""The "Organization trail" section of the posture review: built from a snapshot or the lake's recording, its
checks table, headline numbers and one "what changed" line per failed check; drawn after CloudTrail delivery."""

from __future__ import annotations

import copy
import random
from datetime import datetime, timedelta

import pandas as pd
from data.aws import cloudtrail as data

from orginsight.collectors.cloudtrail import cloudtrail_frames
from orginsight.collectors.recording import ApiRecording
from orginsight.collectors.snapshots import write_snapshot
from orginsight.demo.org import build_organization, service_responses
from orginsight.outputs.report import SECTIONS, render_html, sections
from orginsight.outputs.report import trail as trail_section
from orginsight.outputs.report.model import PostureReview

END = datetime(2026, 11, 27)


def review(lake, recording: ApiRecording | None = None) -> PostureReview:
    return PostureReview(
        lake=lake,
        start=pd.Timestamp("2026-09-01", tz="UTC"),
        end=pd.Timestamp(END, tz="UTC") - pd.Timedelta(seconds=1),
        recording=recording,
    )


def demo_recording() -> ApiRecording:
    org = build_organization(random.Random(3), 9, END - timedelta(days=10), END)
    recording = ApiRecording()
    for (service, region), ops in service_responses(org, END).items():
        for op, calls in ops.items():
            for c in calls:
                recording.add(service, region, op, c["params"], c["response"])
    return recording


def test_the_section_follows_cloudtrail_delivery():
    names = [s.name for s in SECTIONS]
    assert names.index("organization trail") == names.index(sections.CLOUDTRAIL.name) + 1


def test_the_demo_trail_fails_on_its_one_gap_no_cloudwatch_logs(tmp_path):
    r = review(tmp_path, demo_recording())
    trail_section.TRAIL.build(r)
    checks = r.frames["trail_checks"]
    assert sorted(checks.loc[checks["status"] == "fail", "check"]) == ["cloudwatch_logs"]
    assert checks.set_index("check").loc["object_lock", "status"] == "pass"  # as Storage Lens shows it
    assert r.numbers == {
        "trail_checks_pass": len(checks) - 1,
        "trail_checks_fail": 1,
        "trail_checks_unknown": 0,
    }
    assert len(r.changes) == 1 and r.changes[0].startswith(
        "Organization trail org-trail: cloudwatch_logs failed"
    )
    html = render_html(r)
    assert "Organization trail" in html and "Trail checks failed" in html and "cloudwatch_logs" in html


def test_a_snapshot_wins_over_the_recording_and_dates_the_delivery(tmp_path):
    rec = ApiRecording()
    status = copy.deepcopy(data.GET_TRAIL_STATUS)
    rec.add(
        "cloudtrail", data.HOME, "describe_trails", {"includeShadowTrails": True}, data.DESCRIBE_TRAILS_HOME
    )
    rec.add("cloudtrail", data.HOME, "get_trail_status", {"Name": data.ORG_TRAIL_ARN}, status)
    collected = data.DELIVERED + timedelta(hours=12)  # twelve hours without a delivery
    write_snapshot(tmp_path, "cloudtrail", cloudtrail_frames(rec), [], collected_at=collected)
    r = review(tmp_path, demo_recording())
    trail_section.TRAIL.build(r)
    checks = r.frames["trail_checks"].set_index("check")
    delivery = checks.loc["delivery", "reason"]
    assert checks.loc["delivery", "status"] == "fail" and "digest delivery error AccessDenied" in delivery
    assert "over 6 h before 2026-11-20 17:56 UTC" in delivery
    assert checks.loc["bucket_policy", "status"] == "unknown"  # the snapshot's bucket was not read
    assert r.numbers["trail_checks_unknown"] > 0


def test_no_cloudtrail_state_is_a_note(tmp_path):
    r = review(tmp_path, ApiRecording())
    trail_section.TRAIL.build(r)
    assert "trail_checks" not in r.frames
    assert r.notes == ["organization trail: no CloudTrail state (run 'orginsight collect cloudtrail')"]
