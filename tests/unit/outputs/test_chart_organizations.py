"""The organization tree figure: every OU and account is a sector under its parent."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest

from orginsight.outputs.charts.organizations import org_tree

OUS = pd.DataFrame(
    {
        "ou_id": ["r-1", "ou-a", "ou-b"],
        "name": ["Root", "Security", "Prod"],
        "parent_id": [None, "r-1", "ou-a"],
    }
)
ACCOUNTS = pd.DataFrame(
    {
        "account_id": ["111111111111", "222222222222"],
        "name": ["audit", "app"],
        "ou_id": ["ou-a", "ou-b"],
        "findings": [3, None],
    }
)


def test_sunburst_has_one_sector_per_ou_and_account_under_its_parent() -> None:
    fig = org_tree(OUS, ACCOUNTS)
    (trace,) = fig.data
    assert isinstance(trace, go.Sunburst)
    assert dict(zip(trace.ids, trace.parents, strict=True)) == {
        "r-1": "",
        "ou-a": "r-1",
        "ou-b": "ou-a",
        "111111111111": "ou-a",
        "222222222222": "ou-b",
    }
    assert "audit (111111111111)" in trace.labels


def test_treemap_sized_by_a_value_column() -> None:
    (trace,) = org_tree(OUS, ACCOUNTS, kind="treemap", value="findings").data
    assert isinstance(trace, go.Treemap) and list(trace.values)[-2:] == [3.0, 0.0]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="sunburst"):
        org_tree(OUS, ACCOUNTS, kind="pie")
