"""The local engine's dialect: sqlglot's DuckDB, plus the Trino-to-DuckDB rewrites it lacks.

What each rewrite gives is checked against Trino's results in ``test_regexp_replace.py``; these
tests check the dialect itself: how it extends DuckDB's, and that it changes nothing else.
"""

from __future__ import annotations

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB

from orginsight.engines import dialect, translate
from orginsight.errors import QueryError


def test_the_dialect_is_duckdb_registered_by_name() -> None:
    assert issubclass(dialect.LocalDuckDB, DuckDB)
    assert isinstance(sqlglot.Dialect.get_or_raise(dialect.NAME), dialect.LocalDuckDB)
    assert translate.LOCAL_DIALECT is dialect.LocalDuckDB
    assert translate.ENGINE_DIALECTS["duckdb"] is dialect.LocalDuckDB


def test_it_extends_duckdbs_transforms_by_merging() -> None:
    """Every entry of DuckDB's generator table is kept; only the rewritten functions are overridden."""
    ours, theirs = dialect.LocalDuckDB.Generator.TRANSFORMS, DuckDB.Generator.TRANSFORMS
    overridden = {k for k in theirs.keys() | ours.keys() if ours.get(k) is not theirs.get(k)}
    assert overridden == {exp.RegexpReplace}
    assert set(theirs) <= set(ours)


def test_sqlglot_transpiles_athena_to_the_local_dialect_by_name() -> None:
    sql = "SELECT regexp_replace(x, 'a(b)', '$1')"
    assert sqlglot.transpile(sql, read="athena", write=dialect.NAME) == [
        "SELECT REGEXP_REPLACE(x, 'a(b)', '\\1', 'g')"
    ]
    # sqlglot's own DuckDB passes Trino's '$1' on, which DuckDB inserts as text: the gap this dialect fills.
    assert sqlglot.transpile(sql, read="athena", write="duckdb") == [
        "SELECT REGEXP_REPLACE(x, 'a(b)', '$1', 'g')"
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT eventname, count(*) AS n FROM cloudtrail WHERE account = '111122223333' GROUP BY 1",
        "SELECT json_extract_scalar(requestparameters, '$.bucketName') FROM cloudtrail",
        "SELECT from_iso8601_timestamp(eventtime) AS t, regexp_extract(x, '[^/]+$') FROM cloudtrail",
        "SELECT date_trunc('hour', from_iso8601_timestamp(eventtime)), split_part(arn, ':', 5) FROM t",
        "SELECT regexp_like(x, 'a(b)'), x LIKE '%$1%' FROM t",
    ],
)
def test_without_a_rewritten_function_it_writes_what_duckdb_writes(sql: str) -> None:
    tree = translate.parse(sql)
    assert tree.sql(dialect=dialect.LocalDuckDB) == tree.sql(dialect="duckdb")


def test_to_sql_writes_duckdb_through_the_local_dialect_and_athena_as_is() -> None:
    tree = translate.parse("SELECT regexp_replace(x, '(?<n>a)', '${n}!')")
    local = "SELECT REGEXP_REPLACE(x, '(?P<n>a)', '\\1!', 'g')"
    assert translate.to_sql(tree, "duckdb") == local
    assert translate.to_sql(tree, translate.LOCAL_DIALECT) == local
    assert translate.to_sql(tree, "athena") == "SELECT REGEXP_REPLACE(x, '(?<n>a)', '${n}!')"


def test_the_rewrite_returns_a_new_node_and_leaves_non_literals_alone() -> None:
    call = translate.parse("SELECT regexp_replace(x, 'a(b)', '$1')").expressions[0]
    rewritten = dialect.trino_regexp_replace(call)
    assert rewritten is not call
    assert rewritten.args["replacement"].this == "\\1"
    assert call.args["replacement"].this == "$1"
    column = translate.parse("SELECT regexp_replace(x, 'a(b)', y)").expressions[0]
    assert dialect.trino_regexp_replace(column) is column


def test_a_replacement_trino_refuses_is_refused_when_written() -> None:
    tree = translate.parse("SELECT regexp_replace(x, 'a', '$x')")
    assert translate.to_sql(tree, "athena") == "SELECT REGEXP_REPLACE(x, 'a', '$x')"
    with pytest.raises(QueryError, match="must be followed by a group number"):
        translate.to_sql(tree, "duckdb")
