"""The SSM tables on Athena: AWS's documented tables, written by hand with partition projection."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from orginsight.errors import ParameterError
from orginsight.sources.ddl import ALL_COMMERCIAL_REGIONS
from orginsight.sources.layout import is_account_id, is_region
from orginsight.sources.ssm_sync.inventory import (
    INVENTORY_TYPES,
    PARTITION_COLUMNS,
    RESOURCE_TYPE,
    inventory_type,
)

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ATHENA_TYPES = {"STRING": "string", "NUMBER": "int"}  # as AWS's own AWS_PatchSummary table declares them


def athena_ddl(
    type_name: str,
    location: str,
    accounts: Sequence[str],
    regions: Sequence[str] = ALL_COMMERCIAL_REGIONS,
    database: str | None = None,
) -> str:
    """CREATE EXTERNAL TABLE for one inventory type of the sync at ``location`` (``s3://bucket/prefix/``).

    The columns and SerDe are AWS's (the walkthrough's tables: OpenX JsonSerDe, NUMBER as ``int``), with
    ``resourceId``, ``captureTime`` and ``schemaVersion`` added; partition projection on account
    (enum: the organization's accounts), region (enum) and resource type replaces ``MSCK REPAIR``, so a
    new account or region needs no crawl. A ``Custom:`` type has no known columns: it is refused here.
    """
    kind = inventory_type(type_name)
    if not kind.attributes:
        raise ParameterError(f"{type_name} has no documented attributes; write its table by hand")
    if not location.startswith("s3://"):
        raise ParameterError(f"the sync location must be an s3:// URI, got {location!r}")
    if database is not None and not _IDENTIFIER.fullmatch(database):
        raise ParameterError(f"a database name must be an identifier, got {database!r}")
    if not accounts or not all(is_account_id(a) for a in accounts):
        raise ParameterError("partition projection needs the account ids (twelve digits each)")
    if not all(is_region(r) for r in regions):
        raise ParameterError(f"not regions: {[r for r in regions if not is_region(r)]}")
    if "'" in location or "$" in location:
        raise ParameterError(f"the sync location cannot hold quotes or '$': {location!r}")
    base = f"{location.rstrip('/')}/{type_name}/"
    name = f"`{database}`.`{kind.table}`" if database else f"`{kind.table}`"
    cols = ",\n".join(f"  `{col}` {_ATHENA_TYPES[t]}" for _, col, t in kind.columns)
    serde = {"serialization.format": "1"} | {
        f"mapping.{col}": key.lower() for key, col, _ in kind.columns if col != key.lower()
    }
    props = {
        "projection.enabled": "true",
        "projection.accountid.type": "enum",
        "projection.accountid.values": ",".join(sorted(accounts)),
        "projection.region.type": "enum",
        "projection.region.values": ",".join(regions),
        "projection.resourcetype.type": "enum",
        "projection.resourcetype.values": RESOURCE_TYPE,
        "storage.location.template": base
        + "accountid=${accountid}/region=${region}/resourcetype=${resourcetype}/",
    }
    return (
        f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{cols}\n)\n"
        f"PARTITIONED BY ({', '.join(f'`{p}` string' for p in PARTITION_COLUMNS)})\n"
        "ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'\n"
        f"WITH SERDEPROPERTIES (\n{_properties(serde)}\n)\n"
        f"LOCATION '{base}'\n"
        f"TBLPROPERTIES (\n{_properties(props)}\n)"
    )


def all_athena_ddl(
    location: str,
    accounts: Sequence[str],
    regions: Sequence[str] = ALL_COMMERCIAL_REGIONS,
    database: str | None = None,
) -> list[str]:
    """``athena_ddl`` for every documented inventory type, in the order of ``INVENTORY_TYPES``."""
    return [athena_ddl(t, location, accounts, regions, database) for t in INVENTORY_TYPES]


def _properties(props: Mapping[str, str]) -> str:
    return ",\n".join(f"  '{k}'='{v}'" for k, v in props.items())
