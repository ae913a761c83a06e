"""A collection of published queries (JSON lines), each adapted and run or refused with its reason.

Statements that are not queries (``CREATE TABLE``, ``INSERT``) are reported as DDL/DML and not run:
they define tables, they do not read the trail. A query still holding a placeholder the sample values
do not fill is refused, with the placeholder's position.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlglot

from orginsight.analytics.query_compat.placeholders import UnfilledPlaceholders
from orginsight.analytics.query_compat.prepare import adapt
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

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

FIRST_KEYWORD_KINDS = {
    "CREATE": "ddl",
    "DROP": "ddl",
    "ALTER": "ddl",
    "MSCK": "ddl",
    "INSERT": "dml",
    "SELECT": "query",
    "WITH": "query",
}
"""Statement kind by its first keyword, for what sqlglot cannot parse (Hive DDL: ``MSCK REPAIR TABLE``)."""


def statement_kind(sql: str) -> str:
    """``query``, ``ddl`` or ``dml`` (or ``unknown``) for one statement.

    ``query`` means one read-only query (:func:`orginsight.engines.translate.ensure_read_only`):
    a SELECT holding a ``SELECT ... INTO`` or several statements is ``unknown``, and not run.
    """
    try:
        trees = [t for t in sqlglot.parse(sql, read="athena") if t is not None]
    except (sqlglot.errors.ParseError, sqlglot.errors.TokenError):
        return FIRST_KEYWORD_KINDS.get((translate.first_keyword(sql) or "").upper(), "unknown")
    if len(trees) != 1:
        return "unknown"
    kind = QUERY_KINDS.get(type(trees[0]).__name__, "unknown")
    if kind == "unknown" and isinstance(trees[0], sqlglot.exp.Command):
        return FIRST_KEYWORD_KINDS.get((translate.first_keyword(sql) or "").upper(), "unknown")
    if kind == "query":
        try:
            translate.ensure_read_only(trees[0], sql)
        except QueryError:
            return "unknown"
    return kind


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
    """Adapt and run every query; one row each: kind, status (ran / refused / failed / not run), rows, reason.

    ``refused``: a placeholder the sample values (:func:`adapt`) do not fill; ``failed``: anything else.
    """
    import pandas as pd  # loads pandas: only when a collection is checked

    rows = []
    for q in queries:
        kind = statement_kind(q.sql)
        row = {"index": q.index, "file": Path(q.file).name, "kind": kind}
        row.update(status="", rows=None, reason=None, sql=None)
        if kind != "query":
            reason = f"{kind.upper()} statement: defines or fills a table, reads no trail"
            rows.append({**row, "status": "not run", "reason": reason})
            continue
        try:
            row["sql"] = adapt(q.sql, placeholders)
            df = lake.sql(row["sql"])
        except UnfilledPlaceholders as e:
            row.update(status="refused", reason=str(e).splitlines()[0][:300])
        except OrgInsightError as e:
            row.update(status="failed", reason=str(e).splitlines()[0][:300])
        else:
            row.update(status="ran", rows=len(df))
        rows.append(row)
    return pd.DataFrame(rows, columns=["index", "file", "kind", "status", "rows", "reason", "sql"])
