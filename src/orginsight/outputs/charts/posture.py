"""Posture charts: finding trends, severity areas, coverage heatmaps, top accounts and finding types.

Each function takes the DataFrame a ``orginsight.analytics.posture`` measure returns and gives
back a themed ``go.Figure``; none shows it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from orginsight.outputs.charts.theme import (
    COVERAGE_SCALE,
    SEVERITY_COLORS,
    SEVERITY_ORDER,
    apply,
    day_heatmap,
)


def _severities(present: Sequence[str]) -> list[str]:
    return [s for s in SEVERITY_ORDER if s in present] + sorted(s for s in present if s not in SEVERITY_ORDER)


def finding_trend(
    trend: pd.DataFrame,
    *,
    notable: pd.DataFrame | None = None,
    title: str = "Findings opened and active per day",
) -> go.Figure:
    """Active findings (line) and findings opened (bars) per day, notable changes annotated.

    ``trend`` is ``posture.finding_trend`` output (any grouping; summed per day here);
    ``notable`` is ``posture.notable_changes`` over the ``opened`` column.
    """
    daily = trend.groupby("day", as_index=False)[["opened", "active"]].sum()
    fig = go.Figure()
    fig.add_bar(x=daily["day"], y=daily["opened"], name="opened", marker_color="#2e86c1", opacity=0.6)
    fig.add_scatter(
        x=daily["day"], y=daily["active"], name="active", mode="lines", line={"width": 3, "color": "#1f4e79"}
    )
    if notable is not None:
        for _, row in notable.iterrows():
            sign = "+" if row["delta"] > 0 else ""
            fig.add_annotation(
                x=row["day"],
                y=row["opened"],
                text=f"{sign}{row['delta']:.0f} vs 7-day median",
                showarrow=True,
                arrowhead=2,
                ax=0,
                ay=-40,
                font={"size": 11},
            )
    fig.update_layout(yaxis_title="findings", xaxis_title=None, barmode="overlay", hovermode="x unified")
    return apply(fig, title)


def severity_area(
    trend: pd.DataFrame, *, value: str = "active", title: str = "Active findings by severity"
) -> go.Figure:
    """Stacked areas of ``value`` (active or opened) per day, one band per severity, most severe on top."""
    pivot = trend.pivot_table(
        index="day", columns="severity_label", values=value, aggfunc="sum", fill_value=0
    )
    fig = go.Figure()
    for sev in reversed(_severities(list(pivot.columns))):
        color = SEVERITY_COLORS.get(sev, "#7f8c8d")
        fig.add_scatter(
            x=pivot.index,
            y=pivot[sev],
            name=sev,
            mode="lines",
            stackgroup="severity",
            line={"width": 0.5, "color": color},
            fillcolor=color,
        )
    fig.update_layout(yaxis_title=f"{value} findings", hovermode="x unified", legend_traceorder="reversed")
    return apply(fig, title)


def coverage_heatmap(
    matrix: pd.DataFrame, *, title: str = "Security service coverage (share of regions)"
) -> go.Figure:
    """Accounts (rows, grouped by OU) x services (columns); red = not covered, green = covered, blank = unknown."""
    m = matrix.sort_values([c for c in ("ou_path", "account_name") if c in matrix.columns])
    value_cols = [c for c in m.columns if c not in ("account_id", "account_name", "ou_path")]
    records = m.to_dict("records")
    labels = [
        f"{r.get('account_name') or r['account_id']}" + (f" · {r['ou_path']}" if r.get("ou_path") else "")
        for r in records
    ]
    columns = [c.replace("GuardDuty ", "GuardDuty<br>") for c in value_cols]
    z = m[value_cols].astype("float64").to_numpy()
    text = [[("" if pd.isna(v) else f"{v:.0%}") for v in row] for row in z]
    hover = [[f"{r['account_id']} {c}" for c in value_cols] for r in records]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=labels,
            colorscale=COVERAGE_SCALE,
            zmin=0,
            zmax=1,
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}: %{text}<extra></extra>",
            hoverongaps=False,
            xgap=2,
            ygap=2,
            colorbar={"title": "covered", "tickformat": ".0%"},
        )
    )
    fig.update_layout(
        height=max(420, 30 * len(labels) + 220),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"side": "bottom", "automargin": True, "tickfont": {"size": 11}},
    )
    return apply(fig, title)


def cloudtrail_coverage_heatmap(
    daily: pd.DataFrame,
    gaps: pd.DataFrame | None = None,
    *,
    names: Mapping[str, str] | None = None,
    title: str = "CloudTrail delivery: hours with events per day",
) -> go.Figure:
    """Account/region streams (rows) x days: hours with events (0-24); flagged gaps annotated.

    ``names`` maps account ids to account names for the row labels.
    """
    names = names or {}

    def label(account: str, region: str) -> str:
        return f"{names.get(account, account)} {region}"

    d = daily.assign(stream=[label(a, r) for a, r in zip(daily["account"], daily["region"], strict=True)])
    pivot = d.pivot_table(index="stream", columns="day", values="hours_with_events", aggfunc="sum")
    fig = day_heatmap(pivot, zmax=24, colorbar={"title": "hours"})
    if gaps is not None:
        for _, g in gaps[gaps["flagged"]].head(8).iterrows():
            fig.add_annotation(
                x=g["gap_start"].normalize(),
                y=label(g["account"], g["region"]),
                text=f"{g['hours']} h without events from {g['gap_start']:%H:%M} UTC",
                showarrow=True,
                arrowhead=2,
                ax=40,
                ay=-30,
                bgcolor="white",
                bordercolor="#c0392b",
                font={"size": 11, "color": "#c0392b"},
            )
    fig.update_layout(
        height=max(400, 18 * len(pivot.index) + 160), yaxis={"automargin": True, "autorange": "reversed"}
    )
    return apply(fig, title)


def top_bar(counts: pd.DataFrame, column: str, *, title: str) -> go.Figure:
    """Horizontal bars of ``posture.top_counts`` output, stacked by severity, largest on top."""
    c = counts.iloc[::-1]
    fig = go.Figure()
    for sev in _severities([x for x in c.columns if x not in (column, "total")]):
        fig.add_bar(
            y=c[column].astype(str),
            x=c[sev],
            name=sev,
            orientation="h",
            marker_color=SEVERITY_COLORS.get(sev, "#7f8c8d"),
        )
    fig.update_layout(
        barmode="stack",
        xaxis_title="findings",
        height=max(380, 34 * len(c) + 160),
        yaxis={"automargin": True},
    )
    return apply(fig, title)


def control_pass_rate(
    rates: pd.DataFrame, *, title: str = "Security Hub control pass rate by standard"
) -> go.Figure:
    """Pass rate per standard over days (``posture.control_pass_rate(..., days=...)``) or as bars."""
    fig = go.Figure()
    if "day" in rates.columns:
        for std, g in rates.groupby("standard"):
            fig.add_scatter(
                x=g["day"],
                y=g["pass_rate"],
                name=str(std).split("/")[-3] if "/" in str(std) else std,
                mode="lines+markers",
            )
    else:
        fig.add_bar(x=rates["standard"].astype(str), y=rates["pass_rate"], marker_color="#16a085")
    fig.update_layout(yaxis={"tickformat": ".0%", "range": [0, 1.02], "title": "controls passed"})
    return apply(fig, title)
