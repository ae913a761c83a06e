"""The centralization audit is the review's first page: it builds on a demo lake, draws its heatmap, lists the
fixes by risk, and reports what changed since the previous audit snapshot.

The demo organization's Identity Center, SCP and StackSet state is still being written, so nothing here
asserts what the audit finds on it: only that the section builds and renders.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orginsight.analytics import audit
from orginsight.demo.generate import generate_lake
from orginsight.outputs.report import SECTIONS, build_posture_review, render_html
from orginsight.outputs.report.audit import AUDIT

FLIP = {"pass": "fail", "fail": "pass", "unknown": "pass"}
"""A previous audit in which every result differs from the current one."""


@pytest.fixture(scope="module")
def lake(tmp_path_factory):
    root = tmp_path_factory.mktemp("audit-lake")
    generate_lake(root, days=3, events_per_day=200, processes=1, progress=False)
    return root


@pytest.fixture(scope="module")
def review(lake):
    return build_posture_review(lake, since="30d")


def test_the_audit_is_the_first_page_after_the_organization():
    assert [s.name for s in SECTIONS[:2]] == ["organization", "audit"]


def test_the_audit_section_builds_on_a_demo_lake(review):
    assert not [n for n in review.notes if n.startswith("audit:")], review.notes
    results = review.frames["audit"]
    assert list(results.columns) == audit.RESULT_COLUMNS and len(results)
    assert set(results["status"]) <= set(audit.STATUSES)
    assert review.figures["audit_heatmap"] is not None
    fixes = review.frames["audit_fixes"]
    assert fixes["risk"].is_monotonic_decreasing
    assert review.numbers["audit_fail"] == (results["status"] == "fail").sum() == len(fixes)
    summary = review.frames["audit_summary"]
    assert summary[["pass", "fail", "unknown"]].to_numpy().sum() == len(results)
    failing = fixes["check"].nunique()
    assert sum(line.startswith("Audit: ") for line in review.changes) == min(failing, 15)


def test_the_heatmap_shows_every_check_and_the_evidence(review):
    fig = review.figures["audit_heatmap"]
    results = review.frames["audit"]
    heat = fig.data[0]
    assert list(heat.y) == list(dict.fromkeys(results["check"]))
    assert heat.x[0] == "organization"
    first = results.iloc[0]
    assert any(first["found"] in cell for row in heat.customdata for cell in row)


def test_the_section_renders(review):
    html = render_html(review)
    assert AUDIT.title in html
    assert html.index(AUDIT.title) < html.index("Service coverage") if "Service coverage" in html else True


def test_a_previous_audit_snapshot_shows_as_changes(lake, review):
    current = review.frames["audit"]
    previous = current.assign(status=current["status"].map(FLIP))
    audit.write_audit_snapshot(lake, previous, pd.Timestamp("2026-11-01", tz="UTC").to_pydatetime())
    try:
        again = build_posture_review(lake, since="30d")
    finally:
        for p in sorted((lake / "snapshots" / "audit").rglob("*"), reverse=True):
            p.rmdir() if p.is_dir() else p.unlink()
    changes = again.frames["audit_changes"]
    assert len(changes) == len(current)
    assert {"regression", "fix"} & set(changes["change"])
    assert any(line.startswith("Audit regression") or line.startswith("Audit fix") for line in again.changes)
