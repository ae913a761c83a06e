"""Chart theme, figure functions and export (HTML offline; PNG/SVG through kaleido and Chromium)."""

from __future__ import annotations

import struct
import sys

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from orginsight.outputs import charts
from orginsight.outputs.charts import posture as posture_charts
from orginsight.outputs.charts import storagelens as lens_charts
from orginsight.outputs.charts.theme import NAME, SEVERITY_COLORS

chart_export = sys.modules[
    "orginsight.outputs.charts.export"
]  # the package attribute ``export`` is the function


def trend() -> pd.DataFrame:
    days = pd.date_range("2024-01-01", periods=10, tz="UTC")
    rows = [
        {"day": d, "severity_label": s, "opened": i % 3, "active": i + j}
        for i, d in enumerate(days)
        for j, s in enumerate(["High", "Low", "Critical"])
    ]
    return pd.DataFrame(rows)


def buckets() -> pd.DataFrame:
    rows = [
        {
            "dt": d,
            "account": "1",
            "region": "us-east-1",
            "bucket": b,
            "EncryptedStorageBytesRatio": r,
            "versioning_enabled": v,
            "StorageBytes": 100,
            "EncryptedStorageBytes": 100 * r,
            "VersioningEnabledBucketCount": int(v),
            "DistinctNumberOfBuckets": 1,
        }
        for d in pd.date_range("2024-01-01", periods=5)
        for b, r, v in (("a", 1.0, True), ("b", 0.5, False))
    ]
    return pd.DataFrame(rows)


def test_theme_is_registered_with_a_colour_per_severity():
    assert NAME in pio.templates
    assert list(SEVERITY_COLORS) == ["Critical", "High", "Medium", "Low", "Informational"]
    assert len(set(SEVERITY_COLORS.values())) == 5


def test_every_figure_function_returns_a_themed_figure():
    t = trend()
    matrix = pd.DataFrame(
        {
            "account_id": ["1", "2"],
            "account_name": ["a", "b"],
            "ou_path": ["X", "Y"],
            "GuardDuty": [1.0, 0.0],
            "Macie": [None, 0.5],
        }
    )
    top = pd.DataFrame({"type": ["T1", "T2"], "High": [3, 1], "Low": [1, 0], "total": [4, 1]})
    daily = pd.DataFrame(
        {
            "day": pd.date_range("2024-01-01", periods=2, tz="UTC").repeat(2),
            "account": ["1", "2"] * 2,
            "region": ["us-east-1"] * 4,
            "hours_with_events": [24, 20, 24, 24],
        }
    )
    rates = pd.DataFrame({"standard": ["standards/cis/v/1.4.0"], "pass_rate": [0.8]})
    figs = [
        posture_charts.finding_trend(t),
        posture_charts.severity_area(t),
        posture_charts.coverage_heatmap(matrix),
        posture_charts.cloudtrail_coverage_heatmap(daily),
        posture_charts.top_bar(top, "type", title="types"),
        posture_charts.control_pass_rate(rates),
        lens_charts.encryption_trend(buckets()),
        lens_charts.versioning_timeline(buckets()),
        lens_charts.protection_coverage(buckets()),
    ]
    for fig in figs:
        assert isinstance(fig, go.Figure)
        assert fig.layout.template.layout.font.family == pio.templates[NAME].layout.font.family
    area = posture_charts.severity_area(t)
    assert [tr.name for tr in area.data] == ["Low", "High", "Critical"]  # most severe stacked on top
    assert area.data[2].fillcolor == SEVERITY_COLORS["Critical"]


def test_html_export_is_self_contained(tmp_path):
    path = charts.export(go.Figure(go.Scatter(x=[1, 2], y=[3, 4])), tmp_path / "fig.html")
    text = path.read_text()
    assert "<script src=" not in text and "cdn.plot.ly/plotly" not in text.split("</script>", 1)[1]
    assert path.stat().st_size > 1_000_000  # plotly.js inlined


def test_unknown_format_is_refused(tmp_path):
    with pytest.raises(chart_export.ChartExportError, match=r"\.png"):
        charts.export(go.Figure(), tmp_path / "fig.txt")


def no_browser_anywhere(monkeypatch) -> None:
    """No system Chromium, none on PATH, none downloaded by plotly_get_chrome."""
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setattr(chart_export, "CHROMIUM_CANDIDATES", ())
    monkeypatch.setattr(chart_export.shutil, "which", lambda name: None)
    monkeypatch.setattr(chart_export, "downloaded_chrome", lambda: None)


def test_missing_chromium_says_how_to_install_it(monkeypatch, tmp_path):
    no_browser_anywhere(monkeypatch)
    assert chart_export.find_browser() is None
    with pytest.raises(chart_export.ChartExportError, match="apt-get install chromium"):
        charts.export(go.Figure(), tmp_path / "fig.png")
    assert not (tmp_path / "fig.png").exists()
    assert charts.export(go.Figure(), tmp_path / "fig.html").is_file()  # HTML needs no browser


def test_a_browser_path_that_is_not_a_file_is_reported_not_replaced(monkeypatch, tmp_path):
    """BROWSER_PATH decides, as it does for kaleido: a wrong one is named, even with /usr/bin/chromium there."""
    monkeypatch.setattr(chart_export, "downloaded_chrome", lambda: None)
    monkeypatch.setattr(chart_export, "CHROMIUM_CANDIDATES", (str(tmp_path / "a-real-chromium"),))
    (tmp_path / "a-real-chromium").write_text("")
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "nope"))
    assert chart_export.find_browser() is None
    with pytest.raises(chart_export.ChartExportError, match=r"BROWSER_PATH=.*nope is not a file.*apt-get"):
        charts.export(go.Figure(), tmp_path / "fig.svg")
    monkeypatch.delenv("BROWSER_PATH")
    assert chart_export.find_browser() == str(tmp_path / "a-real-chromium")


def test_a_chrome_downloaded_for_kaleido_counts_as_a_browser(monkeypatch, tmp_path):
    no_browser_anywhere(monkeypatch)
    monkeypatch.setattr(chart_export, "downloaded_chrome", lambda: str(tmp_path / "chrome"))
    assert chart_export.find_browser() == str(tmp_path / "chrome")


def test_the_note_for_skipped_images_is_one_line_saying_how_to_get_them(monkeypatch):
    no_browser_anywhere(monkeypatch)
    note = chart_export.missing_browser_note()
    assert "\n" not in note and note.startswith("Skipped static chart images (PNG, SVG): no Chromium found")
    assert "make browser" in note and "apt-get install chromium" in note and "BROWSER_PATH" in note


@pytest.mark.browser
def test_png_svg_and_pdf_have_the_requested_size(tmp_path):
    fig = posture_charts.severity_area(trend())
    png, svg, pdf = chart_export.export_many(
        [(fig, tmp_path / "a.png"), (fig, tmp_path / "a.svg"), (fig, tmp_path / "a.pdf")],
        width=400,
        height=300,
        scale=2,
    )
    data = png.read_bytes()
    assert data[:4] == b"\x89PNG" and struct.unpack(">II", data[16:24]) == (800, 600)
    text = svg.read_text()
    assert text.startswith("<svg") and 'width="400"' in text[:400] and 'height="300"' in text[:400]
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 1000


def test_export_keeps_browser_errors_but_not_the_message_choreographer_skips() -> None:
    import importlib
    import logging

    export_module = importlib.import_module("orginsight.outputs.charts.export")
    record = logging.LogRecord(
        "choreographer.channels.pipe",
        logging.ERROR,
        __file__,
        1,
        "JSONError decoding message. Ignoring",
        None,
        None,
    )
    other = logging.LogRecord(
        "choreographer.channels.pipe",
        logging.ERROR,
        __file__,
        1,
        "Error in trying to decode JSON off our read.",
        None,
        None,
    )
    drop = export_module._UndecodedBrowserMessage()
    assert not drop.filter(record) and drop.filter(other)
