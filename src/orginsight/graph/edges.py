"""Hourly edges and the entity table, reshaped from the engine's aggregate.

The aggregate is already small (one row per principal x key x IP x agent x API
x hour); an in-process DuckDB query turns it into edges in one pass, listing
each edge's distinct APIs without a Python loop per group.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from orginsight.graph import entities as E
from orginsight.graph.build import FEDERATED_EVENTS

EDGES_SQL = r"""
WITH a AS (SELECT *, split_part(principal, ':', 1) AS principal_kind FROM a_in),
e AS (
  SELECT principal AS src, 'access_key:' || access_key AS dst, 'uses_key' AS kind, bucket, api, count, successes, failures
    FROM a WHERE access_key IS NOT NULL AND access_key <> ''
  UNION ALL
  SELECT principal, CASE WHEN is_ip THEN 'ip:' || ip ELSE 'service:' || ip END,
         CASE WHEN is_ip THEN 'from_ip' ELSE 'via_service' END, bucket, api, count, successes, failures
    FROM a WHERE ip IS NOT NULL AND (is_ip OR ip LIKE '%.amazonaws.com') AND NOT (principal = 'service:' || ip)
  UNION ALL
  SELECT 'access_key:' || access_key, 'ip:' || ip, 'key_from_ip', bucket, api, count, successes, failures
    FROM a WHERE access_key IS NOT NULL AND access_key <> '' AND is_ip
  UNION ALL
  SELECT principal, 'user_agent:' || user_agent, 'user_agent', bucket, api, count, successes, failures
    FROM a WHERE user_agent IS NOT NULL AND principal_kind <> 'service'
  UNION ALL
  SELECT principal, 'account:' || account, 'acted_in', bucket, api, count, successes, failures
    FROM a WHERE account IS NOT NULL AND principal <> 'account:' || account
  UNION ALL
  SELECT principal, 'service:' || invoked_by, 'via_service', bucket, api, count, successes, failures
    FROM a WHERE invoked_by IS NOT NULL AND principal_kind <> 'service'
  UNION ALL
  SELECT 'iam_role:' || regexp_replace(principal, '^[a-z_]+:arn:([^:]+):sts::(\d{12}):assumed-role/([^/]+)/.*$',
                                       'arn:\1:iam::\2:role/\3'),
         principal, 'session_of', bucket, api, count, successes, failures
    FROM a WHERE principal_kind IN ('role_session', 'federated_user') AND principal LIKE '%:arn:%:assumed-role/%'
  UNION ALL
  SELECT principal, 'resource:' || resource, 'accessed', bucket, api, count, successes, failures
    FROM r
  UNION ALL
  SELECT creator, created_entity, 'assumed', bucket, api, count, successes, failures
    FROM c WHERE created_entity IS NOT NULL
  UNION ALL
  SELECT created_entity, 'access_key:' || created_key, 'issued', bucket, api, count, successes, failures
    FROM c WHERE created_entity IS NOT NULL AND created_key IS NOT NULL
  UNION ALL
  SELECT creator, 'access_key:' || created_key, 'created_key', bucket, api, count, successes, failures
    FROM c WHERE created_entity IS NULL AND created_key IS NOT NULL
  UNION ALL
  SELECT src, dst, 'involves', bucket, api, count, 0, 0 FROM f
), per_api AS (
  SELECT src, dst, kind, bucket, api, sum(count) AS count, sum(successes) AS successes,
         sum(failures) AS failures
  FROM e WHERE src IS NOT NULL AND dst IS NOT NULL
  GROUP BY ALL
)
SELECT src, dst, kind, bucket AS hour, sum(count)::BIGINT AS count, sum(successes)::BIGINT AS successes,
       sum(failures)::BIGINT AS failures, string_agg(api, ', ' ORDER BY api) AS apis
FROM per_api
GROUP BY ALL
"""
"""Edges of each kind from the aggregate; ``apis`` lists an edge's distinct APIs, comma-separated
(one string per edge: a Python list per edge cost more time than the query on a busy day)."""


def _with_is_ip(activity: pd.DataFrame) -> pd.DataFrame:
    uniq = activity["ip"].dropna().unique()
    table = {ip: E.is_ip(ip) for ip in uniq}
    return activity.assign(is_ip=activity["ip"].map(table).fillna(False).astype(bool))


def _credential_rows(credentials: pd.DataFrame) -> pd.DataFrame:
    """Who handed out which credential: the caller's key (else the caller) and the session or key created."""
    c = credentials.copy()
    if not len(c):
        return c.assign(creator=pd.Series(dtype="object"), created_entity=pd.Series(dtype="object"))
    key = c["access_key"].where(c["access_key"].fillna("").ne(""))
    c["creator"] = ("access_key:" + key).fillna(c["principal"])
    created = c["created_principal"]
    kinds = created.map(lambda a: E.principal_kind(a) if isinstance(a, str) else None)
    kinds = kinds.where(~c["eventname"].isin(FEDERATED_EVENTS) | kinds.isna(), E.FEDERATED_USER)
    c["created_entity"] = (kinds + ":" + created).where(created.notna() & kinds.notna())
    return c


def finding_rows(findings: pd.DataFrame | None) -> pd.DataFrame:
    """Edges ``finding -> entity`` for the access key, principal, IP, resource and account a finding names."""
    cols = ["src", "dst", "bucket", "api", "count"]
    if findings is None or not len(findings):
        return pd.DataFrame(columns=cols)
    rows = []
    for f in findings.to_dict("records"):
        src = "finding:" + str(f["finding_id"])
        bucket = (
            pd.Timestamp(f["first_seen"]).tz_convert("UTC").tz_localize(None).floor("h")
            if pd.notna(f["first_seen"])
            else None
        )
        for dst in finding_entities(f):
            rows.append({"src": src, "dst": dst, "bucket": bucket, "api": f.get("type"), "count": 1})
    return pd.DataFrame(rows, columns=cols)


def finding_entities(f: dict) -> list[str]:
    """Entity ids one normalized finding names: principal / access key, remote IP, resource, account."""
    out = []
    principal = f.get("principal")
    if isinstance(principal, str) and principal:
        ent = E.resolve(principal)
        if not ent.startswith("finding:"):
            out.append(ent)
    for key in _raw_access_keys(f.get("raw")):
        out.append("access_key:" + key)
    ip = f.get("remote_ip")
    if isinstance(ip, str) and ip:
        out.append("ip:" + ip)
    arn = _resource_arn(f)
    if arn:
        out.append("resource:" + arn)
    if isinstance(f.get("account_id"), str):
        out.append("account:" + f["account_id"])
    return list(dict.fromkeys(out))


def _raw_access_keys(raw) -> list[str]:
    if not isinstance(raw, str):
        return []
    try:
        doc = json.loads(raw)
    except ValueError:
        return []
    details = doc.get("resource") or doc.get("Resource") or {}
    details = details.get("accessKeyDetails") or details.get("AccessKeyDetails") or {}
    key = details.get("accessKeyId") or details.get("AccessKeyId")
    return [key] if isinstance(key, str) and key and not key.startswith("GeneratedFinding") else []


def _resource_arn(f: dict) -> str | None:
    rid, rtype = f.get("resource_id"), f.get("resource_type")
    if not isinstance(rid, str) or not rid:
        return None
    if rid.startswith("arn:"):
        return rid
    region, account = f.get("region") or "", f.get("account_id") or ""
    if rtype in ("Instance", "AwsEc2Instance") or rid.startswith("i-"):
        return f"arn:aws:ec2:{region}:{account}:instance/{rid}"
    if rtype in ("S3Bucket", "AwsS3Bucket"):
        return f"arn:aws:s3:::{rid}"
    return None


def derive_edges(
    activity: pd.DataFrame,
    resources: pd.DataFrame,
    credentials: pd.DataFrame,
    findings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (source, target, kind, hour) with count, successes, failures and distinct APIs."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET preserve_insertion_order = false")
        a = _with_is_ip(activity)
        r, c, f = resources, _credential_rows(credentials), finding_rows(findings)
        for name, df in (("a", a), ("r", r), ("c", c), ("f", f)):
            con.register("a_in" if name == "a" else name, _typed(df, name))
        edges = con.execute(EDGES_SQL).df()
    finally:
        con.close()
    edges["hour"] = pd.to_datetime(edges["hour"])
    return edges


_FRAME_COLUMNS = {
    "a": [
        "principal",
        "access_key",
        "ip",
        "is_ip",
        "user_agent",
        "account",
        "invoked_by",
        "bucket",
        "api",
        "count",
        "successes",
        "failures",
    ],
    "r": ["principal", "resource", "bucket", "api", "count", "successes", "failures"],
    "c": [
        "principal",
        "creator",
        "created_entity",
        "created_key",
        "bucket",
        "api",
        "count",
        "successes",
        "failures",
    ],
    "f": ["src", "dst", "bucket", "api", "count"],
}


def _typed(df: pd.DataFrame, name: str) -> pd.DataFrame:
    """The columns the edge query reads, with types DuckDB can infer even when the frame is empty."""
    cols = _FRAME_COLUMNS[name]
    out = pd.DataFrame({c: df[c] if c in df else pd.Series(dtype="str") for c in cols})
    for c in cols:
        if c == "bucket":
            out[c] = pd.to_datetime(out[c])
        elif c in ("count", "successes", "failures"):
            out[c] = pd.to_numeric(out[c]).fillna(0).astype("int64")
        elif c == "is_ip":
            out[c] = out[c].astype(bool)
        elif out[c].dtype != "str":
            # Arrow-backed strings go to DuckDB without a copy per value; other columns become them.
            out[c] = out[c].astype("str")
    return out


def cap_degree(edges: pd.DataFrame, cap: int, uncapped: frozenset[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Drop the edges of entities with more than ``cap`` neighbours of one kind in one hour; list those entities.

    One busy NAT address or a service calling for ten thousand sessions would
    otherwise turn every neighbourhood into the whole organization.
    """
    cols = ["entity", "kind", "hour", "direction", "degree"]
    if cap is None or cap <= 0 or not len(edges):
        return edges, pd.DataFrame(columns=cols)
    capable = ~edges["kind"].isin(uncapped)
    drop = pd.Series(False, index=edges.index)
    capped = []
    for end, direction in (("src", "out"), ("dst", "in")):
        deg = (
            edges[capable]
            .groupby([end, "kind", "hour"])[("dst" if end == "src" else "src")]
            .transform("size")
        )
        over = deg[deg > cap]
        if len(over):
            hit = edges.loc[over.index]
            drop.loc[over.index] = True
            summary = hit.groupby([end, "kind", "hour"]).size().reset_index(name="degree")
            summary = summary.rename(columns={end: "entity"}).assign(direction=direction)
            capped.append(summary[cols])
    kept = edges[~drop].reset_index(drop=True)
    table = pd.concat(capped, ignore_index=True) if capped else pd.DataFrame(columns=cols)
    return kept, table


def entity_table(edges: pd.DataFrame) -> pd.DataFrame:
    """One row per entity: kind, a short label, its account, activity count and first/last hour."""
    if not len(edges):
        return pd.DataFrame(
            columns=["entity", "kind", "label", "account", "count", "first_seen", "last_seen"]
        )
    ends = pd.concat(
        [
            edges[["src", "kind", "hour", "count"]].rename(columns={"src": "entity"}),
            edges[["dst", "kind", "hour", "count"]].rename(columns={"dst": "entity"}),
        ],
        ignore_index=True,
    )
    # Activity of an entity: its busiest edge kind's total (each event counts once per kind).
    per_kind = ends.groupby(["entity", "kind"], sort=False)["count"].sum()
    count = per_kind.groupby(level=0).max()
    times = ends.groupby("entity")["hour"].agg(["min", "max"])
    out = pd.DataFrame({"entity": count.index, "count": count.to_numpy()})
    out["first_seen"] = times.loc[out["entity"], "min"].to_numpy()
    out["last_seen"] = (times.loc[out["entity"], "max"] + pd.Timedelta(hours=1)).to_numpy()
    split = out["entity"].str.split(":", n=1)
    out["kind"] = split.str[0]
    key = split.str[1]
    out["label"] = _labels(out["kind"], key)
    out["account"] = _accounts(out["kind"], key)
    return (
        out[["entity", "kind", "label", "account", "count", "first_seen", "last_seen"]]
        .sort_values(["kind", "count"], ascending=[True, False])
        .reset_index(drop=True)
    )


def _labels(kind: pd.Series, key: pd.Series) -> pd.Series:
    short = key.str.rsplit("/", n=1).str[-1]
    session = key.str.extract(r"assumed-role/([^/]+/[^/]+)$")[0]
    label = np.where(
        kind.isin([E.ROLE_SESSION, E.FEDERATED_USER]) & session.notna(),
        session,
        np.where(kind.isin([E.IAM_USER, E.IAM_ROLE, E.RESOURCE]), short, key),
    )
    return pd.Series(label, index=key.index).str.slice(0, 60)


def _accounts(kind: pd.Series, key: pd.Series) -> pd.Series:
    arn_account = key.str.extract(r"^arn:[^:]*:[^:]*:[^:]*:(\d{12}):")[0]
    return arn_account.where(kind != E.ACCOUNT, key)
