"""The ``cloudtrail_insights`` table: CloudTrail Insights events, their Athena DDL, and how DuckDB reads them.

CloudTrail writes Insights events (unusual API call rates and error rates against a seven-day baseline)
beside the trail's log files, under ``CloudTrail-Insight/`` (``sources.layout.INSIGHT_KEY``), one
``{"Records": [...]}`` per file, as it writes the trail. Their records share only a few fields with
management events, so they are their own table, never rows of ``cloudtrail``.

Columns follow the Insights record as AWS documents it for trails (CloudTrail User Guide, "CloudTrail
record contents for Insights events for trails" and "CloudTrail insightDetails element", 2024): lower-case
names as Athena gives them, ``insightdetails`` one struct with ``state`` (Start or End), ``eventsource``,
``eventname``, ``insighttype`` (ApiCallRateInsight or ApiErrorRateInsight), ``errorcode`` (error rate
insights only) and ``insightcontext``: the ``statistics`` (baseline and insight averages per minute,
``insightduration`` and ``baselineduration`` in minutes) and the ``attributions`` (for ``userIdentityArn``,
``userAgent`` and ``errorCode``: the values with their average in the insight and in the baseline).
AWS publishes no Athena DDL for these files (checked 2024): the DDL is the trail's (same SerDe and
input format, same partition projection) over these columns.
"""

from __future__ import annotations

import gzip
import io
import json
from collections.abc import Sequence

from orginsight.sources.ddl import projected_ddl
from orginsight.sources.file_verdicts import VerdictCache, open_unlinked
from orginsight.sources.layout import INSIGHT_FOLDER, CloudTrailFile
from orginsight.sources.schema import CLOUDTRAIL_FIELDS, lower_struct_sql

TABLE = "cloudtrail_insights"
"""The name queries give the Insights events table, on both engines."""

V, D, N = "VARCHAR", "DOUBLE", "BIGINT"

SHARED_COLUMNS = (
    "eventversion",
    "eventtime",
    "awsregion",
    "eventid",
    "eventtype",
    "recipientaccountid",
    "sharedeventid",
)
"""The columns an Insights record opens with, which it shares with management events: same key, same
type, so they are read from the trail's spec (``sources.schema.CLOUDTRAIL_FIELDS``)."""

_VALUES = [{"value": V, "average": D}]
INSIGHT_FIELDS: dict[str, tuple[str, object]] = {
    # athena column: (CloudTrail JSON key, json_transform type)
    **{column: CLOUDTRAIL_FIELDS[column] for column in SHARED_COLUMNS},
    "insightdetails": (
        "insightDetails",
        {
            "state": V,
            "eventSource": V,
            "eventName": V,
            "insightType": V,
            "errorCode": V,
            "insightContext": {
                "statistics": {
                    "baseline": {"average": D},
                    "insight": {"average": D},
                    "insightDuration": N,
                    "baselineDuration": N,
                },
                "attributions": [{"attribute": V, "insight": _VALUES, "baseline": _VALUES}],
            },
        },
    ),
    "eventcategory": CLOUDTRAIL_FIELDS["eventcategory"],
}
"""Every data column of ``cloudtrail_insights``, in the record's order."""

PARTITION_COLUMNS = ("account", "region", "timestamp")
"""The trail's partition columns (``timestamp`` is ``yyyy/MM/dd``), projected the same way."""

MAX_FILE_BYTES = 64 << 20
"""An Insights file holds a handful of events (a few kB); one past this is refused as damaged or hostile."""

_HIVE = {V: "STRING", D: "DOUBLE", N: "BIGINT"}


def _hive_type(spec: object) -> str:
    if isinstance(spec, dict):
        return "STRUCT<" + ", ".join(f"{k.lower()}: {_hive_type(v)}" for k, v in spec.items()) + ">"
    if isinstance(spec, list):
        return f"ARRAY<{_hive_type(spec[0])}>"
    return _HIVE[str(spec)]


ATHENA_TYPES = {column: _hive_type(spec) for column, (_, spec) in INSIGHT_FIELDS.items()}
"""Hive DDL type of each data column, from the same spec DuckDB reads with."""


def athena_ddl(
    bucket: str,
    org_id: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    table: str = TABLE,
    database: str | None = None,
    prefix: str = "",
    first_day: str = "2020/01/01",
) -> str:
    """CREATE EXTERNAL TABLE for the organization trail's Insights events, projected like the trail's table."""
    return projected_ddl(
        ATHENA_TYPES, INSIGHT_FOLDER, bucket, org_id, accounts, regions, table, database, prefix, first_day
    )


# --- reading on DuckDB --------------------------------------------------------------------------------


_PARTITIONS = {
    "account": rf"/(\d{{12}})/{INSIGHT_FOLDER}/",
    "region": rf"/{INSIGHT_FOLDER}/([a-z0-9-]+)/",
    "timestamp": rf"/{INSIGHT_FOLDER}/[a-z0-9-]+/(\d{{4}}/\d{{2}}/\d{{2}})/",
}


def scan_sql(any_files: bool) -> str:
    """The DuckDB SELECT that stands for ``cloudtrail_insights``: one row per Insights event of ``$files``.

    Every column, the partition values from each file's key; with no file, an empty relation of the
    same columns, so a query over a lake without Insights events still runs (and finds nothing).
    """
    spec = json.dumps({"Records": [{key: s for key, s in INSIGHT_FIELDS.values()}]}).replace("'", "''")
    cols = [lower_struct_sql('r."' + key + '"', s) + f' AS "{c}"' for c, (key, s) in INSIGHT_FIELDS.items()]
    source = "filename" if any_files else "NULL::VARCHAR"
    parts = "".join(f"regexp_extract({source}, '{p}', 1) AS \"{c}\", " for c, p in _PARTITIONS.items())
    outer = ", ".join(cols + [f'"{c}"' for c in PARTITION_COLUMNS])
    if not any_files:
        return (
            f"SELECT {outer} FROM (SELECT {parts}unnest(json_transform('{{\"Records\": []}}', '{spec}')"
            '."Records") AS r) WHERE false'
        )
    return (
        f"SELECT {outer} FROM (SELECT {parts}unnest(json_transform(json, '{spec}').\"Records\") AS r "
        f"FROM read_json_objects($files, filename = true, format = 'unstructured', "
        f"maximum_object_size = {MAX_FILE_BYTES}))"
    )


class InsightChecks(VerdictCache[CloudTrailFile, str | None]):
    """Each Insights file's verdict (None, or why it cannot be read), kept while its size and mtime stay."""

    def __init__(self) -> None:
        super().__init__(lambda f: file_error(f.path, f.size))


def file_error(path: str, size: int) -> str | None:
    """Why the file at ``path`` is no ``{"Records": [...]}`` of JSON objects, or None when it is one."""
    if size > MAX_FILE_BYTES:
        return f"{size} bytes, over the {MAX_FILE_BYTES} an Insights file may hold"
    try:
        with open_unlinked(path) as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
        if data[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as gz:
                data = gz.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return f"decompresses to more than the {MAX_FILE_BYTES} bytes an Insights file may hold"
        doc = json.loads(data)
    except (OSError, EOFError, ValueError) as e:
        return f"not readable JSON: {e}"
    records = doc.get("Records") if isinstance(doc, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        return 'not an Insights file: expected {"Records": [...]} of JSON objects'
    return None


def is_insight_record(rec: dict) -> bool:
    """Whether a CloudTrail record is an Insights event (``eventCategory`` Insight, ``eventType``
    AwsCloudTrailInsight): its place is ``CloudTrail-Insight/``, never the trail's folders."""
    return rec.get("eventCategory") == "Insight" or rec.get("eventType") == "AwsCloudTrailInsight"
