"""The one plotly look of orginsight: template "orginsight" and the severity colours.

Every figure function builds on ``TEMPLATE`` so charts in notebooks, the report and
slides look alike. Registering the template is idempotent and happens on import of
``orginsight.outputs.charts`` (not of ``orginsight``), so the core stays free of plotly.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

NAME = "orginsight"

SEVERITY_ORDER: tuple[str, ...] = ("Critical", "High", "Medium", "Low", "Informational")
"""Severity labels from most to least severe (the normalized findings frame's labels)."""

SEVERITY_COLORS: dict[str, str] = {
    "Critical": "#7f0000",
    "High": "#d7301f",
    "Medium": "#fc8d59",
    "Low": "#fdcc8a",
    "Informational": "#bdbdbd",
}
"""One colour per severity label, dark to light as severity drops; used by every chart."""

SEVERITY_SCALE: list[list[float | str]] = [
    [0.0, SEVERITY_COLORS["Informational"]],
    [0.25, SEVERITY_COLORS["Low"]],
    [0.5, SEVERITY_COLORS["Medium"]],
    [0.75, SEVERITY_COLORS["High"]],
    [1.0, SEVERITY_COLORS["Critical"]],
]
"""A continuous scale for severity scores (0 = informational, 1 = critical)."""

COVERAGE_SCALE: list[list[float | str]] = [[0.0, "#d7301f"], [0.5, "#fee08b"], [1.0, "#1a9850"]]
"""Red (not covered) to green (covered), for coverage heatmaps and ratios."""

COLORWAY = ["#1f4e79", "#2e86c1", "#f39c12", "#16a085", "#8e44ad", "#c0392b", "#7f8c8d", "#27ae60"]
FONT = "Inter, 'Segoe UI', Helvetica, Arial, sans-serif"

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 13, "color": "#1c2833"},
        title={"font": {"size": 17}, "x": 0.01, "xanchor": "left", "y": 0.98, "yanchor": "top"},
        colorway=COLORWAY,
        paper_bgcolor="white",
        plot_bgcolor="white",
        margin={"l": 60, "r": 30, "t": 90, "b": 50},
        xaxis={"gridcolor": "#eaecee", "linecolor": "#abb2b9", "zeroline": False, "ticks": "outside"},
        yaxis={"gridcolor": "#eaecee", "linecolor": "#abb2b9", "zeroline": False},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        hoverlabel={"font": {"family": FONT}},
        colorscale={"sequential": COVERAGE_SCALE},
    )
)


def register() -> str:
    """Register the template under ``NAME`` (idempotent) and return the name."""
    pio.templates[NAME] = TEMPLATE
    return NAME


def apply(fig: go.Figure, title: str | None = None) -> go.Figure:
    """Give ``fig`` the orginsight template (and a title); returns the same figure."""
    register()
    fig.update_layout(template=NAME)
    if title is not None:
        fig.update_layout(title_text=title)
    return fig


def day_heatmap(pivot: pd.DataFrame, zmax: float, **trace: Any) -> go.Figure:
    """Rows x days of ``pivot`` on the coverage scale, from 0 (red) to ``zmax`` (green); missing cells
    stay blank (a row that did not exist yet). ``trace`` adds or overrides heatmap properties."""
    return go.Figure(
        go.Heatmap(
            z=pivot.to_numpy(),
            x=pivot.columns,
            y=pivot.index,
            zmin=0,
            zmax=zmax,
            colorscale=COVERAGE_SCALE,
            hoverongaps=False,
            ygap=1,
            **trace,
        )
    )
