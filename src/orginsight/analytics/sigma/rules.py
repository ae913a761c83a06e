"""Sigma rule files to Athena queries over ``cloudtrail``, each checked as one read-only SELECT, and run.

A rule that cannot be converted is returned with the reason (:class:`RuleQuery`), never guessed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from orginsight.analytics.hunts import parse_time
from orginsight.analytics.sigma.backend import AthenaCloudTrailBackend, in_parentheses
from orginsight.analytics.sigma.fields import SQL_STYLE, column_path
from orginsight.engines import translate
from orginsight.errors import OrgInsightError, QueryError

if TYPE_CHECKING:
    import pandas as pd

    from orginsight.lake import Lake

OUTPUT_COLUMNS: tuple[tuple[tuple[str, ...], str | None], ...] = (
    (("eventtime",), None),
    (("account",), None),
    (("region",), None),
    (("eventid",), None),
    (("eventsource",), None),
    (("eventname",), None),
    (("useridentity", "arn"), "principal"),
    (("sourceipaddress",), None),
    (("useragent",), None),
    (("errorcode",), None),
)
"""The columns every rule's query returns: a column path and its alias, if any."""


@dataclass(frozen=True)
class RuleQuery:
    """One Sigma rule and its Athena SQL, or why it could not be converted."""

    path: Path
    rule_id: str | None
    title: str
    level: str | None
    sql: str | None
    error: str | None = None

    @property
    def converted(self) -> bool:
        return self.sql is not None


def rule_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Sigma rule files named directly or found (``*.yml``, ``*.yaml``) under folders."""
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.suffix in {".yml", ".yaml"})
        elif p.exists():
            files.append(p)
        else:
            raise OrgInsightError(f"no Sigma rule or folder at {p}")
    return files


def query_tree(condition: exp.Expression) -> exp.Select:
    """The full query for one rule condition: the output columns of matching events in the window, by time."""
    columns = [
        column_path(path) if alias is None else exp.alias_(column_path(path), alias)
        for path, alias in OUTPUT_COLUMNS
    ]
    window = exp.Between(
        this=exp.Anonymous(this="from_iso8601_timestamp", expressions=[exp.column("eventtime")]),
        low=exp.Placeholder(this="start"),
        high=exp.Placeholder(this="end"),
    )
    return (
        exp.select(*columns)
        .from_(exp.to_table("cloudtrail"))
        .where(exp.and_(window, exp.Paren(this=condition), copy=False))
        .order_by(exp.Ordered(this=exp.column("eventtime"), nulls_first=False))
    )


def query_sql(condition: exp.Expression) -> str:
    """The full Athena query for one rule condition (see :func:`query_tree`), checked to be one read-only SELECT."""

    sql = query_tree(condition).sql(**SQL_STYLE)
    translate.parse(sql)
    return sql


def convert_file(path: str | os.PathLike[str]) -> RuleQuery:
    """Convert one Sigma rule file; failures are returned with their reason, not raised."""
    from sigma.collection import SigmaCollection
    from sigma.exceptions import SigmaError

    path = Path(path)
    try:
        collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
    except (SigmaError, OSError, ValueError) as e:
        return RuleQuery(path, None, path.stem, None, None, f"cannot load: {e}")
    rules = [*collection.rules]
    if len(rules) != 1:
        return RuleQuery(path, None, path.stem, None, None, f"expected one rule, found {len(rules)}")
    rule = rules[0]
    rid = str(rule.id) if getattr(rule, "id", None) else None
    title = getattr(rule, "title", path.stem)
    level = str(rule.level.name).lower() if getattr(rule, "level", None) else None
    logsource = getattr(rule, "logsource", None)
    if logsource is None or (logsource.product, logsource.service) != ("aws", "cloudtrail"):
        return RuleQuery(path, rid, title, level, None, "not a product: aws, service: cloudtrail rule")
    try:
        conditions = AthenaCloudTrailBackend().convert_rule(rule)
    except (SigmaError, NotImplementedError, OrgInsightError, TypeError) as e:
        return RuleQuery(path, rid, title, level, None, _reason(e))
    if not conditions:
        return RuleQuery(path, rid, title, level, None, "conversion produced no condition")
    condition = (
        conditions[0] if len(conditions) == 1 else exp.or_(*map(in_parentheses, conditions), copy=False)
    )
    try:
        sql = query_sql(condition)
    except QueryError as e:  # cannot happen for a tree built here; refuse rather than hand it out
        return RuleQuery(path, rid, title, level, None, f"{path}: generated SQL refused: {_reason(e)}")
    return RuleQuery(path, rid, title, level, sql)


def _reason(e: Exception) -> str:
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text[:300]


def convert(paths: Iterable[str | os.PathLike[str]]) -> list[RuleQuery]:
    """Every rule under ``paths`` converted (or not, with the reason)."""
    return [convert_file(f) for f in rule_files(paths)]


def bound_sql(query: RuleQuery, params: Mapping[str, Any]) -> str:
    """The rule's SQL with ``:start``/``:end`` bound, as it would run on Athena."""

    return translate.bind(translate.parse(query.sql or ""), params).sql(
        dialect=translate.DIALECT, pretty=True
    )


def run(
    lake: Lake,
    paths: Iterable[str | os.PathLike[str]],
    start: Any = "30d",
    end: Any = "now",
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Convert and run every rule under ``paths``: a summary (one row per rule: title, level,
    status, hits, or the reason it was not converted or failed to run) and each rule's hits."""
    import pandas as pd
    from tqdm.auto import tqdm

    window = {"start": parse_time(start), "end": parse_time(end)}
    rows, hits = [], {}
    queries = convert(paths)
    for q in tqdm(queries, desc="sigma rules", unit="rule", disable=len(queries) < 5):
        row = {
            "rule": q.path.stem,
            "title": q.title,
            "level": q.level,
            "status": "",
            "hits": None,
            "reason": q.error,
        }
        if q.sql is None:
            row["status"] = "not converted"
        else:
            try:
                df = lake.sql(q.sql, **window)
            except OrgInsightError as e:
                row.update(status="failed", reason=_reason(e))
            else:
                row.update(status="ran", hits=len(df))
                hits[q.path.stem] = df
        rows.append(row)
    return pd.DataFrame(rows, columns=["rule", "title", "level", "status", "hits", "reason"]), hits
