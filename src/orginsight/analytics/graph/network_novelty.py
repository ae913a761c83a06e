"""Newly observed network behaviour, and the hook that adds the network to a built graph.

Per subject (an instance, else an interface), against its own baseline window of flows: a ``destination``
(a remote address in a /16 the subject never opened a connection to), a ``port`` (protocol and service
port), a ``country``, and a ``volume_spike`` (an hour's egress above ``min_bytes`` and ``factor`` times the
subject's busiest baseline hour). Only accepted connections the subject opened count for the first three:
who connects *to* a load balancer or a public instance is not its behaviour; and destinations and countries
leave out AWS's own addresses (``pkt-dst-aws-service``, v5 formats), the organization's, and addresses
answered for a name the instance (an interface with no instance: its account) looked up in its baseline
(``network.known_addresses``): AWS endpoints, CDNs and SaaS rotate addresses that offline country data
places all over the world. A subject with no baseline
flows is ``subject_new`` (everything it does is new), as for principals.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd

from orginsight.analytics.graph import network as N
from orginsight.analytics.graph.novelty import COLUMNS
from orginsight.engines.frames import query_frame, scratch_duckdb

SPIKE_FACTOR = 10.0
"""Times the subject's busiest baseline hour an hour's egress must exceed (the large-egress hunt's too)."""
SPIKE_MIN_BYTES = 100_000_000
"""Egress bytes in one hour below which no spike is flagged: small hosts double their traffic all the time."""

NOVELTY_SQL = """
WITH opened AS (
  SELECT * FROM flows WHERE opened AND action = 'ACCEPT'
), outside AS (
  SELECT o.* FROM opened AS o
  ANTI JOIN known AS n ON n.account = o.account AND n.ip = o.remote_ip
    AND (n.instance_id = o.instance_id OR (n.instance_id IS NULL AND o.instance_id IS NULL))
  WHERE coalesce(o.owner, '') NOT LIKE 'aws:%' AND coalesce(o.owner, '') <> 'organization'
), s AS (
  SELECT subject, 'destination' AS dimension, remote_ip AS value, network AS seen_as, hour, records FROM outside WHERE in_scope
  UNION ALL SELECT subject, 'port', port_label, port_label, hour, records FROM opened WHERE in_scope
  UNION ALL SELECT subject, 'country', country, country, hour, records FROM outside WHERE in_scope AND country IS NOT NULL
), seen AS (
  SELECT DISTINCT subject, 'destination' AS dimension, network AS seen_as FROM opened WHERE NOT in_scope
  UNION ALL SELECT DISTINCT subject, 'port', port_label FROM opened WHERE NOT in_scope
  UNION ALL SELECT DISTINCT subject, 'country', country FROM opened WHERE NOT in_scope AND country IS NOT NULL
), subjects AS (SELECT DISTINCT subject FROM flows WHERE NOT in_scope), g AS (
  SELECT subject, dimension, value, seen_as, min(hour) AS first_seen, sum(records)::BIGINT AS count FROM s GROUP BY ALL
), hourly AS (
  SELECT subject, hour, in_scope, sum(bytes_out) AS bytes FROM flows WHERE action = 'ACCEPT' GROUP BY ALL
), busiest AS (SELECT subject, max(bytes) AS bytes FROM hourly WHERE NOT in_scope GROUP BY ALL)
SELECT g.subject, g.dimension, g.value, g.first_seen, g.count, k.subject IS NULL AS subject_new
FROM g ANTI JOIN seen USING (subject, dimension, seen_as) LEFT JOIN subjects AS k ON k.subject = g.subject
UNION ALL
SELECT h.subject, 'volume_spike', format('{} bytes out in the hour, {}x the busiest baseline hour',
       h.bytes::BIGINT, round(h.bytes / b.bytes, 1)), h.hour, h.bytes::BIGINT, false
FROM hourly AS h JOIN busiest AS b ON b.subject = h.subject
WHERE h.in_scope AND h.bytes >= $min_bytes AND h.bytes > $factor * b.bytes
"""
"""Anti-joins of the scope's (subject, dimension, value) with the baseline's, as for the trail (``novelty``);
what the baseline has seen counts every connection the subject opened (an AWS endpoint's country too);
a destination is known by its network (``network.network_of``). Spikes need a baseline: with none, the
subject is new and its destinations say so."""


def network_newly_observed(
    flows: pd.DataFrame,
    known: pd.DataFrame | None = None,
    factor: float = SPIKE_FACTOR,
    min_bytes: int = SPIKE_MIN_BYTES,
) -> pd.DataFrame:
    """Newly observed rows (``novelty.COLUMNS``) of the network subjects, from ``NetworkGraph.flows`` and
    ``NetworkGraph.known_addresses``."""
    if not len(flows):
        return pd.DataFrame(columns=COLUMNS)
    f = flows.assign(hour=pd.to_datetime(flows["hour"], utc=True).dt.tz_localize(None))
    k = known if known is not None and len(known) else pd.DataFrame(columns=N.KNOWN_COLUMNS)
    k = k.astype({c: "object" for c in N.KNOWN_COLUMNS})
    with scratch_duckdb(flows=f, known=k) as con:
        out = query_frame(con, NOVELTY_SQL, {"factor": float(factor), "min_bytes": int(min_bytes)})
    out["first_seen"] = pd.to_datetime(out["first_seen"])
    return out[COLUMNS].reset_index(drop=True)


ENTITY_COLUMNS = ["entity", "kind", "label", "account", "count", "first_seen", "last_seen"]


def entity_rows(edges: pd.DataFrame, known: set[str]) -> pd.DataFrame:
    """Entity rows for the ends of ``edges`` the graph did not have (its busiest kind's total, as ``ENTITY_SQL``)."""
    if not len(edges):
        return pd.DataFrame(columns=ENTITY_COLUMNS)
    ends = pd.concat(
        [edges[["src", "kind", "hour", "count"]].rename(columns={"src": "entity"}),
         edges[["dst", "kind", "hour", "count"]].rename(columns={"dst": "entity"})], ignore_index=True,
    )  # fmt: skip
    ends = ends[~ends["entity"].isin(known)]
    if not len(ends):
        return pd.DataFrame(columns=ENTITY_COLUMNS)
    per_kind = ends.groupby(["entity", "kind"]).agg(
        n=("count", "sum"), first=("hour", "min"), last=("hour", "max")
    )
    g = per_kind.groupby(level="entity").agg(
        count=("n", "max"), first_seen=("first", "min"), last_seen=("last", "max")
    )
    g = g.reset_index()
    g["kind"] = g["entity"].str.split(":", n=1).str[0]
    key = g["entity"].str.split(":", n=1).str[1]
    g["label"] = key.where(g["kind"] != "resource", key.str.extract(r"([^/]*)$", expand=False)).str[:60]
    g["account"] = key.str.extract(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}):", expand=False).astype("object")
    g["last_seen"] = g["last_seen"] + pd.Timedelta(hours=1)
    g["count"] = g["count"].astype("int64")
    return g[ENTITY_COLUMNS]


def add_network(
    graph: Any, lake: Any, scope: tuple[datetime, datetime], baseline_days: int = N.NETWORK_BASELINE_DAYS
) -> None:
    """Add the network's entities, edges and newly observed rows to ``graph`` (in place), and its frames as
    ``graph.network``. Nothing is added when the lake holds no flow or DNS logs for the scope."""
    net = N.read_network(lake, scope, baseline_days)
    graph.network = net
    if not len(net.flows) and not len(net.domains):
        return
    sessions = graph.entities.loc[graph.entities["kind"] == "role_session", "entity"]
    edges = N.network_edges(net, sessions.reset_index(drop=True), graph.findings)
    new = entity_rows(edges, set(graph.entities["entity"]))
    graph.edges = pd.concat([graph.edges, edges], ignore_index=True) if len(graph.edges) else edges
    graph.entities = pd.concat([graph.entities, new], ignore_index=True) if len(graph.entities) else new
    novel = network_newly_observed(net.flows, net.known_addresses)
    if len(novel):
        graph.newly_observed = pd.concat([graph.newly_observed, novel], ignore_index=True)
