"""Build an ``EntityGraph`` from the organization trail with one aggregate query.

The engine does the heavy lifting: one GROUP BY over principal x access key x
IP x user agent x API x hour (day buckets for the baseline) x the resources
the event named (joined into one string), with the credentials that STS and IAM handed out read
from ``responseelements``. Python only reshapes that aggregate
(tens of thousands of rows for a million events), never raw events.

Why one query: the local engine parses every file a query names, so a second
scan of the same day costs as much as the first; on Athena each scan is billed.
Why a string of resources and not UNNEST: on a 1-million-event day, unnesting each
event's resources into rows took 70% more CPU and 3x the memory (2.7 vs 0.8 GiB)
in the engine; the aggregate rows are split into resource rows afterwards.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlglot import exp

from orginsight.analytics.graph import entities as E
from orginsight.analytics.graph.edges import edge_frames
from orginsight.analytics.graph.geo import country_codes, preload
from orginsight.analytics.graph.model import UNCAPPED_KINDS, EntityGraph
from orginsight.analytics.graph.network import NETWORK_BASELINE_DAYS
from orginsight.analytics.graph.network_novelty import add_network
from orginsight.analytics.graph.novelty import newly_observed
from orginsight.analytics.graph.people import attribute, person_rows
from orginsight.collectors.guardduty import read_guardduty_export
from orginsight.engines import translate
from orginsight.engines.frames import query_frame, scratch_duckdb
from orginsight.timerange import delivery_days, parse_time

MIN_BASELINE_DAYS = 14
"""Fewer baseline days than this make "newly observed" mostly noise (Detective wants about two weeks too)."""

DEFAULT_DEGREE_CAP = 500
"""Neighbours of one kind an entity may have in one hour before its edges of that kind are collapsed."""


EVENT_TIME = (
    "coalesce(from_iso8601_timestamp(eventtime), "
    "from_iso8601_timestamp(useridentity.sessioncontext.attributes.creationdate), "
    "CAST(date_parse(\"timestamp\", '%Y/%m/%d') AS TIMESTAMP))"
)
"""When an event happened. Some public datasets strip ``eventTime``: their records fall back on
the session's creation time, else on the day of the file they sit in (as the importer placed them)."""

RESOURCE_SEPARATOR = "\x1f"
"""Joins the resources one event names into one string (the ASCII unit separator: no ARN holds it)."""
_SQL_SEPARATOR = f"chr({ord(RESOURCE_SEPARATOR)})"

# Resources an event names: ``resources[].arn``, else well-known request parameters, as ARNs.
# S3 objects count as their bucket (as Detective does): object keys would multiply the
# resources of a busy day by the objects read, and the bucket is what an analyst pivots on.
# One string per event, not an array: sorting and deduplicating an array per event cost the
# 1-million-event day 3.5 CPU-seconds in the engine; the aggregate rows (a third as many)
# are split and deduplicated afterwards.
RESOURCE_CANDIDATES = f"""concat_ws({_SQL_SEPARATOR},
  array_join(transform(resource_list, x -> CASE WHEN x.arn LIKE 'arn:aws:s3:::%/%'
                                           THEN split_part(x.arn, '/', 1) ELSE x.arn END), {_SQL_SEPARATOR}),
  'arn:aws:s3:::' || p_bucket,
  p_role,
  CASE WHEN p_instance LIKE 'arn:%' THEN p_instance
       ELSE 'arn:aws:ec2:' || region || ':' || account || ':instance/' || p_instance END,
  CASE WHEN p_key LIKE 'arn:%' THEN p_key
       WHEN p_key LIKE 'alias/%' THEN 'arn:aws:kms:' || region || ':' || account || ':' || p_key
       ELSE 'arn:aws:kms:' || region || ':' || account || ':key/' || p_key END,
  CASE WHEN p_secret LIKE 'arn:%' THEN p_secret
       ELSE 'arn:aws:secretsmanager:' || region || ':' || account || ':secret:' || p_secret END)"""


def _request_parameter(name: str) -> str:
    """A top-level request parameter of an event that lists no ``resources``, parsed only from requests
    that name it.

    Where CloudTrail lists an event's resources (S3, KMS, STS calls), the list already names the
    bucket, key or role of the request: parsing those requests again was two fifths of the
    aggregate's per-event work on a 1-million-event day, for no resource more there. On the real
    records in ``../shared/data`` it only added two KMS aliases of keys the events list by ARN.
    """
    return (
        f"CASE WHEN coalesce(cardinality(resources), 0) = 0 AND strpos(requestparameters, '\"{name}\"') > 0 "
        f"THEN json_extract_scalar(requestparameters, '$.{name}') END"
    )


SESSION_FROM_REQUEST = """CASE WHEN eventname = 'AssumeRole' THEN 'arn:aws:sts::'
  || split_part(json_extract_scalar(requestparameters, '$.roleArn'), ':', 5) || ':assumed-role/'
  || regexp_extract(json_extract_scalar(requestparameters, '$.roleArn'), '[^/]+$') || '/'
  || json_extract_scalar(requestparameters, '$.roleSessionName') END"""
"""The session an AssumeRole call created, from its request, for records whose response omits
``assumedRoleUser`` (AWS services delivering instance-role credentials write only the key)."""

PRINCIPAL_SQL = """CASE
  WHEN useridentity.type = 'IAMUser' AND useridentity.arn IS NOT NULL THEN 'iam_user:' || useridentity.arn
  WHEN useridentity.type = 'AssumedRole' AND useridentity.arn IS NOT NULL
       AND strpos(useridentity.arn, ':assumed-role/AWSReservedSSO_') = 0
       AND useridentity.sessioncontext.webidfederationdata.federatedprovider IS NULL
    THEN 'role_session:' || useridentity.arn
  WHEN useridentity.type IN ('AssumedRole', 'FederatedUser') AND useridentity.arn IS NOT NULL
    THEN 'federated_user:' || useridentity.arn
  WHEN useridentity.type = 'IdentityCenterUser'
    THEN 'federated_user:' || coalesce(useridentity.onbehalfof.userid, useridentity.principalid, 'unknown')
  WHEN useridentity.type IN ('SAMLUser', 'WebIdentityUser', 'FederatedUser')
    THEN 'federated_user:' || coalesce(useridentity.principalid, useridentity.username, 'unknown')
  WHEN useridentity.type IN ('Root', 'AWSAccount')
    THEN 'account:' || coalesce(useridentity.accountid, recipientaccountid)
  WHEN useridentity.type = 'AWSService' AND useridentity.invokedby IS NOT NULL
    THEN 'service:' || useridentity.invokedby
  WHEN useridentity.arn IS NOT NULL THEN 'resource:' || useridentity.arn
END"""
"""The entity id of an event's caller. Root and another account's calls (``AWSAccount``) are the
account itself; an AWS service acting on its own (``AWSService``) is the service; Identity Center
(``AWSReservedSSO_`` roles), SAML and web identity sessions are federated users; other assumed
roles are role sessions (role + session name). An ``IdentityCenterUser`` (a call made for an Identity
Center user, which CloudTrail writes with no ARN and, in AWS's examples of 2024, no principalId) is the
user's identity-store ``userId`` from ``onBehalfOf``."""

IDENTITY_SQL = """useridentity.type AS identity_type,
    useridentity.sessioncontext.sourceidentity AS source_identity,
    useridentity.onbehalfof.userid AS on_behalf_of,
    CASE WHEN useridentity.type IN ('SAMLUser', 'WebIdentityUser') THEN useridentity.username END AS subject,
    coalesce(useridentity.identityprovider,
             useridentity.sessioncontext.webidfederationdata.federatedprovider) AS identity_provider"""
"""Who is behind a call, as CloudTrail writes it (CloudTrail User Guide, "CloudTrail userIdentity
element", 2024): the ``sourceIdentity`` an IdP or the first caller set (it persists across chained
sessions), the Identity Center user a call was made for (``onBehalfOf``), and the subject and
provider of a SAML or web-identity federation (``userName``/``identityProvider`` on the
``AssumeRoleWith*`` call; later calls of a web-identity session name only the provider). Each is
constant for a session, so grouping on them adds no rows to the aggregate."""

IDENTITY_COLUMNS = ("identity_type", "source_identity", "on_behalf_of", "subject", "identity_provider")

ACTIVITY_SQL = f"""
SELECT
  principal, invoked_by,
  CASE WHEN t >= :scope_start OR access_key NOT LIKE 'ASIA%' THEN access_key END AS access_key,
  account, region, ip, user_agent, eventsource, eventname,
  CASE WHEN t >= :scope_start THEN date_trunc('hour', t) ELSE date_trunc('day', t) END AS bucket,
  t >= :scope_start AS in_scope,
  CASE WHEN t >= :scope_start THEN created_principal END AS created_principal,
  CASE WHEN t >= :scope_start THEN created_key END AS created_key,
  {RESOURCE_CANDIDATES} AS touched,
  {", ".join(f"CASE WHEN t >= :scope_start THEN {c} END AS {c}" for c in IDENTITY_COLUMNS)},
  count(*) AS count,
  count_if(errorcode IS NULL) AS successes,
  count_if(errorcode IS NOT NULL) AS failures
FROM (
  SELECT
    {PRINCIPAL_SQL} AS principal,
    useridentity.invokedby AS invoked_by,
    useridentity.accesskeyid AS access_key,
    recipientaccountid AS account, awsregion AS region, sourceipaddress AS ip, useragent AS user_agent,
    eventsource, eventname, errorcode, eventtime, {EVENT_TIME} AS t,
    {IDENTITY_SQL},
    CASE WHEN eventsource = 'sts.amazonaws.com' AND errorcode IS NULL
         THEN coalesce(json_extract_scalar(responseelements, '$.assumedRoleUser.arn'),
                       json_extract_scalar(responseelements, '$.federatedUser.arn'),
                       {SESSION_FROM_REQUEST}) END AS created_principal,
    CASE WHEN eventsource = 'sts.amazonaws.com' AND errorcode IS NULL
         THEN json_extract_scalar(responseelements, '$.credentials.accessKeyId')
         WHEN eventname = 'CreateAccessKey' AND errorcode IS NULL
         THEN json_extract_scalar(responseelements, '$.accessKey.accessKeyId') END AS created_key,
    resources AS resource_list,
    {_request_parameter("bucketName")} AS p_bucket,
    {_request_parameter("roleArn")} AS p_role,
    {_request_parameter("instanceId")} AS p_instance,
    {_request_parameter("keyId")} AS p_key,
    {_request_parameter("secretId")} AS p_secret
  FROM cloudtrail
  WHERE "timestamp" BETWEEN :first_day AND :last_day
    AND (eventtime IS NULL OR from_iso8601_timestamp(eventtime) >= :since)
    AND (eventtime IS NULL OR from_iso8601_timestamp(eventtime) < :scope_end)
) AS e
WHERE t >= :since AND t < :scope_end
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19
"""
"""The one aggregate behind a graph (:func:`activity_query` adds a partition predicate on accounts when asked).

The event-time predicates repeat the outer filter on ``t`` in a form the local engine reads to
skip whole files (the next day's, read for late deliveries, hold mostly that day's records);
records with no ``eventTime`` keep their fallback time.

Baseline rows (before the scope) are by day, and drop what only the scope needs: the
credentials issued, who is behind each session (``IDENTITY_SQL``), and temporary (``ASIA``) keys, new every session, so never "seen
before". Each AssumeRole would otherwise be a baseline row of its own."""


def activity_query(
    scope: tuple[datetime, datetime], baseline_days: int, accounts: Sequence[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the aggregate for ``scope`` and the baseline before it."""
    start, end = scope
    since = start - timedelta(days=baseline_days)
    first_day, last_day = delivery_days(since, end)
    params: dict[str, Any] = {
        "scope_start": start,
        "scope_end": end,
        "since": since,
        "first_day": first_day,
        "last_day": last_day,
    }
    if not accounts:
        return ACTIVITY_SQL, params
    params["accounts"] = list(accounts)
    return with_account_filter(ACTIVITY_SQL), params


def with_account_filter(sql: str) -> str:
    """``sql`` with ``account IN (:accounts)`` ANDed to the WHERE of its ``cloudtrail`` scan.

    Added on the parsed tree, next to the scan's own time predicates, where both engines read
    partition predicates (the local engine skips other accounts' folders, Athena prunes).
    """
    tree = translate.parse(sql)
    scan = next(t for t in tree.find_all(exp.Table) if t.name.lower() == "cloudtrail")
    where = scan.find_ancestor(exp.Select).args["where"]
    in_accounts = exp.column("account").isin(exp.Placeholder(this="accounts"))
    where.set("this", exp.And(this=where.this, expression=in_accounts))  # a flat AND, as if written last
    return tree.sql(dialect=translate.DIALECT)


# --- the build -------------------------------------------------------------------------------------


def build_entity_graph(
    lake: Any,
    scope: tuple[datetime, datetime],
    baseline_days: int = 45,
    accounts: Sequence[str] | None = None,
    findings: pd.DataFrame | None = None,
    degree_cap: int = DEFAULT_DEGREE_CAP,
    people: pd.DataFrame | None = None,
    network: bool = True,
) -> EntityGraph:
    """The entity graph of ``scope`` with ``baseline_days`` of history before it (see ``Lake.entity_graph``);
    ``people``: Identity Center users (user_id, user_name, display_name, email) to name persons by;
    ``network``: add the flow and DNS logs' entities (``graph.network``; at most 14 baseline days of them)."""
    start, end = parse_time(scope[0]), parse_time(scope[1])
    if end <= start:
        raise ValueError(f"empty scope: {start} .. {end}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sql, params = activity_query((start, end), baseline_days, accounts)
    with ThreadPoolExecutor(max_workers=1) as pool:
        # Read the findings and load the IP-to-country data while the engine scans (DuckDB
        # releases the GIL): 0.1-0.3 s that the build would otherwise wait for afterwards.
        side = pool.submit(_side_inputs, lake, start, findings)
        agg = lake.sql_params(sql, params) if hasattr(lake, "sql_params") else lake.sql(sql, **params)
        timings["engine_s"] = time.perf_counter() - t0
        timings["peak_rss_after_engine_gib"] = _peak_rss_gib()
        t1 = time.perf_counter()
        findings = side.result()
    timings["rows"] = len(agg)
    engine_stats = {k: v for k, v in agg.attrs.get("stats", {}).items() if k != "sql"}
    with shaped_aggregate(agg) as con:
        del agg  # the connection holds it shaped: at the peak below, a 1M-event day's aggregate is 0.4 GB
        graph = graph_from_shaped(
            con,
            scope=(start, end),
            baseline_days=baseline_days,
            findings=findings,
            degree_cap=degree_cap,
            lake=lake,
            identity_users=people,
        )
    timings["python_s"] = time.perf_counter() - t1
    if network:
        t2 = time.perf_counter()
        add_network(graph, lake, (start, end), min(baseline_days, NETWORK_BASELINE_DAYS))
        timings["network_s"] = time.perf_counter() - t2
    graph.stats = {**timings, "engine_stats": engine_stats}
    days = graph.baseline_days_present
    if days < MIN_BASELINE_DAYS:
        warnings.warn(
            f"the baseline before {start:%Y-%m-%d %H:%M} holds {days} day(s) of events "
            f"(asked {baseline_days}, want at least {MIN_BASELINE_DAYS}): much of the scope will look "
            "newly observed. Widen baseline_days or load older logs.",
            stacklevel=3,
        )
    return graph


def _side_inputs(lake: Any, start: datetime, findings: pd.DataFrame | None) -> pd.DataFrame | None:
    """The findings to join (the lake's own unless given), with the country data loaded on the way."""

    preload()
    return lake_findings(lake, active_since=start) if findings is None else findings


def lake_findings(lake: Any, active_since: datetime | None = None) -> pd.DataFrame | None:
    """GuardDuty findings exported into a local lake (``AWSLogs/<account>/GuardDuty/...``), if any.

    With ``active_since``, only export objects from the day before it on are read: a finding
    last seen earlier is out of the scope, and one still active was exported again later.
    """
    root = getattr(lake, "root", None)
    if root is None:
        return None

    since = (active_since - timedelta(days=1)).date() if active_since is not None else None
    found = read_guardduty_export(root, exported_since=since)
    return found if len(found) else None


SHAPE_SQL = f"""
CREATE TEMP TABLE {{part}}_activity AS
WITH federated AS (
  SELECT DISTINCT '{E.ROLE_SESSION}:' || created_principal AS principal FROM agg
  WHERE eventname IN ({", ".join(f"'{e}'" for e in E.FEDERATED_EVENTS)}) AND created_principal IS NOT NULL
)
SELECT
  CASE WHEN f.principal IS NULL THEN agg.principal
       ELSE '{E.FEDERATED_USER}:' || substr(agg.principal, strpos(agg.principal, ':') + 1) END AS principal,
  agg.* EXCLUDE (principal, in_scope, bucket, count, successes, failures),
  agg.bucket::TIMESTAMP AS bucket,
  coalesce(agg.count, 0)::BIGINT AS count, coalesce(agg.successes, 0)::BIGINT AS successes,
  coalesce(agg.failures, 0)::BIGINT AS failures,
  in_scope::BOOLEAN AS in_scope,
  replace(eventsource, '.amazonaws.com', '') || ':' || eventname AS api,
  ips.country, coalesce(ips.is_ip, false) AS is_ip
FROM agg
LEFT JOIN federated AS f ON agg.principal = f.principal
LEFT JOIN ips ON agg.ip = ips.ip
WHERE agg.principal IS NOT NULL AND agg.in_scope = {{in_scope}}
"""
"""The scope's or the baseline's rows of the aggregate with an API name, each source IP's country,
and the sessions that SAML, web identity or federation tokens created relabelled as federated users
(their later calls)."""

RESOURCE_ROWS_SQL = f"""
CREATE TEMP TABLE {{part}}_resources AS
SELECT * FROM (
  SELECT * EXCLUDE (touched), unnest(list_distinct(string_split(touched, {_SQL_SEPARATOR}))) AS resource
  FROM {{part}}_activity WHERE touched <> ''
) WHERE resource <> ''
"""
"""One row per (aggregate row, distinct resource it named), from the joined ``touched`` strings
(unnested in DuckDB: exploding Python lists took 0.6 s for a 1-million-event day)."""

CREDENTIALS_SQL = """
CREATE TEMP TABLE scope_credentials AS
SELECT * FROM scope_activity WHERE created_principal IS NOT NULL OR created_key IS NOT NULL
"""
"""The scope's rows that handed out a session or a key."""

PART_NAMES = {
    "activity": "scope_activity",
    "baseline": "baseline_activity",
    "resources": "scope_resources",
    "baseline_resources": "baseline_resources",
    "credentials": "scope_credentials",
}
"""Each frame of the graph, by the table that holds it: what the rest of the build reads. Tables, not
views: the edge and novelty queries read each several times (views cost them twice as long)."""


@contextmanager
def shaped_aggregate(agg: pd.DataFrame) -> Iterator[Any]:
    """A scratch DuckDB holding the aggregate shaped once (``PART_NAMES``), for the rest of the build.

    The aggregate is copied into a table and unregistered, so the caller can release its frame:
    edges, entities and newly observed are then set operations on that table, in one connection,
    with no frame going back and forth through pandas (which cost 0.2-0.3 s per 300k rows).
    """
    uniq = pd.Series(agg["ip"].dropna().unique(), dtype="str")
    ips = pd.DataFrame({"ip": uniq, "country": countries(uniq), "is_ip": is_ip(uniq)})
    with scratch_duckdb(agg=agg, ips=ips) as con:
        for part, in_scope in (("scope", "true"), ("baseline", "false")):
            con.execute(SHAPE_SQL.format(part=part, in_scope=in_scope))
        con.unregister("agg")
        del agg
        for part in ("scope", "baseline"):
            con.execute(RESOURCE_ROWS_SQL.format(part=part))
            con.execute(f"ALTER TABLE {part}_activity DROP COLUMN touched")  # no copy of the other columns
        con.execute(CREDENTIALS_SQL)
        yield con


def shaped_parts(con: Any) -> dict[str, pd.DataFrame]:
    """The graph's activity, baseline, resource and credential frames from a ``shaped_aggregate``."""
    parts = {part: query_frame(con, f"SELECT * FROM {view}") for part, view in PART_NAMES.items()}
    for df in parts.values():
        df["bucket"] = pd.to_datetime(df["bucket"])
    return parts


def shape_activity(agg: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Split the aggregate into scope activity, scope resources, baseline and issued credentials."""
    with shaped_aggregate(agg) as con:
        return shaped_parts(con)


def is_ip(values: pd.Series) -> pd.Series:
    """Whether each ``sourceIPAddress`` is an address (not an AWS service name such as ``s3.amazonaws.com``)."""
    uniq = values.dropna().unique()
    table = {v: E.is_ip(v) for v in uniq}
    return values.map(table).fillna(False).astype(bool)


def countries(ips: pd.Series) -> pd.Series:
    """ISO country code of each source IP (``None`` for AWS service names and private addresses).

    Looked up once per distinct address with ``geoip2fast``, which ships its data (offline).
    """

    uniq = ips.dropna().unique()
    table = country_codes(list(uniq))
    return ips.map(table).astype("object")


def _peak_rss_gib() -> float | None:
    """The process's peak resident memory so far (Linux reports KiB), or None where unknown."""
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 3)


def graph_from_shaped(
    con: Any,
    scope: tuple[datetime, datetime],
    baseline_days: int,
    findings: pd.DataFrame | None = None,
    degree_cap: int = 500,
    lake: Any = None,
    identity_users: pd.DataFrame | None = None,
) -> EntityGraph:
    """The graph from an aggregate shaped in a scratch DuckDB (``build.shaped_aggregate``);
    ``identity_users`` (Identity Center users) names the people behind sessions (``people.attribute``)."""

    findings = findings_in_scope(findings, scope)
    parts = shaped_parts(con)
    novel = newly_observed(con)
    # The baseline is done with: freeing it keeps the edge queries in memory (a 2-day baseline
    # made them spill to disk past the reshaping memory limit, a second slower).
    con.execute("DROP TABLE baseline_activity; DROP TABLE baseline_resources")
    attributions = attribute(parts["activity"], parts["credentials"], identity_users)
    edges, capped, ents = edge_frames(
        con, parts["credentials"], findings, degree_cap, UNCAPPED_KINDS, person_rows(attributions)
    )
    return EntityGraph(
        scope=scope,
        baseline_days=baseline_days,
        edges=edges,
        entities=ents,
        newly_observed=novel,
        findings=findings,
        capped=capped,
        lake=lake,
        people=attributions,
        **parts,
    )


def findings_in_scope(findings: pd.DataFrame | None, scope: tuple[datetime, datetime]) -> pd.DataFrame | None:
    """The findings whose first..last seen meets the scope, each at its latest version."""
    if findings is None or not len(findings):
        return findings
    # Exports write a finding again at each update: keep its latest version.
    findings = findings.sort_values("last_seen").drop_duplicates("finding_id", keep="last")
    start, end = (pd.Timestamp(parse_time(t)) for t in scope)
    first = pd.to_datetime(findings["first_seen"], utc=True)
    last = pd.to_datetime(findings["last_seen"], utc=True).fillna(first)
    return findings[(last >= start) & (first < end)].reset_index(drop=True)
