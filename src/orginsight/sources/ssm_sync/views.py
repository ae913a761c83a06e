"""The SSM tables on the local engine: one DuckDB view per type over the files that read, like Athena's table."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlglot import exp

from orginsight.sources.ssm_sync.inventory import (
    INVENTORY_TYPES,
    PARTITION_COLUMNS,
    TABLES,
    InventoryType,
    inventory_type,
    table_name,
)
from orginsight.sources.ssm_sync.read import SyncChecks, SyncFiles, find_files, good_files


@dataclass
class LocalViews:
    """Views for the SSM tables a query names: ``{table: DuckDB SELECT}``, and the files left out."""

    views: dict[str, str]
    errors: list[dict[str, str]]


def referenced_tables(tree: exp.Expression) -> set[str]:
    """The SSM tables a parsed query reads (names only; a CTE of that name shadows the view harmlessly)."""
    return {t.name.lower() for t in tree.find_all(exp.Table) if t.name.lower().startswith("ssm_")}


def local_views(
    lake: str | os.PathLike[str], tables: Iterable[str], checks: SyncChecks | None = None
) -> LocalViews:
    """A DuckDB view for each of ``tables`` that the lake's sync (or the documented types) can give.

    A documented type with no file in the lake still gets its (empty) table, so a query over it runs;
    a ``Custom:`` type gets one when the lake holds it. Names that are no SSM table are left to the query.
    """
    names = {n for n in tables if n.startswith("ssm_")}
    if not names:
        return LocalViews({}, [])
    found = find_files(lake, tables=names)
    custom = {table_name(t): t for t in found.files if t not in INVENTORY_TYPES}
    types = {n: TABLES.get(n) or custom.get(n) for n in names}
    types = {n: t for n, t in types.items() if t is not None}
    wanted = SyncFiles({t: found.files.get(t, []) for t in types.values()}, found.errors)
    good, errors = good_files(wanted, checks)
    views = {n: view_sql(inventory_type(t), [f.path for f in good.get(t, [])]) for n, t in types.items()}
    return LocalViews(views, errors)


_DUCKDB_TYPES = {"STRING": "VARCHAR", "NUMBER": "INTEGER"}


def view_sql(kind: InventoryType, paths: Sequence[str]) -> str:
    """One DuckDB SELECT with the type's Athena columns over ``paths`` (already checked readable).

    Paths become string literals (a view holds no parameters). Every attribute is read as text and NUMBER
    ones cast (TRY_CAST: a value that is no integer is null). The partition columns come from the
    ``key=value`` folders (``hive_partitioning``), so a filter on ``accountid`` or ``region`` keeps DuckDB
    from reading the other partitions' files at all. Keys are matched as the sync spells them (case counts;
    Athena's OpenX SerDe ignores case: a file with other spellings reads as nulls here).
    """
    partitions = [exp.column(p).as_(p) for p in PARTITION_COLUMNS]
    if not paths:
        nulls = [exp.cast(exp.null(), _DUCKDB_TYPES[t]).as_(c) for _, c, t in kind.columns]
        extra = [exp.cast(exp.null(), "VARCHAR").as_("item")] if not kind.attributes else []
        parts = [exp.cast(exp.null(), "VARCHAR").as_(p) for p in PARTITION_COLUMNS]
        return exp.select(*nulls, *extra, *parts).where(exp.false()).sql(dialect="duckdb")
    files = exp.Array(expressions=[exp.Literal.string(p) for p in paths])
    hive = {
        "hive_partitioning": exp.true(),
        "hive_types": _struct(dict.fromkeys(PARTITION_COLUMNS, "VARCHAR")),
    }
    if kind.attributes and not any(key.lower() in PARTITION_COLUMNS for key, _, _ in kind.columns):
        options = {
            "columns": _struct({key: "VARCHAR" for key, _, _ in kind.columns}),
            "format": exp.Literal.string("newline_delimited"),
        }
        reader = exp.func("read_json", files, *_named(options | hive), dialect="duckdb")
        cols = [_typed(exp.column(key, quoted=True), t).as_(col) for key, col, t in kind.columns]
    else:
        # Each line whole: a Custom type's attributes are unknown, and a key named like a partition
        # (AWS:InstanceInformation's ResourceType) would bind to the partition column (names are case-blind).
        reader = exp.func("read_ndjson_objects", files, *_named(hive), dialect="duckdb")
        cols = [
            _typed(
                exp.func("json_extract_string", exp.column("json"), exp.Literal.string(f'$."{key}"')), t
            ).as_(col)
            for key, col, t in kind.columns
        ] + ([] if kind.attributes else [exp.column("json").as_("item")])
    return exp.select(*cols, *partitions).from_(exp.Table(this=reader)).sql(dialect="duckdb")


def _typed(column: exp.Expression, kind: str) -> exp.Expression:
    return column if kind == "STRING" else exp.TryCast(this=column, to=exp.DataType.build("INTEGER"))


def _named(options: Mapping[str, exp.Expression]) -> list[exp.Expression]:
    return [exp.EQ(this=exp.column(k), expression=v) for k, v in options.items()]


def _struct(fields: Mapping[str, str]) -> exp.Struct:
    """A DuckDB struct literal ``{'key': 'value', ...}`` of string values."""
    return exp.Struct(
        expressions=[
            exp.PropertyEQ(this=exp.Literal.string(k), expression=exp.Literal.string(v))
            for k, v in fields.items()
        ]
    )
