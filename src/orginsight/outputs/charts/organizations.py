"""The organization as a tree: OUs and accounts in a plotly sunburst or treemap.

Built from the Organizations collector's ``ous`` and ``accounts`` frames; with a
``value`` column (e.g. open findings per account) sectors are sized and coloured by it,
otherwise every account counts one. The figure is returned, never shown.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from orginsight.outputs.charts.theme import SEVERITY_SCALE, apply


def org_tree(
    ous: pd.DataFrame,
    accounts: pd.DataFrame,
    *,
    kind: str = "sunburst",
    value: str | None = None,
    title: str = "Organization: OUs and accounts",
) -> go.Figure:
    """A sunburst (``kind="sunburst"``) or treemap (``kind="treemap"``) of the OU tree with accounts as leaves."""
    if kind not in ("sunburst", "treemap"):
        raise ValueError(f"kind must be 'sunburst' or 'treemap', not {kind!r}")
    ids = list(ous["ou_id"]) + list(accounts["account_id"])
    labels = list(ous["name"]) + [
        f"{n or a} ({a})" for n, a in zip(accounts["name"], accounts["account_id"], strict=True)
    ]
    parents = [p if isinstance(p, str) else "" for p in ous["parent_id"]] + [
        o if isinstance(o, str) else "" for o in accounts["ou_id"]
    ]
    leaf_values = accounts[value].fillna(0).astype(float).tolist() if value else [1.0] * len(accounts)
    values = [0.0] * len(ous) + leaf_values
    trace = go.Sunburst if kind == "sunburst" else go.Treemap
    marker = {"colors": values, "colorscale": SEVERITY_SCALE, "showscale": True} if value else {}
    fig = go.Figure(
        trace(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="remainder",
            marker=marker,
            hovertemplate="%{label}<br>%{value}<extra></extra>",
        )
    )
    return apply(fig, title)
