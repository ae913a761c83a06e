"""The review as one self-contained HTML page (plotly.js inlined once, CSS inline), its summary and charts."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from orginsight.outputs.charts.export import export_many
from orginsight.outputs.pages import Cell, Row, Table, plotly_fragment, plotly_library, render
from orginsight.outputs.report.model import PostureReview, ReportFiles, Section

REPORT_NAME = "posture-report.html"
CHART_DIR = "charts"
STATIC_FORMATS = ("png", "svg")


def _column_texts(column: pd.Series) -> list[str]:
    """The cells of one column as text, the way the report showed them when pandas wrote its tables:
    missing values empty, a column of whole days as dates (UTC days: the zone is the convention, not
    news), floats to three significant digits."""
    if pd.api.types.is_float_dtype(column):
        return ["" if pd.isna(v) else f"{v:,.3g}" for v in column]
    if pd.api.types.is_datetime64_any_dtype(column):
        days = bool((column.dropna() == column.dropna().dt.normalize()).all())
        return ["" if pd.isna(v) else f"{v:%Y-%m-%d}" if days else str(v) for v in column]
    return ["" if v is None or (pd.api.types.is_scalar(v) and pd.isna(v)) else str(v) for v in column]


def table_view(df: pd.DataFrame, max_rows: int = 25) -> Table:
    """The first ``max_rows`` rows of ``df``, every column, as the templates draw a table."""
    shown = df.head(max_rows)
    columns = [_column_texts(shown[c]) for c in shown.columns]
    rows = tuple(Row(cells=tuple(Cell(text=col[i]) for col in columns)) for i in range(len(shown)))
    more = f"... {len(df) - max_rows} more rows" if len(df) > max_rows else None
    return Table(headers=tuple(str(c) for c in df.columns), rows=rows, note=more)


def _drawn(review: PostureReview, section: Section) -> dict | None:
    """What the page shows of one section, or None when it has nothing to show."""
    config = {"displaylogo": False, "responsive": True}
    figures = [
        plotly_fragment(review.figures[f], include_plotlyjs=False, div_id=f"fig-{f}", config=config)
        for f in section.figures
        if f in review.figures
    ]
    tables = [
        (label, table_view(review.frames[name]))
        for name, label in section.tables
        if isinstance(review.frames.get(name), pd.DataFrame) and len(review.frames[name])
    ]
    if section.title is None or not (figures or tables):
        return None
    return {"title": section.title, "figures": figures, "tables": tables}


def render_html(review: PostureReview, sections: Sequence[Section]) -> str:
    """The report as one HTML string: plotly.js inlined once, CSS inline, no external reference."""
    cards = [
        (fmt.format(review.numbers[key]), label)
        for s in sections
        for key, label, fmt in s.numbers
        if key in review.numbers
    ]
    return render(
        "report.html.j2",
        start=f"{review.start:%Y-%m-%d}",
        end=f"{review.end:%Y-%m-%d}",
        lake=str(review.lake),
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        plotlyjs=plotly_library(),
        cards=cards,
        changes=review.changes,
        notes=review.notes,
        sections=[d for s in sections if (d := _drawn(review, s)) is not None],
    )


def write_files(
    review: PostureReview,
    sections: Sequence[Section],
    out: str | os.PathLike[str],
    formats: tuple[str, ...] = STATIC_FORMATS,
    progress: bool = True,
) -> ReportFiles:
    """Write ``<out>/posture-report.html``, ``<out>/summary.json`` and ``<out>/charts/<chart>.<fmt>``."""

    out_dir = Path(out)
    out_dir.mkdir(parents=True, exist_ok=True)
    page = out_dir / REPORT_NAME
    page.write_text(render_html(review, sections), encoding="utf-8")
    (out_dir / "summary.json").write_text(
        json.dumps(
            {
                "lake": str(review.lake),
                "start": str(review.start),
                "end": str(review.end),
                "numbers": review.numbers,
                "changes": review.changes,
                "notes": review.notes,
            },
            indent=1,
            default=str,
        )
    )
    items = [
        (fig, out_dir / CHART_DIR / f"{name}.{fmt}")
        for name, fig in review.figures.items()
        for fmt in formats
    ]
    images = export_many(items, progress=progress) if items else []
    return ReportFiles(html=page, images=tuple(images), review=review)
