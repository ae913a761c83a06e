"""One SQL for Storage Lens on Athena and locally: the Athena table over an export (with partition
projection on ``dt``), and a DuckDB view with the same columns over a local lake."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlglot import exp

from orginsight.errors import ParameterError
from orginsight.sources.storagelens.manifests import EXPORT_COLUMNS, ExportProblem, iter_export_days
from orginsight.sources.storagelens.read import _has_header


def athena_ddl(
    location: str,
    *,
    table: str = "storage_lens",
    database: str | None = None,
    report_format: str = "CSV",
    header: bool = True,
    first_day: str = "2020-01-01",
) -> str:
    """CREATE EXTERNAL TABLE for one configuration's export, with partition projection on ``dt``.

    ``location`` is the ``.../StorageLens/<account>/<config-id>/V_1/reports/`` prefix. With
    projection Athena needs no MSCK REPAIR nor Glue partitions: ``dt`` runs from
    ``first_day`` to today. CSV uses LazySimpleSerDe: ``record_value`` is URL-encoded, so
    no field holds a comma. ``header`` skips a first header line in each CSV file.
    """
    if not location.startswith("s3://"):
        raise ParameterError(f"Storage Lens location must be an s3:// URI, got {location!r}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", table) or (
        database and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", database)
    ):
        raise ParameterError(f"table and database names must be identifiers, got {database!r}.{table!r}")
    fmt = report_format.lower()
    if fmt not in ("csv", "parquet"):
        raise ParameterError(f"report_format must be CSV or Parquet, got {report_format!r}")
    location = location.rstrip("/") + "/"
    cols = ",\n  ".join(f"`{c}` {'bigint' if c == 'metric_value' else 'string'}" for c in EXPORT_COLUMNS)
    name = f"`{database}`.`{table}`" if database else f"`{table}`"
    storage = (
        "STORED AS PARQUET"
        if fmt == "parquet"
        else "ROW FORMAT DELIMITED FIELDS TERMINATED BY ','\nSTORED AS TEXTFILE"
    )
    props = {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.range": f"{first_day},NOW",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        "storage.location.template": location + "dt=${dt}/",
    }
    if fmt == "csv" and header:
        props["skip.header.line.count"] = "1"
    tblprops = ",\n  ".join(f"'{k}'='{v}'" for k, v in props.items())
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n  {cols}\n)\n"
        f"PARTITIONED BY (`dt` string)\n{storage}\nLOCATION '{location}'\nTBLPROPERTIES (\n  {tblprops}\n)"
    )


BUCKET_PROTECTION_SQL = """
SELECT dt,
       aws_account_number AS account,
       aws_region AS region,
       bucket_name AS bucket,
       sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END) AS storage_bytes,
       sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS encrypted_bytes,
       sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END)
         - sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS unencrypted_bytes,
       CAST(sum(CASE WHEN metric_name = 'EncryptedStorageBytes' THEN metric_value ELSE 0 END) AS DOUBLE)
         / nullif(sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END), 0) AS encrypted_bytes_ratio,
       CAST(sum(CASE WHEN metric_name = 'ObjectLockEnabledStorageBytes' THEN metric_value ELSE 0 END) AS DOUBLE)
         / nullif(sum(CASE WHEN metric_name = 'StorageBytes' THEN metric_value ELSE 0 END), 0) AS object_lock_bytes_ratio,
       max(CASE WHEN metric_name = 'VersioningEnabledBucketCount' THEN metric_value ELSE 0 END) > 0
         AS versioning_enabled
FROM storage_lens
WHERE record_type = 'BUCKET' AND dt >= :since
GROUP BY dt, aws_account_number, aws_region, bucket_name
ORDER BY account, bucket, dt
"""
"""Per-bucket data protection per day in Athena SQL (``:since`` is a 'YYYY-MM-DD' string): the same
numbers as ``bucket_protection``, for Athena consoles and for checking one path against the other."""


def create_local_view(
    con: Any, root: str | Path, *, name: str = "storage_lens", since: date | str | None = None
) -> list[ExportProblem]:
    """Create a DuckDB view with the Athena table's columns (export columns + ``dt``) over the lake.

    The view reads exactly the manifest-listed files, keeps ``record_value`` URL-encoded as
    Athena does, so a query gives the same answer in both places. Returns the problems met.
    """
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ParameterError(f"view name must be an identifier, got {name!r}")
    days = list(iter_export_days(root, since=since))
    problems = [p for d in days for p in d.problems]
    selects = []
    for fmt in ("csv", "parquet"):
        for header in (True, False):
            files = [
                str(f)
                for d in days
                if d.report_format.lower() == fmt
                for f in d.files
                if fmt == "parquet" or _has_header(f) is header
            ]
            if not files or (fmt == "parquet" and not header):
                continue
            reader = _export_reader(fmt, files, header)
            selects.append(exp.select(*EXPORT_COLUMNS, "dt").from_(exp.Table(this=reader)))
    body = _union_all(selects) if selects else _empty_export()
    view = exp.Create(
        this=exp.Table(this=exp.to_identifier(name)), kind="VIEW", replace=True, expression=body
    )
    con.execute(view.sql(dialect="duckdb"))
    return problems


_EXPORT_TYPES = {c: "BIGINT" if c == "metric_value" else "VARCHAR" for c in EXPORT_COLUMNS}
"""DuckDB type of each export column, as the Athena table declares it."""


def _export_reader(fmt: str, files: list[str], header: bool) -> exp.Expression:
    """``read_csv([...], columns=..., header=...)`` or ``read_parquet([...])`` over one kind of export file.

    Built as a tree (file paths become string literals the generator quotes) because a DuckDB
    view cannot hold bound parameters. ``dt`` comes from the ``dt=YYYY-MM-DD`` folder, as Athena's
    partition does.
    """
    options: dict[str, exp.Expression] = {}
    if fmt == "csv":
        options = {
            "columns": _struct(_EXPORT_TYPES),
            "header": exp.Boolean(this=header),
            "auto_detect": exp.false(),
        }
    options |= {"hive_partitioning": exp.true(), "hive_types": _struct({"dt": "VARCHAR"})}
    paths = exp.Array(expressions=[exp.Literal.string(f) for f in files])
    named = [exp.EQ(this=exp.column(key), expression=value) for key, value in options.items()]
    return exp.func(f"read_{fmt}", paths, *named, dialect="duckdb")


def _struct(fields: Mapping[str, str]) -> exp.Struct:
    """A DuckDB struct literal ``{'key': 'value', ...}`` of string values."""
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.to_identifier(key), expression=exp.Literal.string(value))
            for key, value in fields.items()
        ]
    )


def _union_all(selects: list[exp.Select]) -> exp.Expression:
    body: exp.Expression = selects[0]
    for select in selects[1:]:
        body = exp.union(body, select, distinct=False)
    return body


def _empty_export() -> exp.Select:
    """The view's columns with no rows, for a lake holding no export yet."""
    columns = {**_EXPORT_TYPES, "dt": "VARCHAR"}
    nulls = [exp.cast(exp.null(), kind).as_(column) for column, kind in columns.items()]
    return exp.select(*nulls).where(exp.false())
