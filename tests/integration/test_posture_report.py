"""The posture review on a small demo lake: the planted drift is found, and the report renders offline.

The demo generator plants posture drift and records it in ``scenario.json`` (``posture`` and
``coverage``); these tests read the DataFrames behind the report's charts and check each fact.
"""

from __future__ import annotations

import json
import shutil
import struct
from pathlib import Path

import pandas as pd
import pytest
from conftest import headless_chromium

from orginsight import Lake
from orginsight.engines.storagelens import query_local
from orginsight.outputs.report import CHART_DIR, REPORT_NAME, build_posture_review, write_review


@pytest.fixture(scope="module")
def demo_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from orginsight.demo.generate import generate_lake

    root = tmp_path_factory.mktemp("demo-lake")
    # 3,000 events a day keep the security account's second region busy enough by day that
    # a five-hour silence is far from its normal rhythm (see posture.delivery_gaps).
    generate_lake(root, accounts=8, days=6, events_per_day=3000, progress=False, overwrite=True)
    return root


@pytest.fixture(scope="module")
def scenario(demo_lake: Path) -> dict:
    return json.loads((demo_lake / "scenario.json").read_text())


@pytest.fixture(scope="module")
def review(demo_lake: Path):
    return build_posture_review(demo_lake, since="90d")


def test_every_section_is_built_without_notes(review):
    assert review.notes == []
    assert {
        "finding_trend",
        "severity_area",
        "top_accounts",
        "top_types",
        "bucket_encryption",
        "bucket_versioning",
        "cloudtrail_coverage",
        "service_coverage",
        "s3_protection",
        "config_noncompliant",
        "inspector_open",
        "inspector_unscanned",
        "accessanalyzer_external",
        "macie_sensitive_buckets",
        "ssm_patch_compliance",
        "trustedadvisor_checks",
    } <= set(review.figures)
    assert {"Config", "Inspector", "Access Analyzer", "Macie", "Systems Manager", "Trusted Advisor"} <= set(
        review.frames["service_coverage"].columns
    )


def test_the_planted_exposure_is_found_by_the_report_and_by_the_hunt(demo_lake, review, scenario):
    planted = scenario["exposure"]
    paths = review.frames["exposure_paths"]
    assert paths[["instance_id", "cve", "role_arn", "bucket"]].values.tolist() == [
        [planted["instance_id"], planted["cve"], planted["role_arn"], planted["bucket"]]
    ]
    assert planted["outside_account"] in paths["principal"].iloc[0]
    assert any(c.startswith("Exposure: instance " + planted["instance_id"]) for c in review.changes)
    hits = Lake.local(demo_lake).hunt(
        "role_bucket_reads", roles=[planted["role_arn"]], start=scenario["start"], end=scenario["end"]
    )
    assert hits["bucket"].tolist() == [planted["bucket"]]


def test_bucket_whose_encryption_coverage_dropped(review, scenario):
    planted = scenario["posture"]["encryption_coverage_drop"]
    drift = review.frames["storage_drift"]
    drops = drift[drift["change"] == "encryption_drop"]
    assert drops[["account", "bucket"]].values.tolist() == [[planted["account"], planted["bucket"]]]
    start = pd.Timestamp(planted["from_date"], tz="UTC")
    assert start <= drops["dt"].iloc[0] <= start + pd.Timedelta(days=3)
    b = review.frames["buckets"]
    series = b[b["bucket"] == planted["bucket"]].set_index("dt")["EncryptedStorageBytesRatio"]
    assert series[series.index < start].min() > 0.999
    assert series.iloc[-1] < 0.9


def test_versioning_change(review, scenario):
    planted = scenario["posture"]["versioning_disabled"]
    drift = review.frames["storage_drift"]
    off = drift[drift["change"] == "versioning_disabled"]
    assert off[["account", "bucket"]].values.tolist() == [[planted["account"], planted["bucket"]]]
    assert off["dt"].iloc[0] == pd.Timestamp(planted["from_date"], tz="UTC")
    b = review.frames["buckets"]
    v = b[b["bucket"] == planted["bucket"]].set_index("dt")["versioning_enabled"]
    day = pd.Timestamp(planted["from_date"], tz="UTC")
    assert bool(v[day - pd.Timedelta(days=1)]) and not v[day] and not v.iloc[-1]


def test_new_unencrypted_bucket(review, scenario):
    planted = scenario["posture"]["new_unencrypted_bucket"]
    drift = review.frames["storage_drift"]
    new = drift[drift["change"] == "new_unencrypted_bucket"]
    assert new[["account", "bucket"]].values.tolist() == [[planted["account"], planted["bucket"]]]
    # The bucket is created on first_date, but its account joins the organization later in the
    # demo, and an organization-level Storage Lens configuration sees it only from the join on.
    assert new["dt"].iloc[0] >= pd.Timestamp(planted["first_date"], tz="UTC")
    b = review.frames["buckets"]
    assert (b.loc[b["bucket"] == planted["bucket"], "EncryptedStorageBytesRatio"] == 0).all()


def test_object_lock_on_the_log_archive(review, scenario):
    planted = scenario["posture"]["object_lock"]
    b = review.frames["buckets"]
    locked = b[b["ObjectLockEnabledStorageBytesRatio"] > 0.99]["bucket"].unique().tolist()
    assert locked == [planted["bucket"]]


def test_hours_long_cloudtrail_gap(review, scenario):
    planted = scenario["coverage"]["cloudtrail_gap"]
    gaps = review.frames["cloudtrail_gaps"]
    flagged = gaps[gaps["flagged"]]
    assert flagged[["account", "region"]].values.tolist() == [[planted["account"], planted["region"]]]
    g = flagged.iloc[0]
    start, end = pd.Timestamp(planted["start"]), pd.Timestamp(planted["end"])
    assert start <= g["gap_start"] <= start + pd.Timedelta(hours=1)
    assert end - pd.Timedelta(hours=1) <= g["gap_end"] <= end + pd.Timedelta(hours=1)
    daily = review.frames["cloudtrail_daily"]
    day = daily[
        (daily["account"] == planted["account"])
        & (daily["region"] == planted["region"])
        & (daily["day"] == start.normalize())
    ]
    assert int(day["hours_with_events"].iloc[0]) <= 24 - g["hours"]
    assert review.frames["cloudtrail_silent_accounts"].empty  # every account delivers through the org trail


def test_ninety_day_finding_trend(review, scenario):
    trend = review.frames["finding_trend"]
    days = trend["day"].drop_duplicates()
    assert 90 <= len(days) <= 91
    findings = review.frames["findings"]
    assert findings["finding_id"].is_unique  # the export repeats updated findings: latest kept
    opened_in_period = pd.to_datetime(findings["first_seen"], utc=True) >= review.start.floor("D")
    assert trend["opened"].sum() == opened_in_period.sum()  # older findings still open are active, not opened
    by_source = findings["source"].value_counts()
    assert by_source["GuardDuty"] == scenario["guardduty"]["findings"]
    assert {"Inspector", "Macie", "IAM Access Analyzer"} <= set(by_source.index)  # one frame, every service
    assert not findings["resource_id"].isna().any()
    daily = trend.groupby("day")["active"].sum()
    assert daily.iloc[-1] == int((~findings["archived"].astype(bool)).sum())  # still active = not archived
    fig = review.figures["finding_trend"]
    active_trace = next(t for t in fig.data if t.name == "active")
    assert list(active_trace.y) == daily.tolist()  # the chart shows exactly this frame


def test_service_coverage_shows_the_account_without_guardduty(review, scenario):
    planted = scenario["coverage"]["guardduty_not_enabled"]
    m = review.frames["service_coverage"].set_index("account_id")
    assert m.loc[planted["account"], "GuardDuty"] == 0.0
    assert (m.drop(index=planted["account"])["GuardDuty"] == 1.0).all()
    assert (m["Organization trail"] == 1.0).all()
    joined = scenario["coverage"]["joined_mid_period"]
    assert any(joined["account"] in c and "joined" in c for c in review.changes)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.browser
def test_report_html_png_svg_render_offline_in_chromium(review, tmp_path):
    out = tmp_path / "review"
    files = write_review(review, out, progress=False)
    page = files.html
    assert page == out / REPORT_NAME
    text = page.read_text()
    assert "cdn.plot.ly" not in text.split("</script>", 1)[1] and "<script src=" not in text  # self-contained
    summary = json.loads((out / "summary.json").read_text())
    charts = sorted((out / CHART_DIR).glob("*.png"))
    assert len(charts) == len(list((out / CHART_DIR).glob("*.svg"))) >= 9
    for png in charts:
        assert png_size(png) == (1200, 675) or png.stem in (
            "service_coverage",
            "cloudtrail_coverage",
            "bucket_versioning",
            "top_accounts",
            "top_types",
            "trustedadvisor_checks",  # heatmaps and bar lists grow with their rows
            "audit_heatmap",
        )
        assert png_size(png)[0] == 1200 and png.stat().st_size > 5000
        svg = png.with_suffix(".svg").read_text()
        assert svg.startswith("<svg") and 'width="1200"' in svg[:500]
    assert png_size(out / CHART_DIR / "finding_trend.png") == (1200, 675)

    profile = tmp_path / "chromium-profile"
    dom = headless_chromium(page, profile, "--dump-dom")
    figures = len(charts)
    assert dom.count('class="plot-container plotly"') == figures
    assert dom.count('class="main-svg"') >= figures
    assert dom.count('class="plotly-graph-div js-plotly-plot"') == figures
    shot = tmp_path / "report.png"
    headless_chromium(page, profile, "--window-size=1400,3000", f"--screenshot={shot}")
    assert png_size(shot) == (1400, 3000)
    assert summary["changes"] and not summary["notes"]
    shutil.rmtree(profile, ignore_errors=True)


def test_athena_sql_over_the_storage_lens_view_matches_the_pandas_path(demo_lake, review):
    from orginsight.sources import storagelens

    since = review.frames["buckets"]["dt"].max().strftime("%Y-%m-%d")
    sql = query_local(demo_lake, storagelens.BUCKET_PROTECTION_SQL, since=since)
    pandas_path = review.frames["buckets"]
    pandas_path = pandas_path[pandas_path["dt"] == pandas_path["dt"].max()].set_index("bucket")
    got = sql.set_index("bucket")
    assert set(got.index) == set(pandas_path.index) and len(got) == review.numbers["buckets"]
    assert got["encrypted_bytes_ratio"].to_dict() == pytest.approx(
        pandas_path["EncryptedStorageBytesRatio"].to_dict()
    )
    assert got["versioning_enabled"].to_dict() == pandas_path["versioning_enabled"].to_dict()
    assert (
        got["unencrypted_bytes"].to_dict() == pandas_path["UnencryptedStorageBytes"].astype("int64").to_dict()
    )
