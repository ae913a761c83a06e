"""Storage Lens charts: encryption and versioning per bucket over time, and organization coverage.

Inputs are ``storagelens.bucket_protection`` (per bucket and day),
``posture.s3_protection_coverage`` and ``posture.storage_drift`` frames.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orginsight.outputs.charts.theme import apply, day_heatmap


def _label(df: pd.DataFrame) -> pd.Series:
    return df["bucket"] + " (" + df["account"] + ")"


def encryption_trend(
    buckets: pd.DataFrame,
    drift: pd.DataFrame | None = None,
    *,
    max_buckets: int = 8,
    title: str = "Encrypted bytes per bucket",
) -> go.Figure:
    """Encrypted-bytes ratio per bucket and day; buckets that drifted first, drift events annotated.

    With many buckets, the ``max_buckets`` with the lowest latest ratio (or a drift) are drawn.
    """
    b = buckets.assign(label=_label(buckets))
    last = b.sort_values("dt").groupby("label")["EncryptedStorageBytesRatio"].last()
    drifted = set(_label(drift)) if drift is not None and len(drift) else set()
    order = sorted(last.index, key=lambda k: (k not in drifted, last[k] if pd.notna(last[k]) else 2, k))
    fig = go.Figure()
    for label in order[:max_buckets]:
        g = b[b["label"] == label]
        fig.add_scatter(
            x=g["dt"],
            y=g["EncryptedStorageBytesRatio"],
            name=label,
            mode="lines",
            line={"width": 3 if label in drifted else 1.5},
        )
    if drift is not None:
        for _, row in drift[drift["change"].isin(["encryption_drop", "new_unencrypted_bucket"])].iterrows():
            y = row["after"] if pd.notna(row["after"]) else 0
            series = b.loc[b["label"] == f"{row['bucket']} ({row['account']})", "dt"]
            at = series.max() if row["change"] == "encryption_drop" and len(series) else row["dt"]
            fig.add_annotation(
                x=at,
                y=y,
                text=f"{row['bucket']}: {row['detail']}",
                showarrow=True,
                arrowhead=2,
                ax=-60,
                ay=-40,
                bgcolor="white",
                font={"size": 11},
            )
    fig.update_layout(
        yaxis={"tickformat": ".0%", "range": [-0.02, 1.05], "title": "encrypted bytes"},
        hovermode="x unified",
        legend={"orientation": "v", "x": 1.02, "y": 1, "yanchor": "top", "font": {"size": 10}},
    )
    return apply(fig, title)


def versioning_timeline(buckets: pd.DataFrame, *, title: str = "Versioning per bucket") -> go.Figure:
    """Buckets (rows) x days: green when versioning is on, red when off; blank before a bucket exists."""
    b = buckets.assign(label=_label(buckets), on=buckets["versioning_enabled"].astype(float))
    pivot = b.pivot_table(index="label", columns="dt", values="on", aggfunc="max")
    fig = day_heatmap(pivot, zmax=1, showscale=False)
    fig.update_layout(height=max(380, 18 * len(pivot.index) + 160), yaxis={"automargin": True})
    return apply(fig, title)


def protection_coverage(
    coverage: pd.DataFrame, *, title: str = "S3 data protection across the organization"
) -> go.Figure:
    """Organization-wide ratios per day: encrypted bytes, versioned buckets, replicated and object-lock bytes."""
    c = coverage.groupby("dt").sum(numeric_only=True).reset_index() if "account" in coverage else coverage
    series = {
        "encrypted bytes": c.get("EncryptedStorageBytes", 0) / c["StorageBytes"],
        "versioned buckets": c.get("VersioningEnabledBucketCount", 0) / c["DistinctNumberOfBuckets"],
        "replicated bytes (source)": c.get("ReplicatedStorageBytesSource", 0) / c["StorageBytes"],
        "object lock bytes": c.get("ObjectLockEnabledStorageBytes", 0) / c["StorageBytes"],
    }
    fig = go.Figure()
    for name, y in series.items():
        if isinstance(y, pd.Series):
            fig.add_scatter(x=c["dt"], y=y, name=name, mode="lines")
    fig.update_layout(yaxis={"tickformat": ".0%", "range": [0, 1.02]}, hovermode="x unified")
    return apply(fig, title)
