"""Athena DDL for ``vpcflow`` and ``dnsquery``, with partition projection like the trail's table.

Flow logs follow AWS's partition-projection table for multi-account flow logs (Athena User Guide, "Create
and query a table for Amazon VPC flow logs using partition projection", 2024: ``ROW FORMAT DELIMITED
FIELDS TERMINATED BY ' '``, the header skipped, the record's ``region`` dropped for the partition of that
name), with the trail's partition names. Athena's text SerDe reads by position, so the text table lists
the columns in the order of the organization's flow-log format (``fields``; default: the version 2
default format); a ``region`` field in it becomes ``record_region`` there. The Parquet table reads by
name: every column. Hive-compatible and per-hour prefixes are read locally; their Athena tables differ in
``storage.location.template`` and are not printed here.

Resolver logs follow AWS's table for them (Athena User Guide, "Query Amazon Route 53 Resolver query
logs", 2024: the OpenX JSON SerDe) with projection on account, VPC (an enum: the key names the VPC, and
Athena cannot list VPC ids) and day.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from orginsight.sources.layout import REGION_PATTERN
from orginsight.sources.network import dnslogs, flowlogs
from orginsight.sources.network.layout import ACCOUNT_PATTERN, DNS_SERVICE, FLOW_SERVICE, VPC_PATTERN

_LOCATION = re.compile(r"(?:s3://)?[a-z0-9][a-z0-9.-]{1,62}(?:/[A-Za-z0-9!_.*()/-]*)?")
"""A bucket name (S3 User Guide, "Bucket naming rules") and a prefix of S3's safe key characters: what a
DDL quotes as its location, so nothing given can close the quote."""


def _base(location: str) -> str:
    """``s3://bucket/prefix`` -> ``s3://bucket/prefix/AWSLogs`` (the folder AWS delivers under)."""
    if not _LOCATION.fullmatch(location):
        raise ValueError(f"not an S3 location (s3://bucket[/prefix]): {location!r}")
    loc = location.rstrip("/")
    if not loc.startswith("s3://"):
        loc = "s3://" + loc
    return loc if loc.endswith("/AWSLogs") else loc + "/AWSLogs"


def _name(table: str, database: str | None) -> str:
    return f"{database}.{table}" if database else table


def _projection(
    accounts: Sequence[str], second: str, values: Sequence[str], template: str, first_day: str
) -> str:
    if not accounts or not values:
        raise ValueError(f"partition projection needs the accounts and the {second} values: pass them")
    pattern = REGION_PATTERN if second == "region" else VPC_PATTERN
    wrong = [a for a in accounts if not re.fullmatch(ACCOUNT_PATTERN, a)]
    wrong += [v for v in values if not re.fullmatch(pattern, v)]
    if wrong:
        raise ValueError(f"not an account id or {second}: {', '.join(map(repr, wrong))}")
    return f"""  'projection.enabled'='true',
  'projection.account.type'='enum',
  'projection.account.values'='{",".join(sorted(accounts))}',
  'projection.{second}.type'='enum',
  'projection.{second}.values'='{",".join(values)}',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'projection.timestamp.range'='{first_day},NOW',
  'storage.location.template'='{template}'"""


def vpcflow_ddl(
    location: str,
    accounts: Sequence[str],
    regions: Sequence[str],
    fields: Sequence[str] | None = None,
    parquet: bool = False,
    table: str = flowlogs.TABLE,
    database: str | None = None,
    first_day: str = "2020/01/01",
) -> str:
    """CREATE EXTERNAL TABLE for flow logs under ``location`` (``s3://bucket[/prefix]``).

    ``fields``: the flow log's format as its header names them (``version account-id ...``), for the
    text table; ignored with ``parquet``.
    """
    base = _base(location)
    if parquet:
        columns = list(flowlogs.FIELDS.items())
        row_format = (
            "ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'\n"
            "STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'\n"
            "OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'"
        )
        extra = ""
    else:
        given = [f.strip().removeprefix("${").removesuffix("}") for f in (fields or flowlogs.DEFAULT_FORMAT)]
        header = flowlogs.header_fields(" ".join(given).encode())
        if isinstance(header, str):
            raise ValueError(f"not a flow-log format: {header}")
        names = [flowlogs.column_of(f) for f in header]
        columns = [
            ("record_region", "STRING")
            if c == flowlogs.RECORD_REGION
            else (c, flowlogs.FIELDS.get(c, "STRING"))
            for c in names
        ]
        row_format = "ROW FORMAT DELIMITED FIELDS TERMINATED BY ' '"
        extra = "  'skip.header.line.count'='1',\n  'serialization.null.format'='-',\n"
    cols = ",\n".join(f"  `{c}` {t}" for c, t in columns)
    template = f"{base}/${{account}}/{FLOW_SERVICE}/${{region}}/${{timestamp}}"
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {_name(table, database)} (
{cols}
)
PARTITIONED BY (`account` STRING, `region` STRING, `timestamp` STRING)
{row_format}
LOCATION '{base}/'
TBLPROPERTIES (
{extra}{_projection(accounts, "region", regions, template, first_day)}
)"""


def dnsquery_ddl(
    location: str,
    accounts: Sequence[str],
    vpcs: Sequence[str],
    table: str = dnslogs.TABLE,
    database: str | None = None,
    first_day: str = "2020/01/01",
) -> str:
    """CREATE EXTERNAL TABLE for Resolver query logs under ``location``, projected on account, VPC and day."""
    base = _base(location)
    cols = ",\n".join(f"  `{c}` {t}" for c, t in dnslogs.FIELDS.items())
    template = f"{base}/${{account}}/{DNS_SERVICE}/${{vpc}}/${{timestamp}}"
    return f"""CREATE EXTERNAL TABLE IF NOT EXISTS {_name(table, database)} (
{cols}
)
PARTITIONED BY (`account` STRING, `vpc` STRING, `timestamp` STRING)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
LOCATION '{base}/'
TBLPROPERTIES (
{_projection(accounts, "vpc", vpcs, template, first_day)}
)"""
