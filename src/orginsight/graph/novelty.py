"""Newly observed behaviour: what a principal or access key did in the scope that its baseline never shows.

Detective calls these "newly observed" API calls, geolocations, user agents and
so on. Computed by anti-joining the (subject, value) pairs of the scope with
those of the baseline, per dimension: API, IP, user agent, country, region,
resource. A subject with no baseline at all is flagged (``subject_new``), since
for it everything is new.
"""

from __future__ import annotations

import pandas as pd

from orginsight.engines.frames import reshape
from orginsight.graph.build import is_ip

DIMENSIONS = ("api", "ip", "user_agent", "country", "region", "resource")

COLUMNS = ["subject", "dimension", "value", "first_seen", "count", "subject_new"]


NOVELTY_SQL = """
WITH scope AS (
  SELECT principal AS subject, * EXCLUDE (principal) FROM a
  UNION ALL
  SELECT 'access_key:' || access_key AS subject, * EXCLUDE (principal) FROM a WHERE coalesce(access_key, '') <> ''
), base AS (
  SELECT principal AS subject, * EXCLUDE (principal) FROM b
  UNION ALL
  SELECT 'access_key:' || access_key AS subject, * EXCLUDE (principal) FROM b WHERE coalesce(access_key, '') <> ''
), rscope AS (
  SELECT principal AS subject, * EXCLUDE (principal) FROM r
  UNION ALL
  SELECT 'access_key:' || access_key AS subject, * EXCLUDE (principal) FROM r WHERE coalesce(access_key, '') <> ''
), rbase AS (
  SELECT principal AS subject, * EXCLUDE (principal) FROM rb
  UNION ALL
  SELECT 'access_key:' || access_key AS subject, * EXCLUDE (principal) FROM rb WHERE coalesce(access_key, '') <> ''
), s AS (
  SELECT subject, 'api' AS dimension, api AS value, bucket, count FROM scope
  UNION ALL SELECT subject, 'ip', ip, bucket, count FROM scope WHERE is_ip
  UNION ALL SELECT subject, 'user_agent', user_agent, bucket, count FROM scope
  UNION ALL SELECT subject, 'country', country, bucket, count FROM scope
  UNION ALL SELECT subject, 'region', region, bucket, count FROM scope
  UNION ALL SELECT subject, 'resource', resource, bucket, count FROM rscope
), seen AS (
  SELECT DISTINCT subject, 'api' AS dimension, api AS value FROM base
  UNION ALL SELECT DISTINCT subject, 'ip', ip FROM base WHERE is_ip
  UNION ALL SELECT DISTINCT subject, 'user_agent', user_agent FROM base
  UNION ALL SELECT DISTINCT subject, 'country', country FROM base
  UNION ALL SELECT DISTINCT subject, 'region', region FROM base
  UNION ALL SELECT DISTINCT subject, 'resource', resource FROM rbase
), known AS (SELECT DISTINCT subject FROM base)
SELECT s.subject, s.dimension, s.value, min(s.bucket) AS first_seen, sum(s.count)::BIGINT AS count,
       s.subject NOT IN (SELECT subject FROM known) AS subject_new
FROM s ANTI JOIN seen USING (subject, dimension, value)
WHERE s.subject IS NOT NULL AND s.value IS NOT NULL
GROUP BY ALL
ORDER BY s.subject, first_seen, s.dimension
"""

_COLS = {
    "a": [
        "principal",
        "access_key",
        "api",
        "ip",
        "is_ip",
        "user_agent",
        "country",
        "region",
        "bucket",
        "count",
    ],
    "r": ["principal", "access_key", "resource", "bucket", "count"],
}


def _frame(df: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The columns the query reads, typed so that DuckDB reads them even from an empty frame."""
    out = pd.DataFrame(
        {c: df[c] if c in df else pd.Series(dtype="str") for c in _COLS[kind] if c != "is_ip"}
    )
    if kind == "a":
        out["is_ip"] = df["is_ip"] if "is_ip" in df else is_ip(out["ip"])
    out["bucket"] = pd.to_datetime(out["bucket"])
    out["count"] = pd.to_numeric(out["count"]).fillna(0).astype("int64")
    return out


def newly_observed(
    activity: pd.DataFrame, baseline: pd.DataFrame, resources: pd.DataFrame, baseline_resources: pd.DataFrame
) -> pd.DataFrame:
    """One row per (subject, dimension, value) seen in the scope and never in the baseline.

    Subjects are principals and the access keys they used. An anti-join in an in-process
    DuckDB keeps this fast when the baseline holds weeks of an organization's activity.
    """
    out = reshape(
        NOVELTY_SQL,
        a=_frame(activity, "a"),
        b=_frame(baseline, "a"),
        r=_frame(resources, "r"),
        rb=_frame(baseline_resources, "r"),
    )
    out["first_seen"] = pd.to_datetime(out["first_seen"])
    return out[COLUMNS].reset_index(drop=True)
