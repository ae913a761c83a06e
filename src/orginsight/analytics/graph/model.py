"""``EntityGraph``: Detective-style entities and hourly edges of one scope, with its baseline.

The graph is a set of frames, not a Python object per node: ``edges`` has one
row per (source, target, edge kind, hour) with count, successes, failures and
the APIs that made it; ``entities`` one row per entity. ``to_networkx()``
folds the hours into one edge per (source, target) when a graph library is
wanted. Frames keep a million-event day in memory as a few hundred thousand
rows, and let an analyst filter with pandas.

Edge kinds (source -> target):
``uses_key`` principal -> access key; ``from_ip`` principal -> IP; ``key_from_ip``
access key -> IP; ``user_agent`` principal -> user agent; ``acted_in`` principal ->
account the call landed in; ``via_service`` principal -> AWS service that called
for it (``invokedBy``, or a service name in ``sourceIPAddress``); ``accessed``
principal -> resource; ``session_of`` IAM role -> its session; ``assumed`` the
access key (or principal) that called AssumeRole* -> the session it created;
``issued`` session -> the temporary access key it was given; ``created_key`` key
-> access key it created (CreateAccessKey, GetSessionToken); ``involves``
finding -> entity it names; ``acted_as`` person -> a principal attributed to them
(``people``: how each attribution was established, or why a principal has none).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from orginsight.analytics.graph import entities as E
from orginsight.analytics.graph import export, groups
from orginsight.analytics.graph import profile as profiles
from orginsight.analytics.graph.novelty import of_subjects
from orginsight.analytics.graph.people import ATTRIBUTION_COLUMNS

CHAIN_KINDS = ("assumed", "issued", "created_key")
"""Edge kinds that hand credentials on: followed to reconstruct a chain of sessions."""

UNCAPPED_KINDS = frozenset({*CHAIN_KINDS, "session_of", "involves", "acted_as"})
"""Never collapsed by the degree cap: they carry attribution, and are few."""

EDGE_COLUMNS = ["src", "dst", "kind", "hour", "count", "successes", "failures", "apis"]
ENTITY_COLUMNS = ["entity", "kind", "label", "account", "count", "first_seen", "last_seen"]


def walk_chain(chain: pd.DataFrame, start: set[str], forward: bool) -> pd.DataFrame:
    """The edges of ``chain`` reached from ``start`` one hop at a time, each with its ``depth`` (first hop 1).

    Forward follows edges from ``src`` to ``dst`` (what a credential handed on), backward from ``dst``
    to ``src`` (where it came from). Each entity is entered once, so a loop in the chain ends the walk.
    """
    here, there = ("src", "dst") if forward else ("dst", "src")
    frontier, seen, rows = set(start), set(start), []
    depth = 0
    while frontier:
        depth += 1
        step = chain[chain[here].isin(frontier)]
        if step.empty:
            break
        rows.append(step.assign(depth=depth))
        frontier = set(step[there]) - seen
        seen |= frontier
    if not rows:
        return pd.DataFrame(columns=[*EDGE_COLUMNS, "depth"])
    return pd.concat(rows, ignore_index=True)


@dataclass
class EntityGraph:
    """Entities and hourly edges of a scope, the activity they came from, and what is new against the baseline."""

    scope: tuple[datetime, datetime]
    baseline_days: int
    edges: pd.DataFrame
    entities: pd.DataFrame
    activity: pd.DataFrame
    resources: pd.DataFrame
    baseline: pd.DataFrame
    baseline_resources: pd.DataFrame
    credentials: pd.DataFrame
    newly_observed: pd.DataFrame
    findings: pd.DataFrame | None = None
    capped: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=["entity", "kind", "hour", "direction", "degree"])
    )
    stats: dict[str, Any] = field(default_factory=dict)
    lake: Any = field(default=None, repr=False)
    people: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ATTRIBUTION_COLUMNS))
    """Who is behind each principal of the scope (``graph.people.attribute``)."""
    network: Any = None
    """The flow and DNS frames behind the network entities (``graph.network.NetworkGraph``), if read."""

    # --- construction -----------------------------------------------------------------------------

    # --- facts ------------------------------------------------------------------------------------

    @property
    def baseline_days_present(self) -> int:
        """Distinct days with events in the baseline (baseline rows are bucketed by day)."""
        return int(self.baseline["bucket"].dt.normalize().nunique()) if len(self.baseline) else 0

    def __contains__(self, entity: str) -> bool:
        return bool((self.entities["entity"] == entity).any())

    def entity(self, indicator: str) -> str:
        """The entity id an indicator names (an access key id, ARN, IP, account or finding id)."""
        return E.resolve(indicator)

    def newly_observed_for(self, entity: str) -> pd.DataFrame:
        """What ``entity`` did in the scope that its baseline never shows."""
        return of_subjects(self.newly_observed, [E.resolve(entity)])

    # --- navigation -------------------------------------------------------------------------------

    def to_networkx(self, directed: bool = True):
        """A networkx (Di)Graph: one edge per (source, target) with counts and APIs summed over hours."""
        return export.to_networkx(self, directed=directed)

    def neighborhood(self, entity: str | Iterable[str], hops: int = 2) -> EntityGraph:
        """The graph restricted to entities within ``hops`` edges (either direction) of ``entity``.

        A breadth-first walk over the edge frame (vectorized per hop), so a neighbourhood of a
        million-edge graph does not build a networkx graph first.
        """
        starts = [entity] if isinstance(entity, str) else list(entity)
        keep = {E.resolve(e) for e in starts}
        pairs = self.edges[["src", "dst"]].drop_duplicates()
        frontier = set(keep)
        for _ in range(hops):
            out = pairs[pairs["src"].isin(frontier)]["dst"]
            back = pairs[pairs["dst"].isin(frontier)]["src"]
            frontier = (set(out) | set(back)) - keep
            if not frontier:
                break
            keep |= frontier
        return self.subgraph(keep)

    def subgraph(self, nodes: Iterable[str]) -> EntityGraph:
        """The same graph keeping only ``nodes`` and the edges between them (activity frames filtered alike)."""
        keep = set(nodes)
        edges = self.edges[self.edges["src"].isin(keep) & self.edges["dst"].isin(keep)].reset_index(drop=True)
        ents = self.entities[self.entities["entity"].isin(keep)].reset_index(drop=True)

        def rows(df: pd.DataFrame) -> pd.DataFrame:
            return df[df["principal"].isin(keep)].reset_index(drop=True) if len(df) else df

        findings = self.findings
        if findings is not None and len(findings):
            findings = findings[("finding:" + findings["finding_id"].astype(str)).isin(keep)].reset_index(
                drop=True
            )
        return EntityGraph(
            scope=self.scope,
            baseline_days=self.baseline_days,
            edges=edges,
            entities=ents,
            activity=rows(self.activity),
            resources=rows(self.resources),
            baseline=rows(self.baseline),
            baseline_resources=rows(self.baseline_resources),
            credentials=rows(self.credentials),
            newly_observed=self.newly_observed[self.newly_observed["subject"].isin(keep)],
            findings=findings,
            capped=self.capped[self.capped["entity"].isin(keep)],
            stats=self.stats,
            lake=self.lake,
            people=self.people[self.people["principal"].isin(keep)].reset_index(drop=True),
            network=self.network,
        )

    def paths(
        self, a: str, b: str, cutoff: int = 8, limit: int = 20, directed: bool = True
    ) -> list[list[str]]:
        """Up to ``limit`` simple paths from ``a`` to ``b`` (entity ids or indicators), shortest first.

        Directed paths follow who acted on what: ``iam_user -> access_key -> role_session ->
        access_key -> role_session`` is a cross-account chain of AssumeRole calls. Paths are
        enumerated shortest first and stop at ``limit`` or ``cutoff`` edges, so a hub never
        makes this explode.
        """
        from itertools import islice

        import networkx as nx

        src, dst = E.resolve(a), E.resolve(b)
        g = self.to_networkx(directed=directed)
        if src not in g or dst not in g:
            return []
        try:
            found = islice(nx.shortest_simple_paths(g, src, dst), limit)
            return [p for p in found if len(p) - 1 <= cutoff]
        except nx.NetworkXNoPath:
            return []

    def session_chain(self, start: str | Iterable[str]) -> pd.DataFrame:
        """Every credential handed on from ``start``, recursively: sessions an access key assumed,
        the keys those sessions were issued, the sessions those keys assumed, in any account."""
        frontier = {E.resolve(start)} if isinstance(start, str) else {E.resolve(s) for s in start}
        chain = self.edges[self.edges["kind"].isin(CHAIN_KINDS)]
        # A principal acts through its keys: start from them too.
        keys = self.edges[(self.edges["kind"] == "uses_key") & self.edges["src"].isin(frontier)]["dst"]
        frontier |= set(keys)
        out = walk_chain(chain, frontier, forward=True)
        return out if out.empty else out.sort_values(["hour", "depth"]).reset_index(drop=True)

    def credential_origin(self, entity: str) -> pd.DataFrame:
        """Where a key or session came from, recursively: the session a key was issued to, the key
        that assumed that session, ... up to a long-term key, a federated login or an AWS service."""
        chain = self.edges[self.edges["kind"].isin(CHAIN_KINDS)]
        out = walk_chain(chain, {E.resolve(entity)}, forward=False)
        return out if out.empty else out.sort_values(["depth", "hour"]).reset_index(drop=True)

    # --- panels, groups, rendering ----------------------------------------------------------------

    def profile(self, entity: str, mmdb_city: str | None = None, mmdb_asn: str | None = None):
        """Detective-like panels for one entity: frames and plotly figures (see ``graph.profile``)."""
        return profiles.profile(self, E.resolve(entity), mmdb_city=mmdb_city, mmdb_asn=mmdb_asn)

    def finding_groups(self, window: timedelta = timedelta(hours=24)) -> pd.DataFrame:
        """Findings that share entities and are close in time, one row per group (see ``graph.groups``)."""
        return groups.finding_groups(self, window=window)

    def figure(
        self, title: str | None = None, max_nodes: int = 300, highlight: Iterable[str] = (), labels: int = 30
    ):
        """Interactive plotly rendering: nodes coloured by kind, sized by activity, counts on hover;
        the ``labels`` busiest nodes and the ``highlight`` ones are named on the picture."""
        return export.figure(self, title=title, max_nodes=max_nodes, highlight=highlight, labels=labels)

    def to_graphml(self, path) -> None:
        export.to_graphml(self, path)

    def to_cytoscape(self) -> dict:
        return export.to_cytoscape(self)

    def __repr__(self) -> str:
        start, end = self.scope
        kinds = self.entities["kind"].value_counts().to_dict() if len(self.entities) else {}
        text = ", ".join(f"{n} {k}" for k, n in kinds.items())
        return (
            f"EntityGraph({start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}: {len(self.entities)} entities "
            f"({text}), {len(self.edges)} hourly edges, {len(self.capped)} capped)"
        )
