"""The posture review report: one self-contained HTML file, plus every chart as PNG and SVG for slides.

``build_posture_review`` builds each section of ``SECTIONS`` over a lake and keeps the DataFrames
behind each chart (``review.frames``), so tests and notebooks can check the facts the report shows.
``write_posture_report`` renders the HTML (plotly.js inlined once, CSS inline: it opens with no network)
and exports the charts.

Where each part lives: ``model`` (the review, its figures, what a section declares), ``sections`` (the
organization's own sources: findings, Storage Lens, CloudTrail, coverage), ``services`` (Config,
Inspector, Access Analyzer, Macie, Systems Manager, Trusted Advisor over their collector snapshots),
``exposure`` (exploitable instances whose roles read sensitive buckets shared outside: first, as the
most urgent), ``render`` (HTML, summary, images). A section reads one source; a missing or unreadable source becomes a note in the report, and
the other sections are still built.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.analytics import posture
from orginsight.errors import LakeError, OrgInsightError
from orginsight.lake import Lake
from orginsight.outputs.report import audit, exposure, insights, sections, services, trail
from orginsight.outputs.report.model import PostureReview, ReportFiles, ReviewFigures, Section
from orginsight.outputs.report.render import CHART_DIR, REPORT_NAME, STATIC_FORMATS, table_view, write_files
from orginsight.outputs.report.render import render_html as _render_html
from orginsight.outputs.report.sections import gather_findings, last_day_of

SECTIONS: tuple[Section, ...] = (
    sections.ORGANIZATION,
    audit.AUDIT,
    exposure.EXPOSURE,
    sections.FINDINGS,
    sections.STORAGE,
    sections.CLOUDTRAIL,
    trail.TRAIL,
    insights.INSIGHTS,
    sections.COVERAGE,
    sections.COVERAGE_HISTORY,
    *services.SECTIONS,
)
"""Every section of the review, in the order built and drawn: the organization first (the others name
accounts from it), then the exposure paths (the most urgent), then findings, posture and each service."""

__all__ = [
    "CHART_DIR",
    "REPORT_NAME",
    "SECTIONS",
    "STATIC_FORMATS",
    "PostureReview",
    "ReportFiles",
    "ReviewFigures",
    "Section",
    "build_posture_review",
    "gather_findings",
    "lake_end",
    "last_day_of",
    "render_html",
    "table_view",
    "write_posture_report",
    "write_review",
]


def lake_end(root: Path) -> pd.Timestamp:
    """The end of the data in a lake (latest Storage Lens or CloudTrail day), else now.

    The review period ends there, so a demo lake generated last month still shows 90 days.
    Only folder names are read (``dt=`` folders, and the lake's ``data_range``), never the
    files, so this stays cheap on a lake with millions of log files.
    """

    days = [pd.Timestamp(p.name[3:]) for p in root.glob("**/StorageLens/*/*/V_1/manifests/dt=*")]
    last_cloudtrail_day = Lake.local(root).data_range().last_day
    if last_cloudtrail_day is not None:
        days.append(pd.Timestamp(last_cloudtrail_day))
    if not days:
        return pd.Timestamp.now(tz="UTC")
    return (max(days) + pd.Timedelta(days=1) - pd.Timedelta(seconds=1)).tz_localize("UTC")


def build_posture_review(
    lake: str | os.PathLike[str], since: str = "90d", end: Any = None, progress: bool = False
) -> PostureReview:
    """Compute every section of the review over ``lake`` for the period ``since`` before ``end``."""
    root = Path(lake)
    if not root.is_dir():
        raise LakeError(f"no lake at {root}: build one with 'orginsight lake generate --lake {root}'")
    end_ts = posture._utc(end) if end is not None else lake_end(root)
    start, end_ts = posture.period(since, end_ts)
    review = PostureReview(lake=root, start=start, end=end_ts)
    steps: Any = SECTIONS
    if progress:
        from tqdm.auto import tqdm

        steps = tqdm(SECTIONS, desc="Posture review", unit="section")
    for section in steps:
        try:
            section.build(review)
        except OrgInsightError as e:
            review.notes.append(f"{section.name}: left out ({e})")
        except Exception as e:  # noqa: BLE001 - one broken source must not lose the rest of the review
            review.notes.append(f"{section.name}: left out after an unexpected {type(e).__name__}: {e}")
    return review


def render_html(review: PostureReview) -> str:
    """The report as one HTML string: plotly.js inlined once, CSS inline, no external reference."""
    return _render_html(review, SECTIONS)


def write_review(
    review: PostureReview,
    out: str | os.PathLike[str],
    formats: tuple[str, ...] = STATIC_FORMATS,
    progress: bool = True,
) -> ReportFiles:
    """Write ``<out>/posture-report.html``, ``<out>/summary.json`` and ``<out>/charts/<chart>.<fmt>``."""
    return write_files(review, SECTIONS, out, formats=formats, progress=progress)


def write_posture_report(
    lake: str | os.PathLike[str],
    out: str | os.PathLike[str],
    since: str = "90d",
    end: Any = None,
    formats: tuple[str, ...] = STATIC_FORMATS,
    progress: bool = True,
) -> ReportFiles:
    """Build the review of ``lake`` over ``since`` and write the report and chart images to ``out``."""
    review = build_posture_review(lake, since=since, end=end, progress=progress)
    return write_review(review, out, formats=formats, progress=progress)
