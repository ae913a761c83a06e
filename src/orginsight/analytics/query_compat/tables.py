"""The table a published query reads, mapped onto the lake's ``cloudtrail``.

Authors name the table their own way: AWS's documentation ``cloudtrail_logs`` (and
``cloudtrail_logs_pp`` in its partition projection example), the CloudTrail console's "Create Athena
table" ``cloudtrail_logs_<bucket>`` (the bucket name with ``-`` and ``.`` as ``_``), an organization's
``cloudtrail_<account id>``, qualified as ``db.table`` or ``"awsdatacatalog"."db"."table"``. The lake
has one trail table, so a database qualifier is dropped, the known forms map by name, and one unknown
table whose columns are all CloudTrail's maps too: each with a note saying so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sqlglot import exp

from orginsight.sources.insights import TABLE as INSIGHTS_TABLE
from orginsight.sources.schema import COLUMNS, TABLE

TABLE_NAMES: dict[str, str] = {
    "cloudtrail_logs": TABLE,
    "cloudtrail": TABLE,
    "database.table": TABLE,
}
"""Table names of the published queries (lower case, ``db.table`` when qualified) -> our table."""

TABLE_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"^cloudtrail_logs_[a-z0-9_]+$"),
    re.compile(r"^cloudtrail_\d{12}$"),
    re.compile(r"^(?:aws_)?cloudtrail_(?:logs|events|table|trail|org|organization)(?:_[a-z0-9_]+)?$"),
)
"""Name forms that are a CloudTrail table: the console's, per account, and common variants."""

LAKE_TABLES = frozenset({TABLE, INSIGHTS_TABLE})
"""Tables the lake has: never mapped elsewhere (nor are ``ssm_*``, the SSM resource data sync's)."""

CLOUDTRAIL_ONLY_COLUMNS = frozenset(COLUMNS) - {"account", "region", "timestamp", "resources"}
"""Columns that say a table is a CloudTrail table (``region`` or ``resources`` alone do not)."""


def _ctes(tree: exp.Expression) -> set[str]:
    return {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}


def _aliases(tree: exp.Expression) -> set[str]:
    return {a.alias.lower() for a in tree.find_all(exp.Alias) if a.alias}


def root_column(column: exp.Column, qualifiers: set[str]) -> str | None:
    """The top-level column a reference reads (``userIdentity`` of ``ct.userIdentity.arn``), if of this table."""
    parts = [p.name.lower() for p in column.parts]
    if len(parts) > 1 and parts[0] in qualifiers:
        return parts[1]
    if len(parts) > 1 and not (set(parts[:1]) & CLOUDTRAIL_ONLY_COLUMNS):
        return None  # qualified by another table
    return parts[0]


def reads_cloudtrail_columns(tree: exp.Expression, ref: exp.Table, partition_names: set[str]) -> bool:
    """Whether every column ``ref`` is read through is a CloudTrail column, and at least one says so."""
    qualifiers = {ref.name.lower(), ref.alias_or_name.lower()}
    known = CLOUDTRAIL_ONLY_COLUMNS | {"account", "region", "timestamp", "resources"} | partition_names
    roots = {root_column(c, qualifiers) for c in tree.find_all(exp.Column)} - {None} - _aliases(tree)
    return (
        bool(roots)
        and roots <= known
        and bool(roots & CLOUDTRAIL_ONLY_COLUMNS)
        or (not roots and "cloudtrail" in ref.name.lower())
    )


def target_of(ref: exp.Table, tables: Mapping[str, str]) -> str | None:
    """Where a table reference goes by name alone: ``tables`` first, then the known names and forms."""
    name = ref.name.lower()
    qualified = ".".join(p for p in (ref.db, ref.name) if p).lower()
    for key in (qualified, name):
        if key in tables:
            return tables[key]
    if qualified in TABLE_NAMES:
        return TABLE_NAMES[qualified]
    if name in LAKE_TABLES or name.startswith("ssm_"):
        return name
    if name in TABLE_NAMES or any(p.match(name) for p in TABLE_PATTERNS):
        return TABLE
    return None


def map_tables(
    tree: exp.Expression, tables: Mapping[str, str], partition_names: set[str], notes: list[str]
) -> exp.Expression:
    """The tree with each table it reads renamed to the lake's (see the module docstring)."""
    tables = {k.lower(): v for k, v in tables.items()}
    ctes = _ctes(tree)
    refs = [t for t in tree.find_all(exp.Table) if t.name and t.name.lower() not in ctes]
    unknown = {t.name.lower() for t in refs if target_of(t, tables) is None}
    for ref in refs:
        target = target_of(ref, tables)
        original = ".".join(p for p in (ref.catalog, ref.db, ref.name) if p)
        if target is None and len(unknown) == 1 and reads_cloudtrail_columns(tree, ref, partition_names):
            target = TABLE
            notes.append(f"unknown table {original} reads CloudTrail's columns: ran on {TABLE}")
        elif target is not None and original.lower() != target:
            notes.append(f"table {original} ran as {target}")
        if target is None:
            continue
        alias = ref.args.get("alias")
        ref.replace(exp.Table(this=exp.to_identifier(target), alias=alias.copy() if alias else None))
    return tree
