"""prepare(): one query mapped onto the lake; the package docstring says what is mapped and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp

from orginsight.analytics.query_compat.columns import PARTITION_NAMES, map_columns
from orginsight.analytics.query_compat.placeholders import (
    UnfilledPlaceholders,
    ensure_strict_parse,
    filled,
    placeholder_values,
    unfilled,
)
from orginsight.analytics.query_compat.tables import map_tables
from orginsight.engines import translate
from orginsight.sources.schema import TABLE


@dataclass(frozen=True)
class Prepared:
    """A query as it runs on the lake, and what was mapped to get there."""

    sql: str
    notes: tuple[str, ...] = ()


def _fill(tree: exp.Expression, values: Mapping[str, str]) -> exp.Expression:
    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Literal) and node.is_string:
            value = filled(node.this, values)
            return exp.Literal.string(value) if value != node.this else node
        return node

    return tree.transform(rewrite) if values else tree


def _cloudtrail_qualifiers(tree: exp.Expression) -> set[str]:
    refs = [t for t in tree.find_all(exp.Table) if t.name.lower() == TABLE]
    return {n for t in refs for n in (t.name.lower(), t.alias_or_name.lower())}


def prepare(
    sql: str,
    *,
    tables: Mapping[str, str] | None = None,
    placeholders: Mapping[str, str] | None = None,
    first_line: int = 1,
) -> Prepared:
    """One query mapped onto the lake (see the module docstring), or an error saying what stops it.

    ``tables``: table name (``name`` or ``db.name``) -> lake table. ``placeholders``: literal ->
    value (also inside LIKE patterns). ``first_line``: where the query starts in its file, for positions.
    """
    text = sql.strip().rstrip(";")
    ensure_strict_parse(text, first_line)
    found = unfilled(text, placeholders, first_line)
    if found:
        raise UnfilledPlaceholders(found, sql=text)
    notes: list[str] = []
    tree = translate.parse(text)  # one read-only query, or a QueryError saying why
    tree = map_tables(tree, tables or {}, set(PARTITION_NAMES), notes)
    qualifiers = _cloudtrail_qualifiers(tree)
    if qualifiers:
        tree = map_columns(tree, qualifiers, notes)
    tree = _fill(tree, placeholders or {})
    return Prepared(tree.sql(dialect="athena"), tuple(notes))


def adapt(sql: str, placeholders: Mapping[str, str] | None = None) -> str:
    """A published query mapped onto ``cloudtrail``, placeholders filled with the Invictus sample values
    (:data:`DEFAULT_PLACEHOLDERS`) under ``placeholders``."""
    return prepare(sql, placeholders=placeholder_values(placeholders)).sql
