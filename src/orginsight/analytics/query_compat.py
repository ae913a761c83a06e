"""Real-world Athena queries over CloudTrail, run unchanged but for names and placeholders.

AWS teams publish Athena queries for investigations (awslabs/aws-security-analytics-bootstrap,
aws-samples/aws-incident-response-playbooks). Each assumes its own table: a different
table name (``cloudtrail_logs``), different partition column names
(``account_partition``...), placeholders to fill in (``'START_TIME'``,
``'AKIAIOSFODNN7EXAMPLE'``). :func:`adapt` maps those onto orginsight's ``cloudtrail``
table with one documented mapping, applied to the parsed query (never to its text), so
that no query is edited by hand:

- ``TABLE_NAMES``: the table a query reads -> ``cloudtrail``.
- ``COLUMN_NAMES``: partition columns of the bootstrap's table -> ``account``,
  ``region``, ``timestamp``.
- ``JSON_STRING_COLUMNS``: the playbooks address ``requestParameters.bucketName`` as if
  the JSON columns were structs (as a Glue-crawled table declares them); in AWS's
  documented table they are JSON strings, so ``col.path`` becomes
  ``json_extract_scalar(col, '$.path')``.
- ``placeholder_values()``: placeholder literals -> sample values (also inside ``LIKE``
  patterns such as ``'%BUCKET_NAME%'``).

Statements that are not queries (``CREATE TABLE``, ``INSERT``) are reported as DDL/DML
and not run: they define tables, they do not read the trail. Only one read-only query
is ever adapted or run (``translate.parse``): a collection is text shared between teams.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

TABLE_NAMES: dict[str, str] = {
    "cloudtrail_logs": "cloudtrail",
    "cloudtrail": "cloudtrail",
    "database.table": "cloudtrail",
}
"""Table names the published queries use (lower case, ``db.table`` when qualified) -> our table."""

COLUMN_NAMES: dict[str, str] = {
    "account_partition": "account",
    "region_partition": "region",
    "date_partition": "timestamp",
}
"""Partition columns of the security-analytics-bootstrap table -> ours (same values: account id,
region, ``yyyy/MM/dd``)."""

JSON_STRING_COLUMNS = ("requestparameters", "responseelements", "additionaleventdata", "serviceeventdetails")
"""Columns AWS's CloudTrail table declares as JSON strings; dotted access into them becomes JSON extraction."""

DEFAULT_PLACEHOLDERS: dict[str, str] = {
    "START_TIME": "2023-07-10T00:00:00Z",
    "END_TIME": "2023-07-11T00:00:00Z",
    "AKIAIOSFODNN7EXAMPLE": "AKIATFQR7NSC8Q4X20BJ",
    "SUSPECT_PRINCIPAL": "arn:aws:iam::123837392027:user/bert-jan",
    "SUSPECTED_PRINCIPAL": "arn:aws:iam::123837392027:user/bert-jan",
    "BUCKET_NAME": "stratus-red-team-ctlr-bucket-zqfsvooxqj",
    "TABLE_NAME": "stratus-red-team-table",
    "111122223333": "123837392027",
}
"""Placeholder -> sample value. The defaults point at the Invictus Stratus sample (one account,
2023-07-10) so adapted queries return rows there; pass your own to :func:`adapt`."""

QUERY_KINDS = {
    "Select": "query",
    "Union": "query",
    "Intersect": "query",
    "Except": "query",
    "Subquery": "query",
    "Values": "query",
    "Create": "ddl",
    "Drop": "ddl",
    "Alter": "ddl",
    "Insert": "dml",
    "Update": "dml",
    "Delete": "dml",
    "Merge": "dml",
    "Copy": "dml",
}
"""Statement kind by the sqlglot node at its root; a query is a query only when it is read-only throughout."""


def placeholder_values(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    return {**DEFAULT_PLACEHOLDERS, **(overrides or {})}


def fill_like_pattern(pattern: str, values: Mapping[str, str]) -> str:
    """A ``LIKE`` pattern's value with each placeholder in it replaced by its sample value.

    ``'%BUCKET_NAME%'`` is one string literal of the parsed query, the placeholder sitting among
    wildcards: this edits that literal's value, never the query's text, and :func:`adapt` puts the
    result back as a new literal node that the generator quotes. One pass over the pattern (longest
    placeholder first), so a value is not searched again for placeholders: an ARN given for
    ``SUSPECTED_PRINCIPAL`` keeps its account id even when that id is a placeholder (``111122223333``).
    """
    keys = sorted((key for key in values if key), key=len, reverse=True)
    if not keys:
        return pattern
    placeholder = re.compile("|".join(re.escape(key) for key in keys))
    return placeholder.sub(lambda m: values[m.group(0)], pattern)


def statement_kind(sql: str) -> str:
    """``query``, ``ddl`` or ``dml`` (or ``unknown``) for one statement.

    ``query`` means one read-only query (:func:`orginsight.engines.translate.ensure_read_only`):
    a SELECT holding a ``SELECT ... INTO`` or several statements is ``unknown``, and not run.
    """
    import sqlglot

    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except sqlglot.errors.ParseError:
        first = sql.strip().split(None, 1)[0].upper() if sql.strip() else ""
        return {"CREATE": "ddl", "INSERT": "dml", "SELECT": "query", "WITH": "query"}.get(first, "unknown")
    if len(trees) != 1:
        return "unknown"
    kind = QUERY_KINDS.get(type(trees[0]).__name__, "unknown")
    if kind == "query":
        try:
            translate.ensure_read_only(trees[0], sql)
        except QueryError:
            return "unknown"
    return kind


def adapt(sql: str, placeholders: Mapping[str, str] | None = None) -> str:
    """A published query mapped onto the ``cloudtrail`` table (see the module docstring)."""
    from sqlglot import exp

    values = placeholder_values(placeholders)
    tree = translate.parse(sql.strip().rstrip(";"))  # one read-only query, or a QueryError saying why

    def rewrite(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table):
            qualified = ".".join(p for p in (node.db, node.name) if p).lower()
            target = TABLE_NAMES.get(qualified) or (
                TABLE_NAMES.get(node.name.lower()) if not node.db else None
            )
            if target:
                alias = node.args.get("alias")
                return exp.Table(this=exp.to_identifier(target), alias=alias.copy() if alias else None)
            return node
        if isinstance(node, exp.Column):
            parts = [p.name for p in node.parts]
            lowered = [p.lower() for p in parts]
            for i, part in enumerate(lowered):
                if part in JSON_STRING_COLUMNS and i < len(parts) - 1:
                    column = exp.column(part, table=parts[i - 1] if i > 0 else None)
                    path = "$." + ".".join(parts[i + 1 :])
                    return exp.func("json_extract_scalar", column, exp.Literal.string(path))
            if node.name.lower() in COLUMN_NAMES:
                return exp.column(COLUMN_NAMES[node.name.lower()], table=node.table or None, quoted=True)
            return node
        if isinstance(node, exp.Literal) and node.is_string:
            text = node.this
            if text in values:
                return exp.Literal.string(values[text])
            if "%" in text:
                filled = fill_like_pattern(text, values)
                return exp.Literal.string(filled) if filled != text else node
        return node

    return tree.transform(rewrite).sql(dialect="athena")


@dataclass(frozen=True)
class PublishedQuery:
    """One query of the collection: where it comes from, its title and SQL."""

    index: int
    source: str
    file: str
    title: str
    sql: str


def load(path: str | os.PathLike[str]) -> list[PublishedQuery]:
    """The JSON-lines collection (``{"source","file","title","sql"}`` per line)."""
    path = Path(path)
    out = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise OrgInsightError(f"cannot read {path}: {e}") from e
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except ValueError as e:
            raise OrgInsightError(f"{path}, line {i + 1}: not JSON ({e})") from e
        out.append(PublishedQuery(i, d.get("source", ""), d.get("file", ""), d.get("title", ""), d["sql"]))
    return out


def check(
    lake: Lake,
    queries: Iterable[PublishedQuery],
    placeholders: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Adapt and run every query; one row each: kind, status (ran / failed / not run), rows, reason."""
    import pandas as pd

    rows = []
    for q in queries:
        kind = statement_kind(q.sql)
        row = {
            "index": q.index,
            "file": Path(q.file).name,
            "kind": kind,
            "status": "",
            "rows": None,
            "reason": None,
            "sql": None,
        }
        if kind != "query":
            row.update(
                status="not run", reason=f"{kind.upper()} statement: defines or fills a table, reads no trail"
            )
            rows.append(row)
            continue
        try:
            row["sql"] = adapt(q.sql, placeholders)
            df = lake.sql(row["sql"])
        except OrgInsightError as e:
            row.update(status="failed", reason=str(e).splitlines()[0][:300])
        else:
            row.update(status="ran", rows=len(df))
        rows.append(row)
    return pd.DataFrame(rows, columns=["index", "file", "kind", "status", "rows", "reason", "sql"])
