"""Profile panels of one entity, like Detective's: frames and plotly figures from the graph's aggregates.

Panels: API call volume over time (successful vs failed), calls by service and
API, by IP address with country, by user agent, newly observed behaviour,
resources touched, related findings. All come from the graph's hourly
aggregate: nothing re-reads the trail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pandas as pd

from orginsight.analytics.graph import entities as E
from orginsight.analytics.graph.geo import ip_details

if TYPE_CHECKING:
    from orginsight.analytics.graph.model import EntityGraph

_FILTERS = {
    E.ACCESS_KEY: "access_key",
    E.IP: "ip",
    E.USER_AGENT: "user_agent",
    E.ACCOUNT: "account",
}
"""Activity column that selects an entity's rows, for kinds that are not the caller."""


@dataclass
class Profile:
    """One entity's panels: ``frames[name]`` DataFrames and ``figures[name]`` plotly figures."""

    entity: str
    summary: dict[str, Any]
    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Profile({self.entity}: {s.get('calls', 0)} calls, {s.get('failures', 0)} failed, "
            f"{s.get('first_seen')} .. {s.get('last_seen')}; panels {', '.join(self.frames)})"
        )


def entity_rows(g: EntityGraph, entity: str, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The activity rows an entity takes part in (as caller, key, IP, agent, account, resource or role)."""
    df = g.activity if frame is None else frame
    kind, key = E.split_id(entity)
    if not len(df):
        return df
    if kind in _FILTERS:
        col = _FILTERS[kind]
        if kind == E.ACCOUNT:
            return df[(df["account"] == key) | (df["principal"] == entity)]
        if kind == E.IP and "ip" in df:
            return df[df["ip"] == key]
        return df[df[col] == key] if col in df else df.iloc[0:0]
    if kind == E.IAM_ROLE:
        sessions = g.edges[(g.edges["kind"] == "session_of") & (g.edges["src"] == entity)]["dst"]
        return df[df["principal"].isin(set(sessions))]
    if kind == E.RESOURCE:
        touched = g.resources[g.resources["resource"] == key]
        return touched if frame is None else df[df["resource"] == key] if "resource" in df else df.iloc[0:0]
    return df[df["principal"] == entity]


def _by(rows: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    if not len(rows):
        return pd.DataFrame(columns=[*keys, "count", "successes", "failures"])
    out = rows.groupby(keys, dropna=False)[["count", "successes", "failures"]].sum().reset_index()
    return out.sort_values("count", ascending=False).reset_index(drop=True)


def profile(
    g: EntityGraph, entity: str, mmdb_city: str | None = None, mmdb_asn: str | None = None
) -> Profile:
    """The panels of ``entity`` over the graph's scope."""
    import plotly.express as px

    rows = entity_rows(g, entity)
    volume = (
        _by(rows, ["bucket"]).rename(columns={"bucket": "hour"}).sort_values("hour").reset_index(drop=True)
    )
    by_api = _by(rows, ["eventsource", "eventname"]) if len(rows) else _by(rows, ["eventsource", "eventname"])
    by_ip = _by(rows, ["ip"])
    if len(by_ip):
        geo = ip_details(by_ip["ip"], mmdb_city=mmdb_city, mmdb_asn=mmdb_asn)
        by_ip = by_ip.merge(geo, on="ip", how="left")
    by_agent = _by(rows, ["user_agent"])
    by_account = _by(rows, ["account", "region"])
    novel = g.newly_observed_for(entity)
    touched = (
        entity_rows(g, entity, g.resources)
        if E.split_id(entity)[0] != E.RESOURCE
        else g.resources[g.resources["resource"] == E.split_id(entity)[1]]
    )
    resources = _by(
        touched, ["resource", "principal"] if E.split_id(entity)[0] == E.RESOURCE else ["resource"]
    )
    findings = related_findings(g, entity)
    frames = {
        "volume": volume,
        "by_api": by_api,
        "by_ip": by_ip,
        "by_user_agent": by_agent,
        "by_account_region": by_account,
        "newly_observed": novel,
        "resources": resources,
        "findings": findings,
    }
    summary = {
        "entity": entity,
        "calls": int(rows["count"].sum()) if len(rows) else 0,
        "failures": int(rows["failures"].sum()) if len(rows) else 0,
        "first_seen": rows["bucket"].min() if len(rows) else None,
        "last_seen": rows["bucket"].max() + pd.Timedelta(hours=1) if len(rows) else None,
        "accounts": sorted(rows["account"].dropna().unique().tolist()) if len(rows) else [],
        "regions": sorted(rows["region"].dropna().unique().tolist()) if len(rows) else [],
        "newly_observed": len(novel),
        "findings": len(findings),
    }
    figures = {}
    if len(volume):
        long = volume.melt(
            id_vars="hour", value_vars=["successes", "failures"], var_name="outcome", value_name="calls"
        )
        figures["volume"] = px.bar(
            long,
            x="hour",
            y="calls",
            color="outcome",
            title=f"API calls per hour: {entity}",
            color_discrete_map={"successes": "#2ca02c", "failures": "#d62728"},
        )
    if len(by_api):
        top = by_api.head(25).assign(
            api=lambda d: d["eventsource"].str.replace(".amazonaws.com", "") + ":" + d["eventname"]
        )
        figures["by_api"] = _count_bars(top, "api", "Calls by service and API (top 25)", color="eventsource")
        figures["by_api"].update_yaxes(autorange="reversed")
    if len(by_ip):
        figures["by_ip"] = _count_bars(
            by_ip.head(25).fillna({"country": "?"}), "ip", "Calls by IP address and country", color="country"
        )
    if len(by_agent):
        figures["by_user_agent"] = _count_bars(
            by_agent.head(15).assign(agent=lambda d: d["user_agent"].str.slice(0, 60)),
            "agent",
            "Calls by user agent",
        )
    if len(novel):
        figures["newly_observed"] = px.scatter(
            novel,
            x="first_seen",
            y="dimension",
            hover_data=["value", "count"],
            color="dimension",
            title="Newly observed (not in the baseline)",
        )
    return Profile(entity=entity, summary=summary, frames=frames, figures=figures)


def _count_bars(frame: pd.DataFrame, label: str, title: str, color: str | None = None) -> Any:
    """Horizontal bars of ``frame``'s ``count`` per ``label``: the profile's "calls by ..." panels."""
    import plotly.express as px

    return px.bar(frame, x="count", y=label, orientation="h", color=color, title=title)


def related_findings(g: EntityGraph, entity: str) -> pd.DataFrame:
    """Findings whose ``involves`` edges name ``entity`` (or one of its keys, when it is a principal)."""
    if g.findings is None or not len(g.findings):
        return pd.DataFrame()
    e = g.edges
    keys = set(e[(e["kind"] == "uses_key") & (e["src"] == entity)]["dst"]) | {entity}
    ids = e[(e["kind"] == "involves") & e["dst"].isin(keys)]["src"].str.split(":", n=1).str[1]
    return g.findings[g.findings["finding_id"].astype(str).isin(set(ids))].reset_index(drop=True)
