"""The review's CloudTrail Insights section: unusual API call rates and error rates per account over the period.

Reads ``cloudtrail_insights`` (``analytics.insights``): each Start/End pair is one window, drawn per account
on a time axis and listed with its API, kind and how far above its baseline it ran. A lake without Insights
events (Insights is opt-in per trail) is a note, not an error.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orginsight.analytics import insights
from orginsight.lake import Lake
from orginsight.outputs.charts import theme
from orginsight.outputs.report.model import PostureReview, declared
from orginsight.sources.accounts import account_names

KIND_COLORS = {"ApiCallRateInsight": "#1f77b4", "ApiErrorRateInsight": "#d62728"}
"""Call-rate windows blue, error-rate windows red, as the CloudTrail console tells them apart."""


def _insights(review: PostureReview) -> None:
    windows = insights.insight_windows(Lake.local(review.lake), review.start, review.end)
    if "note" in windows.attrs:
        review.notes.append(f"insights: {windows.attrs['note']}")
    review.numbers["insights"] = len(windows)
    if windows.empty:
        review.notes.append(
            "insights: no CloudTrail Insights events in the period (is Insights on for the trail?)"
        )
        return
    names = account_names(review.accounts)
    shown = windows.assign(account_name=windows["account"].map(lambda a: names.get(a, a)))
    review.frames["insights"] = shown
    review.figures.insights_timeline = insights_timeline(shown)
    for w in shown.itertuples():
        kind = "error rate" if w.insight_type == "ApiErrorRateInsight" else "call rate"
        error = f" {w.errorcode}" if isinstance(w.errorcode, str) else ""
        ratio = f", {w.ratio:g}x its baseline" if pd.notna(w.ratio) else ""
        review.changes.append(
            f"CloudTrail Insights: unusual {kind} of {w.api}{error} in {w.account_name} ({w.account}) {w.region}, "
            f"{w.start:%Y-%m-%d %H:%M} to {w.end:%H:%M} UTC{ratio}."
        )


def insights_timeline(windows: pd.DataFrame) -> go.Figure:
    """One bar per Insights window, on its account's row, across the period; colour says call or error rate."""
    fig = go.Figure()
    for kind, rows in windows.groupby("insight_type"):
        # A one-minute window would not show on a 90-day axis: each bar is at least an hour wide.
        width = (rows["end"] - rows["start"]).clip(lower=pd.Timedelta(hours=1))
        fig.add_trace(
            go.Bar(
                base=rows["start"],
                x=width.dt.total_seconds() * 1000,
                y=rows["account_name"],
                orientation="h",
                name=str(kind),
                marker_color=KIND_COLORS.get(str(kind), "#7f7f7f"),
                customdata=rows[["api", "region", "ratio"]],
                hovertemplate="%{customdata[0]} in %{customdata[1]}: %{customdata[2]}x baseline<extra></extra>",
            )
        )
    fig.update_xaxes(type="date")
    return theme.apply(fig, "CloudTrail Insights windows per account")


INSIGHTS = declared("insights", _insights)
