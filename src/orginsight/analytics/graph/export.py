"""The entity graph as networkx, GraphML, Cytoscape JSON and an interactive plotly figure."""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from orginsight.analytics.graph import entities as E

if TYPE_CHECKING:
    import networkx as nx
    import plotly.graph_objects as go

    from orginsight.analytics.graph.model import EntityGraph


def folded_edges(g: EntityGraph) -> pd.DataFrame:
    """One row per (source, target): hours folded, counts summed, APIs and edge kinds united."""
    e = g.edges
    if not len(e):
        return pd.DataFrame(
            columns=[
                "src",
                "dst",
                "kinds",
                "count",
                "successes",
                "failures",
                "apis",
                "first_hour",
                "last_hour",
                "hours",
            ]
        )
    grouped = e.groupby(["src", "dst"], sort=False)
    out = grouped.agg(
        count=("count", "sum"),
        successes=("successes", "sum"),
        failures=("failures", "sum"),
        first_hour=("hour", "min"),
        last_hour=("hour", "max"),
        hours=("hour", "nunique"),
    )
    out["kinds"] = grouped["kind"].unique().map(lambda v: sorted(set(v)))
    out["apis"] = grouped["apis"].agg(lambda v: sorted({a for text in v if text for a in text.split(", ")}))
    return out.reset_index()


def to_networkx(g: EntityGraph, directed: bool = True) -> nx.Graph:
    import networkx as nx

    graph = nx.DiGraph() if directed else nx.Graph()
    for row in g.entities.itertuples(index=False):
        graph.add_node(
            row.entity,
            kind=row.kind,
            label=row.label,
            account=row.account,
            count=int(row.count),
            first_seen=row.first_seen,
            last_seen=row.last_seen,
        )
    for row in folded_edges(g).itertuples(index=False):
        attrs = {
            "kinds": row.kinds,
            "count": int(row.count),
            "successes": int(row.successes),
            "failures": int(row.failures),
            "apis": row.apis,
            "first_hour": row.first_hour,
            "last_hour": row.last_hour,
            "hours": int(row.hours),
        }
        if not directed and graph.has_edge(row.src, row.dst):
            prev = graph.edges[row.src, row.dst]
            attrs["count"] += prev["count"]
            attrs["kinds"] = sorted(set(prev["kinds"]) | set(attrs["kinds"]))
            attrs["apis"] = sorted(set(prev["apis"]) | set(attrs["apis"]))
        graph.add_edge(row.src, row.dst, **attrs)
    return graph


def _scalar(value: Any) -> Any:
    """GraphML holds scalars only: lists become '; '-joined text, times ISO text, None empty text."""
    if isinstance(value, list | tuple | set):
        return "; ".join(map(str, value))
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if hasattr(value, "item"):
        return value.item()
    return value


def _flat(g: EntityGraph) -> nx.DiGraph:
    import networkx as nx

    src = to_networkx(g)
    flat = nx.DiGraph()
    for n, attrs in src.nodes(data=True):
        flat.add_node(n, **{k: _scalar(v) for k, v in attrs.items()})
    for a, b, attrs in src.edges(data=True):
        flat.add_edge(a, b, **{k: _scalar(v) for k, v in attrs.items()})
    return flat


def to_graphml(g: EntityGraph, path: str | os.PathLike[str]) -> None:
    """Write GraphML (Gephi, yEd, Cytoscape desktop); list attributes are '; '-joined."""
    import networkx as nx

    nx.write_graphml(_flat(g), os.fspath(path))


def to_cytoscape(g: EntityGraph) -> dict:
    """Cytoscape.js JSON (``{"data": ..., "elements": {"nodes": [...], "edges": [...]}}``)."""
    import networkx as nx

    return nx.cytoscape_data(_flat(g))


def figure(
    g: EntityGraph,
    title: str | None = None,
    max_nodes: int = 300,
    seed: int = 7,
    highlight: Iterable[str] = (),
    labels: int = 30,
) -> go.Figure:
    """Nodes coloured by kind and sized by activity; hovering shows counts and APIs. Busiest nodes first
    when the graph exceeds ``max_nodes`` (a readable picture, not the whole organization)."""
    import networkx as nx
    import plotly.graph_objects as go

    graph = to_networkx(g, directed=True)
    if graph.number_of_nodes() > max_nodes:
        top = sorted(graph.nodes, key=lambda n: graph.nodes[n].get("count", 0), reverse=True)[:max_nodes]
        graph = graph.subgraph(top).copy()
    pos = (
        nx.spring_layout(graph, seed=seed, k=1.5 / math.sqrt(max(graph.number_of_nodes(), 1)))
        if len(graph)
        else {}
    )
    named = {E.resolve(h) for h in highlight}
    named |= set(sorted(graph.nodes, key=lambda n: graph.nodes[n].get("count", 0), reverse=True)[:labels])
    named |= {n for n, d in graph.nodes(data=True) if d.get("kind") == E.FINDING}
    fig = go.Figure()
    ex, ey, mx, my, mtext = [], [], [], [], []
    for a, b, attrs in graph.edges(data=True):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        ex += [x0, x1, None]
        ey += [y0, y1, None]
        mx.append((x0 + x1) / 2)
        my.append((y0 + y1) / 2)
        apis = ", ".join(attrs["apis"][:8]) + (" ..." if len(attrs["apis"]) > 8 else "")
        mtext.append(
            f"{', '.join(attrs['kinds'])}<br>{attrs['count']} calls ({attrs['failures']} failed)<br>{apis}"
        )
    fig.add_trace(
        go.Scatter(
            x=ex,
            y=ey,
            mode="lines",
            line={"width": 0.6, "color": "#b0b0b0"},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=mx,
            y=my,
            mode="markers",
            marker={"size": 4, "color": "#b0b0b0", "opacity": 0.3},
            text=mtext,
            hovertemplate="%{text}<extra></extra>",
            showlegend=False,
        )
    )
    for kind in E.KINDS:
        nodes = [n for n, d in graph.nodes(data=True) if d.get("kind") == kind]
        if not nodes:
            continue
        counts = [graph.nodes[n].get("count", 1) for n in nodes]
        fig.add_trace(
            go.Scatter(
                x=[pos[n][0] for n in nodes],
                y=[pos[n][1] for n in nodes],
                mode="markers+text",
                name=kind,
                marker={
                    "size": [8 + 4 * math.log10(1 + c) for c in counts],
                    "color": E.KIND_COLORS[kind],
                    "line": {"width": 0.5, "color": "white"},
                },
                text=[graph.nodes[n].get("label") if n in named else "" for n in nodes],
                textposition="top center",
                textfont={"size": 9},
                customdata=[[n, c, graph.degree(n)] for n, c in zip(nodes, counts, strict=True)],
                hovertemplate="%{customdata[0]}<br>%{customdata[1]} calls, %{customdata[2]} neighbours<extra></extra>",
            )
        )
    fig.update_layout(
        title=title or "Entity graph",
        showlegend=True,
        hovermode="closest",
        xaxis={"visible": False},
        yaxis={"visible": False},
        height=700,
    )
    return fig
