"""Triage: from one indicator to everything it did across the organization.

``Lake.triage("AKIA...")`` (or a principal ARN, an IP address, a finding id)
builds the entity graph of the window, follows the credentials the indicator
handed on (AssumeRole in any account, keys it created, recursively), and reads
the timeline of every event made with those credentials, in the engine, with
one filtered query. The result holds the timeline, a summary, the graph around
the indicator and figures, and writes itself as a self-contained HTML page.
"""

from __future__ import annotations

import html
import os
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from orginsight.errors import ParameterError
from orginsight.graph import entities as E
from orginsight.graph.build import EVENT_TIME, PRINCIPAL_SQL
from orginsight.graph.model import EntityGraph

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
    credentials, ``graph`` around it, and plotly ``figures``."""

    indicator: str
    entity: str
    window: tuple[datetime, datetime]
    timeline: pd.DataFrame
    summary: dict[str, Any]
    chain: pd.DataFrame
    graph: EntityGraph
    full_graph: EntityGraph = field(repr=False)
    figures: dict[str, Any] = field(default_factory=dict, repr=False)

    def __repr__(self) -> str:
        s = self.summary
        return (
            f"Triage({self.indicator}: {s['events']} events, {len(s['accounts'])} account(s), "
            f"{s['first_seen']} .. {s['last_seen']}, {len(self.chain)} credential hand-offs)"
        )

    def write(self, out: str | os.PathLike[str], png: bool = True) -> list[Path]:
        """Write ``triage.html`` (self-contained: plotly.js inlined once) and a PNG per chart into ``out``."""
        out_dir = Path(out)
        out_dir.mkdir(parents=True, exist_ok=True)
        page = out_dir / "triage.html"
        page.write_text(render_html(self), encoding="utf-8")
        written = [page]
        if png and self.figures:
            written += write_pngs(self.figures, out_dir)
        return written


# --- resolution -----------------------------------------------------------------------------------


def _default_window(lake: Any) -> tuple[datetime, datetime]:
    """A month ending at the newest data of a local lake (now, for Athena)."""
    files = getattr(lake.engine, "files", None)
    if callable(files):
        days = [f.day for f in files()]
        if days:
            last = max(days)
            end = datetime(last.year, last.month, last.day) + timedelta(days=1)
            return end - DEFAULT_WINDOW, end
    end = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return end - DEFAULT_WINDOW, end


def _finding(findings: pd.DataFrame | None, finding_id: str) -> dict:
    if findings is None or not len(findings):
        raise ParameterError(
            f"no findings to look {finding_id!r} up in: pass findings= (orginsight.findings frame)"
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
) -> Triage:
    """Everything ``indicator`` (access key id, principal ARN, IP, finding id) did between ``since`` and ``until``."""
    from orginsight.timerange import parse_time

    entity = E.resolve(indicator)
    finding = None
    if entity.startswith("finding:"):
        finding = _finding(findings, entity.split(":", 1)[1])
    if since is None and until is None and finding is not None:
        first = pd.Timestamp(finding["first_seen"]).tz_convert("UTC").tz_localize(None).to_pydatetime()
        last = pd.Timestamp(finding["last_seen"] or finding["first_seen"]).tz_convert("UTC").tz_localize(None)
        since, until = first - FINDING_MARGIN, last.to_pydatetime() + FINDING_MARGIN
    default_since, default_until = _default_window(lake)
    until_t = parse_time(until) if until is not None else default_until
    since_t = parse_time(since) if since is not None else until_t - DEFAULT_WINDOW
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        g = lake.entity_graph(scope=(since_t, until_t), baseline_days=baseline_days, findings=findings)
    notes = [str(w.message) for w in caught]

    starts = [entity]
    if finding is not None:
        from orginsight.graph.edges import finding_entities

        starts = [e for e in finding_entities(finding) if not e.startswith("account:")] or [entity]
    seeds: dict[str, set[str]] = {
        "entities": set(),
        "keys": set(),
        "arns": set(),
        "roles": set(),
        "ips": set(),
        "accounts": set(),
    }
    for s in starts:
        for k, v in seeds_of(s, g).items():
            seeds[k] |= v
    chain = _follow_chain(g, seeds)
    timeline = read_timeline(lake, since_t, until_t, seeds)
    actors = _actors(timeline, seeds, chain)
    # Accounts are hubs: one hop from an account is everyone who acted in it.
    around = g.neighborhood(
        {a for a in actors | seeds["entities"] if not a.startswith("account:")}, hops=hops
    )
    summary = summarize(timeline, g, actors, chain, notes)
    summary["origin"] = (
        pd.concat([g.credential_origin(s) for s in starts], ignore_index=True) if starts else None
    )
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
    t.figures = figures(t)
    return t


def read_timeline(lake: Any, since: datetime, until: datetime, seeds: dict[str, set[str]]) -> pd.DataFrame:
    params = {
        "first_day": (since - timedelta(days=1)).strftime("%Y/%m/%d"),
        "last_day": (until + timedelta(days=1)).strftime("%Y/%m/%d"),
        "since": since,
        "until": until,
        "keys": sorted(seeds["keys"]),
        "arns": sorted(seeds["arns"]),
        "roles": sorted(seeds["roles"]),
        "ips": sorted(seeds["ips"]),
        "accounts": sorted(seeds["accounts"]),
    }
    df = lake.sql_params(TIMELINE_SQL, params)
    df["time"] = pd.to_datetime(df["time"], utc=True).dt.tz_localize(None)
    df["api"] = df["eventsource"].str.replace(".amazonaws.com", "", regex=False) + ":" + df["eventname"]
    df["outcome"] = df["errorcode"].isna().map({True: "success", False: "failure"})
    return df.reset_index(drop=True)


def _actors(timeline: pd.DataFrame, seeds: dict[str, set[str]], chain: pd.DataFrame) -> set[str]:
    actors = set(seeds["entities"]) | set(chain["src"]) | set(chain["dst"])
    actors |= {"access_key:" + k for k in seeds["keys"]}
    actors |= set(timeline["principal"].dropna())
    return actors


def summarize(
    timeline: pd.DataFrame, g: EntityGraph, actors: set[str], chain: pd.DataFrame, notes: list[str]
) -> dict[str, Any]:
    """First and last seen, where, what, what failed, what is new, related findings, sessions produced."""
    novel = g.newly_observed[g.newly_observed["subject"].isin(actors)]
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
    if len(t.graph.entities):
        figs["graph"] = t.graph.figure(title=f"Entities around {t.indicator}", highlight=[t.entity])
    return figs


def _table(df: pd.DataFrame | pd.Series, limit: int = 200) -> str:
    if isinstance(df, pd.Series):
        df = (
            df.reset_index(name="count")
            if df.name is None or df.name not in df.index.names
            else df.reset_index()
        )
    if not len(df):
        return "<p><em>none</em></p>"
    return df.head(limit).to_html(index=False, border=0, classes="t", escape=True)


def render_html(t: Triage) -> str:
    """One page: summary, chain, newly observed, findings, figures (plotly.js inlined once), timeline."""
    s = t.summary
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>Triage {html.escape(t.indicator)}</title>",
        "<style>body{font-family:sans-serif;margin:2em} table.t{border-collapse:collapse;font-size:12px}"
        "table.t td,table.t th{border-bottom:1px solid #ddd;padding:2px 6px;text-align:left}</style></head><body>",
        f"<h1>Triage of {html.escape(t.indicator)}</h1>",
        f"<p>Window {t.window[0]:%Y-%m-%d %H:%M} .. {t.window[1]:%Y-%m-%d %H:%M} UTC; entity "
        f"<code>{html.escape(t.entity)}</code></p>",
        "<ul>",
        f"<li>{s['events']} events, first {s['first_seen']}, last {s['last_seen']}</li>",
        f"<li>Accounts: {html.escape(', '.join(s['accounts']))}; regions: {html.escape(', '.join(s['regions']))}</li>",
        f"<li>Source IPs: {html.escape(', '.join(s['ips'][:20]))}</li>",
        f"<li>Sessions produced: {len(s['sessions'])}</li>",
        "</ul>",
    ]
    for note in s["notes"]:
        parts.append(f"<p><strong>Note:</strong> {html.escape(note)}</p>")
    parts += [
        "<h2>Chain of sessions and keys</h2>",
        _table(t.chain[["hour", "depth", "kind", "src", "dst", "apis"]] if len(t.chain) else t.chain),
    ]
    origin = s.get("origin")
    if origin is not None and len(origin):
        parts += [
            "<h2>Where the credentials came from</h2>",
            _table(origin[["hour", "depth", "kind", "src", "dst", "apis"]]),
        ]
    parts += [
        "<h2>APIs by count</h2>",
        _table(s["apis"].rename("count").reset_index() if len(s["apis"]) else pd.DataFrame()),
    ]
    parts += [
        "<h2>Errors</h2>",
        _table(s["errors"].rename("count").reset_index() if len(s["errors"]) else pd.DataFrame()),
    ]
    parts += ["<h2>Newly observed (not in the baseline)</h2>", _table(s["newly_observed"])]
    findings = s["findings"]
    if len(findings):
        findings = findings[
            [c for c in ("finding_id", "type", "severity_label", "account_id", "first_seen") if c in findings]
        ]
    parts += ["<h2>Related findings</h2>", _table(findings)]
    first = True
    for name, fig in t.figures.items():
        parts.append(f"<h2>{html.escape(name.title())}</h2>")
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first))
        first = False
    cols = [
        "time",
        "account",
        "region",
        "api",
        "principal_arn",
        "access_key",
        "ip",
        "user_agent",
        "errorcode",
        "eventid",
    ]
    parts += ["<h2>Timeline</h2>", _table(t.timeline[cols], limit=5000), "</body></html>"]
    return "\n".join(parts)


def write_pngs(figs: dict[str, Any], out_dir: Path) -> list[Path]:
    """PNG of each figure, through the charts helper when present, else kaleido with Debian's Chromium."""
    pairs = [(fig, out_dir / f"{name}.png") for name, fig in figs.items()]
    try:
        from orginsight.charts.export import export_many
    except ImportError:
        export_many = None
    if export_many is not None:
        export_many(pairs)
    else:
        if not os.environ.get("BROWSER_PATH") and Path("/usr/bin/chromium").exists():
            os.environ["BROWSER_PATH"] = "/usr/bin/chromium"
        for fig, path in pairs:
            fig.write_image(path)
    return [p for _, p in pairs]


def triage_to_dir(
    lake_dir: str | os.PathLike[str],
    indicator: str,
    out: str | os.PathLike[str],
    since: str | None = None,
    until: str | None = None,
    baseline_days: int = 45,
    findings_files: list[str] | None = None,
    png: bool = True,
) -> tuple[Triage, list[Path]]:
    """The command line's triage: open the local lake, triage, write the page and charts into ``out``."""
    from orginsight.lake import Lake

    lake = Lake.local(lake_dir)
    findings = read_findings_files(findings_files) if findings_files else None
    t = triage(lake, indicator, since=since, until=until, baseline_days=baseline_days, findings=findings)
    return t, t.write(out, png=png)


def read_findings_files(paths: list[str]) -> pd.DataFrame:
    """Findings from JSON / JSON-lines files (GuardDuty exports, EventBridge events, ASFF), normalized."""
    import gzip
    import json

    from orginsight.findings import normalize_findings

    records: list[dict] = []
    for p in paths:
        raw = Path(p).read_bytes()
        text = (gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw).decode("utf-8")
        try:
            doc = json.loads(text)
            records.extend(doc if isinstance(doc, list) else [doc])
        except json.JSONDecodeError:
            records.extend(json.loads(line) for line in text.splitlines() if line.strip())
    return normalize_findings(records, origin=", ".join(map(str, paths)))
