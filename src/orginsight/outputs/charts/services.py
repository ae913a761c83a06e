"""Charts of the security services read through collector snapshots: Config, Inspector, Access Analyzer,
Macie, Systems Manager and Trusted Advisor.

Each function takes the frame one ``orginsight.analytics.posture`` measure returns (one point per
snapshot, ``collected_at`` on the x axis) and gives back a themed ``go.Figure``; none shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from orginsight.outputs.charts.theme import COLORWAY, SEVERITY_COLORS, apply

INSPECTOR_SEVERITIES = {"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low"}
"""Inspector's upper-case severities as the normalized labels the theme colours."""
STATUS_COLORS = {"error": SEVERITY_COLORS["High"], "warning": SEVERITY_COLORS["Medium"]}
"""Trusted Advisor's statuses in the severity colours: error as high, warning as medium."""


def _top(trend: pd.DataFrame, group: str, value: str, n: int) -> list[str]:
    """The ``n`` groups with the largest ``value`` at any snapshot, largest first."""
    peak = trend.groupby(group)[value].max().sort_values(ascending=False, kind="stable")
    return [str(g) for g in peak[peak > 0].index[:n]]


def _legend_right(fig: go.Figure) -> go.Figure:
    """The legend in a column right of the plot: one entry per rule or OU and severity is too many for
    the theme's row above the plot, where it would run into the title."""
    fig.update_layout(legend={"orientation": "v", "x": 1.02, "xanchor": "left", "y": 1, "yanchor": "top"})
    return fig


def _stacked_bars(
    trend: pd.DataFrame,
    group: str,
    value: str,
    *,
    title: str,
    yaxis: str,
    colors: dict[str, str] | None = None,
    n: int = 10,
) -> go.Figure:
    """Bars per snapshot stacked by ``group``; beyond the ``n`` largest groups the rest is "other"."""
    keep = _top(trend, group, value, n)
    t = trend.assign(**{group: trend[group].astype(str).where(trend[group].astype(str).isin(keep), "other")})
    pivot = t.pivot_table(index="collected_at", columns=group, values=value, aggfunc="sum", fill_value=0)
    fig = go.Figure()
    for i, name in enumerate([g for g in [*keep, "other"] if g in pivot.columns]):
        if name == "other" and not pivot[name].any():
            continue
        color = (colors or {}).get(name, COLORWAY[i % len(COLORWAY)] if name != "other" else "#bdbdbd")
        fig.add_bar(x=pivot.index, y=pivot[name], name=name, marker_color=color)
    fig.update_layout(barmode="stack", yaxis_title=yaxis, xaxis_title="snapshot", hovermode="x unified")
    return apply(fig, title)


def _lines(trend: pd.DataFrame, group: str, value: str, *, title: str, yaxis: str, n: int = 8) -> go.Figure:
    """One line per ``group`` (the ``n`` largest) over the snapshots, markers on each snapshot."""
    fig = go.Figure()
    for name in _top(trend, group, value, n):
        g = trend[trend[group].astype(str) == name].sort_values("collected_at")
        fig.add_scatter(x=g["collected_at"], y=g[value], name=name, mode="lines+markers")
    fig.update_layout(yaxis_title=yaxis, xaxis_title="snapshot", hovermode="x unified", showlegend=True)
    return _legend_right(apply(fig, title))


def config_noncompliant(
    trend: pd.DataFrame, *, group: str = "rule", title: str = "Config: non-compliant resources per rule"
) -> go.Figure:
    """``posture.config_noncompliant_trend`` output: one line per rule (or account, OU)."""
    return _lines(trend, group, "non_compliant_resources", title=title, yaxis="non-compliant resources")


def inspector_open(
    trend: pd.DataFrame,
    *,
    group: str = "ou_path",
    title: str = "Inspector: open critical and high findings by OU",
) -> go.Figure:
    """``posture.open_findings_trend`` output: a line per OU and severity, critical solid, high dotted;
    the hover also gives how many have a known exploit."""
    fig = go.Figure()
    totals = trend.groupby(group)["open"].max().sort_values(ascending=False, kind="stable")
    palette = {g: COLORWAY[i % len(COLORWAY)] for i, g in enumerate(totals.index)}
    for (name, severity), g in trend.groupby([group, "severity"], sort=False):
        if not g["open"].any():
            continue
        g = g.sort_values("collected_at")
        fig.add_scatter(
            x=g["collected_at"],
            y=g["open"],
            customdata=g["exploitable"],
            name=f"{name} · {INSPECTOR_SEVERITIES.get(severity, severity)}",
            mode="lines+markers",
            line={"color": palette[name], "dash": "solid" if severity == "CRITICAL" else "dot"},
            hovertemplate="%{y} open, %{customdata} exploitable",
        )
    fig.update_layout(
        yaxis_title="open findings", xaxis_title="snapshot", hovermode="x unified", showlegend=True
    )
    return _legend_right(apply(fig, title))


def inspector_time_to_fix(
    fixed: pd.DataFrame, *, title: str = "Inspector: days from first observed to fixed"
) -> go.Figure:
    """``posture.time_to_fix`` output: days to fix per severity, one box each, every finding a point."""
    fig = go.Figure()
    for severity in [s for s in INSPECTOR_SEVERITIES if s in set(fixed["severity"])]:
        g = fixed[fixed["severity"] == severity]
        label = INSPECTOR_SEVERITIES[severity]
        fig.add_box(
            y=g["days_to_fix"],
            name=label,
            boxpoints="all",
            jitter=0.4,
            marker_color=SEVERITY_COLORS[label],
            text=g["vulnerability_id"],
        )
    fig.update_layout(yaxis_title="days to fix", showlegend=False)
    return apply(fig, title)


@dataclass(frozen=True)
class StackedBars:
    """A chart of a snapshot trend as bars per snapshot stacked by ``group`` (``_stacked_bars``): what
    tells one such chart from another is data, declared once per chart below."""

    value: str
    """The column counted (``resources``, ``unmanaged_instances`` ...)."""
    group: str
    """The column the bars stack by, unless the call names another."""
    yaxis: str
    title: str

    def __call__(
        self, trend: pd.DataFrame, *, group: str | None = None, title: str | None = None
    ) -> go.Figure:
        return _stacked_bars(
            trend,
            self.group if group is None else group,
            self.value,
            title=self.title if title is None else title,
            yaxis=self.yaxis,
        )


inspector_unscanned = StackedBars(
    "resources", "scan_status_reason", "resources not scanned", "Inspector: resources not scanned, by reason"
)
"""``posture.unscanned_trend`` output: bars per snapshot stacked by the reason given."""

_shared_outside = StackedBars(
    "resources", "resource_type", "resources", "Access Analyzer: resources shared outside the organization"
)


def accessanalyzer_external(
    trend: pd.DataFrame,
    *,
    group: str = _shared_outside.group,
    title: str = _shared_outside.title,
) -> go.Figure:
    """``posture.external_access_trend`` output: bars per snapshot stacked by resource type, and a line of
    how many are public."""
    fig = _shared_outside(trend, group=group, title=title)
    public = trend.groupby("collected_at")["public"].sum()
    fig.add_scatter(
        x=public.index,
        y=public.to_numpy(),
        name="public",
        mode="lines+markers",
        line={"color": SEVERITY_COLORS["Critical"], "width": 3},
    )
    return fig


EXPOSURE_COLORS = {
    "unencrypted": SEVERITY_COLORS["Medium"],
    "public": SEVERITY_COLORS["Critical"],
    "shared outside the organization": SEVERITY_COLORS["High"],
}


def macie_sensitive_buckets(
    trend: pd.DataFrame,
    *,
    title: str = "Macie: buckets with sensitive data that are unencrypted, public or shared outside",
) -> go.Figure:
    """``posture.exposure_trend`` output: one line per exposure (a bucket may count in several)."""
    fig = go.Figure()
    for exposure, color in EXPOSURE_COLORS.items():
        g = trend[trend["exposure"] == exposure].sort_values("collected_at")
        if len(g):
            fig.add_scatter(
                x=g["collected_at"],
                y=g["buckets"],
                name=exposure,
                mode="lines+markers",
                line={"color": color},
            )
    fig.update_layout(yaxis_title="sensitive buckets", xaxis_title="snapshot", hovermode="x unified")
    return apply(fig, title)


def ssm_patch_compliance(
    trend: pd.DataFrame,
    *,
    title: str = "Systems Manager: non-compliant nodes and days since the last patch",
) -> go.Figure:
    """``posture.patch_compliance_trend`` output over the organization (``by=()``): non-compliant nodes as
    bars, the median and the longest days since a node's last patch as lines on the right axis."""
    t = trend.groupby("collected_at", as_index=False).agg(
        nodes=("nodes", "sum"),
        non_compliant=("non_compliant", "sum"),
        median_days=("median_days_since_patch", "median"),
        max_days=("max_days_since_patch", "max"),
    )
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=t["collected_at"], y=t["nodes"], name="nodes", marker_color="#d5dbdb")
    fig.add_bar(
        x=t["collected_at"], y=t["non_compliant"], name="non-compliant", marker_color=SEVERITY_COLORS["High"]
    )
    for column, name, dash in (
        ("median_days", "median days since patch", "solid"),
        ("max_days", "longest", "dot"),
    ):
        fig.add_scatter(
            x=t["collected_at"],
            y=t[column],
            name=name,
            mode="lines+markers",
            line={"color": "#1f4e79", "dash": dash},
            secondary_y=True,
        )
    fig.update_layout(barmode="overlay", hovermode="x unified", xaxis_title="snapshot")
    fig.update_yaxes(title_text="managed nodes", secondary_y=False)
    fig.update_yaxes(title_text="days since last patch", secondary_y=True, showgrid=False)
    return apply(fig, title)


ssm_unmanaged = StackedBars(
    "unmanaged_instances",
    "account_name",
    "unmanaged instances",
    "Systems Manager: running EC2 instances not managed",
)
"""``posture.unmanaged_trend`` output: bars per snapshot stacked by account."""


def trustedadvisor_checks(
    trend: pd.DataFrame,
    *,
    group: str = "account_name",
    statuses: Sequence[str] = ("error", "warning"),
    title: str = "Trusted Advisor: security checks in error or warning per account",
) -> go.Figure:
    """``posture.security_checks_trend`` output: accounts (rows) x snapshots, cells the checks in error
    or warning (text "errors / warnings"); darker is more."""
    t = trend[trend["status"].isin(statuses)]
    pivot = t.pivot_table(index=[group, "status"], columns="collected_at", values="checks", aggfunc="sum")
    pivot = pivot.fillna(0).astype("int64")
    total = pivot.groupby(level=group).sum()
    total = total.loc[total.max(axis=1).sort_values(ascending=False, kind="stable").index]

    def count(account: str, status: str, at: pd.Timestamp) -> int:
        return int(pivot[at].get((account, status), 0))

    text = [[" / ".join(str(count(a, s, at)) for s in statuses) for at in total.columns] for a in total.index]
    fig = go.Figure(
        go.Heatmap(
            z=total.to_numpy(),
            x=total.columns,
            y=[str(a) for a in total.index],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0.0, "#f7f9f9"], [0.5, STATUS_COLORS["warning"]], [1.0, STATUS_COLORS["error"]]],
            zmin=0,
            hovertemplate="%{y}, %{x}: %{text} (" + " / ".join(statuses) + ")<extra></extra>",
            xgap=2,
            ygap=2,
            colorbar={"title": "checks"},
        )
    )
    fig.update_layout(
        height=max(380, 30 * len(total) + 200),
        yaxis={"autorange": "reversed", "automargin": True, "type": "category"},  # ids are not numbers
        xaxis_title="snapshot",
    )
    return apply(fig, title)
