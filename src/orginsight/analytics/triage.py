"""Triage: from one indicator to everything it did across the organization.

``Lake.triage("AKIA...")`` (or a principal ARN, an IP address, a finding id)
builds the entity graph of the window, follows the credentials the indicator
handed on (AssumeRole in any account, keys it created, recursively), and reads
the timeline of every event made with those credentials, in the engine, with
one filtered query. The result holds the timeline, a summary, the graph around
the indicator and figures, and writes itself as a self-contained HTML page.

A leaked key keeps doing its owner's routine work around the incident, so the
page (and ``Triage``) leads with what tells the incident apart: a verdict, what
is newly observed for the indicator and the sessions it produced, the incident
window where that concentrates (``orginsight.analytics.incident``), the timeline of that
window, and only then the chain of sessions, its routine links collapsed.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from orginsight.analytics import incident, insights, session_chain
from orginsight.analytics.graph import entities as E
from orginsight.analytics.graph import people as attribution
from orginsight.analytics.graph.build import ACTIVITY_SQL, EVENT_TIME, PRINCIPAL_SQL
from orginsight.analytics.graph.edges import finding_entities
from orginsight.analytics.graph.model import EntityGraph
from orginsight.analytics.graph.novelty import of_subjects
from orginsight.analytics.network import evidence
from orginsight.errors import OrgInsightError, ParameterError
from orginsight.sources.accounts import account_names
from orginsight.sources.findings import read_findings_files as read
from orginsight.timerange import delivery_days, parse_time, utc_now

DEFAULT_WINDOW = timedelta(days=30)
"""How far back triage looks when not told: a month ending at the lake's newest data."""

FINDING_MARGIN = timedelta(days=1)
"""Around a finding's first and last activity, the window triage reads."""

TIMELINE_SQL = f"""
SELECT
  eventtime, {EVENT_TIME} AS time, eventid, recipientaccountid AS account, awsregion AS region,
  eventsource, eventname, {PRINCIPAL_SQL} AS principal, useridentity.type AS identity_type,
  useridentity.arn AS principal_arn, useridentity.invokedby AS invoked_by,
  useridentity.accesskeyid AS access_key, useridentity.sessioncontext.sessionissuer.arn AS role_arn,
  useridentity.sessioncontext.sourceidentity AS source_identity, useridentity.onbehalfof.userid AS on_behalf_of,
  sourceipaddress AS ip, useragent AS user_agent, errorcode, errormessage, readonly,
  requestparameters, resources
FROM cloudtrail
WHERE "timestamp" BETWEEN :first_day AND :last_day
  AND {EVENT_TIME} >= :since AND {EVENT_TIME} < :until
  AND (useridentity.accesskeyid IN (:keys) OR useridentity.arn IN (:arns)
       OR useridentity.sessioncontext.sessionissuer.arn IN (:roles) OR sourceipaddress IN (:ips)
       OR recipientaccountid IN (:accounts)
       OR (eventsource = 'sts.amazonaws.com'
           AND json_extract_scalar(responseelements, '$.credentials.accessKeyId') IN (:keys)))
ORDER BY 2, eventid
"""
"""Every event made with the triaged credentials, by the triaged principals, or from the triaged IPs, and
the STS events that issued those credentials (a cross-account AssumeRole is also recorded in the role's
account, as an ``AWSAccount`` caller without the caller's key)."""


@dataclass
class Triage:
    """What one indicator did: ``timeline`` (one row per event), ``summary``, ``chain`` of handed-on
    credentials, ``graph`` around it, and plotly ``figures``.

    What tells the incident apart: ``what_is_new`` (newly observed items, by first sighting),
    ``incident_window`` (``summary["incident_window"]``), ``window_timeline`` (its events; the
    timeline's ``new`` column names what each event shows for the first time, ``in_window`` says
    whether it falls in the window) and ``chain["notable"]`` (the links the page shows expanded).
    """

    indicator: str
    entity: str
    window: tuple[datetime, datetime]
    timeline: pd.DataFrame
    summary: dict[str, Any]
    chain: pd.DataFrame
    graph: EntityGraph
    full_graph: EntityGraph = field(repr=False)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)
    stats: dict[str, float] = field(default_factory=dict, repr=False)
    """Seconds each stage took (``load_s``, ``graph_s``, ``chain_s``, ``timeline_s``, ``novelty_s``,
    ``insights_s``, ``figures_s``): where a slow triage spends its time (``benchmarks/bench_triage.py``)."""

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Triage({self.indicator}: {s['events']} events, {len(s['accounts'])} account(s), "
            f"{s['first_seen']} .. {s['last_seen']}, {len(self.chain)} credential hand-offs)"
        )

    @property
    def what_is_new(self) -> pd.DataFrame:
        """Newly observed IPs (with country), user agents, APIs, regions and resources for the
        indicator and the sessions it produced, by first sighting; ``in_window`` marks those in the
        incident window."""
        return self.summary["what_is_new"]

    @property
    def people(self) -> pd.DataFrame:
        """The people behind the indicator and the sessions it produced, how each was established,
        and why the others have none (``graph.people.people_behind``)."""
        return self.summary["people"]

    @property
    def insights(self) -> pd.DataFrame:
        """The CloudTrail Insights windows of the triaged accounts that overlap the incident window."""
        return self.summary["insights"]

    @property
    def incident_window(self) -> tuple[datetime, datetime] | None:
        """Where newly observed activity and findings concentrate (see ``incident.incident_window``)."""
        return self.summary["incident_window"]

    @property
    def window_timeline(self) -> pd.DataFrame:
        """The events of the incident window (the whole timeline when nothing is new)."""
        if self.incident_window is None:
            return self.timeline
        return self.timeline[self.timeline["in_window"]].reset_index(drop=True)


# --- resolution -----------------------------------------------------------------------------------


def _default_window(lake: Any) -> tuple[datetime, datetime]:
    """A month ending at the newest data of a local lake (now, for Athena)."""
    end = lake.data_range().end
    if end is not None:
        return end - DEFAULT_WINDOW, end
    end = utc_now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - DEFAULT_WINDOW, end


def _finding(findings: pd.DataFrame | None, finding_id: str) -> dict:
    if findings is None or not len(findings):
        raise ParameterError(
            f"no findings to look {finding_id!r} up in: pass findings= (orginsight.sources.findings frame)"
        )
    hit = findings[findings["finding_id"].astype(str) == finding_id]
    if hit.empty:
        raise ParameterError(f"finding {finding_id!r} is not in the {len(findings)} findings given")
    return hit.iloc[0].to_dict()


def seeds_of(entity: str, g: EntityGraph) -> dict[str, set[str]]:
    """Credentials, principals, roles and IPs to follow for one entity."""
    kind, key = E.split_id(entity)
    seeds: dict[str, set[str]] = {
        "entities": {entity},
        "keys": set(),
        "arns": set(),
        "roles": set(),
        "ips": set(),
        "accounts": set(),
    }
    if kind == E.ACCESS_KEY:
        seeds["keys"].add(key)
    elif kind in (E.IAM_USER, E.ROLE_SESSION, E.FEDERATED_USER):
        seeds["arns"].add(key)
    elif kind == E.IAM_ROLE:
        seeds["roles"].add(key)
        sessions = g.edges[(g.edges["kind"] == "session_of") & (g.edges["src"] == entity)]["dst"]
        seeds["entities"] |= set(sessions)
    elif kind == E.IP:
        seeds["ips"].add(key)
        seeds["entities"] |= set(
            g.edges[(g.edges["kind"] == "key_from_ip") & (g.edges["dst"] == entity)]["src"]
        )
    elif kind == E.ACCOUNT:
        seeds["accounts"].add(key)
    return seeds


def _follow_chain(g: EntityGraph, seeds: dict[str, set[str]]) -> pd.DataFrame:
    """The credentials handed on from the seeds; their keys and sessions join the seeds.

    Only what the chain hands on is added: keys an IP merely used are not followed
    themselves, but the sessions and keys they created are.
    """
    chain = g.session_chain(seeds["entities"])
    for ent in set(chain["dst"]):
        kind, key = E.split_id(ent)
        if kind == E.ACCESS_KEY:
            seeds["keys"].add(key)
        elif kind in (E.ROLE_SESSION, E.FEDERATED_USER):
            seeds["arns"].add(key)
    return chain


# --- the triage -----------------------------------------------------------------------------------


def triage(
    lake: Any,
    indicator: str,
    since: datetime | str | None = None,
    until: datetime | str | None = None,
    baseline_days: int = 45,
    findings: pd.DataFrame | None = None,
    hops: int = 1,
    people: pd.DataFrame | None = None,
) -> Triage:
    """Everything ``indicator`` (access key id, principal ARN, IP, finding id) did between ``since`` and ``until``;
    ``people`` (Identity Center users: user_id, user_name, display_name, email) names the persons found."""
    entity = E.resolve(indicator)
    network_kind = evidence.indicator_kind(indicator)
    finding = None
    if entity.startswith("finding:") and network_kind not in ("instance", "domain"):
        finding = _finding(findings, entity.split(":", 1)[1])
    if since is None and until is None and finding is not None:
        first = parse_time(finding["first_seen"])
        last = parse_time(finding["last_seen"] or finding["first_seen"])
        since, until = first - FINDING_MARGIN, last + FINDING_MARGIN
    default_since, default_until = _default_window(lake)
    until_t = parse_time(until) if until is not None else default_until
    since_t = parse_time(since) if since is not None else until_t - DEFAULT_WINDOW
    net = evidence.gather(
        lake, indicator, since_t, until_t, finding, findings
    )  # flows and DNS beside the calls
    if net is not None and net.kind in ("instance", "domain") and finding is None:
        if not net.sessions:
            raise ParameterError(
                f"no role session of an instance behind {indicator!r} in {since_t}..{until_t}"
            )
        entity = E.entity_id(E.ROLE_SESSION, net.sessions[0])  # the trail side: the instance's role session
    clock = _Stages()
    # The graph's aggregate and the timeline read the same files: held in memory, they are read once.
    baseline_start = since_t - timedelta(days=baseline_days)
    with lake.engine.window_held(baseline_start, until_t, (ACTIVITY_SQL, TIMELINE_SQL)):
        clock.done("load_s")
        g, starts, seeds, chain, timeline, notes = _read(
            lake, entity, finding, since_t, until_t, baseline_days, findings, clock
        )
    actors = _actors(timeline, seeds, chain)
    # Accounts are hubs: one hop from an account is everyone who acted in it.
    around = g.neighborhood(
        {a for a in actors | seeds["entities"] if not a.startswith("account:")}, hops=hops
    )
    attributions = attribution.resolve_people(g.people, people)
    timeline["person"] = attribution.person_of(timeline["principal"], attributions)
    summary = summarize(timeline, g, actors, chain, notes)
    summary["people"] = attribution.people_behind(attributions, actors)
    summary["people_line"] = attribution.describe(summary["people"])
    summary["origin"] = (
        pd.concat([g.credential_origin(s) for s in starts], ignore_index=True) if starts else None
    )
    clock.done("summary_s")
    chain = focus(timeline, g, actors, chain, summary)
    clock.done("novelty_s")
    summary["insights"] = insights.during(lake, summary["incident_window"], summary["accounts"])
    summary["insights_line"] = insights.describe(summary["insights"])
    summary["owner"] = owner_of(entity, g, finding)
    summary["account_names"] = _account_names(lake)
    summary["network"] = net
    t = Triage(
        indicator=indicator,
        entity=entity,
        window=(since_t, until_t),
        timeline=timeline,
        summary=summary,
        chain=chain,
        graph=around,
        full_graph=g,
    )
    clock.done("insights_s")
    t.figures = figures(t)
    clock.done("figures_s")
    t.stats = clock.stages
    return t


class _Stages:
    """Seconds per stage of one triage, each measured from the end of the one before."""

    def __init__(self) -> None:
        self.stages: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self._last, 3)
        self._last = now


def _read(
    lake: Any,
    entity: str,
    finding: dict | None,
    since: datetime,
    until: datetime,
    baseline_days: int,
    findings: pd.DataFrame | None,
    clock: _Stages,
) -> tuple[EntityGraph, list[str], dict[str, set[str]], pd.DataFrame, pd.DataFrame, list[str]]:
    """What triage reads from the trail: the graph (its warnings as notes), where to start, the seeds the
    chain of credentials grew, the chain, and the timeline of those seeds."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = lake.entity_graph(scope=(since, until), baseline_days=baseline_days, findings=findings)
    notes = [str(w.message) for w in caught]
    clock.done("graph_s")
    starts = [entity]
    if finding is not None:
        starts = [e for e in finding_entities(finding) if not e.startswith("account:")] or [entity]
    seeds: dict[str, set[str]] = {k: set() for k in ("entities", "keys", "arns", "roles", "ips", "accounts")}
    for s in starts:
        for k, v in seeds_of(s, g).items():
            seeds[k] |= v
    chain = _follow_chain(g, seeds)
    clock.done("chain_s")
    timeline = read_timeline(lake, since, until, seeds)
    clock.done("timeline_s")
    return g, starts, seeds, chain, timeline, notes


def read_timeline(lake: Any, since: datetime, until: datetime, seeds: dict[str, set[str]]) -> pd.DataFrame:
    first_day, last_day = delivery_days(since, until)
    params = {
        "first_day": first_day,
        "last_day": last_day,
        "since": since,
        "until": until,
        "keys": sorted(seeds["keys"]),
        "arns": sorted(seeds["arns"]),
        "roles": sorted(seeds["roles"]),
        "ips": sorted(seeds["ips"]),
        "accounts": sorted(seeds["accounts"]),
    }
    df = lake.sql_params(TIMELINE_SQL, params)
    # The engine's statistics stay with the query, not the frame: pandas deep-copies ``attrs`` into every
    # frame derived from it, which cost triage a fifth of its time on a month's timeline.
    df.attrs.clear()
    df["time"] = pd.to_datetime(df["time"], utc=True)
    df["api"] = df["eventsource"].str.replace(".amazonaws.com", "", regex=False) + ":" + df["eventname"]
    df["outcome"] = df["errorcode"].isna().map({True: "success", False: "failure"})
    return df.reset_index(drop=True)


def focus(
    timeline: pd.DataFrame, g: EntityGraph, actors: set[str], chain: pd.DataFrame, summary: dict[str, Any]
) -> pd.DataFrame:
    """What tells the incident apart, in place: the timeline gains ``new`` and ``in_window``, the
    summary ``what_is_new``, ``incident_window`` and ``newly_observed_judged``; returns the chain
    with ``time``, ``notable`` and ``why`` (see ``orginsight.analytics.incident``)."""

    judged = incident.lineage_novelty(g, actors)
    countries = incident.country_of_ips(g)
    new, first, hits = incident.mark_new_events(timeline, judged, countries)
    timeline["new"] = new
    items = incident.what_is_new(judged, first, hits, countries)
    window = incident.incident_window(items, judged, timeline, summary["findings"])
    if window is None:
        timeline["in_window"] = False
        items["in_window"] = False
    else:
        timeline["in_window"] = (timeline["time"] >= window[0]) & (timeline["time"] <= window[1])
        items["in_window"] = (items["first_seen"] >= window[0]) & (items["first_seen"] <= window[1])
    summary["newly_observed_judged"] = judged.assign(first_event=first)
    summary["what_is_new"] = items
    summary["incident_window"] = window
    return session_chain.chain_focus(chain, timeline, judged, window)


def owner_of(entity: str, g: EntityGraph, finding: dict | None = None) -> dict[str, Any]:
    """What the indicator resolved to: ``kind``, ``principal`` (who uses a key, the session or user
    itself ...) and ``account``; for an IP, the principals that called from it."""
    kind, key = E.split_id(entity)
    principals: list[str] = []
    if kind == E.ACCESS_KEY:
        uses = g.edges[(g.edges["kind"] == "uses_key") & (g.edges["dst"] == entity)]["src"]
        principals = sorted(set(uses), key=lambda p: (p.startswith("account:"), p))
    elif kind in (E.IAM_USER, E.ROLE_SESSION, E.FEDERATED_USER, E.IAM_ROLE, E.ACCOUNT):
        principals = [entity]
    elif kind == E.IP:
        used = g.edges[(g.edges["kind"] == "from_ip") & (g.edges["dst"] == entity)]["src"]
        principals = sorted(set(used))
    elif kind == E.FINDING and finding is not None and finding.get("principal"):
        principals = [str(finding["principal"])]
    account = key if kind == E.ACCOUNT else (finding or {}).get("account_id")
    for p in principals:
        arn = p.partition(":")[2]
        parts = arn.split(":")
        if account is None and arn.startswith("arn:") and len(parts) > 4 and parts[4]:
            account = parts[4]
    return {
        "kind": kind,
        "principal": principals[0] if principals else None,
        "principals": principals,
        "account": account,
        "finding_type": (finding or {}).get("type"),
    }


def _account_names(lake: Any) -> dict[str, str]:
    """Account id -> name from the organization's recorded state, when the lake holds it."""

    try:
        accounts = lake.collected("org", "accounts", latest=True)
    except (OrgInsightError, AttributeError, OSError):
        return {}
    return account_names(accounts)


def _actors(timeline: pd.DataFrame, seeds: dict[str, set[str]], chain: pd.DataFrame) -> set[str]:
    actors = set(seeds["entities"]) | set(chain["src"]) | set(chain["dst"])
    actors |= {"access_key:" + k for k in seeds["keys"]}
    actors |= set(timeline["principal"].dropna())
    return actors


def summarize(
    timeline: pd.DataFrame, g: EntityGraph, actors: set[str], chain: pd.DataFrame, notes: list[str]
) -> dict[str, Any]:
    """First and last seen, where, what, what failed, what is new, related findings, sessions produced."""
    novel = of_subjects(g.newly_observed, actors)
    apis = (
        timeline.groupby("api").size().sort_values(ascending=False) if len(timeline) else pd.Series(dtype=int)
    )
    errors = timeline[timeline["errorcode"].notna()]
    related = pd.DataFrame()
    if g.findings is not None and len(g.findings):
        inv = g.edges[(g.edges["kind"] == "involves") & g.edges["dst"].isin(actors)]
        ids = set(inv["src"].str.split(":", n=1).str[1])
        related = g.findings[g.findings["finding_id"].astype(str).isin(ids)]
    sessions = chain[chain["kind"] == "assumed"]["dst"].unique().tolist() if len(chain) else []
    return {
        "events": len(timeline),
        "first_seen": timeline["time"].min() if len(timeline) else None,
        "last_seen": timeline["time"].max() if len(timeline) else None,
        "accounts": sorted(timeline["account"].dropna().unique().tolist()),
        "regions": sorted(timeline["region"].dropna().unique().tolist()),
        "ips": sorted(timeline["ip"].dropna().unique().tolist()),
        "user_agents": sorted(timeline["user_agent"].dropna().unique().tolist()),
        "apis": apis,
        "errors": errors.groupby(["errorcode", "api"]).size().sort_values(ascending=False)
        if len(errors)
        else pd.Series(dtype=int),
        "newly_observed": novel.reset_index(drop=True),
        "findings": related.reset_index(drop=True),
        "sessions": sessions,
        "notes": notes,
    }


# --- figures and the page ---------------------------------------------------------------------------


def figures(t: Triage) -> dict[str, Any]:
    import plotly.express as px

    tl = t.timeline
    figs: dict[str, Any] = {}
    if len(tl):
        figs["timeline"] = px.scatter(
            tl,
            x="time",
            y="api",
            color="account",
            symbol="outcome",
            hover_data=["eventid", "principal_arn", "access_key", "ip", "region", "errorcode"],
            title=f"Timeline of {t.indicator}",
            height=max(400, 18 * tl["api"].nunique() + 150),
        )
        per_hour = (
            tl.assign(hour=tl["time"].dt.floor("h"))
            .groupby(["hour", "outcome"])
            .size()
            .reset_index(name="calls")
        )
        figs["volume"] = px.bar(
            per_hour,
            x="hour",
            y="calls",
            color="outcome",
            title="API calls per hour",
            color_discrete_map={"success": "#2ca02c", "failure": "#d62728"},
        )
        figs["accounts"] = px.histogram(tl, x="account", color="region", title="Events by account and region")
        window = t.summary.get("incident_window")
        if window is not None:
            # A band of at least an hour, so that a ten-minute incident shows on a week-long axis.
            start, end = (
                pd.Timestamp(window[0]),
                max(pd.Timestamp(window[1]), pd.Timestamp(window[0]) + timedelta(hours=1)),
            )
            for name in ("timeline", "volume"):
                figs[name].add_vrect(
                    x0=start,
                    x1=end,
                    fillcolor="#b42318",
                    opacity=0.12,
                    line_width=0,
                    annotation_text="incident window",
                    annotation_position="top left",
                )
    if len(t.graph.entities):
        figs["graph"] = t.graph.figure(title=f"Entities around {t.indicator}", highlight=[t.entity])
    return figs


def read_findings_files(paths: list[str]) -> pd.DataFrame:
    """Findings from JSON / JSON-lines files (GuardDuty exports, EventBridge events, ASFF), normalized;
    a damaged line or file is reported in ``attrs["errors"]`` as ``file:line`` and the rest still read."""

    return read(paths)
