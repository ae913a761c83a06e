"""The centralization audit as a heatmap: checks (rows) x accounts (columns), pass, fail or unknown.

A cell holds the worst status of the check in that account over its regions (fail over unknown over pass),
and its hover shows the evidence of the regions that made it so. Results about the organization as a whole
(a trail, a delegated administrator) sit in their own first column, ``organization``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orginsight.outputs.charts.theme import apply

STATUS_CODES = {"pass": 0, "unknown": 1, "fail": 2}
"""Heatmap value of each status; also the order of the worst (highest) status."""
STATUS_COLORS = {"pass": "#1a9850", "unknown": "#bdbdbd", "fail": "#d7301f"}
STATUS_SCALE = [
    [0.0, STATUS_COLORS["pass"]],
    [0.33, STATUS_COLORS["pass"]],
    [0.34, STATUS_COLORS["unknown"]],
    [0.66, STATUS_COLORS["unknown"]],
    [0.67, STATUS_COLORS["fail"]],
    [1.0, STATUS_COLORS["fail"]],
]
"""Three flat bands, so each status has exactly its colour."""
HOVER_LINES = 6
"""Regions shown in a cell's hover before "... and N more"."""


def _cell(group: pd.DataFrame) -> pd.Series:
    worst = max(group["status"], key=STATUS_CODES.__getitem__)
    shown = group[group["status"] == worst]
    lines = [f"{r}: {f}" for r, f in zip(shown["region"], shown["found"], strict=True)]
    more = f"<br>... and {len(lines) - HOVER_LINES} more" if len(lines) > HOVER_LINES else ""
    return pd.Series({"status": worst, "evidence": "<br>".join(lines[:HOVER_LINES]) + more})


def audit_heatmap(results: pd.DataFrame, *, title: str = "Centralization audit") -> go.Figure:
    """Checks x accounts from ``run_audit``'s frame; green pass, grey unknown, red fail; hover: evidence."""
    cells = results.groupby(["check", "account_id"], sort=False)[["status", "region", "found"]].apply(_cell)
    cells = cells.reset_index()
    checks = list(dict.fromkeys(results["check"]))
    names = dict(
        zip(results["account_id"], results["account_name"].fillna(results["account_id"]), strict=True)
    )
    accounts = sorted(
        dict.fromkeys(results["account_id"]), key=lambda a: (a != "organization", names.get(a), a)
    )
    status = cells.pivot(index="check", columns="account_id", values="status").reindex(
        index=checks, columns=accounts
    )
    evidence = cells.pivot(index="check", columns="account_id", values="evidence").reindex(
        index=checks, columns=accounts
    )
    z = status.apply(lambda col: col.map(STATUS_CODES)).astype("float64").to_numpy()
    hover = [
        [
            f"{c} · {names.get(a, a)}<br>{status.loc[c, a]}<br>{evidence.loc[c, a]}"
            if pd.notna(status.loc[c, a])
            else ""
            for a in accounts
        ]
        for c in checks
    ]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[names.get(a, a) for a in accounts],
            y=checks,
            zmin=0,
            zmax=2,
            colorscale=STATUS_SCALE,
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            hoverongaps=False,
            xgap=2,
            ygap=2,
            colorbar={"tickvals": [1 / 3, 1, 5 / 3], "ticktext": ["pass", "unknown", "fail"], "title": ""},
        )
    )
    fig.update_layout(
        height=max(420, 26 * len(checks) + 220),
        yaxis={"autorange": "reversed", "automargin": True},
        xaxis={"side": "bottom", "automargin": True, "tickangle": -40, "tickfont": {"size": 11}},
    )
    return apply(fig, title)
