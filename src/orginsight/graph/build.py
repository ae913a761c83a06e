"""Build an ``EntityGraph`` from the organization trail with one aggregate query.

The engine does the heavy lifting: one GROUP BY over principal x access key x
IP x user agent x API x hour (day buckets for the baseline) x the sorted list of
resources the event named, with the credentials that STS and IAM handed out read
from ``responseelements``. Python only reshapes that aggregate
(tens of thousands of rows for a million events), never raw events.

Why one query: the local engine parses every file a query names, so a second
scan of the same day costs as much as the first; on Athena each scan is billed.
Why a list of resources and not UNNEST: on a 1-million-event day, unnesting each
event's resources into rows took 70% more CPU and 3x the memory (2.7 vs 0.8 GiB)
in the engine; the aggregate rows are exploded into resource rows afterwards.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from orginsight.graph import entities as E

if TYPE_CHECKING:
    from orginsight.graph.model import EntityGraph

MIN_BASELINE_DAYS = 14
"""Fewer baseline days than this make "newly observed" mostly noise (Detective wants about two weeks too)."""

DEFAULT_DEGREE_CAP = 500
"""Neighbours of one kind an entity may have in one hour before its edges of that kind are collapsed."""

FEDERATED_EVENTS = ("AssumeRoleWithSAML", "AssumeRoleWithWebIdentity", "GetFederationToken")
"""STS calls whose sessions are federated users (SAML, OIDC web identity, federation tokens)."""

EVENT_TIME = (
    "coalesce(from_iso8601_timestamp(eventtime), "
    "from_iso8601_timestamp(useridentity.sessioncontext.attributes.creationdate), "
    "CAST(date_parse(\"timestamp\", '%Y/%m/%d') AS TIMESTAMP))"
)
"""When an event happened. Some public datasets strip ``eventTime``: their records fall back on
the session's creation time, else on the day of the file they sit in (as the importer placed them)."""

# Resources an event names: ``resources[].arn`` plus well-known request parameters, as ARNs.
# S3 objects count as their bucket (as Detective does): object keys would multiply the
# resources of a busy day by the objects read, and the bucket is what an analyst pivots on.
RESOURCE_CANDIDATES = """concat(
  transform(coalesce(resource_list, ARRAY[]), x -> CASE WHEN x.arn LIKE 'arn:aws:s3:::%/%'
                                                     THEN regexp_extract(x.arn, '^arn:aws:s3:::[^/]+')
                                                     ELSE x.arn END),
  ARRAY[
    'arn:aws:s3:::' || p_bucket,
    p_role,
    CASE WHEN p_instance LIKE 'arn:%' THEN p_instance
         ELSE 'arn:aws:ec2:' || region || ':' || account || ':instance/' || p_instance END,
    CASE WHEN p_key LIKE 'arn:%' THEN p_key
         WHEN p_key LIKE 'alias/%' THEN 'arn:aws:kms:' || region || ':' || account || ':' || p_key
         ELSE 'arn:aws:kms:' || region || ':' || account || ':key/' || p_key END,
    CASE WHEN p_secret LIKE 'arn:%' THEN p_secret
         ELSE 'arn:aws:secretsmanager:' || region || ':' || account || ':secret:' || p_secret END
  ])"""

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
  WHEN useridentity.type IN ('SAMLUser', 'WebIdentityUser', 'IdentityCenterUser', 'FederatedUser')
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
roles are role sessions (role + session name)."""

ACTIVITY_SQL = f"""
SELECT
  principal, invoked_by,
  CASE WHEN t >= :scope_start OR access_key NOT LIKE 'ASIA%' THEN access_key END AS access_key,
  account, region, ip, user_agent, eventsource, eventname,
  CASE WHEN t >= :scope_start THEN date_trunc('hour', t) ELSE date_trunc('day', t) END AS bucket,
  t >= :scope_start AS in_scope,
  CASE WHEN t >= :scope_start THEN created_principal END AS created_principal,
  CASE WHEN t >= :scope_start THEN created_key END AS created_key,
  array_sort(array_distinct(filter({RESOURCE_CANDIDATES}, x -> x IS NOT NULL))) AS touched,
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
    CASE WHEN eventsource = 'sts.amazonaws.com' AND errorcode IS NULL
         THEN coalesce(json_extract_scalar(responseelements, '$.assumedRoleUser.arn'),
                       json_extract_scalar(responseelements, '$.federatedUser.arn'),
                       {SESSION_FROM_REQUEST}) END AS created_principal,
    CASE WHEN eventsource = 'sts.amazonaws.com' AND errorcode IS NULL
         THEN json_extract_scalar(responseelements, '$.credentials.accessKeyId')
         WHEN eventname = 'CreateAccessKey' AND errorcode IS NULL
         THEN json_extract_scalar(responseelements, '$.accessKey.accessKeyId') END AS created_key,
    resources AS resource_list,
    json_extract_scalar(requestparameters, '$.bucketName') AS p_bucket,
    json_extract_scalar(requestparameters, '$.roleArn') AS p_role,
    json_extract_scalar(requestparameters, '$.instanceId') AS p_instance,
    json_extract_scalar(requestparameters, '$.keyId') AS p_key,
    json_extract_scalar(requestparameters, '$.secretId') AS p_secret
  FROM cloudtrail
  WHERE "timestamp" BETWEEN :first_day AND :last_day
    {{accounts}}
) AS e
WHERE t >= :since AND t < :scope_end
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14
"""
"""The one aggregate behind a graph; ``{accounts}`` becomes a partition predicate when asked.

Baseline rows (before the scope) are by day, and drop what only the scope needs: the
credentials issued, and temporary (``ASIA``) keys, new every session, so never "seen
before". Each AssumeRole would otherwise be a baseline row of its own."""


def activity_query(
    scope: tuple[datetime, datetime], baseline_days: int, accounts: Sequence[str] | None = None
) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of the aggregate for ``scope`` and the baseline before it."""
    start, end = scope
    since = start - timedelta(days=baseline_days)
    # Files are keyed by delivery day, which trails events by up to ~15 minutes: a day of slack.
    params: dict[str, Any] = {
        "scope_start": start,
        "scope_end": end,
        "since": since,
        "first_day": (since - timedelta(days=1)).strftime("%Y/%m/%d"),
        "last_day": (end + timedelta(days=1)).strftime("%Y/%m/%d"),
    }
    clause = ""
    if accounts:
        clause = "AND account IN (:accounts)"
        params["accounts"] = list(accounts)
    return ACTIVITY_SQL.replace("{accounts}", clause), params


# --- principals ----------------------------------------------------------------------------------


def _federated_sessions(created: pd.DataFrame) -> set[str]:
    """Session ARNs that SAML, web identity or federation tokens created: their later calls are federated users."""
    fed = created[created["eventname"].isin(FEDERATED_EVENTS)]
    return set(fed["created_principal"].dropna())


# --- the build -------------------------------------------------------------------------------------


def build_entity_graph(
    lake: Any,
    scope: tuple[datetime, datetime],
    baseline_days: int = 45,
    accounts: Sequence[str] | None = None,
    findings: pd.DataFrame | None = None,
    degree_cap: int = DEFAULT_DEGREE_CAP,
) -> EntityGraph:
    """The entity graph of ``scope`` with ``baseline_days`` of history before it (see ``Lake.entity_graph``)."""
    from orginsight.graph.model import EntityGraph

    start, end = _naive(scope[0]), _naive(scope[1])
    if end <= start:
        raise ValueError(f"empty scope: {start} .. {end}")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    sql, params = activity_query((start, end), baseline_days, accounts)
    agg = lake.sql_params(sql, params) if hasattr(lake, "sql_params") else lake.sql(sql, **params)
    timings["engine_s"] = time.perf_counter() - t0
    timings["peak_rss_after_engine_gib"] = _peak_rss_gib()
    t1 = time.perf_counter()
    if findings is None:
        findings = lake_findings(lake)
    parts = shape_activity(agg, start)
    graph = EntityGraph.from_parts(
        parts,
        scope=(start, end),
        baseline_days=baseline_days,
        findings=findings,
        degree_cap=degree_cap,
        lake=lake,
    )
    timings["python_s"] = time.perf_counter() - t1
    timings["rows"] = len(agg)
    graph.stats = {
        **timings,
        "engine_stats": {k: v for k, v in agg.attrs.get("stats", {}).items() if k != "sql"},
    }
    days = graph.baseline_days_present
    if days < MIN_BASELINE_DAYS:
        warnings.warn(
            f"the baseline before {start:%Y-%m-%d %H:%M} holds {days} day(s) of events "
            f"(asked {baseline_days}, want at least {MIN_BASELINE_DAYS}): much of the scope will look "
            "newly observed. Widen baseline_days or load older logs.",
            stacklevel=3,
        )
    return graph


def lake_findings(lake: Any) -> pd.DataFrame | None:
    """GuardDuty findings exported into a local lake (``AWSLogs/<account>/GuardDuty/...``), if any."""
    root = getattr(lake, "root", None)
    if root is None:
        return None
    from orginsight.collectors.guardduty import read_guardduty_export

    found = read_guardduty_export(root)
    return found if len(found) else None


def shape_activity(agg: pd.DataFrame, scope_start: datetime) -> dict[str, pd.DataFrame]:
    """Split the aggregate into scope activity, scope resources, baseline and issued credentials."""
    agg = agg.copy()
    for col in ("count", "successes", "failures"):
        agg[col] = pd.to_numeric(agg[col]).fillna(0).astype("int64")
    agg["bucket"] = pd.to_datetime(agg["bucket"], utc=True).dt.tz_localize(None)
    created = agg[agg["created_principal"].notna() | agg["created_key"].notna()]
    fed = _federated_sessions(created)
    if fed:
        is_fed = agg["principal"].isin({E.ROLE_SESSION + ":" + arn for arn in fed})
        agg.loc[is_fed, "principal"] = (
            E.FEDERATED_USER + ":" + agg.loc[is_fed, "principal"].str.split(":", n=1).str[1]
        )
    agg = agg[agg["principal"].notna()]
    agg["api"] = agg["eventsource"].str.replace(".amazonaws.com", "", regex=False) + ":" + agg["eventname"]
    agg["in_scope"] = agg["in_scope"].astype(bool)
    agg["country"] = countries(agg["ip"])
    events = agg.drop(columns=["touched"])
    # Each aggregate row lists the resources its events named: one row per (row, resource).
    many = agg["touched"].map(len) > 0
    touched = agg[many].explode("touched").rename(columns={"touched": "resource"})
    credentials = events[events["created_principal"].notna() | events["created_key"].notna()]
    return {
        "activity": events[events["in_scope"]].reset_index(drop=True),
        "baseline": events[~events["in_scope"]].reset_index(drop=True),
        "resources": touched[touched["in_scope"]].reset_index(drop=True),
        "baseline_resources": touched[~touched["in_scope"]].reset_index(drop=True),
        "credentials": credentials[credentials["in_scope"]].reset_index(drop=True),
    }


def countries(ips: pd.Series) -> pd.Series:
    """ISO country code of each source IP (``None`` for AWS service names and private addresses).

    Looked up once per distinct address with ``geoip2fast``, which ships its data (offline).
    """
    from orginsight.graph.geo import country_codes

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


def _naive(t: datetime | str | pd.Timestamp) -> datetime:
    ts = pd.Timestamp(t)
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.to_pydatetime()
